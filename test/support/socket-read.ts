// Reading an exact number of bytes from a socket in a test, with a deadline that says why.
import type { Socket } from 'node:net';

/** Resolves with the first `count` bytes the socket delivers (more may follow and are kept). */
export function readBytes(
  socket: Socket,
  count: number,
  timeoutMs: number,
  why: () => string,
): Promise<Buffer> {
  const received: Buffer[] = [];
  return new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(why())), timeoutMs);
    socket.on('data', (d: Buffer) => {
      received.push(d);
      const all = Buffer.concat(received);
      if (all.length >= count) {
        clearTimeout(timer);
        resolve(all);
      }
    });
  });
}
