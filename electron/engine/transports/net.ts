// Unix sockets, TCP and Windows named pipes: all three are `net` streams, so one module serves
// them, as client (Dialer) and as server (Acceptor).

import { connect, createServer, type Server, type Socket } from 'node:net';
import { lstatSync, unlinkSync } from 'node:fs';
import { formatEndpoint, type Endpoint } from '../endpoint';
import { describeTransportError } from './errors';
import { TransportError, type Acceptor, type ByteChannel, type Dialer } from './types';

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

export async function netAcceptor(
  ep: NetEndpoint,
  platform?: NodeJS.Platform,
): Promise<NetAcceptor> {
  const address = netAddress(ep, platform);
  const server = createServer();
  const listeners = new Set<(channel: ByteChannel) => void>();
  const open = new Set<Socket>();
  server.on('connection', (socket) => {
    tune(socket, ep);
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    if (listeners.size === 0) {
      socket.destroy();
      return;
    }
    for (const listener of listeners) listener(socket);
  });
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
  // Errors after listening (rare: EMFILE on accept) must not crash the process.
  server.on('error', () => undefined);
  const bound = server.address();
  let closed: Promise<void> | undefined;
  return {
    description: formatEndpoint(ep),
    port: bound !== null && typeof bound === 'object' ? bound.port : undefined,
    onConnection(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        listeners.clear();
        for (const socket of open) socket.destroy();
        // net unlinks the unix socket file it created when the server closes.
        server.close(() => resolve());
      });
      return closed;
    },
  };
}
