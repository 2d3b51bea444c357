// The simulated target as an in-process stream, for the bridge's `sim` endpoint: what is
// written to the Duplex goes to the target, what the target sends is read from it.

import { Duplex } from 'node:stream';
import { TransportError, type SimTargetFactory } from '../transports/types';
import { SimTarget, type SimTargetOptions } from './target';

export interface SimTargetChannel {
  readonly stream: Duplex;
  readonly target: SimTarget;
}

export function createSimTargetChannel(options: SimTargetOptions = {}): SimTargetChannel {
  const target = new SimTarget(options);
  const stream = new Duplex({
    read() {
      // Pushed as the target sends; the target does not wait for a slow reader (a serial
      // line does not either), and it only sends in answer to the debugger.
    },
    write(chunk: Buffer, _encoding, callback) {
      // Like a socket, deliver on a later turn of the event loop: a synchronous answer would
      // re-enter the writer, and a fast ping-pong (RESEND, resend, ...) would starve timers.
      setImmediate(() => {
        target.feed(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        callback();
      });
    },
    final(callback) {
      target.close();
      this.push(null);
      callback();
    },
    destroy(error, callback) {
      target.close();
      callback(error);
    },
  });
  target.onSend((bytes) => {
    const copy = Buffer.from(bytes);
    setImmediate(() => {
      if (!stream.destroyed) stream.push(copy);
    });
  });
  return { stream, target };
}

/**
 * The transports' hook for the `sim` endpoint (TransportDeps.simTarget): a fresh in-process
 * target per dial. `sim:vmbus` needs the rings too: simVmbusTargetFactory (vmbus-target.ts)
 * serves both flavours.
 */
export function simTargetFactory(options: SimTargetOptions = {}): SimTargetFactory {
  return (endpoint) => {
    if (endpoint.flavour !== 'com') {
      throw new TransportError('sim:vmbus needs the VMBus rings: use simVmbusTargetFactory');
    }
    return createSimTargetChannel(options).stream;
  };
}
