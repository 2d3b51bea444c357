// Endpoint syntax (ARCHITECTURE.md "Endpoints"): one string names where a debugger or a target
// is reached. Parsing is pure so the CLI, the UI and the simulators share one meaning.

export type Endpoint =
  /** A Windows named pipe `\\.\pipe\NAME` (what WinDbg, Hyper-V, VMware and QEMU use for COM). */
  | { readonly kind: 'pipe'; readonly name: string; readonly path: string }
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  /** KDNET; host omitted when listening on every address. */
  | { readonly kind: 'udp'; readonly host?: string; readonly port: number }
  | { readonly kind: 'serial'; readonly device: string; readonly baud: number }
  | { readonly kind: 'vmbus'; readonly vmName: string }
  | { readonly kind: 'vm'; readonly name: string }
  /** The built-in simulated target: over a COM-like stream, or behind simulated VMBus rings. */
  | { readonly kind: 'sim'; readonly flavour: 'com' | 'vmbus' | 'kdnet' };

export type EndpointKind = Endpoint['kind'];

export const DEFAULT_SERIAL_BAUD = 115200;

/** Bad endpoint syntax; the message is one line naming the endpoint and what is wrong. */
export class EndpointError extends Error {
  override readonly name = 'EndpointError';
}

const PIPE_PREFIX = '\\\\.\\pipe\\';

/** `\\.\pipe\NAME` for a pipe name. */
export function pipePath(name: string): string {
  return PIPE_PREFIX + name;
}

const SYNTAX =
  'pipe:NAME, unix:PATH, tcp:HOST:PORT, udp:[HOST:]PORT, serial:DEVICE[,baud], vmbus:VMNAME, vm:NAME, sim, sim:vmbus, sim:kdnet';

function fail(text: string, why: string): never {
  throw new EndpointError(`bad endpoint '${text}': ${why}`);
}

function parsePort(text: string, raw: string): number {
  if (!/^\d{1,5}$/.test(raw)) fail(text, `port '${raw}' is not a number`);
  const port = Number(raw);
  if (port < 1 || port > 65535) fail(text, `port ${port} is out of range 1-65535`);
  return port;
}

/** Splits `HOST:PORT`, `[v6]:PORT` or (when allowed) a bare `PORT`. */
function parseHostPort(
  text: string,
  rest: string,
  hostOptional: boolean,
): [string | undefined, number] {
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) fail(text, "missing ']' after an IPv6 address");
    const host = rest.slice(1, close);
    if (rest[close + 1] !== ':') fail(text, "expected ':PORT' after ']'");
    if (host === '') fail(text, 'empty host');
    return [host, parsePort(text, rest.slice(close + 2))];
  }
  const colon = rest.lastIndexOf(':');
  if (colon < 0) {
    if (hostOptional) return [undefined, parsePort(text, rest)];
    fail(text, 'expected HOST:PORT');
  }
  const host = rest.slice(0, colon);
  if (host === '') fail(text, 'empty host');
  // A bare IPv6 address with a port is ambiguous: ask for brackets.
  if (host.includes(':')) fail(text, 'write an IPv6 host in brackets, e.g. tcp:[::1]:9000');
  return [host, parsePort(text, rest.slice(colon + 1))];
}

export function parseEndpoint(text: string): Endpoint {
  const trimmed = text.trim();
  if (trimmed === '') throw new EndpointError(`empty endpoint (expected one of ${SYNTAX})`);
  if (trimmed === 'sim') return { kind: 'sim', flavour: 'com' };
  // A full pipe path is what users copy from VM settings; accept it as is.
  if (trimmed.toLowerCase().startsWith(PIPE_PREFIX)) {
    return parsePipe(text, trimmed.slice(PIPE_PREFIX.length));
  }
  const colon = trimmed.indexOf(':');
  if (colon < 0) fail(text, `expected one of ${SYNTAX}`);
  const scheme = trimmed.slice(0, colon).toLowerCase();
  const rest = trimmed.slice(colon + 1);
  switch (scheme) {
    case 'pipe':
      return parsePipe(
        text,
        rest.toLowerCase().startsWith(PIPE_PREFIX) ? rest.slice(PIPE_PREFIX.length) : rest,
      );
    case 'unix':
      if (rest === '') fail(text, 'empty socket path');
      return { kind: 'unix', path: rest };
    case 'tcp': {
      const [host, port] = parseHostPort(text, rest, false);
      return { kind: 'tcp', host: host!, port };
    }
    case 'udp': {
      const [host, port] = parseHostPort(text, rest, true);
      return host === undefined ? { kind: 'udp', port } : { kind: 'udp', host, port };
    }
    case 'serial': {
      const comma = rest.lastIndexOf(',');
      const device = comma < 0 ? rest : rest.slice(0, comma);
      if (device === '') fail(text, 'empty serial device');
      if (comma < 0) return { kind: 'serial', device, baud: DEFAULT_SERIAL_BAUD };
      const rawBaud = rest.slice(comma + 1);
      if (!/^\d{2,8}$/.test(rawBaud)) fail(text, `baud rate '${rawBaud}' is not a number`);
      return { kind: 'serial', device, baud: Number(rawBaud) };
    }
    case 'vmbus':
      if (rest === '') fail(text, 'empty VM name');
      return { kind: 'vmbus', vmName: rest };
    case 'vm':
      if (rest === '') fail(text, 'empty VM name');
      return { kind: 'vm', name: rest };
    case 'sim':
      if (rest === 'vmbus') return { kind: 'sim', flavour: 'vmbus' };
      if (rest === 'kdnet') return { kind: 'sim', flavour: 'kdnet' };
      if (rest === 'com' || rest === '') return { kind: 'sim', flavour: 'com' };
      return fail(text, "sim takes no argument, 'vmbus' or 'kdnet'");
    default:
      return fail(text, `unknown kind '${scheme}' (expected one of ${SYNTAX})`);
  }
}

function parsePipe(text: string, name: string): Endpoint {
  if (name === '') fail(text, 'empty pipe name');
  // Windows allows any character but a backslash in a pipe name.
  if (name.includes('\\')) fail(text, 'a pipe name cannot contain a backslash');
  if (name.length > 256) fail(text, 'a pipe name is at most 256 characters');
  return { kind: 'pipe', name, path: pipePath(name) };
}

/** The canonical spelling, for status lines and logs. */
export function formatEndpoint(ep: Endpoint): string {
  switch (ep.kind) {
    case 'pipe':
      return `pipe:${ep.name}`;
    case 'unix':
      return `unix:${ep.path}`;
    case 'tcp':
      return `tcp:${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}`;
    case 'udp':
      return ep.host === undefined
        ? `udp:${ep.port}`
        : `udp:${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}`;
    case 'serial':
      return `serial:${ep.device},${ep.baud}`;
    case 'vmbus':
      return `vmbus:${ep.vmName}`;
    case 'vm':
      return `vm:${ep.name}`;
    case 'sim':
      return ep.flavour === 'com' ? 'sim' : `sim:${ep.flavour}`;
  }
}
