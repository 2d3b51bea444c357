// The body of the fd relay's thread: moves bytes between two connected sockets with poll(2),
// read(2) and write(2) called through koffi, reading each chunk straight into the shared
// ring (fd-ring.ts) and writing the peer from the same bytes. No event loop, no allocation
// per chunk: a round trip through it costs what it costs through socat (relay bench), and
// nothing the bridge's thread does (decoding, recording, the UI) can delay it.
//
// The worker's source is this function's text, called with RingWriter's text: it must use
// nothing from outside its own body but `require`.

import type KoffiModule from 'koffi';
import type * as WorkerThreads from 'node:worker_threads';
import type { RingWriter } from './fd-ring';

/** What the bridge hands the thread. */
export interface RelayThreadData {
  readonly koffiPath: string;
  readonly libc: string;
  readonly ring: SharedArrayBuffer;
  /** Index 0 reads the debugger (debugger->target), 1 the target. */
  readonly fds: readonly [number, number];
  /** Read end of the pipe the bridge writes one byte to after setting Ctl.stop. */
  readonly wakeFd: number;
  /** Errno values of the platform. */
  readonly errno: { readonly EAGAIN: number; readonly EINTR: number };
}

/** Sent once loaded: the thread waits for Ctl.go (or Ctl.stop) before it touches a socket. */
export interface RelayThreadReady {
  readonly ready: true;
}

/** The thread's last message, sent after it stopped touching the sockets. */
export interface RelayThreadEnd {
  readonly ready?: undefined;
  /** The socket that ended the relay (0 debugger, 1 target); absent when the bridge stopped it. */
  readonly side?: 0 | 1;
  /** errno of the failed call, 0 for end of stream. */
  readonly errno?: number;
  /** Bytes read from each side but not yet written to the other (the bridge writes them). */
  readonly pending: readonly [Uint8Array | undefined, Uint8Array | undefined];
}

