// The man-in-the-middle: serves the debugger's endpoint, connects to the target's, and relays
// bytes both ways at once and unchanged. Everything else (recording, the live Wireshark sink,
// decoding, health) is a tap that sees the chunks only after they were written, so it can
// never alter the relay or hold a chunk back.

import { formatEndpoint, type Endpoint } from '../endpoint';
import type { Direction } from '../../../protocol/kd/events';
import type { PacketRecord } from '../../../protocol/session/record';
import {
  Backoff,
  createAcceptor,
  createDialer,
  DatagramChannel,
  describeTransportError,
  sleep,
  type StrayDatagram,
  type Acceptor,
  type ByteChannel,
  type Dialer,
  type TransportDeps,
} from '../transports';
import type { BackoffOptions } from '../transports/backoff';
import { HealthMonitor, type HealthOptions, type Side } from './health';
import type { BridgeCounters, BridgeDecoder, BridgeEvent, BridgeTap, RecordSink } from './types';
import type { StreamChunk } from '../../capture/chunk';
import type { Socket } from 'node:net';
import {
  FdRelay,
  loadFdRelay,
  socketFd,
  startReading,
  stopReading,
  type FdRelayEnd,
} from './fd-relay';
import type { RingRecord } from './fd-ring';

export type * from './types';

export interface BridgeOptions {
  readonly debugger: Endpoint;
  readonly target: Endpoint;
  readonly deps?: TransportDeps;
  readonly taps?: readonly BridgeTap[];
  readonly decoder?: BridgeDecoder;
  /** Reconnecting to the target (default 100 ms doubling to 5 s). */
  readonly backoff?: BackoffOptions;
  readonly health?: Omit<HealthOptions, 'clock'>;
  /** How often health and the decoder's idle flush run (default 1000 ms). */
  readonly tickMs?: number;
  /**
   * Who moves the bytes when both sides are sockets: 'node' (default) this thread's event
   * loop, 'thread' a relay thread of its own (fd-relay.ts; Linux). KDSCOPE_RELAY=thread sets
   * the default. On a 2-core machine the thread relays at 0.7x the event loop's throughput
   * and does not shorten round trips (relay bench), so it is not the default.
   */
  readonly relay?: 'thread' | 'node';
}

/** The relay thread's run: which sockets it holds, once it started. */
interface Offload {
  readonly relay: FdRelay;
  readonly channels: Record<Side, Socket>;
  /** go() was called: Node no longer reads the sockets. */
  started: boolean;
}

const DIR_FROM: Record<Side, Direction> = {
  debugger: 'debugger->target',
  target: 'target->debugger',
};
const other = (side: Side): Side => (side === 'debugger' ? 'target' : 'debugger');

/**
 * A peer that leaves while we write to it (WinDbg quits, the VM resets) is a departure, not a
 * fault: the side is then gone, with no error line.
 */
const isDeparture = (code: string | undefined): boolean =>
  code === 'EPIPE' || code === 'ECONNRESET';

/** Queued bytes that make the taps run at once, with the chunk still in the CPU's cache. */
const TAP_BATCH_BYTES = 64 * 1024;
/**
 * At most this much relayed in a turn of the loop is a round trip's packets (a KD packet is at
 * most 4 KiB), for the taps to take at the turn's end; more is a bulk transfer, whose taps run
 * after TAP_DELAY_MS or TAP_BATCH_BYTES, in fewer and larger batches.
 */
const TAP_CHATTY_BYTES = 8 * 1024;
const TAP_DELAY_MS = 2;

/** Wall-clock microseconds with sub-millisecond resolution. */
function nowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

