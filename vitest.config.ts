import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration and e2e tests own real sockets, processes and a browser: keep the 2-core CI sane.
    maxWorkers: 2,
  },
});
