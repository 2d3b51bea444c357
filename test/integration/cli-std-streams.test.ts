// Every command's stdout and stderr meet a reader that left (EPIPE) or a full disk (ENOSPC,
// /dev/full): a closed pipe ends the output quietly, a full disk gives one line and exit 1, a
// status line that cannot be written never fails the command, and a bridge whose stdout
// reader left keeps relaying and recording.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, statSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CaptureError } from '../../electron/capture/capture-error';
import type { StreamChunk } from '../../electron/capture/chunk';
import { openCapture } from '../../electron/capture/capture-source';
import { SESSION_BASIC } from '../fixtures/session-basic';
import { KDSCOPE_BIN, Processes } from '../support/kdscope-process';
import { makeTempDir, writeCapture, type TempDir } from '../support/pcap-fixtures';
import { collectUdp } from '../support/udp';
import { untilWithin } from '../support/until';

const until = untilWithin(30_000);
const processes = new Processes();
afterEach(() => processes.killAll());

interface Ended {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs kdscope with stdout (and stderr) as given: 'closed' is a pipe whose read end is closed
 * at once, so the first write fails with EPIPE; '/dev/full' fails every write with ENOSPC.
 */
function run(
  args: readonly string[],
  out: 'closed' | 'pipe' | '/dev/full',
  err: 'pipe' | '/dev/full' = 'pipe',
): Promise<Ended> {
  const fds: number[] = [];
  const fd = (how: 'closed' | 'pipe' | '/dev/full'): 'pipe' | number => {
    if (how !== '/dev/full') return 'pipe';
    const opened = openSync('/dev/full', 'w');
    fds.push(opened);
    return opened;
  };
  const child: ChildProcess = processes.adopt(
    spawn(process.execPath, [KDSCOPE_BIN, ...args], {
      stdio: ['ignore', fd(out), fd(err)],
    }),
  );
  for (const opened of fds) closeSync(opened);
  const ended: Ended = { status: null, stdout: '', stderr: '' };
  if (out === 'closed') child.stdout!.destroy();
  else child.stdout?.on('data', (d: Buffer) => (ended.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (ended.stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ ...ended, status })));
}

const frames: StreamChunk[] = SESSION_BASIC.map((s) => ({
  dir: s.dir,
  timeUs: s.timeMs * 1000,
  bytes: s.bytes,
}));

/** Microseconds from the first to the last frame of a capture being written (0 if unreadable). */
function recordedSpanUs(path: string): number {
  let first: number | undefined;
  let last = 0;
  try {
    openCapture(path).forEachRange((_dir, _bytes, _start, _end, timeUs) => {
      first ??= timeUs;
      last = timeUs;
    });
  } catch (error) {
    // The record being written is cut short; the frames before it count.
    if (!(error instanceof CaptureError)) throw error;
  }
  return first === undefined ? 0 : last - first;
}

let tmp: TempDir;
beforeAll(async () => {
  tmp = makeTempDir('kdscope-std-');
  writeCapture(tmp.file('basic.pcap'), frames, 'pcap');
  // Builds the bundle once if it is stale.
  expect((await run(['--help'], 'pipe')).status).toBe(0);
});
afterAll(() => tmp.cleanup());

