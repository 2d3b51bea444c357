// `kdscope replay`: one side of a recorded session sent again, at its recorded pace or flat
// out, so a dissector, the bridge or a bug can be exercised without a VM. A KDNET capture
// going to a UDP endpoint is replayed datagram for datagram, unchanged (still encrypted); a
// serial capture (or a KDNET one decrypted with its key) is replayed as its KD byte stream,
// one write per captured chunk (one datagram per chunk to a UDP endpoint).

import type { Duplex } from 'node:stream';
import type { Direction } from '../../protocol/kd/events';
import { hasKdnetMagic } from '../../protocol/kdnet/datagram';
import { KdnetDecoder } from '../../protocol/kdnet/decoder';
import { parseKdnetKey } from '../../protocol/kdnet/key';
import { readUdpDatagrams, type CapturedDatagram } from '../capture/capture-datagrams';
import { openCapture, type CaptureStats } from '../capture/capture-source';
import { nodeKdnetCrypto } from '../capture/kdnet-node-crypto';
import { wrapDirection } from '../capture/udp-wrap';
import type { Endpoint } from './endpoint';
import { sleep } from './transports/backoff';
import { createDialer, TransportError } from './transports';
import { connectUdpChannel } from './transports/udp';

export type ReplaySide = 'target' | 'debugger';

export interface ReplayItem {
  /** Microseconds since the Unix epoch, as captured. */
  readonly timeUs: number;
  readonly bytes: Uint8Array;
}

export interface ReplayPlan {
  /** 'datagrams': KDNET datagrams as captured; 'stream': the side's KD byte stream. */
  readonly kind: 'datagrams' | 'stream';
  readonly items: readonly ReplayItem[];
  /** What reading the capture found ('stream'): says why there is nothing to send. */
  readonly capture?: CaptureStats;
}

export class ReplayError extends Error {
  override readonly name = 'ReplayError';
  /** The capture needs the KDNET key for what was asked: bad usage, not a failure. */
  constructor(
    message: string,
    readonly needsKey = false,
  ) {
    super(message);
  }
}

const dirOf = (side: ReplaySide): Direction =>
  side === 'target' ? 'target->debugger' : 'debugger->target';

const sourceOf = (d: CapturedDatagram): string => `${d.src}:${d.srcPort}`;

/** KDNET datagrams of the capture (MDBG, not in the seed's serial wrap). */
function kdnetDatagrams(path: string): CapturedDatagram[] {
  return readUdpDatagrams(path).datagrams.filter(
    (d) => hasKdnetMagic(d.payload) && wrapDirection(d.srcPort, d.dstPort) === undefined,
  );
}

/**
 * Which sender (address:port) is the target. With the key, each datagram says so itself
 * (the direction bit of its authenticated plaintext); without it, the target is who sent the
 * first control datagram: a poke, since the target always speaks first [rizin iob_net.c
 * _processControlPacket; the real capture's frame 1].
 */
function targetSenders(datagrams: readonly CapturedDatagram[], key?: string): Set<string> {
  const senders = new Set<string>();
  if (key !== undefined) {
    const decoder = new KdnetDecoder<number>(parseKdnetKey(key), nodeKdnetCrypto, { hold: 256 });
    const note = (index: number, dir: Direction): void => {
      if (dir === 'target->debugger') senders.add(sourceOf(datagrams[index]!));
    };
    datagrams.forEach((d, i) => {
      const outcome = decoder.decode(d.payload, i);
      if (outcome.kind === 'kd' || outcome.kind === 'control') note(i, outcome.dir);
      for (const released of decoder.takeReleased())
        if (released.outcome.kind === 'kd') note(released.tag, released.outcome.dir);
    });
    decoder.finish();
    if (decoder.stats.authenticated === 0)
      throw new ReplayError(
        `${decoder.stats.unauthenticated} KDNET datagrams failed authentication: wrong key?`,
      );
    return senders;
  }
  const poke = datagrams.find((d) => d.payload[5] === 1);
  if (!poke)
    throw new ReplayError(
      'no KDNET control datagram to tell the target from the debugger: give the key (--key W.X.Y.Z)',
      true,
    );
  senders.add(sourceOf(poke));
  return senders;
}

