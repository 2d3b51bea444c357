// Unix sockets, TCP and Windows named pipes: all three are `net` streams, so one module serves
// them, as client (Dialer) and as server (Acceptor).

import { connect, createServer, type Server, type Socket } from 'node:net';
import { lstatSync, unlinkSync } from 'node:fs';
import { formatEndpoint, type Endpoint } from '../endpoint';
import { describeTransportError } from './errors';
import {
  TransportError,
  type Acceptor,
  type AcceptorNotice,
  type ByteChannel,
  type Dialer,
} from './types';

export type NetEndpoint = Extract<Endpoint, { kind: 'unix' | 'tcp' | 'pipe' }>;

type NetAddress = { readonly path: string } | { readonly host: string; readonly port: number };

/** Where `net` connects or listens for an endpoint; pipes exist only on Windows. */
export function netAddress(
  ep: NetEndpoint,
  platform: NodeJS.Platform = process.platform,
): NetAddress {
  switch (ep.kind) {
    case 'unix':
      return { path: ep.path };
    case 'tcp':
      return { host: ep.host, port: ep.port };
    case 'pipe':
      if (platform !== 'win32') {
        throw new TransportError(
          `pipe ${ep.path}: named pipes exist only on Windows; use unix:PATH or tcp:HOST:PORT here`,
        );
      }
      return { path: ep.path };
  }
}

function tune(socket: Socket, ep: NetEndpoint): void {
  // KD is a chatty request/response protocol of small packets: Nagle would add latency.
  if (ep.kind === 'tcp') socket.setNoDelay(true);
}

