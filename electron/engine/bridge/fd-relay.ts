// The relay's fast path: when both sides are sockets with file descriptors (TCP, a QEMU or
// VirtualBox unix socket), a thread of its own moves the bytes (fd-relay-thread.ts) and this
// thread only sees copies, through a shared ring, a moment later. The relay's round trip is
// then socat's, whatever decoding, recording or the UI cost here.
//
// Linux only: the thread calls libc through koffi with Linux's errno values and struct
// layout. Elsewhere, and for pipes, serial ports and simulators, the bridge relays itself.

import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { Worker } from 'node:worker_threads';
import type KoffiModule from 'koffi';
import { Ctl, createRingBuffer, RingReader, RingWriter, type RingRecord } from './fd-ring';
import {
  relayThreadMain,
  type RelayThreadData,
  type RelayThreadEnd,
  type RelayThreadReady,
} from './fd-relay-thread';

type Koffi = typeof KoffiModule;

/** 8 MiB: 128 reads of 64 KiB, ~25 ms of relaying at full speed before the reader must run. */
const RING_BYTES = 8 * 1024 * 1024;

/** How the thread's relay ended, for the bridge. */
export interface FdRelayEnd {
  /** The side whose socket ended it; absent when stop() did. */
  readonly side?: 'debugger' | 'target';
  /** 'EOF' for an orderly end of stream, else the errno's name (ECONNRESET, EPIPE...). */
  readonly code?: string;
  /** Bytes read from a side but not yet written to the other, per direction. */
  readonly pending: { readonly toTarget?: Uint8Array; readonly toDebugger?: Uint8Array };
}

export interface FdRelayHandlers {
  /** The thread is loaded and waits: take the sockets from Node, then call go(). */
  ready(): void;
  /** Relayed chunks (already written to the peer), in order. */
  records(records: readonly RingRecord[]): void;
  /** Called once, after the thread stopped touching the sockets. */
  ended(end: FdRelayEnd): void;
}

/** The file descriptor under a connected socket, or undefined when it has none we may use. */
export function socketFd(channel: unknown): number | undefined {
  if (!(channel instanceof Socket) || channel.destroyed || channel.connecting) return undefined;
  const handle = (channel as unknown as { _handle?: { fd?: unknown; readStop?: unknown } })._handle;
  const fd = handle?.fd;
  return typeof fd === 'number' && fd > 2 && typeof handle?.readStop === 'function'
    ? fd
    : undefined;
}

/** Stops Node reading a socket whose descriptor the thread is about to read. */
export function stopReading(channel: Socket): void {
  channel.pause();
  const handle = (channel as unknown as { _handle: { reading: boolean; readStop(): number } })
    ._handle;
  // Node's own flag: resume() starts reading again only when it says the handle is not.
  handle.reading = false;
  handle.readStop();
}

/**
 * Undoes stopReading(): Node's own restart (a read request) may be pending already and would
 * then never come, so the handle is started here as Node starts it.
 */
export function startReading(channel: Socket): void {
  const handle = (channel as unknown as { _handle?: { reading: boolean; readStart(): number } })
    ._handle;
  if (handle && !channel.destroyed && !handle.reading) {
    handle.reading = true;
    const status = handle.readStart();
    if (status < 0) channel.destroy(new Error(`readStart failed (${status})`));
  }
  channel.resume();
}

const errnoNames = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

export function errnoName(errno: number): string {
  return errno === 0 ? 'EOF' : (errnoNames.get(errno) ?? `errno ${errno}`);
}

interface Libc {
  readonly koffiPath: string;
  readonly pipe: (fds: Int32Array) => number;
  readonly close: (fd: number) => number;
}

let libc: Promise<Libc | undefined> | undefined;

/** koffi and libc, loaded once; undefined where the fast path does not apply. */
export function loadFdRelay(
  platform: NodeJS.Platform = process.platform,
): Promise<Libc | undefined> {
  if (platform !== 'linux') return Promise.resolve(undefined);
  libc ??= (async () => {
    try {
      const loaded = (await import('koffi')) as unknown as { default?: Koffi } & Koffi;
      const koffi = loaded.default ?? loaded;
      const lib = koffi.load('libc.so.6');
      const pipe = lib.func('int pipe(_Out_ int *fds)') as (fds: Int32Array) => number;
      const close = lib.func('int close(int fd)') as (fd: number) => number;
      const koffiPath = createRequire(import.meta.url).resolve('koffi');
      return { koffiPath, pipe, close };
    } catch {
      return undefined;
    }
  })();
  return libc;
}

