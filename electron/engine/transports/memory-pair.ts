// Two connected in-process streams, like the two ends of a socket: what one end writes the
// other reads, on a later turn of the event loop (a synchronous answer would re-enter the
// writer), and destroying one end closes the other. Node 20 has no stream.duplexPair.

import { Duplex } from 'node:stream';

export function memoryPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const peerOf = (self: Duplex): Duplex => (ends[0] === self ? ends[1]! : ends[0]!);
  const make = (): Duplex => {
    const end: Duplex = new Duplex({
      read() {
        // Pushed by the peer's writes.
      },
      write(chunk: Buffer, _encoding, callback) {
        setImmediate(() => {
          const peer = peerOf(end);
          if (!peer.destroyed) peer.push(chunk);
          callback();
        });
      },
      final(callback) {
        setImmediate(() => {
          const peer = peerOf(end);
          if (!peer.destroyed) peer.push(null);
          callback();
        });
      },
      destroy(error, callback) {
        const peer = peerOf(end);
        if (!peer.destroyed) setImmediate(() => peer.destroy());
        callback(error);
      },
    });
    return end;
  };
  ends.push(make(), make());
  return [ends[0]!, ends[1]!];
}
