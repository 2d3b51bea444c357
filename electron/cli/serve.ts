// `kdscope serve [--port N]`: web mode. The same engine and the same built renderer as the
// Electron app, over HTTP + WebSocket on 127.0.0.1, behind a per-run token in the URL.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from './args';
import { RuntimeError, UsageError, type CliIo, type Command } from './command';
import { DEFAULT_CAPTURE_LIMIT, Workbench } from '../engine/workbench/workbench';
import { defaultCapturesDir, ensureCapturesDir } from '../engine/workbench/captures-dir';
import { startWebServer } from '../web/server';

/** dist/renderer, from the bundle (dist/cli/*.mjs) or from the sources (electron/cli/serve.ts). */
export function defaultStaticDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '../renderer'), join(here, '../../dist/renderer')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

/**
 * In a source checkout, builds the UI when it is missing or older than its sources, as
 * bin/kdscope.mjs does for the CLI: `kdscope serve` works right after `npm install` (which
 * runs no scripts). Elsewhere (an installed app) the UI is what was shipped.
 */
async function ensureUiBuilt(io: CliIo): Promise<void> {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
  const script = join(root, 'scripts/build-renderer.mjs');
  if (!existsSync(script) || !existsSync(join(root, 'renderer/index.html'))) return;
  // A process of its own: Vite is ESM and large; the serve bundle needs neither.
  const child = spawn(process.execPath, [script, '--if-stale'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    io.stderr.write(d);
  });
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) {
    const last = stderr.trim().split('\n').filter(Boolean).at(-1) ?? `exit ${code}`;
    throw new RuntimeError(`cannot build the UI: ${last}; run npm run build`);
  }
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** A size like 1073741824, 512M, 2G or 1.5G (binary units; an optional trailing B or iB). */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) return undefined;
  const bytes = Math.floor(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

function formatSize(bytes: number): string {
  for (const unit of ['T', 'G', 'M', 'K'] as const)
    if (bytes >= UNITS[unit]! && bytes % UNITS[unit]! === 0)
      return `${bytes / UNITS[unit]!} ${unit}iB`;
  return `${bytes} bytes`;
}

/** Below this a session would stop recording at once: a typo, not a choice. */
const MIN_CAPTURE_LIMIT = 64 * 1024;

export const serveCommand: Command = {
  name: 'serve',
  usage:
    'kdscope serve [--port N] [--ui DIR] [--captures DIR] [--capture-limit SIZE]\n' +
    '  prints the URL to open (with its per-run token); runs until Ctrl-C\n' +
    '  every session the UI starts is recorded to a pcap in --captures (default ~/.kdscope/captures)\n' +
    '  up to --capture-limit per session (default 1G; e.g. 512M, 2G), then recording stops\n' +
    '  and the session goes on',
  async run(args, io) {
    const parsed = parseArgs(args, { values: ['port', 'ui', 'captures', 'capture-limit'] });
    if (parsed.positional.length > 0)
      throw new UsageError(`unexpected argument '${parsed.positional[0]}'`);
    const portText = parsed.value('port') ?? '0';
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535)
      throw new UsageError(`--port: not a port number: '${portText}'`);
    const limitText = parsed.value('capture-limit');
    const captureLimitBytes = limitText === undefined ? undefined : parseSize(limitText);
    if (limitText !== undefined && captureLimitBytes === undefined)
      throw new UsageError(
        `--capture-limit: not a size: '${limitText}' (bytes, or with K, M, G: 512M, 2G)`,
      );
    if (captureLimitBytes !== undefined && captureLimitBytes < MIN_CAPTURE_LIMIT)
      throw new UsageError(`--capture-limit: ${limitText} is too small (at least 64K)`);
    const capturesOption = parsed.value('captures');
    if (capturesOption === '') throw new UsageError('--captures: empty path');
    const uiOption = parsed.value('ui');
    if (uiOption === undefined) await ensureUiBuilt(io);
    const staticDir = uiOption ?? defaultStaticDir();
    if (!existsSync(join(staticDir, 'index.html'))) {
      throw new RuntimeError(
        `the UI is not built (${join(staticDir, 'index.html')} missing); run npm run build`,
      );
    }
    const problem = capturesOption === undefined ? undefined : ensureCapturesDir(capturesOption);
    if (problem) throw new RuntimeError(problem);
    const capturesDir = capturesOption ?? defaultCapturesDir();
    const workbench = new Workbench({
      capturesDir,
      ...(captureLimitBytes === undefined ? {} : { captureLimitBytes }),
    });
    let server;
    try {
      server = await startWebServer({
        workbench,
        staticDir,
        port,
        log: (line) => io.stderr.write(`kdscope serve: ${line}\n`),
      });
    } catch (error) {
      await workbench.dispose();
      throw new RuntimeError(`cannot listen on 127.0.0.1:${port}: ${(error as Error).message}`);
    }
    io.stdout.write(`kdscope web mode: open ${server.url}\n`);
    io.stdout.write(
      `sessions are recorded to ${capturesDir} (at most ${formatSize(captureLimitBytes ?? DEFAULT_CAPTURE_LIMIT)} each)\n`,
    );
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await server.close();
    await workbench.dispose();
    return 0;
  },
};
