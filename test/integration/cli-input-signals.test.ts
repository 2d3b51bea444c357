// `kdscope decode` / `export` as real processes against inputs that block (a FIFO with no
// writer) and against SIGTERM / SIGINT while they are busy: a clear line instead of a hang, and
// the signal always ends the command.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamChunk } from '../../electron/capture/chunk';
import { SESSION_BASIC } from '../fixtures/session-basic';
import { makeTempDir, writeCapture, type TempDir } from '../support/pcap-fixtures';
import { requireTool } from '../support/tools';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/kdscope.mjs');

let tmp: TempDir;
beforeAll(() => {
  tmp = makeTempDir('kdscope-cli-signals-');
  // Builds the bundle once if it is stale, so the deadlines below measure the command only.
  expect(spawnSync(process.execPath, [BIN, '--help']).status).toBe(0);
});
afterAll(() => tmp.cleanup());

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Resolves when the child exits, or rejects after `ms` (the child is then killed). */
function ended(child: ChildProcess, ms: number, what: string): Promise<Ended> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what}: still running after ${ms} ms (stderr: ${stderr})`));
    }, ms);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

function mkfifo(name: string): string {
  const path = tmp.file(name);
  const made = spawnSync(requireTool('mkfifo', 'coreutils'), [path], { encoding: 'utf8' });
  expect(made.status, made.stderr).toBe(0);
  return path;
}

describe('inputs that are not regular files', () => {
  it('refuses a FIFO with no writer at once, with one line and exit 2 (decode, export, raw)', async () => {
    const fifo = mkfifo('no-writer.fifo');
    const plain = tmp.file('plain.bin');
    writeFileSync(plain, new Uint8Array([0x30, 0x30, 0x30, 0x30]));
    const runs: [string, string[]][] = [
      ['decode FIFO', ['decode', fifo]],
      ['export FIFO', ['export', fifo, '--out', tmp.file('out.pcap')]],
      ['decode --debugger FIFO', ['decode', '--debugger', fifo, '--target', plain]],
    ];
    for (const [what, args] of runs) {
      const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      // Well above a start-up on a busy machine; a hang would run into it.
      const result = await ended(child, 20_000, what);
      expect(result.code, what).toBe(2);
      expect(result.stderr.trim().split('\n'), what).toHaveLength(1);
      expect(result.stderr, what).toMatch(/no-writer\.fifo.*FIFO.*not a regular file/);
    }
  }, 90_000);

  it('refuses a directory and a character device (other than the null device) the same way', () => {
    for (const [path, kind] of [
      [tmp.dir, /a directory/],
      ['/dev/zero', /a character device, not a regular file/],
    ] as const) {
      const run = spawnSync(process.execPath, [BIN, 'decode', path], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(run.status, path).toBe(2);
      expect(run.stderr.trim().split('\n'), path).toHaveLength(1);
      expect(run.stderr, path).toMatch(kind);
    }
  });
});

describe('signals end a busy decode', () => {
  // Enough NDJSON (megabytes) that decode is still writing when its reader stops reading.
  const many: StreamChunk[] = [];
  for (let i = 0; i < 2000; i++)
    for (const s of SESSION_BASIC)
      many.push({ dir: s.dir, timeUs: (s.timeMs + i * 2000) * 1000, bytes: s.bytes });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} ends decode blocked on a full stdout pipe`, async () => {
      const path = tmp.file(`long-${signal}.pcap`);
      writeCapture(path, many, 'pcap');
      const child = spawn(process.execPath, [BIN, 'decode', path], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const done = ended(child, 60_000, 'decode before the signal');
      // Decoding has started once its first output arrives; then nobody reads any more, and
      // the pipe fills.
      await new Promise<void>((resolve) =>
        child.stdout!.once('data', () => {
          child.stdout!.pause();
          resolve();
        }),
      );
      const sent = Date.now();
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`decode still running 3 s after ${signal}`)),
          3_000,
        );
      });
      const result = await Promise.race([done, deadline]).finally(() => {
        clearTimeout(timer);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      expect(result.signal ?? result.code, `ended ${Date.now() - sent} ms after ${signal}`).toBe(
        signal,
      );
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }, 90_000);
  }
});