export class Bridge {
  readonly health: HealthMonitor;
  private readonly channels: Record<Side, ByteChannel | undefined> = {
    debugger: undefined,
    target: undefined,
  };
  /** The side whose reading is paused until the other side's channel drains. */
  private readonly blocked: Record<Side, boolean> = { debugger: false, target: false };
  private readonly counts: BridgeCounters = {
    'debugger->target': { bytes: 0, chunks: 0, droppedBytes: 0 },
    'target->debugger': { bytes: 0, chunks: 0, droppedBytes: 0 },
    packets: 0,
    errors: 0,
    debuggerConnections: 0,
    targetConnections: 0,
    strayDatagrams: 0,
  };
  private readonly listeners = new Set<(event: BridgeEvent) => void>();
  private readonly stop = new AbortController();
  private queue: StreamChunk[] = [];
  private queuedBytes = 0;
  private tapRun: NodeJS.Immediate | undefined;
  private tapTimer: NodeJS.Timeout | undefined;
  private readonly taps: BridgeTap[];
  private readonly ticker: NodeJS.Timeout;
  private targetLoop: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private lastTargetError = '';
  /** koffi's libc, when the relay thread may run here. */
  private fdRuntime: Awaited<ReturnType<typeof loadFdRelay>>;
  private offload: Offload | undefined;

  private constructor(
    private readonly options: BridgeOptions,
    private readonly acceptor: Acceptor,
    private readonly dialer: Dialer,
  ) {
    this.taps = [...(options.taps ?? [])];
    for (const tap of this.taps) {
      tap.bind?.({ report: (message) => this.error(tap.name, message) });
    }
    this.health = new HealthMonitor(options.health);
    this.health.subscribe((status) => this.emit({ kind: 'health', status }));
    this.ticker = setInterval(() => this.onTick(), options.tickMs ?? 1000);
    this.ticker.unref();
  }

  /** Listens for the debugger and starts connecting to the target; rejects with one line. */
  static async start(options: BridgeOptions): Promise<Bridge> {
    const dialer = createDialer(options.target, options.deps);
    await dialer.prepare?.();
    const relayMode = options.relay ?? (process.env.KDSCOPE_RELAY === 'thread' ? 'thread' : 'node');
    const fdRuntime =
      relayMode === 'thread' ? await loadFdRelay(options.deps?.platform) : undefined;
    const acceptor = await createAcceptor(options.debugger, options.deps);
    const bridge = new Bridge(options, acceptor, dialer);
    bridge.fdRuntime = fdRuntime;
    acceptor.onConnection((channel) => bridge.attach('debugger', channel));
    // The debugger's listener in trouble after it started (its socket file removed, EMFILE).
    acceptor.onNotice?.((notice) => {
      if (notice.level === 'error') bridge.error('listener', notice.message);
      else bridge.notice('listener', notice.level, notice.message);
    });
    bridge.targetLoop = bridge.runTargetLoop();
    return bridge;
  }

  get debuggerEndpoint(): string {
    return formatEndpoint(this.options.debugger);
  }

  get targetEndpoint(): string {
    return formatEndpoint(this.options.target);
  }

  /** The acceptor's bound TCP port (tests listen on port 0). */
  get debuggerPort(): number | undefined {
    return (this.acceptor as { port?: number }).port;
  }

  /** What the taps were handed so far (the relay thread hands chunks over within 2 ms). */
  counters(): BridgeCounters {
    return {
      'debugger->target': { ...this.counts['debugger->target'] },
      'target->debugger': { ...this.counts['target->debugger'] },
      packets: this.counts.packets,
      errors: this.counts.errors,
      debuggerConnections: this.counts.debuggerConnections,
      targetConnections: this.counts.targetConnections,
      strayDatagrams: this.counts.strayDatagrams,
    };
  }

  /** What the bridge holds toward each direction's receiver, and whether it paused the sender. */
  queues(): Record<Direction, { queuedBytes: number; paused: boolean }> {
    const relay = this.offload?.started ? this.offload.relay : undefined;
    if (relay) {
      const queued = (dir: 0 | 1) => {
        const queuedBytes = relay.pendingBytes(dir);
        return { queuedBytes, paused: queuedBytes > 0 };
      };
      return { 'debugger->target': queued(0), 'target->debugger': queued(1) };
    }
    const toward = (receiver: Side, sender: Side) => ({
      queuedBytes: this.channels[receiver]?.writableLength ?? 0,
      paused: this.blocked[sender],
    });
    return {
      'debugger->target': toward('target', 'debugger'),
      'target->debugger': toward('debugger', 'target'),
    };
  }

  /** Who moves the bytes right now: the relay thread, or this thread's event loop. */
  relayedBy(): 'thread' | 'node' {
    return this.offload?.started ? 'thread' : 'node';
  }

