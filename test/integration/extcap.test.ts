import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireTool } from '../support/tools';
import { untilWithin } from '../support/until';

const run = promisify(execFile);
const extcapDir = join(__dirname, '../../resources/extcap');
const wrapper = join(extcapDir, 'kdscope-extcap');
const kdscope = join(__dirname, '../../bin/kdscope.mjs');

async function extcap(args: string[], env: NodeJS.ProcessEnv = {}) {
  return run(wrapper, args, { env: { ...process.env, ...env }, timeout: 10_000 });
}

describe('kdscope extcap', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kdscope-extcap-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers the extcap discovery calls', async () => {
    const interfaces = await extcap(['--extcap-interfaces']);
    expect(interfaces.stdout).toMatch(/^extcap \{version=[\d.]+\}/m);
    expect(interfaces.stdout).toMatch(/^interface \{value=kdscope\}\{display=kdscope: KD bridge/m);
    const dlts = await extcap(['--extcap-interface', 'kdscope', '--extcap-dlts']);
    expect(dlts.stdout).toBe(
      'dlt {number=1}{name=EN10MB}{display=Ethernet (KD stream in UDP, kdscope)}\n',
    );
    const config = await extcap(['--extcap-interface', 'kdscope', '--extcap-config']);
    expect(config.stdout).toMatch(/^arg \{number=0\}\{call=--debugger\}.*\{type=string\}/m);
    expect(config.stdout).toMatch(/^arg \{number=1\}\{call=--target\}/m);
    expect(config.stdout).toMatch(/^value \{arg=2\}\{value=com\}\{display=com\}\{default=true\}$/m);
  });

  it('refuses unknown interfaces and calls with one clear line', async () => {
    await expect(extcap(['--extcap-interface', 'eth0', '--extcap-dlts'])).rejects.toMatchObject({
      code: 2,
      stderr: 'kdscope-extcap: unknown interface eth0\n',
    });
    await expect(extcap(['--capture', '--extcap-interface', 'kdscope'])).rejects.toMatchObject({
      code: 2,
      stderr: 'kdscope-extcap: --capture needs --fifo PATH\n',
    });
  });

  it('runs kdscope bridge towards the FIFO Wireshark gives it, with the configured endpoints', async () => {
    // A stand-in for kdscope that records the argv it was given.
    const argvFile = join(dir, 'argv.json');
    const fake = join(dir, 'fake-kdscope.cjs');
    writeFileSync(
      fake,
      `require('fs').writeFileSync(${JSON.stringify(argvFile)}, JSON.stringify(process.argv.slice(2)));`,
    );
    await extcap(
      [
        '--capture',
        '--extcap-interface',
        'kdscope',
        '--fifo',
        '/tmp/ws-fifo',
        '--debugger=unix:/tmp/d.sock',
        '--target',
        'sim',
        '--mode',
        'com',
      ],
      { KDSCOPE: `${process.execPath} ${fake}` },
    );
    expect(JSON.parse(readFileSync(argvFile, 'utf8'))).toEqual([
      'bridge',
      '--debugger',
      'unix:/tmp/d.sock',
      '--target',
      'sim',
      '--mode',
      'com',
      '--wireshark',
      '/tmp/ws-fifo',
      '--no-pcap',
    ]);
  });

  /** An extcap folder Wireshark can use, and the environment that points it there. */
  function installExtcap(): { folder: string; env: string[] } {
    const folder = mkdtempSync(join(tmpdir(), 'kdscope-extcap-dir-'));
    // Wireshark runs as nobody below: it must reach the folder and write its capture there.
    chmodSync(folder, 0o777);
    copyFileSync(wrapper, join(folder, 'kdscope-extcap'));
    copyFileSync(join(extcapDir, 'kdscope-extcap.mjs'), join(folder, 'kdscope-extcap.mjs'));
    chmodSync(join(folder, 'kdscope-extcap'), 0o755);
    chmodSync(join(folder, 'kdscope-extcap.mjs'), 0o644);
    const env = [
      `HOME=${folder}`,
      `WIRESHARK_EXTCAP_DIR=${folder}`,
      `KDSCOPE=${process.execPath} ${kdscope}`,
    ];
    return { folder, env };
  }

  /** Wireshark ignores WIRESHARK_EXTCAP_DIR when run with special privileges: as root, run as nobody. */
  function asWiresharkUser(env: string[], command: string[]): [string, string[]] {
    const prefix = process.getuid?.() === 0 ? ['runuser', '-u', 'nobody', '--'] : [];
    const [cmd, ...args] = [...prefix, 'env', ...env, ...command];
    return [cmd!, args];
  }

  it('is listed by tshark -D as a capture interface', async () => {
    const tshark = requireTool('tshark');
    const { folder, env } = installExtcap();
    try {
      const { stdout } = await run(...asWiresharkUser(env, [tshark, '-D']), { timeout: 20_000 });
      const lines = stdout.split('\n').filter((l) => l.includes('kdscope'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/\d+\. kdscope \(kdscope: KD bridge/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('captures a live session: tshark -i kdscope runs the bridge and receives its frames', async () => {
    const tshark = requireTool('tshark');
    // Build the CLI bundle now, as this user: the capture runs kdscope as nobody, who cannot write dist/.
    await run(process.execPath, [kdscope, '--help']);
    const { folder, env } = installExtcap();
    const socket = join(folder, 'debugger.sock');
    const capture = join(folder, 'live.pcap');
    try {
      const wireshark = run(
        ...asWiresharkUser(env, [
          tshark,
          '-i',
          'kdscope',
          '-o',
          `extcap.kdscope.debugger:unix:${socket}`,
          '-o',
          'extcap.kdscope.target:sim',
          // Only a backstop: the capture is stopped below once the session is complete.
          '-a',
          'duration:100',
          '-w',
          capture,
        ]),
        { timeout: 110_000 },
      );
      // tshark starts dumpcap, which starts the extcap, which starts the bridge: slow on a busy
      // machine.
      await untilWithin(60_000)(() => existsSync(socket), 'the bridge the extcap runs to listen');
      const session = await run(
        process.execPath,
        [kdscope, 'simulate', 'debugger', '--connect', `unix:${socket}`],
        {
          timeout: 20_000,
        },
      );
      expect(session.stdout).toMatch(/^session complete/);
      // Stop the capture as Wireshark's Stop button does (tshark is the child of runuser when
      // it runs as nobody).
      const launcher = wireshark.child.pid!;
      const tsharkPid =
        process.getuid?.() === 0
          ? Number(spawnSync('pgrep', ['-P', String(launcher)], { encoding: 'utf8' }).stdout)
          : launcher;
      process.kill(tsharkPid, 'SIGINT');
      const { stderr } = await wireshark;
      const captured = Number(/(\d+) packets? captured/.exec(stderr)?.[1]);
      expect(captured).toBeGreaterThan(20);
      const decoded = await run(
        process.execPath,
        [kdscope, 'decode', capture, '--format', 'ndjson'],
        {
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      const events = decoded.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string; type?: string; apiName?: string });
      expect(events[0]).toMatchObject({ kind: 'packet', type: 'RESET' });
      expect(events.some((e) => e.apiName === 'GetVersion')).toBe(true);
      expect(events.at(-1)!.kind).toBe('summary');
    } finally {
      // On failure dumpcap, the extcap and the bridge may outlive tshark: all name the folder.
      spawnSync('pkill', ['-f', folder]);
      rmSync(folder, { recursive: true, force: true });
    }
  }, 120_000);
});