/** Throws at once (no dial to retry) where the endpoint cannot exist: a pipe off Windows. */
export function netDialer(ep: NetEndpoint, platform?: NodeJS.Platform): Dialer {
  const address = netAddress(ep, platform);
  return {
    description: formatEndpoint(ep),
    dial(signal?: AbortSignal): Promise<ByteChannel> {
      return new Promise((resolve, reject) => {
        if (signal?.aborted) {
          reject(new TransportError(`${formatEndpoint(ep)}: cancelled`));
          return;
        }
        const socket = connect(address);
        const cleanup = (): void => {
          socket.off('error', onError);
          socket.off('connect', onConnect);
          signal?.removeEventListener('abort', onAbort);
        };
        const onError = (error: Error): void => {
          cleanup();
          socket.destroy();
          reject(describeTransportError(error, ep, 'connect'));
        };
        const onConnect = (): void => {
          cleanup();
          tune(socket, ep);
          resolve(socket);
        };
        const onAbort = (): void => {
          cleanup();
          socket.destroy();
          reject(new TransportError(`${formatEndpoint(ep)}: cancelled`));
        };
        socket.once('error', onError);
        socket.once('connect', onConnect);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

function listenOnce(server: Server, address: NetAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    if ('path' in address) server.listen(address.path);
    else server.listen(address.port, address.host);
  });
}

/**
 * Whether a path we cannot listen on is a socket at all: a refused connection says nothing
 * (an ordinary file refuses too), and only a socket may be taken for a crashed run's leftover.
 */
function isSocketFile(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}

/** A unix socket file left by a crashed run: nobody answers on it. */
function isStaleSocket(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(false);
    });
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

export interface NetAcceptor extends Acceptor {
  /** The bound TCP port (useful with port 0 in tests); undefined for paths. */
  readonly port: number | undefined;
}

export interface NetAcceptorOptions {
  /**
   * How often a unix socket's file is checked to still be ours (default 1000 ms): removed or
   * replaced, nobody can reach the listener any more, and it listens at the path again.
   */
  readonly watchMs?: number;
}

/** Where a unix socket's file is on disk, to notice it removed or replaced; undefined: none. */
function fileIdentity(path: string): string | undefined {
  try {
    const stat = lstatSync(path);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return undefined;
  }
}

/** Listens at the address; for a unix path, takes over a crashed run's leftover socket file. */
async function listenAt(server: Server, ep: NetEndpoint, address: NetAddress): Promise<void> {
  try {
    await listenOnce(server, address);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (ep.kind === 'unix' && code === 'EADDRINUSE' && !isSocketFile(ep.path)) {
      // Never replace what is not ours to replace (a file, a directory, a link).
      throw new TransportError(`${ep.path} exists and is not a socket`, code);
    }
    if (ep.kind === 'unix' && code === 'EADDRINUSE' && (await isStaleSocket(ep.path))) {
      if (!isSocketFile(ep.path)) throw new TransportError(`${ep.path} exists and is not a socket`);
      unlinkSync(ep.path);
      try {
        await listenOnce(server, address);
      } catch (again) {
        throw describeTransportError(again, ep, 'listen');
      }
    } else {
      throw describeTransportError(error, ep, 'listen');
    }
  }
}

export async function netAcceptor(
  ep: NetEndpoint,
  platform?: NodeJS.Platform,
  options: NetAcceptorOptions = {},
): Promise<NetAcceptor> {
  const address = netAddress(ep, platform);
  const description = formatEndpoint(ep);
  const listeners = new Set<(channel: ByteChannel) => void>();
  const noticeListeners = new Set<(notice: AcceptorNotice) => void>();
  const open = new Set<Socket>();
  let lastNotice = '';
  const notify = (level: AcceptorNotice['level'], message: string): void => {
    // A failure that repeats (EMFILE on every accept) is said once until something changes.
    if (level === 'error' && message === lastNotice) return;
    lastNotice = level === 'error' ? message : '';
    for (const listener of [...noticeListeners]) listener({ level, message });
  };
  const onConnection = (socket: Socket): void => {
    lastNotice = '';
    tune(socket, ep);
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    if (listeners.size === 0) {
      socket.destroy();
      return;
    }
    for (const listener of listeners) listener(socket);
  };
  // Errors after listening (EMFILE on accept) must not crash the process, nor go unsaid.
  const onServerError = (error: Error): void =>
    notify('error', `${describeTransportError(error, ep, 'io').message} (still listening)`);
  const serve = async (): Promise<Server> => {
    const server = createServer();
    server.on('connection', onConnection);
    await listenAt(server, ep, address);
    server.on('error', onServerError);
    return server;
  };
  /** Undefined while it listens nowhere (between the socket file's loss and listening again). */
  let server: Server | undefined = await serve();
  const bound = server.address();
  let closed: Promise<void> | undefined;

  let identity = ep.kind === 'unix' ? fileIdentity(ep.path) : undefined;
  let relistening = false;
  /** The socket file is gone or another one took its place: listen there again, if we may. */
  const checkFile = async (path: string): Promise<void> => {
    const now = fileIdentity(path);
    if (relistening || closed || (now === identity && server)) return;
    if (now !== undefined && !isSocketFile(path)) {
      notify(
        'error',
        `${path} was replaced by something that is not a socket: the debugger cannot reach the bridge there (remove it and the bridge listens there again)`,
      );
      return;
    }
    if (now !== undefined && !(await isStaleSocket(path))) {
      notify(
        'error',
        `${path} was taken over by another program's socket: the debugger cannot reach the bridge there`,
      );
      return;
    }
    if (closed || fileIdentity(path) !== now) return;
    relistening = true;
    if (server) {
      // Closing unlinks the path (libuv does): here that is nothing, or a dead socket file.
      server.off('error', onServerError);
      server.on('error', () => undefined);
      server.close();
      server = undefined;
    }
    try {
      const again = await serve();
      identity = fileIdentity(path);
      notify(
        'warn',
        `${path}: the socket file was ${now === undefined ? 'removed' : 'replaced by a dead socket'}; listening there again`,
      );
      if (closed) again.close();
      else server = again;
    } catch (error) {
      // Listening again failed (its directory is gone too): each check tries again.
      notify('error', `${(error as Error).message} (the socket file was removed; retrying)`);
    } finally {
      relistening = false;
    }
  };
  const watch =
    ep.kind === 'unix'
      ? setInterval(() => void checkFile(ep.path), options.watchMs ?? 1000)
      : undefined;
  watch?.unref();

  return {
    description,
    port: bound !== null && typeof bound === 'object' ? bound.port : undefined,
    onConnection(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onNotice(listener) {
      noticeListeners.add(listener);
      return () => noticeListeners.delete(listener);
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        clearInterval(watch);
        listeners.clear();
        noticeListeners.clear();
        for (const socket of open) socket.destroy();
        // net unlinks the unix socket file it created when the server closes.
        if (server) server.close(() => resolve());
        else resolve();
      });
      return closed;
    },
  };
}