  connected(side: Side): boolean {
    return this.channels[side] !== undefined;
  }

  /** Side changes, errors (one line each), health changes and decoded packets; returns the disposer. */
  subscribe(listener: (event: BridgeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops relaying, closes both sides, flushes every tap and closes it (the capture). */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.stop.abort();
    clearInterval(this.ticker);
    await this.acceptor.close();
    await this.offload?.relay.stop();
    for (const side of ['debugger', 'target'] as const) this.channels[side]?.destroy();
    await this.targetLoop;
    this.flushTaps();
    const decoder = this.options.decoder;
    if (decoder) this.drainDecoder((sink) => (decoder.end ?? decoder.flush).call(decoder, sink));
    for (const tap of this.taps) {
      try {
        await tap.close();
      } catch (error) {
        this.error(tap.name, (error as Error).message);
      }
    }
    this.listeners.clear();
  }

  private emit(event: BridgeEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  /** A side's read or write failed: one line, unless it is a departure or we are closing. */
  private ioError(side: Side, error: Error): void {
    if (this.stop.signal.aborted || isDeparture((error as NodeJS.ErrnoException).code)) return;
    const endpoint = side === 'debugger' ? this.options.debugger : this.options.target;
    this.error(side, describeTransportError(error, endpoint, 'io').message);
  }

  private endpointOf(side: Side): Endpoint {
    return side === 'debugger' ? this.options.debugger : this.options.target;
  }

  /** KDNET's UDP: strays and ICMP refusals, which a stream never has. */
  private watchDatagrams(side: Side, channel: DatagramChannel): void {
    const mine = (): boolean => this.channels[side] === channel;
    channel.on('stray', (stray: StrayDatagram) => {
      if (mine()) this.onStray(side, stray);
    });
    channel.on('undelivered', (bytes: number) => {
      // Counted as delivered when it was written; ICMP says it was not.
      if (mine()) this.counts[DIR_FROM[other(side)]].droppedBytes += bytes;
    });
    channel.on('refused', () => {
      if (!mine()) return;
      this.health.setRefused(side, true);
      this.notice(side, 'warn', this.health.status(side).line);
    });
    channel.on('listening-again', () => {
      if (mine()) this.health.setRefused(side, false);
    });
  }

  /**
   * A datagram from someone the target's socket does not take for the target: not relayed
   * (the peers' exchange stays theirs), but on the wire, so recording taps get it now.
   */
  private onStray(side: Side, stray: StrayDatagram): void {
    this.counts.strayDatagrams++;
    if (stray.newSender) {
      const at = (a: { address: string; port: number }): string =>
        a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
      const peer =
        this.channels[side] instanceof DatagramChannel ? this.channels[side].remote : undefined;
      this.notice(
        side,
        'warn',
        `${side}: datagrams from ${at(stray.flow.remote)}, not the ${side}` +
          `${peer ? ` (${at(peer)})` : ''}: not relayed, recorded`,
      );
    }
    const strayTaps = this.taps.filter((tap) => tap.stray !== undefined);
    if (strayTaps.length === 0) return;
    // Frames stay in time order: what the taps have not had yet goes first.
    this.flushTaps();
    const chunk: StreamChunk = {
      dir: DIR_FROM[side],
      timeUs: nowUs(),
      bytes: stray.datagram,
      delivered: false,
      flow: stray.flow,
    };
    for (const tap of strayTaps) {
      try {
        tap.stray!(chunk);
      } catch (error) {
        this.error(tap.name, (error as Error).message);
      }
    }
  }

  private notice(source: string, level: 'info' | 'warn', message: string): void {
    this.emit({ kind: 'notice', source, level, message });
  }

  private error(source: string, message: string): void {
    this.counts.errors++;
    this.emit({ kind: 'error', source, message });
  }

  private async runTargetLoop(): Promise<void> {
    const backoff = new Backoff(this.options.backoff);
    const signal = this.stop.signal;
    while (!signal.aborted) {
      let channel: ByteChannel;
      try {
        channel = await this.dialer.dial(signal);
      } catch (error) {
        if (signal.aborted) return;
        // Say each distinct failure once, not once per retry. Not an error: a VM not up yet or
        // rebooting is what the bridge waits for.
        const message = (error as Error).message;
        if (message !== this.lastTargetError) {
          this.lastTargetError = message;
          this.emit({ kind: 'unreachable', side: 'target', message });
        }
        await sleep(backoff.delay(), signal);
        continue;
      }
      if (signal.aborted) {
        channel.destroy();
        return;
      }
      backoff.reset();
      this.lastTargetError = '';
      const closed = new Promise<void>((resolve) => channel.once('close', () => resolve()));
      this.attach('target', channel);
      await closed;
      if (!signal.aborted) await sleep(backoff.delay(), signal);
    }
  }

  private attach(side: Side, channel: ByteChannel): void {
    if (this.stop.signal.aborted) {
      channel.destroy();
      return;
    }
    if (this.offload) {
      // The relay thread holds the old channel's descriptor: it lets go first. Meanwhile the
      // new channel keeps what it reads (no 'data' listener yet), and a failure only ends it.
      const ignore = (): void => undefined;
      channel.on('error', ignore);
      void this.offload.relay.stop().then(() => {
        channel.off('error', ignore);
        if (!channel.destroyed) this.attach(side, channel);
      });
      return;
    }
    // A second debugger connection means WinDbg restarted before we saw the old one go.
    const earlier = this.channels[side];
    if (earlier) {
      earlier.destroy();
      this.notice(side, 'info', `${side}: a new connection came; the earlier one was closed`);
    }
    this.channels[side] = channel;
    if (side === 'debugger') this.counts.debuggerConnections++;
    else this.counts.targetConnections++;
    const dir = DIR_FROM[side];
    this.restartDecoder(dir);
    channel.on('data', (chunk: Buffer) => this.relay(side, dir, channel, chunk));
    // 'close' follows and says the side is gone.
    channel.on('error', (error: Error) => this.ioError(side, error));
    channel.once('close', () => this.detach(side, channel));
    // The peer's reading may have been paused waiting on the old channel's drain.
    this.unblock(other(side));
    const datagrams = channel instanceof DatagramChannel ? channel : undefined;
    if (datagrams) this.watchDatagrams(side, datagrams);
    this.health.setConnection(
      side,
      'connected',
      // A socket connected to WinDbg's port is there at once: WinDbg is there when it speaks.
      datagrams?.remote && datagrams.connectedToPeer
        ? { datagramsTo: formatEndpoint(this.endpointOf(side)) }
        : {},
    );
    this.emit({ kind: 'side', side, state: 'connected' });
    this.startThreadRelay();
  }

  /**
   * Starts the relay thread when both sides are sockets with descriptors. Node relays while
   * the thread loads; handOver() gives it the sockets once it waits for them.
   */
  private startThreadRelay(): void {
    const runtime = this.fdRuntime;
    const dbg = this.channels.debugger;
    const tgt = this.channels.target;
    if (!runtime || this.offload || this.stop.signal.aborted || !dbg || !tgt) return;
    const fds = { debugger: socketFd(dbg), target: socketFd(tgt) };
    if (fds.debugger === undefined || fds.target === undefined) return;
    try {
      const offload: Offload = {
        relay: new FdRelay(
          runtime,
          { debugger: fds.debugger, target: fds.target },
          {
            ready: () => this.handOver(offload),
            records: (records) => this.onThreadRecords(records),
            ended: (end) => this.onThreadEnded(end),
          },
        ),
        channels: { debugger: dbg as Socket, target: tgt as Socket },
        started: false,
      };
      this.offload = offload;
    } catch (error) {
      this.fdRuntime = undefined;
      this.error('relay', `relay thread did not start, relaying here: ${(error as Error).message}`);
    }
  }

  /**
   * Takes the sockets from Node for the waiting thread, when nothing waits to be written
   * (else after the next 'drain'). Bytes Node already read go out first, from here.
   */
  private handOver(offload: Offload): void {
    if (this.offload !== offload || offload.started || this.stop.signal.aborted) return;
    const sockets = [offload.channels.debugger, offload.channels.target];
    // detach() stops a thread whose socket closed; its 'ready' may already be on its way.
    if (sockets.some((s) => s.destroyed)) return;
    // A blocked side's peer has writes queued until its 'drain' unblocks it.
    const busy = (): Socket | undefined => sockets.find((s) => s.writableLength > 0);
    const before = busy();
    if (before) {
      before.once('drain', () => this.handOver(offload));
      return;
    }
    for (const socket of sockets) stopReading(socket);
    // read() hands over what Node holds ('data' relays it) and may ask to read again: the
    // reading it restarts is stopped again before the event loop could use it.
    for (const socket of sockets) while (socket.read() !== null);
    for (const socket of sockets) stopReading(socket);
    const after = busy();
    if (after) {
      this.resumeChannels();
      after.once('drain', () => this.handOver(offload));
      return;
    }
    offload.started = true;
    offload.relay.go();
  }

  /** After stopReading(): Node reads the sockets again (a blocked side stays paused). */
  private resumeChannels(): void {
    for (const side of ['debugger', 'target'] as const) {
      const channel = this.channels[side];
      if (channel && !this.blocked[side]) startReading(channel as Socket);
    }
  }

  private onThreadRecords(records: readonly RingRecord[]): void {
    for (const record of records) {
      const dir: Direction = record.dir === 0 ? 'debugger->target' : 'target->debugger';
      const counters = this.counts[dir];
      counters.bytes += record.bytes.length;
      counters.chunks++;
      this.queue.push({ dir, timeUs: record.timeUs, bytes: record.bytes, delivered: true });
    }
    this.flushTaps();
  }

  /** The thread let go of the sockets: this thread relays again, or a side is gone. */
  private onThreadEnded(end: FdRelayEnd): void {
    const offload = this.offload;
    this.offload = undefined;
    if (!offload) return;
    const { channels } = offload;
    if (!offload.started) {
      // Stopped before it took the sockets: Node has relayed all along.
      if (end.code !== undefined) this.fdRuntime = undefined;
      return;
    }
    if (end.side === undefined && end.code !== undefined) {
      this.fdRuntime = undefined;
      this.error('relay', `${end.code}; relaying here`);
    }
    const toTarget = end.pending.toTarget;
    const toDebugger = end.pending.toDebugger;
    if (toTarget && end.side !== 'target') channels.target.write(toTarget);
    if (toDebugger && end.side !== 'debugger') channels.debugger.write(toDebugger);
    if (end.side !== undefined) {
      // 'EOF': the peer ended its stream, as a 'close' after 'end' in Node.
      if (end.code !== undefined && end.code !== 'EOF') {
        this.ioError(end.side, Object.assign(new Error(end.code), { code: end.code }));
      }
      channels[end.side].destroy();
    }
    if (!this.stop.signal.aborted) this.resumeChannels();
  }

  private detach(side: Side, channel: ByteChannel): void {
    if (this.channels[side] !== channel) return;
    // A thread still loading for this socket will not get it.
    if (this.offload?.channels[side] === channel) void this.offload.relay.stop();
    this.channels[side] = undefined;
    this.blocked[side] = false;
    // Whatever waited for this side to drain now drops instead (and is still recorded).
    this.unblock(other(side));
    if (this.stop.signal.aborted) return;
    this.health.setConnection(side, 'gone');
    this.emit({ kind: 'side', side, state: 'gone' });
  }

  private unblock(side: Side): void {
    if (!this.blocked[side]) return;
    this.blocked[side] = false;
    this.channels[side]?.resume();
    this.startThreadRelay();
  }

  private relay(from: Side, dir: Direction, source: ByteChannel, chunk: Buffer): void {
    const sink = this.channels[other(from)];
    let delivered = false;
    // KDNET: the target leg as it is for this datagram (its own sender, or where it goes).
    const flow =
      source instanceof DatagramChannel && !source.connectedToPeer
        ? source.flowOf(chunk)
        : sink instanceof DatagramChannel && !sink.connectedToPeer
          ? sink.flow
          : undefined;
    if (sink !== undefined && !sink.destroyed && sink.writable) {
      // Written to a port ICMP says nobody listens at: on its way to no one.
      delivered = !(sink instanceof DatagramChannel && sink.refusing);
      if (!sink.write(chunk) && !this.blocked[from]) {
        // Backpressure: stop reading this side until the other drains; nothing piles up here.
        this.blocked[from] = true;
        source.pause();
        sink.once('drain', () => {
          if (this.channels[from] === source) this.unblock(from);
        });
      }
    }
    const counters = this.counts[dir];
    counters.bytes += chunk.length;
    counters.chunks++;
    if (!delivered) counters.droppedBytes += chunk.length;
    this.queue.push(
      flow
        ? { dir, timeUs: nowUs(), bytes: chunk, delivered, flow }
        : { dir, timeUs: nowUs(), bytes: chunk, delivered },
    );
    this.queuedBytes += chunk.length;
    if (this.queuedBytes >= TAP_BATCH_BYTES) {
      // Bulk transfer: the taps take the chunk now, just after it was written, while its bytes
      // are still in the CPU's cache. Deferred to the end of the turn, a poll phase reads up to
      // 2 MiB first and every tap then reads each byte from memory again: that cost the
      // recording relay a fifth of its throughput (relay bench).
      this.flushTaps();
    } else if (this.tapRun === undefined && this.tapTimer === undefined) {
      // Chatty small packets: the taps run once the loop has relayed all it read this turn, in
      // one batch, while the peer works on what was just written to it. A round trip then
      // rarely waits on them: on a 2 ms timer alone, they ran at moments unrelated to the
      // traffic and held up the reply that arrived meanwhile (round trips in blocks: p50 81-83
      // us against 83-86, p99 no longer). A bulk transfer keeps the timer: with a batch each
      // turn it relayed 0.87x socat's throughput instead of 1.05x.
      this.tapRun = setImmediate(() => {
        this.tapRun = undefined;
        if (this.queuedBytes <= TAP_CHATTY_BYTES) this.flushTaps();
        else this.tapTimer = setTimeout(() => this.flushTaps(), TAP_DELAY_MS);
      });
    }
  }

  private flushTaps(): void {
    if (this.tapRun !== undefined) {
      clearImmediate(this.tapRun);
      this.tapRun = undefined;
    }
    if (this.tapTimer !== undefined) {
      clearTimeout(this.tapTimer);
      this.tapTimer = undefined;
    }
    this.queuedBytes = 0;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    for (const tap of [...this.taps]) {
      try {
        tap.write(batch);
      } catch (error) {
        // A tap that throws is a bug in it; say so once, stop feeding it, release what it holds.
        this.error(tap.name, `${tap.name} failed and was stopped: ${(error as Error).message}`);
        this.taps.splice(this.taps.indexOf(tap), 1);
        Promise.resolve()
          .then(() => tap.close())
          .catch(() => undefined);
      }
    }
    for (const chunk of batch) this.health.observeBytes(chunk.dir, chunk.bytes.length);
    const decoder = this.options.decoder;
    if (decoder) {
      this.drainDecoder((sink) => {
        for (const chunk of batch) decoder.push(chunk.dir, chunk.bytes, chunk.timeUs / 1000, sink);
      });
    }
  }

  /**
   * A side's new connection: the old one's chunks are decoded first, then the direction's
   * decoder drops the packet the vanished peer left unfinished and starts afresh.
   */
  private restartDecoder(dir: Direction): void {
    const decoder = this.options.decoder;
    if (!decoder?.restart) return;
    this.flushTaps();
    this.drainDecoder((sink) => decoder.restart?.(dir, sink));
  }

  private drainDecoder(run: (sink: RecordSink) => void): void {
    const records: PacketRecord[] = [];
    const updates: PacketRecord[] = [];
    try {
      run({ record: (r) => records.push(r), update: (r) => updates.push(r) });
    } catch (error) {
      this.error('decoder', (error as Error).message);
    }
    this.onPackets(records, updates);
  }

  private onPackets(records: readonly PacketRecord[], updates: readonly PacketRecord[]): void {
    if (records.length === 0 && updates.length === 0) return;
    let packets = 0;
    for (const record of records) {
      if (record.kind === 'packet') packets++;
      this.health.observePacket(record);
    }
    this.counts.packets += packets;
    this.health.tick();
    this.emit({ kind: 'packets', records, updates });
  }

  private onTick(): void {
    const decoder = this.options.decoder;
    if (decoder) this.drainDecoder((sink) => decoder.flush(sink));
    this.health.tick();
  }
}
