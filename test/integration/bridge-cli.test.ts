// `kdscope bridge` as a real process: the simulated target behind it, the scripted debugger
// in front, SIGINT closes the capture; kill -9 leaves a capture tshark still reads.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { openCapture } from '../../electron/capture';
import { runScriptedDebugger } from '../../electron/engine/simulators';
import {
  KDSCOPE_BIN,
  Processes,
  interrupt,
  untilOutput,
  type Run,
} from '../support/kdscope-process';
import { collectUdp, freeUdpPort } from '../support/udp';
import { untilWithin } from '../support/until';

const bin = KDSCOPE_BIN;
const hasTshark = spawnSync('tshark', ['-v']).status === 0;
let dir: string;
const processes = new Processes();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-cli-'));
});
afterEach(() => {
  processes.killAll();
  rmSync(dir, { recursive: true, force: true });
});

const kdscope = (args: string[]): Run => processes.kdscope(args, dir);

const until = untilWithin(20_000);

async function scriptedSession(path: string, loops = 1): Promise<void> {
  const socket = connect({ path });
  await once(socket, 'connect');
  const report = await runScriptedDebugger(socket, { loops });
  socket.destroy();
  expect(report.error).toBeUndefined();
  expect(report.ok).toBe(true);
}

function tsharkFrames(path: string): number {
  if (!hasTshark)
    throw new Error('tshark is not installed (apt-get install tshark): needed to read the capture');
  const run = spawnSync('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.number'], {
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`tshark -r ${path} failed: ${run.stderr}`);
  return run.stdout.trim().split('\n').filter(Boolean).length;
}

/** `kdscope bridge` from a Unix socket to the simulated target, recording into `capture`. */
async function bridgeToSim(capture: string): Promise<{ run: Run; sock: string; pcap: string }> {
  const sock = join(dir, 'dbg.sock');
  const pcap = join(dir, capture);
  const run = kdscope(['bridge', '--debugger', `unix:${sock}`, '--target', 'sim', '--pcap', pcap]);
  await until(
    () => existsSync(sock) && /target: connected/.test(run.stdout),
    'the bridge to listen',
  );
  return { run, sock, pcap };
}

