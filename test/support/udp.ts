// UDP in integration tests: free loopback ports, and a socket that keeps what it receives.
import { createHash } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';

/** A port free on 127.0.0.1 right now (bound and released: another process could take it). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const { port } = socket.address();
  socket.close();
  return port;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface Collector {
  readonly socket: Socket;
  readonly port: number;
  /** What arrived, in order, with who sent it. */
  readonly received: { bytes: Buffer; from: RemoteInfo }[];
  close(): void;
}

/** A socket bound to 127.0.0.1 (any free port unless given) that keeps every datagram. */
export async function collectUdp(port = 0): Promise<Collector> {
  const socket = createSocket('udp4');
  const received: Collector['received'] = [];
  socket.on('message', (bytes, from) => received.push({ bytes, from }));
  socket.bind(port, '127.0.0.1');
  await once(socket, 'listening');
  // A replay flat out comes in a burst.
  socket.setRecvBufferSize(8 * 1024 * 1024);
  return {
    socket,
    port: socket.address().port,
    received,
    close: () => socket.close(),
  };
}