export interface PlanOptions {
  readonly side: ReplaySide;
  readonly key?: string;
  /** The destination is UDP: KDNET datagrams go as they are. */
  readonly toUdp: boolean;
}

/** What to send, in order; throws CaptureError (unreadable capture) or ReplayError. */
export function planReplay(path: string, options: PlanOptions): ReplayPlan {
  if (options.toUdp) {
    const datagrams = kdnetDatagrams(path);
    if (datagrams.length > 0) {
      const targets = targetSenders(datagrams, options.key);
      const wantTarget = options.side === 'target';
      return {
        kind: 'datagrams',
        items: datagrams
          .filter((d) => targets.has(sourceOf(d)) === wantTarget)
          .map((d) => ({ timeUs: d.timeUs, bytes: d.payload })),
      };
    }
  }
  const source = openCapture(path, options.key === undefined ? {} : { key: options.key });
  const dir = dirOf(options.side);
  const items: ReplayItem[] = [];
  source.forEach((chunk) => {
    if (chunk.dir === dir) items.push({ timeUs: chunk.timeUs, bytes: chunk.bytes });
  });
  if (source.stats.kdnet && source.stats.kdnet.authenticated === 0 && options.key !== undefined)
    throw new ReplayError(
      `${source.stats.kdnet.unauthenticated} KDNET datagrams failed authentication: wrong key?`,
    );
  if ((source.stats.skippedBy['kdnet-no-key'] ?? 0) > 0 && items.length === 0)
    throw new ReplayError(
      'a KDNET capture: replay it to a udp:HOST:PORT endpoint, or give --key W.X.Y.Z to send its KD stream',
      true,
    );
  return { kind: 'stream', items, capture: source.stats };
}

/** Opens where the replay goes: a UDP socket, or a connected socket or pipe. */
export async function openReplaySink(ep: Endpoint, signal?: AbortSignal): Promise<Duplex> {
  if (ep.kind === 'udp') return connectUdpChannel(ep);
  if (ep.kind !== 'unix' && ep.kind !== 'tcp' && ep.kind !== 'pipe')
    throw new TransportError(
      'replay sends to udp:[HOST:]PORT, unix:PATH, tcp:HOST:PORT or pipe:NAME',
    );
  return createDialer(ep).dial(signal);
}

/**
 * Resolves on the first of the sink's `events` or the signal's abort: a peer that accepted and
 * never reads holds 'drain' and 'finish' back for ever, and a signal must still end the replay.
 */
function settled(sink: Duplex, events: readonly string[], signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      for (const event of events) sink.off(event, done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    for (const event of events) sink.on(event, done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface ReplayResult {
  readonly items: number;
  readonly bytes: number;
  readonly elapsedMs: number;
}

/**
 * Writes every item to `sink`: at `speed` times the recorded pace, or flat out when speed is
 * Infinity (still waiting for the sink to drain). Ends the sink when done; when the signal
 * aborts, stops at once and drops what the sink still holds.
 */
export async function runReplay(
  plan: ReplayPlan,
  sink: Duplex,
  speed: number,
  signal?: AbortSignal,
): Promise<ReplayResult> {
  const started = performance.now();
  const t0 = plan.items[0]?.timeUs ?? 0;
  let items = 0;
  let bytes = 0;
  let failure: Error | undefined;
  const onError = (error: Error): void => {
    failure ??= error;
  };
  sink.on('error', onError);
  for (const item of plan.items) {
    if (signal?.aborted || failure || sink.destroyed) break;
    if (Number.isFinite(speed)) {
      const due = (item.timeUs - t0) / 1000 / speed - (performance.now() - started);
      if (due >= 1) await sleep(due, signal);
      if (signal?.aborted) break;
    }
    if (!sink.write(item.bytes)) {
      await settled(sink, ['drain', 'close'], signal);
      if (signal?.aborted) break;
    }
    items++;
    bytes += item.bytes.length;
  }
  if (!sink.destroyed && !signal?.aborted) {
    const ended = settled(sink, ['finish', 'close'], signal);
    sink.end();
    await ended;
  }
  sink.off('error', onError);
  sink.destroy();
  if (failure) throw failure;
  return { items, bytes, elapsedMs: Math.round(performance.now() - started) };
}