describe('kdscope bridge (process)', () => {
  it('relays a scripted session to the simulated target, records it, and closes cleanly on SIGINT', async () => {
    const { run, sock, pcap } = await bridgeToSim('session.pcap');
    await scriptedSession(sock);
    run.child.kill('SIGINT');
    const [code] = (await once(run.child, 'exit')) as [number];
    expect(run.stderr).toBe('');
    expect(code).toBe(0);
    expect(run.stdout).toMatch(/bridge closed: \d+ packets/);
    const frames = Number(/\((\d+) frames\)/.exec(run.stdout)?.[1]);
    expect(frames).toBeGreaterThan(10);
    expect(tsharkFrames(pcap)).toBe(frames);
    let chunks = 0;
    openCapture(pcap).forEach(() => chunks++);
    expect(chunks).toBe(frames);
  });

  it('its unix socket file removed: one line, listens at the path again, a debugger gets through', async () => {
    const { run, sock } = await bridgeToSim('relisten.pcap');
    rmSync(sock);
    await until(
      () => run.stderr.includes('the socket file was removed; listening there again'),
      () => `the bridge to listen again (stderr: ${run.stderr})`,
    );
    expect(run.stderr).toBe(
      `kdscope bridge: ${sock}: the socket file was removed; listening there again\n`,
    );
    await scriptedSession(sock);
    run.child.kill('SIGINT');
    const [code] = (await once(run.child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(run.stdout).toMatch(/debugger: connected/);
    expect(existsSync(sock)).toBe(false);
  });

  it('bytes read while no debugger was connected are counted as not delivered, and recorded', async () => {
    const tgtPath = join(dir, 'flood.sock');
    const total = 2 * 1024 * 1024;
    let sent = 0;
    const held: Socket[] = [];
    // One flood, on a connection kept open (an end would make the bridge redial).
    const flood = createServer((socket) => {
      socket.on('error', () => undefined);
      held.push(socket);
      if (held.length === 1) socket.write(Buffer.alloc(total, 0x42), () => (sent = total));
    });
    await new Promise<void>((resolve) => flood.listen(tgtPath, resolve));
    try {
      const pcap = join(dir, 'flood.pcap');
      const run = kdscope([
        'bridge',
        '--debugger',
        `unix:${join(dir, 'dbg.sock')}`,
        '--target',
        `unix:${tgtPath}`,
        '--pcap',
        pcap,
      ]);
      await until(() => sent === total, 'the flood to be sent');
      await until(
        () => /tgt->dbg 2\.0 MiB \(2\.0 MiB not delivered\)/.test(run.stdout),
        () => `the status line to say so (stdout: ${run.stdout})`,
      );
      run.child.kill('SIGINT');
      const [code] = (await once(run.child, 'exit')) as [number];
      expect(code).toBe(0);
      expect(run.stdout).toContain(
        '2.0 MiB target->debugger (2.0 MiB not delivered: no debugger connected)',
      );
      expect(run.stdout).not.toMatch(/debugger->target \(/);
      // The capture keeps what was on the wire.
      let bytes = 0;
      openCapture(pcap).forEach((chunk) => void (bytes += chunk.bytes.length));
      expect(bytes).toBe(total);
    } finally {
      for (const socket of held) socket.destroy();
      flood.close();
    }
  });

  it('kill -9 mid-session leaves a capture tshark reads to the last frame', async () => {
    const { run, sock, pcap } = await bridgeToSim('killed.pcap');
    // A long session, killed while it runs.
    const socket = connect({ path: sock });
    await once(socket, 'connect');
    socket.on('error', () => undefined);
    void runScriptedDebugger(socket, { loops: 10_000 }).catch(() => undefined);
    await until(() => existsSync(pcap) && statSync(pcap).size > 30_000, 'the capture to grow');
    run.child.kill('SIGKILL');
    await once(run.child, 'exit');
    socket.destroy();
    const frames = tsharkFrames(pcap);
    expect(frames).toBeGreaterThan(10);
    let chunks = 0;
    openCapture(pcap).forEach(() => chunks++);
    expect(chunks).toBe(frames);
  });

  it('a file size limit (EFBIG) stops recording; the frames it reports are the frames the file holds', async () => {
    if (spawnSync('prlimit', ['--version']).status !== 0)
      throw new Error('prlimit (util-linux) is not installed: needed to limit the capture size');
    // Built before the limit applies (a rebuild writes files larger than it).
    expect(spawnSync(process.execPath, [bin, '--help']).status).toBe(0);
    const dbgSock = join(dir, 'dbg.sock');
    const tgtSock = join(dir, 'tgt.sock');
    const pcap = join(dir, 'limited.pcap');
    // A target that takes everything: the debugger side sends 64 KiB reads, each larger than
    // one wrapped frame holds, so each chunk is written as two frames.
    let received = 0;
    const target = createServer((s) => s.on('data', (d: Buffer) => (received += d.length)));
    await new Promise<void>((r) => target.listen(tgtSock, r));
    const limit = 1024 * 1024;
    const child = spawn(
      'prlimit',
      [
        `--fsize=${limit}`,
        process.execPath,
        bin,
        'bridge',
        '--debugger',
        `unix:${dbgSock}`,
        '--target',
        `unix:${tgtSock}`,
        '--pcap',
        pcap,
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    processes.adopt(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    try {
      // The socket file appears at bind(), before listen(): the banner comes once it listens.
      await until(() => /^bridge: debugger on/m.test(out), 'the bridge to listen');
      const debuggerSide = connect({ path: dbgSock });
      await once(debuggerSide, 'connect');
      const block = new Uint8Array(256 * 1024).fill(0x41);
      let sent = 0;
      // Written as the limit is met, not a fixed amount: the file fills after ~1 MiB.
      while (!/recording stopped/.test(err) && sent < 64 * 1024 * 1024) {
        if (!debuggerSide.write(block)) await once(debuggerSide, 'drain');
        sent += block.length;
        await until(() => received >= sent - 4 * block.length, 'the target to take the bytes');
      }
      await until(() => received === sent, 'every byte to be relayed');
      debuggerSide.destroy();
      child.kill('SIGINT');
      const [code] = (await once(child, 'exit')) as [number];
      expect(code).toBe(0);
      expect(err).toMatch(/recording stopped \(the relay goes on\): cannot write capture .*EFBIG/);
      const reported = Number(/\((\d+) frames, stopped early\)/.exec(out)?.[1]);
      const stats = openCapture(pcap).forEach(() => undefined);
      expect(stats.frames).toBeGreaterThan(10);
      expect(stats.chunks).toBe(stats.frames);
      expect(reported).toBe(stats.frames);
      expect(statSync(pcap).size).toBeLessThanOrEqual(limit);
    } finally {
      target.close();
    }
  }, 60_000);

  it.each([
    [['bridge', '--target', 'sim'], /--debugger EP is required/],
    [['bridge', '--debugger', 'nope', '--target', 'sim'], /--debugger: bad endpoint 'nope'/],
    [
      ['bridge', '--debugger', 'unix:/x', '--target', 'sim', '--mode', 'serial'],
      /--mode must be com, vmbus or kdnet/,
    ],
    [['bridge', '--debugger', 'unix:/x', '--target', 'sim', '--bogus'], /unknown option --bogus/],
    [
      ['bridge', '--debugger', 'sim:vmbus', '--target', 'sim'],
      /--debugger sim:vmbus: .*this names a target/,
    ],
    [
      ['bridge', '--debugger', 'sim', '--target', 'sim', '--pcap', ''],
      /^kdscope bridge: --pcap: empty/,
    ],
    [
      ['bridge', '--debugger', 'sim', '--target', 'sim', '--wireshark', ''],
      /^kdscope bridge: --wireshark: empty/,
    ],
    // The file name gives the format, as export's --out.
    [
      ['bridge', '--debugger', 'sim', '--target', 'sim', '--pcapng', '--pcap', 'x.pcap'],
      /^kdscope bridge: --pcapng contradicts --pcap x\.pcap/,
    ],
    [
      ['bridge', '--debugger', 'sim', '--target', 'sim', '--pcap', 'x.cap'],
      /^kdscope bridge: --pcap must end in \.pcap or \.pcapng \(got x\.cap\)/,
    ],
  ])('bad usage %j: exit 2 and one line', async (args, pattern) => {
    const run = kdscope(args);
    const [code] = (await once(run.child, 'exit')) as [number];
    expect(code).toBe(2);
    expect(run.stderr).toMatch(pattern);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a unix:PATH on an ordinary file: exit 1, one line, the file kept (bridge and simulate)', async () => {
    const file = join(dir, 'important.txt');
    writeFileSync(file, 'precious\n');
    for (const args of [
      ['bridge', '--debugger', `unix:${file}`, '--target', 'sim', '--no-pcap'],
      ['simulate', 'target', '--listen', `unix:${file}`],
    ]) {
      const run = kdscope(args);
      const [code] = (await once(run.child, 'exit')) as [number];
      expect(code).toBe(1);
      expect(run.stderr).toBe(`kdscope ${args[0]}: ${file} exists and is not a socket\n`);
      expect(readFileSync(file, 'utf8')).toBe('precious\n');
    }
  });

  it('a target that can never be reached as named: exit 1 and one line at start, as on the debugger side', async () => {
    // Held by another program for as long as the bridge runs.
    const held = await collectUdp();
    const wanted = await collectUdp();
    try {
      for (const [args, pattern] of [
        [
          ['--debugger', `unix:${join(dir, 'p.sock')}`, '--target', 'pipe:x'],
          /^kdscope bridge: pipe \\\\\.\\pipe\\x: named pipes exist only on Windows; use unix:PATH or tcp:HOST:PORT here\n$/,
        ],
        [
          ['--debugger', 'pipe:x', '--target', 'sim'],
          /^kdscope bridge: pipe \\\\\.\\pipe\\x: named pipes exist only on Windows/,
        ],
        [
          [
            ...['--mode', 'kdnet', '--key', '1.2.3.4'],
            ...['--target', `udp:127.0.0.1:${held.port}`],
            ...['--debugger', `udp:127.0.0.1:${wanted.port}`],
          ],
          new RegExp(`^kdscope bridge: udp:127\\.0\\.0\\.1:${held.port}: address already in use`),
        ],
      ] as const) {
        const run = kdscope(['bridge', ...args, '--no-pcap']);
        let exited = false;
        void run.exit.then(() => (exited = true));
        await until(
          () => exited,
          () => `${args.join(' ')} to exit: ${run.stdout}${run.stderr}`,
        );
        expect(run.child.exitCode, args.join(' ')).toBe(1);
        expect(run.stderr).toMatch(pattern);
        expect(run.stderr.trim().split('\n')).toHaveLength(1);
        expect(run.stdout).toBe('');
      }
    } finally {
      held.close();
      wanted.close();
    }
    expect(existsSync(join(dir, 'p.sock'))).toBe(false);
  });

  it('--debugger sim against a target that never answers: ends when the script stops, exit 1, capture closed', async () => {
    const pcap = join(dir, 'unanswered.pcap');
    const run = kdscope([
      ...['bridge', '--debugger', 'sim', '--target', `unix:${join(dir, 'none.sock')}`],
      ...['--pcap', pcap],
    ]);
    let exited = false;
    void run.exit.then(() => (exited = true));
    // The script gives up after its reply timeout (10 s) and three RESETs.
    await until(
      () => exited,
      () => `the bridge to end: ${run.stdout}${run.stderr}`,
      45_000,
    );
    expect(run.child.exitCode).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^kdscope bridge: unix:.*none\.sock: nobody listens there/),
      expect.stringMatching(
        /^kdscope bridge: the scripted debugger stopped: the target did not answer RESET/,
      ),
    ]);
    const frames = Number(/bridge closed: .*\((\d+) frames\)/.exec(run.stdout)?.[1]);
    expect(frames).toBeGreaterThan(0);
    expect(openCapture(pcap).forEach(() => undefined).frames).toBe(frames);
  }, 60_000);

  it("says each side's start line once (sockets and KDNET), then only changes", async () => {
    const debuggerPort = await freeUdpPort();
    const targetPort = await freeUdpPort();
    const sock = join(dir, 'once.sock');
    for (const [args, connectPeer, change] of [
      [
        ['--debugger', `unix:${sock}`, '--target', `unix:${join(dir, 'none.sock')}`],
        async () => {
          await until(() => existsSync(sock), 'the bridge to listen');
          const client = connect({ path: sock });
          await once(client, 'connect');
          return () => void client.destroy();
        },
        'debugger: connected and talking',
      ],
      [
        [
          ...['--mode', 'kdnet', '--key', '1.2.3.4'],
          ...['--target', `udp:127.0.0.1:${targetPort}`],
          ...['--debugger', `udp:127.0.0.1:${debuggerPort}`],
        ],
        // A KDNET target's pokes: the bridge hears of a side only once it sends.
        () => {
          const target = kdscope([
            ...['simulate', 'target', '--kdnet', '--key', '1.2.3.4'],
            ...['--connect', `udp:127.0.0.1:${targetPort}`, '--poke-ms', '200'],
          ]);
          return Promise.resolve(() => void target.child.kill());
        },
        'target: connected and talking',
      ],
    ] as const) {
      const run = kdscope(['bridge', ...args, '--no-pcap']);
      const done = await connectPeer();
      // The first change after the start: the monitor's first word, which once repeated both
      // start lines with it.
      await untilOutput(run, new RegExp(`^${change}$`, 'm'));
      done();
      expect(await interrupt(run)).toBe(0);
      const lines = run.stdout.split('\n');
      const count = (line: string): number => lines.filter((l) => l === line).length;
      expect(count('debugger: waiting for the debugger to connect'), run.stdout).toBe(1);
      expect(count('target: connecting to the target'), run.stdout).toBe(1);
      expect(count(change), run.stdout).toBe(1);
    }
  });

  it('kdnet without UDP endpoints (exit 2) and an unwritable capture (exit 1): one line', async () => {
    const mode = kdscope([
      'bridge',
      '--debugger',
      `unix:${join(dir, 'a.sock')}`,
      '--target',
      'sim',
      '--mode',
      'kdnet',
    ]);
    const [modeCode] = (await once(mode.child, 'exit')) as [number];
    expect(modeCode).toBe(2);
    expect(mode.stderr).toMatch(/--mode kdnet relays UDP: --target udp:/);
    expect(mode.stderr.trim().split('\n')).toHaveLength(1);
    const bad = kdscope([
      'bridge',
      '--debugger',
      `unix:${join(dir, 'b.sock')}`,
      '--target',
      'sim',
      '--pcap',
      join(dir, 'no/such/dir/x.pcap'),
    ]);
    const [badCode] = (await once(bad.child, 'exit')) as [number];
    expect(badCode).toBe(1);
    expect(bad.stderr).toMatch(/cannot create capture .*no\/such\/dir\/x\.pcap/);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('kdscope bridge (terminal and live view)', () => {
  const hasScript = spawnSync('script', ['--version']).status === 0;

  it('on a terminal redraws one status line with \\r at most 4x/s, and streams live to tshark', async () => {
    if (!hasScript)
      throw new Error('script (util-linux) is not installed: needed to give the bridge a terminal');
    if (!hasTshark)
      throw new Error('tshark is not installed (apt-get install tshark): needed for the live view');
    const sock = join(dir, 'dbg.sock');
    const fifo = join(dir, 'live.fifo');
    const command = [
      process.execPath,
      bin,
      'bridge',
      '--debugger',
      `unix:${sock}`,
      '--target',
      'sim',
      '--no-pcap',
      '--wireshark',
      fifo,
    ]
      .map((a) => `'${a}'`)
      .join(' ');
    const child = spawn('script', ['-qfc', command, '/dev/null'], {
      cwd: dir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    processes.adopt(child);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await until(
      () => existsSync(sock) && existsSync(fifo) && /target: connected/.test(out),
      'the bridge',
    );
    const tshark = spawn('tshark', ['-i', fifo, '-c', '4', '-T', 'fields', '-e', 'udp.srcport'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    processes.adopt(tshark);
    let fields = '';
    tshark.stdout.on('data', (c: Buffer) => (fields += c.toString()));
    // tshark (dumpcap) opens the FIFO when it is ready, which takes a while under load: run
    // sessions until it has seen its four frames.
    const started = Date.now();
    let exited = false;
    const tsharkExit = once(tshark, 'exit').then(() => (exited = true));
    await until(
      async () => {
        if (!exited) await scriptedSession(sock);
        return exited;
      },
      'tshark to read four frames from the FIFO',
      45_000,
    );
    await tsharkExit;
    const ports = fields.trim().split('\n');
    expect(ports).toHaveLength(4);
    expect(new Set(ports)).toEqual(new Set(['51111', '51112']));
    // The status line is redrawn when it changes, at most every 250 ms.
    const status =
      /^\d+ packets \| dbg->tgt [\d.]+ (B|KiB) \| tgt->dbg [\d.]+ (B|KiB) \| 0 errors \| debugger \w+ \| target \w+/;
    const drawn = (): boolean => out.split('\r\x1b[K').some((line) => status.test(line));
    await until(drawn, 'the status line');
    const elapsed = Date.now() - started;
    child.kill('SIGINT');
    await once(child, 'exit');
    const redraws = out.split('\r\x1b[K').length - 1;
    expect(redraws).toBeGreaterThan(0);
    // 4 per second, plus one after each event line that scrolled the status away.
    const eventLines = (out.match(/\n/g) ?? []).length;
    expect(redraws).toBeLessThanOrEqual(Math.ceil(((elapsed + 3000) / 1000) * 4) + eventLines);
    expect(drawn()).toBe(true);
  }, 60_000);
});
