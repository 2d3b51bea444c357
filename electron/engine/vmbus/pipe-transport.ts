// What the pipe adapter needs from whatever carries windbg-uefi's messages: vmbuspiper.dll's
// handle (ReadFile/WriteFile), a socket with a length prefix per message (tests, remote VMs),
// or the simulated rings. Whole messages go out; reads come back as bytes.

import type { Duplex } from 'node:stream';

export interface PipeTransportHandlers {
  /** Bytes read: whole messages when `boundaries` is 'message', any cut when 'stream'. */
  data(bytes: Uint8Array): void;
  /** A write that returned false can be followed by more now. */
  drain(): void;
  /** The peer is gone (error set when it went away badly); called once. */
  close(error?: Error): void;
}

export interface PipeTransport {
  readonly description: string;
  /**
   * 'message': every read holds one or more whole messages (a message-mode pipe, a length
   * prefix, a ring packet). 'stream': reads may cut a message anywhere (a byte-mode handle).
   */
  readonly boundaries: 'message' | 'stream';
  start(handlers: PipeTransportHandlers): void;
  /** Sends one whole message; false asks the writer to wait for drain(). */
  write(message: Uint8Array): boolean;
  pause(): void;
  resume(): void;
  close(): void;
}

const PREFIX = 4;
/** Larger than any message a VMBus ring of windbg-uefi can hold; bigger means a broken peer. */
export const MAX_FRAMED_MESSAGE = 0x10000;

/**
 * Whole messages over a byte stream (a unix or TCP socket, a named pipe): a little-endian u32 length, then
 * the message. `kdscope bridge --mode vmbus --target unix:PATH` speaks this to the VM side.
 */
export function lengthPrefixedTransport(socket: Duplex, description: string): PipeTransport {
  let pending: Buffer = Buffer.alloc(0);
  let handlers: PipeTransportHandlers | undefined;
  let closed = false;
  const close = (error?: Error): void => {
    if (closed) return;
    closed = true;
    handlers?.close(error);
  };
  return {
    description,
    boundaries: 'message',
    start(h) {
      handlers = h;
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        let at = 0;
        while (pending.length - at >= PREFIX) {
          const size = pending.readUInt32LE(at);
          if (size > MAX_FRAMED_MESSAGE) {
            socket.destroy();
            close(
              new Error(
                `${description}: a framed message of ${size} bytes (the peer does not speak length-prefixed messages?)`,
              ),
            );
            return;
          }
          if (pending.length - at - PREFIX < size) break;
          h.data(new Uint8Array(pending.buffer, pending.byteOffset + at + PREFIX, size));
          at += PREFIX + size;
        }
        pending = at === pending.length ? Buffer.alloc(0) : Buffer.from(pending.subarray(at));
      });
      socket.on('drain', () => h.drain());
      socket.on('error', (error) => close(error));
      socket.on('close', () => close());
    },
    write(message) {
      if (closed || socket.destroyed) return true;
      const framed = Buffer.allocUnsafe(PREFIX + message.length);
      framed.writeUInt32LE(message.length, 0);
      framed.set(message, PREFIX);
      return socket.write(framed);
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    close() {
      socket.destroy();
      close();
    },
  };
}

/** The same framing for the peer's side, for a VM simulator or a test server. */
export function frameMessage(message: Uint8Array): Uint8Array {
  const framed = new Uint8Array(PREFIX + message.length);
  new DataView(framed.buffer).setUint32(0, message.length, true);
  framed.set(message, PREFIX);
  return framed;
}
