// Reading an exact number of bytes from a socket in a test, with a deadline that says why.
import type { Socket } from 'node:net';

/** Resolves with all the socket delivered once `done` holds for it. */
export function readUntil(
  socket: Socket,
  done: (received: Buffer) => boolean,
  timeoutMs: number,
  why: () => string,
): Promise<Buffer> {
  const received: Buffer[] = [];
  return new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('data', onData);
      reject(new Error(why()));
    }, timeoutMs);
    const onData = (d: Buffer): void => {
      received.push(d);
      const all = Buffer.concat(received);
      if (done(all)) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(all);
      }
    };
    socket.on('data', onData);
  });
}