describe('stdout reader gone (EPIPE): the output stops quietly', () => {
  it.each([[['--help']], [['decode', '--help']], [['vms']], [['bridge', '--help']]])(
    'kdscope %j',
    async (args) => {
      const ended = await run(args, 'closed');
      expect(ended.stderr).toBe('');
      expect(ended.status).toBe(0);
    },
  );

  it('simulate debugger --verbose completes its session', async () => {
    const ended = await run(
      ['simulate', 'debugger', '--connect', 'sim', '--loops', '3', '--verbose'],
      'closed',
    );
    expect(ended.stderr).toBe('');
    expect(ended.status).toBe(0);
  });

  it('replay still sends everything', async () => {
    const collector = await collectUdp();
    try {
      const ended = await run(
        [
          'replay',
          tmp.file('basic.pcap'),
          '--to',
          `udp:127.0.0.1:${collector.port}`,
          '--speed',
          'max',
        ],
        'closed',
      );
      expect(ended.stderr).toBe('');
      expect(ended.status).toBe(0);
      const sent = frames.filter((f) => f.dir === 'target->debugger').length;
      await until(() => collector.received.length === sent, `${sent} datagrams`);
    } finally {
      collector.close();
    }
  });

  it('a bridge keeps relaying and recording, and closes its capture cleanly', async () => {
    const pcap = tmp.file('bridge.pcap');
    const child = processes.adopt(
      spawn(
        process.execPath,
        [KDSCOPE_BIN, 'bridge', '--debugger', 'sim', '--target', 'sim', '--pcap', pcap],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      ),
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // The first status line read, the reader leaves (`| head -1`).
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.stdout.destroy();
    // The bridge writes a status line to stdout every 5 s: traffic recorded 6 s after the
    // first frame was relayed after that write met the closed pipe.
    await untilWithin(40_000, 250)(
      () => {
        if (child.exitCode !== null) throw new Error(`the bridge exited: ${stderr}`);
        return recordedSpanUs(pcap) >= 6_000_000;
      },
      () => `6 s of traffic in ${pcap}: ${stderr}`,
    );
    expect(child.exitCode).toBeNull();
    child.kill('SIGINT');
    // Closing writes its last status line to the closed pipe.
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(existsSync(pcap) && statSync(pcap).size).toBeGreaterThan(24);
    const source = openCapture(pcap);
    let chunks = 0;
    const stats = source.forEachRange(() => void chunks++);
    expect(stats.frames).toBeGreaterThan(100);
    expect(chunks).toBe(stats.chunks);
  }, 60_000);
});

describe('stdout on a full disk (ENOSPC): one line, exit 1', () => {
  it.each([
    [['--help'], 'kdscope'],
    [['decode', '--help'], 'kdscope decode'],
    [['vms'], 'kdscope vms'],
  ])('kdscope %j', async (args, prefix) => {
    const ended = await run(args, '/dev/full');
    expect(ended.stderr).toBe(`${prefix}: cannot write the output: ENOSPC\n`);
    expect(ended.status).toBe(1);
  });
});

describe('bridge stdout on a full disk', () => {
  it('says so once, keeps relaying and recording, and exits 1 when stopped', async () => {
    const pcap = tmp.file('bridge-full.pcap');
    const full = openSync('/dev/full', 'w');
    const child = processes.adopt(
      spawn(
        process.execPath,
        [KDSCOPE_BIN, 'bridge', '--debugger', 'sim', '--target', 'sim', '--pcap', pcap],
        { stdio: ['ignore', full, 'pipe'] },
      ),
    );
    closeSync(full);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await until(
      () => stderr.includes('\n'),
      () => `a line on stderr: ${stderr}`,
    );
    expect(stderr).toBe('kdscope bridge: cannot write the output: ENOSPC\n');
    await untilWithin(40_000, 250)(
      () => {
        if (child.exitCode !== null) throw new Error(`the bridge exited: ${stderr}`);
        return recordedSpanUs(pcap) >= 1_000_000;
      },
      () => `1 s of traffic in ${pcap}: ${stderr}`,
    );
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(stderr).toBe('kdscope bridge: cannot write the output: ENOSPC\n');
  }, 60_000);
});

describe('stderr on a full disk: a status line lost is no failure', () => {
  it('export writes its file and exits 0 though "wrote N frames" cannot be written', async () => {
    const out = tmp.file('copy.pcap');
    const ended = await run(['export', tmp.file('basic.pcap'), '--out', out], 'pipe', '/dev/full');
    expect(ended.status).toBe(0);
    const stats = openCapture(out).forEachRange(() => undefined);
    expect(stats.chunks).toBe(frames.length);
  });
});
