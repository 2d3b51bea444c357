// @ts-check
// Wireshark extcap for kdscope: Wireshark lists "kdscope" as a capture interface; capturing on
// it runs `kdscope bridge ... --wireshark FIFO`, so Wireshark shows the live KD session.
//
// Install: copy this folder's kdscope-extcap (Unix) or kdscope-extcap.bat (Windows) together
// with kdscope-extcap.mjs into Wireshark's personal extcap folder (Help > About Wireshark >
// Folders > "Personal Extcap path"), and set KDSCOPE to the kdscope command if it is not on
// PATH (for a source checkout: `node /path/to/kdscope/bin/kdscope.mjs`).
// Protocol: https://www.wireshark.org/docs/wsdg_html_chunked/ChCaptureExtcap.html

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const INTERFACE = 'kdscope';
const VERSION = '0.1.0';

/** The configuration Wireshark shows in the interface's options dialog. */
export const CONFIG_ARGS = [
  {
    call: '--debugger',
    display: 'Debugger endpoint',
    type: 'string',
    default: 'pipe:kdscope',
    tooltip: 'Where WinDbg connects, e.g. pipe:kdscope, unix:/tmp/kd.sock, tcp:127.0.0.1:9000',
  },
  {
    call: '--target',
    display: 'Target endpoint',
    type: 'string',
    default: 'sim',
    tooltip: 'The VM side, e.g. pipe:windbg (Hyper-V COM pipe), unix:/tmp/qemu-com1.sock, sim',
  },
  {
    call: '--mode',
    display: 'Channel mode',
    type: 'selector',
    default: 'com',
    values: ['com', 'vmbus', 'kdnet'],
  },
  {
    call: '--pcap',
    display: 'Also record to file',
    type: 'fileselect',
    default: '',
    tooltip: 'Optional: a pcap kdscope writes besides streaming to Wireshark',
  },
];

/** @param {string} s */
const esc = (s) => s.replace(/[{}]/g, '');

/** @returns {string} */
export function interfacesText() {
  return [
    `extcap {version=${VERSION}}{display=kdscope KD bridge}`,
    `interface {value=${INTERFACE}}{display=kdscope: KD bridge (WinDbg <-> VM)}`,
    '',
  ].join('\n');
}

export function dltsText() {
  return 'dlt {number=1}{name=EN10MB}{display=Ethernet (KD stream in UDP, kdscope)}\n';
}

export function configText() {
  const lines = [];
  CONFIG_ARGS.forEach((arg, number) => {
    const parts = [
      `arg {number=${number}}`,
      `{call=${arg.call}}`,
      `{display=${esc(arg.display)}}`,
      `{type=${arg.type}}`,
    ];
    if (arg.default) parts.push(`{default=${esc(arg.default)}}`);
    if (arg.tooltip) parts.push(`{tooltip=${esc(arg.tooltip)}}`);
    lines.push(parts.join(''));
    for (const value of arg.values ?? []) {
      const isDefault = value === arg.default ? 'true' : 'false';
      lines.push(`value {arg=${number}}{value=${value}}{display=${value}}{default=${isDefault}}`);
    }
  });
  return lines.join('\n') + '\n';
}

/**
 * Parses Wireshark's extcap argv (`--name value` and `--name=value`).
 * @param {readonly string[]} argv
 * @returns {Map<string, string | true>}
 */
export function parseExtcapArgs(argv) {
  /** @type {Map<string, string | true>} */
  const out = new Map();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    if (eq > 0) {
      out.set(arg.slice(2, eq), arg.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      out.set(arg.slice(2), next);
      i++;
    } else out.set(arg.slice(2), true);
  }
  return out;
}

/**
 * The `kdscope bridge` arguments for a capture.
 * @param {Map<string, string | true>} args
 * @returns {string[]}
 */
export function bridgeArgs(args) {
  const fifo = args.get('fifo');
  if (typeof fifo !== 'string') throw new Error('--capture needs --fifo PATH');
  const value = (/** @type {string} */ name, /** @type {string} */ fallback) => {
    const v = args.get(name);
    return typeof v === 'string' && v !== '' ? v : fallback;
  };
  const out = [
    'bridge',
    '--debugger',
    value('debugger', 'pipe:kdscope'),
    '--target',
    value('target', 'sim'),
  ];
  out.push('--mode', value('mode', 'com'), '--wireshark', fifo);
  // Wireshark already records what it captures: a second file only when the user asks for one.
  const pcap = value('pcap', '');
  out.push(...(pcap ? ['--pcap', pcap] : ['--no-pcap']));
  return out;
}

/** The command that runs kdscope: $KDSCOPE, a source checkout next to us, or `kdscope`. */
export function kdscopeCommand(env = process.env) {
  if (env.KDSCOPE) return env.KDSCOPE.split(' ').filter(Boolean);
  const checkout = join(dirname(fileURLToPath(import.meta.url)), '../../bin/kdscope.mjs');
  if (existsSync(checkout)) return [process.execPath, checkout];
  return ['kdscope'];
}

/**
 * @param {readonly string[]} argv
 * @returns {Promise<number>}
 */
export async function extcapMain(argv) {
  const args = parseExtcapArgs(argv);
  if (args.has('extcap-interfaces')) {
    process.stdout.write(interfacesText());
    return 0;
  }
  const iface = args.get('extcap-interface');
  if (iface !== undefined && iface !== INTERFACE) {
    process.stderr.write(`kdscope-extcap: unknown interface ${String(iface)}\n`);
    return 2;
  }
  if (args.has('extcap-dlts')) {
    process.stdout.write(dltsText());
    return 0;
  }
  if (args.has('extcap-config')) {
    process.stdout.write(configText());
    return 0;
  }
  if (args.has('capture')) {
    let bridge;
    try {
      bridge = bridgeArgs(args);
    } catch (error) {
      process.stderr.write(`kdscope-extcap: ${/** @type {Error} */ (error).message}\n`);
      return 2;
    }
    const [command, ...prefix] = kdscopeCommand();
    const child = spawn(/** @type {string} */ (command), [...prefix, ...bridge], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    // Wireshark stops a capture by terminating us: pass it on so the bridge closes cleanly.
    for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM']))
      process.on(signal, () => child.kill(signal));
    return await new Promise((resolve) => {
      child.on('error', (error) => {
        process.stderr.write(
          `kdscope-extcap: cannot run kdscope (${error.message}); set KDSCOPE\n`,
        );
        resolve(1);
      });
      child.on('exit', (code) => resolve(code ?? 0));
    });
  }
  process.stderr.write(
    'kdscope-extcap: expected --extcap-interfaces, --extcap-dlts, --extcap-config or --capture\n',
  );
  return 2;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await extcapMain(process.argv.slice(2));
}
