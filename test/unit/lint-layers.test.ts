// The layer rules are real: ESLint, with the project's own config, fails each probe that breaks
// one (and passes the same probe where it is allowed), so a rule cannot silently stop matching.
import { ESLint } from 'eslint';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../..');
const eslint = new ESLint({ cwd: ROOT });

/** Messages of the rules that fire on `code` as if it were the file at `path`. */
async function lint(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-globals')
    .map((m) => m.message);
}

const use = (name: string): string => `export const probe = ${name};\n`;
const imp = (spec: string): string => `import { x } from '${spec}';\nexport const probe = x;\n`;

describe('layer rules', () => {
  it.each([
    ['protocol/kd/probe.ts', imp('node:fs'), /no Node built-ins and no npm packages/],
    ['protocol/kd/probe.ts', imp('fs'), /no Node built-ins and no npm packages/],
    ['protocol/kd/probe.ts', imp('fast-check'), /no Node built-ins and no npm packages/],
    ['protocol/kd/probe.ts', imp('../../electron/engine/endpoint'), /nothing of ours outside/],
    ['protocol/kd/probe.ts', imp('../../renderer/store/workbench'), /nothing of ours outside/],
    ['protocol/kd/probe.ts', use('Buffer.alloc(1)'), /no Node globals/],
    ['protocol/kd/probe.ts', use('process.env'), /no Node globals/],
    ['protocol/kd/probe.ts', use('setImmediate'), /no event loop of its own/],
    ['renderer/views/probe.tsx', imp('node:path'), /no Node APIs/],
    ['renderer/views/probe.tsx', imp('electron'), /only through the typed API/],
    [
      'renderer/views/probe.tsx',
      imp('../../electron/engine/workbench/workbench'),
      /only electron\/api\/contract/,
    ],
    ['renderer/views/probe.tsx', imp('../../electron/api/server'), /only electron\/api\/contract/],
    [
      'renderer/views/probe.tsx',
      imp('../../test/support/contract-mock'),
      /never imports test code/,
    ],
    ['electron/api/contract-probe.ts', imp('node:events'), /no Node built-ins or packages/],
    ['electron/api/contract-probe.ts', imp('../engine/endpoint'), /only protocol\/ types/],
    ['electron/engine/bridge/probe.ts', imp('electron'), /no Electron/],
    ['electron/engine/bridge/probe.ts', imp('../../cli/bridge'), /never imports them/],
    ['electron/engine/workbench/probe.ts', imp('../../web/server'), /never imports them/],
    [
      'electron/engine/workbench/probe.ts',
      imp('../../../renderer/App'),
      /never imports the renderer/,
    ],
    ['electron/capture/probe.ts', imp('../cli/decode'), /never imports them/],
    ['electron/cli/probe.ts', imp('electron'), /Only electron\/main.ts and preload.ts/],
    ['electron/cli/probe.ts', imp('../../test/support/until'), /never imports test code/],
  ])('%s: %s fails', async (path, code, message) => {
    const messages = await lint(path, code);
    expect(
      messages.some((m) => message.test(m)),
      messages.join('\n') || 'no message',
    ).toBe(true);
  });

  it.each([
    ['protocol/kd/probe.ts', imp('../session/record')],
    ['renderer/views/probe.tsx', imp('../../electron/api/contract')],
    ['renderer/views/probe.tsx', imp('../../electron/api/contract-client')],
    ['renderer/views/probe.tsx', imp('../../protocol/filter/index')],
    ['electron/api/contract-probe.ts', imp('../../protocol/kd/events')],
    ['electron/engine/bridge/probe.ts', imp('node:net')],
    ['electron/cli/probe.ts', imp('../engine/bridge/bridge')],
    ['electron/main.ts', imp('electron')],
  ])('%s: %s passes', async (path, code) => {
    expect(await lint(path, code)).toEqual([]);
  });
});