export class FdRelay {
  private readonly reader: RingReader;
  private readonly worker: Worker;
  private readonly wake: Int32Array;
  private readonly done: Promise<FdRelayEnd>;
  private finished = false;
  private failure: string | undefined;

  /** Starts the thread for two sockets' descriptors; it touches them only after go(). */
  constructor(
    runtime: Libc,
    fds: { readonly debugger: number; readonly target: number },
    private readonly handlers: FdRelayHandlers,
  ) {
    const ring = createRingBuffer(RING_BYTES);
    this.reader = new RingReader(ring);
    this.wake = new Int32Array(2);
    if (runtime.pipe(this.wake) !== 0) throw new Error('pipe() failed');
    const data: RelayThreadData = {
      koffiPath: runtime.koffiPath,
      libc: 'libc.so.6',
      ring,
      fds: [fds.debugger, fds.target],
      wakeFd: this.wake[0]!,
      errno: { EAGAIN: constants.errno.EAGAIN, EINTR: constants.errno.EINTR },
    };
    try {
      this.worker = new Worker(`(${relayThreadMain.toString()})(${RingWriter.toString()});`, {
        eval: true,
        workerData: data,
      });
    } catch (error) {
      runtime.close(this.wake[0]!);
      runtime.close(this.wake[1]!);
      throw error;
    }
    this.done = new Promise<FdRelayEnd>((resolve) => {
      let end: RelayThreadEnd | undefined;
      this.worker.on('message', (message: RelayThreadReady | RelayThreadEnd) => {
        if (message.ready) {
          if (!this.finished && Atomics.load(this.reader.ctl, Ctl.stop) === 0) handlers.ready();
        } else {
          end = message;
        }
      });
      this.worker.once('error', () => undefined);
      // 'exit' comes after the message and after any error: the thread is gone, nothing can
      // touch the sockets or the ring any more.
      this.worker.once('exit', () => {
        this.finished = true;
        this.drain();
        Atomics.notify(this.reader.ctl, Ctl.seq);
        runtime.close(this.wake[0]!);
        runtime.close(this.wake[1]!);
        const result: FdRelayEnd = this.failure
          ? { code: this.failure, pending: toEnd(end).pending }
          : toEnd(end);
        handlers.ended(result);
        resolve(result);
      });
    });
    void this.watch();
  }

  /** Bytes read but not yet written, per direction. */
  pendingBytes(dir: 0 | 1): number {
    return Atomics.load(this.reader.ctl, dir === 0 ? Ctl.pending0 : Ctl.pending1);
  }

  /** Node no longer reads the sockets: the thread relays from now on. */
  go(): void {
    Atomics.store(this.reader.ctl, Ctl.go, 1);
    Atomics.notify(this.reader.ctl, Ctl.go);
  }

  /** Ends the relay; resolves once the thread let go of the sockets. */
  stop(): Promise<FdRelayEnd> {
    if (!this.finished) {
      Atomics.store(this.reader.ctl, Ctl.stop, 1);
      Atomics.notify(this.reader.ctl, Ctl.go);
      try {
        writeSync(this.wake[1]!, new Uint8Array(1));
      } catch {
        // The thread is already on its way out.
      }
    }
    return this.done;
  }

  private async watch(): Promise<void> {
    const ctl = this.reader.ctl;
    let seq = Atomics.load(ctl, Ctl.seq);
    while (!this.finished && Atomics.load(ctl, Ctl.ended) === 0) {
      const wait = waitAsync(ctl, Ctl.seq, seq);
      if (wait.async) await wait.value;
      seq = Atomics.load(ctl, Ctl.seq);
      if (!this.finished) this.drain();
    }
  }

  private drain(): void {
    let records: RingRecord[];
    try {
      records = this.reader.drain();
    } catch (error) {
      // A bug, not the wire's fault: the bridge says it once and relays on its own again.
      this.failure ??= (error as Error).message;
      void this.stop();
      return;
    }
    if (records.length > 0) this.handlers.records(records);
  }
}

/** Atomics.waitAsync (Node 16+; ES2024's lib, which this project's TypeScript target predates). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      array: Int32Array,
      index: number,
      value: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

function toEnd(end: RelayThreadEnd | undefined): FdRelayEnd {
  // No message: the thread failed to start (koffi would not load there); nothing was relayed.
  if (!end) return { code: 'the relay thread failed', pending: {} };
  const [toTarget, toDebugger] = end.pending;
  const pending = { toTarget, toDebugger };
  if (end.side === undefined) return { pending };
  return {
    side: end.side === 0 ? 'debugger' : 'target',
    code: errnoName(end.errno ?? 0),
    pending,
  };
}
