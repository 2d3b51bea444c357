// `kdscope replay` stops at once on SIGINT/SIGTERM, even while it waits on a peer that accepted
// the connection and never reads (its socket buffers full): exit 0 and its summary, as the
// bridge and the simulators end on a signal.
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StreamChunk } from '../../electron/capture/chunk';
import { makeTempDir, writeCapture, type TempDir } from '../support/pcap-fixtures';
import { Processes } from '../support/kdscope-process';
import { untilWithin } from '../support/until';

const p = new Processes();
const until = untilWithin(20_000);
let tmp: TempDir;
beforeEach(() => {
  tmp = makeTempDir('kdscope-replay-signals-');
});
afterEach(() => {
  p.killAll();
  tmp.cleanup();
});

/** 16 MiB from the target, far more than a unix socket's buffers hold. */
function bigCapture(path: string): void {
  const chunk = new Uint8Array(8 * 1024).fill(0x30);
  const frames: StreamChunk[] = [];
  for (let i = 0; i < 2048; i++)
    frames.push({ dir: 'target->debugger', timeUs: 1_000_000 + i, bytes: chunk });
  writeCapture(path, frames, 'pcap');
}

describe('kdscope replay and signals', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s ends a replay blocked on a peer that never reads: exit 0, one summary line',
    async (signal) => {
      const capture = tmp.file('big.pcap');
      bigCapture(capture);
      const sock = tmp.file('deaf.sock');
      const accepted: Socket[] = [];
      // Accepts and never reads: the replay's writes fill the buffers and then wait.
      const server = createServer({ pauseOnConnect: true }, (s) => accepted.push(s));
      server.listen(sock);
      await once(server, 'listening');
      try {
        const run = p.kdscope(['replay', capture, '--to', `unix:${sock}`, '--speed', 'max']);
        await until(() => accepted.length === 1, 'the replay to connect');
        run.child.kill(signal);
        let exited = false;
        void run.exit.then(() => (exited = true));
        await until(
          () => exited,
          () => `the replay to end on ${signal}: ${run.stdout}`,
          10_000,
        );
        expect(run.child.exitCode).toBe(0);
        expect(run.stderr).toBe('');
        expect(run.stdout).toMatch(
          /^replayed \d+ chunks \(\d+ bytes\) of the target side to unix:.*deaf\.sock in \d+ ms \(interrupted\)\n$/,
        );
      } finally {
        for (const s of accepted) s.destroy();
        server.close();
      }
    },
    30_000,
  );
});