export function relayThreadMain(Writer: typeof RingWriter): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- the worker is a CommonJS script */
  const threads = require('node:worker_threads') as typeof WorkerThreads;
  const data = threads.workerData as RelayThreadData;
  const koffi = require(data.koffiPath) as typeof KoffiModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const libc = koffi.load(data.libc);
  const poll = libc.func('int poll(void *fds, unsigned long nfds, int timeout)');
  const read = libc.func('long read(int fd, void *buf, unsigned long n)');
  const write = libc.func('long write(int fd, const void *buf, unsigned long n)');
  const { EAGAIN, EINTR } = data.errno;
  const POLLIN = 1;
  const POLLOUT = 4;
  const POLLNVAL = 32;
  // The bridge's taps look at least this often, and at once after a bulk transfer.
  const NOTIFY_MS = 2;
  const NOTIFY_BYTES = 64 * 1024;
  const MIN_ROOM = 4096;
  const MAX_READ = 64 * 1024;

  const ring = new Writer(data.ring);
  const ctl = ring.ctl;
  const fds = data.fds;
  const SIDES = [0, 1] as const;
  // struct pollfd { int fd; short events; short revents; }: the wake pipe, then the sockets.
  const pollfds = new Uint8Array(24);
  const pv = new DataView(pollfds.buffer);
  pv.setInt32(0, data.wakeFd, true);
  pv.setInt16(4, POLLIN, true);
  const wakeBuf = new Uint8Array(64);
  const pending: [Uint8Array | undefined, Uint8Array | undefined] = [undefined, undefined];
  let endSide: 0 | 1 | undefined;
  let endErrno = 0;
  let unnotifiedSince = -1;
  let unnotifiedBytes = 0;

  const notify = (): void => {
    ring.notify();
    unnotifiedSince = -1;
    unnotifiedBytes = 0;
  };

  /** Writes what was read from side d to the other side; keeps a copy of what would block. */
  const send = (d: 0 | 1, bytes: Uint8Array): void => {
    let offset = 0;
    while (offset < bytes.length) {
      const n = Number(write(fds[1 - d], bytes.subarray(offset), bytes.length - offset));
      if (n > 0) {
        offset += n;
        continue;
      }
      const errno = koffi.errno();
      if (errno === EINTR) continue;
      if (errno === EAGAIN) break;
      endSide = d === 0 ? 1 : 0;
      endErrno = errno;
      break;
    }
    pending[d] = offset < bytes.length && endSide === undefined ? bytes.slice(offset) : undefined;
    Atomics.store(ctl, 4 + d, pending[d]?.length ?? 0);
  };

  // Node relays until the bridge took the sockets from it; starting a thread takes tens of ms.
  threads.parentPort?.postMessage({ ready: true } satisfies RelayThreadReady);
  while (Atomics.load(ctl, 7) === 0 && Atomics.load(ctl, 3) === 0) Atomics.wait(ctl, 7, 0, 1000);
  while (endSide === undefined && Atomics.load(ctl, 3) === 0) {
    const room = ring.reserve(MIN_ROOM, MAX_READ);
    for (const s of SIDES) {
      // A socket we neither read nor write is left out (negative fd): a hang-up on it would
      // otherwise wake poll at once, every time, until the other side drains.
      const events = (pending[s] || room === 0 ? 0 : POLLIN) | (pending[1 - s] ? POLLOUT : 0);
      pv.setInt32(8 + s * 8, events === 0 ? -1 : fds[s], true);
      pv.setInt16(12 + s * 8, events, true);
      pv.setInt16(14 + s * 8, 0, true);
    }
    pv.setInt16(6, 0, true);
    const now = performance.now();
    const timeout =
      room === 0
        ? 1
        : unnotifiedSince >= 0
          ? Math.max(0, Math.ceil(NOTIFY_MS - (now - unnotifiedSince)))
          : -1;
    const ready = Number(poll(pollfds, 3, timeout));
    if (ready < 0) {
      const errno = koffi.errno();
      if (errno === EINTR) continue;
      endSide = 0;
      endErrno = errno;
      break;
    }
    if (pv.getInt16(6, true) !== 0) read(data.wakeFd, wakeBuf, wakeBuf.length);
    for (const s of SIDES) {
      const revents = pv.getInt16(14 + s * 8, true);
      if (revents === 0) continue;
      if (revents & POLLNVAL) {
        endSide = s;
        endErrno = 9;
        break;
      }
      const toPeer = pending[1 - s];
      if (toPeer) send(s === 0 ? 1 : 0, toPeer);
      if (endSide !== undefined) break;
      if (pending[s] || !(pv.getInt16(12 + s * 8, true) & POLLIN)) continue;
      const space = ring.reserve(MIN_ROOM, MAX_READ);
      if (space === 0) continue;
      const at = ring.payloadOffset();
      const target = ring.data.subarray(at, at + space);
      const n = Number(read(fds[s], target, space));
      if (n > 0) {
        ring.commit(s, n, Math.round((performance.timeOrigin + performance.now()) * 1000));
        if (unnotifiedSince < 0) unnotifiedSince = performance.now();
        unnotifiedBytes += n;
        send(s, target.subarray(0, n));
      } else if (n === 0) {
        endSide = s;
        endErrno = 0;
      } else {
        const errno = koffi.errno();
        if (errno !== EAGAIN && errno !== EINTR) {
          endSide = s;
          endErrno = errno;
        }
      }
      if (endSide !== undefined) break;
    }
    if (
      unnotifiedSince >= 0 &&
      (unnotifiedBytes >= NOTIFY_BYTES || performance.now() - unnotifiedSince >= NOTIFY_MS)
    ) {
      notify();
    }
  }
  Atomics.store(ctl, 6, 1);
  notify();
  const end: RelayThreadEnd =
    endSide === undefined ? { pending } : { side: endSide, errno: endErrno, pending };
  threads.parentPort?.postMessage(end);
}
