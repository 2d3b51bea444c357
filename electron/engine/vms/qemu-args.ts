// Reads a QEMU command line for what matters to a kernel debugger: the VM's name and where its
// serial ports (COM1, COM2, ...) come out on the host.
import type { VmChannel } from './types';

/** QEMU option strings `head,key=value,flag`: the first item may be a bare value (the backend). */
function parseOptionString(text: string): { head: string; opts: Map<string, string> } {
  const parts = text.split(',');
  const opts = new Map<string, string>();
  let head = '';
  parts.forEach((part, i) => {
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (i === 0) head = part;
      else opts.set(part, 'on');
    } else opts.set(part.slice(0, eq), part.slice(eq + 1));
  });
  return { head, opts };
}

interface Chardev {
  readonly backend: string;
  readonly opts: Map<string, string>;
}

/** A serial backend (`-serial X` or a chardev) as a channel, or undefined when not reachable. */
function channelOf(
  port: string,
  backend: string,
  opts: Map<string, string>,
  rest: string,
): VmChannel | undefined {
  const server = opts.get('server') === 'on' || opts.has('server');
  const role = server
    ? 'QEMU listens: kdscope connects to it as the target'
    : 'QEMU connects out: kdscope must listen there before the VM starts';
  switch (backend) {
    case 'unix': {
      const path = opts.get('path') ?? rest;
      return { kind: 'unix', port, path, endpoint: `unix:${path}`, note: role };
    }
    case 'socket': {
      const path = opts.get('path');
      if (path) return { kind: 'unix', port, path, endpoint: `unix:${path}`, note: role };
      const host = opts.get('host') ?? '127.0.0.1';
      const p = opts.get('port');
      if (!p) return undefined;
      const h = host === '' || host === '0.0.0.0' ? '127.0.0.1' : host;
      return { kind: 'tcp', port, path: `${h}:${p}`, endpoint: `tcp:${h}:${p}`, note: role };
    }
    case 'tcp': {
      const [hostPort] = rest.split(',');
      const colon = hostPort?.lastIndexOf(':') ?? -1;
      if (!hostPort || colon < 0) return undefined;
      const host = hostPort.slice(0, colon) || '127.0.0.1';
      const p = hostPort.slice(colon + 1);
      return { kind: 'tcp', port, path: `${host}:${p}`, endpoint: `tcp:${host}:${p}`, note: role };
    }
    case 'pty':
      return {
        kind: 'pty',
        port,
        path: '(a /dev/pts device QEMU printed at start-up)',
        note: 'ask QEMU (monitor "info chardev") for the pty, then use serial:/dev/pts/N',
      };
    case 'pipe':
      return { kind: 'com-pipe', port, path: opts.get('path') ?? rest, note: 'QEMU pipe backend' };
    case 'file':
    case 'stdio':
    case 'null':
    case 'vc':
    case 'mon':
    case 'none':
      return undefined;
    default:
      if (backend.startsWith('/dev/')) {
        return { kind: 'serial', port, path: backend, endpoint: `serial:${backend}` };
      }
      return undefined;
  }
}

export interface QemuCommandLine {
  readonly name?: string;
  readonly channels: VmChannel[];
}

export function parseQemuCommandLine(argv: readonly string[]): QemuCommandLine {
  let name: string | undefined;
  const chardevs = new Map<string, Chardev>();
  const serialSpecs: string[] = [];
  const serialDevices: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const flag = argv[i]!.replace(/^--/, '-');
    const value = argv[i + 1];
    if (value === undefined) break;
    if (flag === '-name') {
      const { head, opts } = parseOptionString(value);
      name = opts.get('guest') ?? head;
      i++;
    } else if (flag === '-chardev') {
      const { head, opts } = parseOptionString(value);
      const id = opts.get('id');
      if (id) chardevs.set(id, { backend: head, opts });
      i++;
    } else if (flag === '-serial') {
      serialSpecs.push(value);
      i++;
    } else if (flag === '-device') {
      const { head, opts } = parseOptionString(value);
      if (head === 'isa-serial' && opts.get('chardev')) serialDevices.push(opts.get('chardev')!);
      i++;
    }
  }
  const channels: VmChannel[] = [];
  let com = 1;
  const add = (channel: VmChannel | undefined): void => {
    if (channel) channels.push(channel);
  };
  for (const spec of serialSpecs) {
    const port = `COM${com++}`;
    const colon = spec.indexOf(':');
    const backend = colon < 0 ? spec : spec.slice(0, colon);
    const rest = colon < 0 ? '' : spec.slice(colon + 1);
    if (backend === 'chardev') {
      const dev = chardevs.get(rest);
      if (dev) add(channelOf(port, dev.backend, dev.opts, ''));
      continue;
    }
    const { opts } = parseOptionString(rest);
    add(channelOf(port, backend, opts, rest.split(',')[0] ?? ''));
  }
  for (const id of serialDevices) {
    const dev = chardevs.get(id);
    if (dev) add(channelOf(`COM${com++}`, dev.backend, dev.opts, ''));
  }
  return { name, channels };
}
