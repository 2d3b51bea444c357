// Link health in plain words: each side's state (waiting, talking, silent, gone), a RESET
// bounce loop, a peer that stopped acknowledging. Pure logic over an injected clock; the
// bridge feeds it bytes, connection changes and decoded packets, and ticks it.

import { SYNC_PACKET_ID, PacketType } from '../../../protocol/kd/constants';
import type { Direction } from '../../../protocol/kd/events';

export type Side = 'debugger' | 'target';
export type ConnectionState = 'waiting' | 'connected' | 'gone';
export type HealthCondition =
  | 'waiting'
  | 'talking'
  | 'silent'
  | 'gone'
  /** Both sides keep sending RESET with no data in between: stale RESETs bounce in a pipe. */
  | 'reset-loop'
  /** This side stopped acknowledging the other's data packets. */
  | 'no-ack'
  /** ICMP says nothing listens where this side's datagrams go (WinDbg not started on it). */
  | 'refused';

export interface HealthStatus {
  readonly side: Side;
  readonly condition: HealthCondition;
  /** One plain line, e.g. "target: connected, silent for 12 s (running, or is the VM paused?)". */
  readonly line: string;
  readonly timeMs: number;
}

/** What health needs of a decoded packet (a PacketRecord has all of it). */
export interface HealthPacket {
  readonly dir: Direction;
  readonly kind: 'packet' | 'breakin' | 'garbage';
  readonly leader?: 'data' | 'control';
  readonly type?: number;
  readonly id?: number;
}

export interface HealthOptions {
  /** Connected with no byte from that side for this long is "silent" (default 10 s). */
  readonly silentAfterMs?: number;
  /** RESETs each way within resetWindowMs with no data packet is a bounce loop (default 6). */
  readonly resetLoopCount?: number;
  readonly resetWindowMs?: number;
  /** A data packet unacknowledged this long means the peer stopped acknowledging (default 5 s). */
  readonly ackTimeoutMs?: number;
  /** ... or sent this many times without an ACK (default 4). */
  readonly maxSendsWithoutAck?: number;
  readonly clock?: () => number;
}

interface SideInfo {
  state: ConnectionState;
  since: number;
  lastByteAt: number;
  /** A datagram side (UDP to WinDbg): where it sends; connected is not talking until heard. */
  datagramsTo: string | undefined;
  heard: boolean;
  refused: boolean;
}

export interface ConnectionDetail {
  /** The side is a socket sending datagrams to this endpoint (it proves nothing until heard). */
  readonly datagramsTo?: string;
}

interface PendingAck {
  id: number;
  firstSentAt: number;
  sends: number;
}

const from = (dir: Direction): Side => (dir === 'debugger->target' ? 'debugger' : 'target');
const SIDES = ['debugger', 'target'] as const;
const peerOf = (side: Side): Side => (side === 'debugger' ? 'target' : 'debugger');

function seconds(ms: number): string {
  return `${Math.max(0, Math.floor(ms / 1000))} s`;
}

/** "nothing listens at udp:127.0.0.1:50000 (is WinDbg started with port=50000?)" */
function refusedText(side: Side, endpoint: string): string {
  const port = /:(\d+)$/.exec(endpoint)?.[1];
  return side === 'debugger' && port !== undefined
    ? `nothing listens at ${endpoint} (is WinDbg started with port=${port}?)`
    : `nothing listens at ${endpoint}`;
}

export class HealthMonitor {
  private readonly silentAfterMs: number;
  private readonly resetLoopCount: number;
  private readonly resetWindowMs: number;
  private readonly ackTimeoutMs: number;
  private readonly maxSends: number;
  private readonly clock: () => number;
  private readonly sides: Record<Side, SideInfo>;
  /** RESET times per sending side since the last data packet. */
  private readonly resets: Record<Side, number[]> = { debugger: [], target: [] };
  /** The data packet each side waits to see acknowledged. */
  private readonly pending: Record<Side, PendingAck | undefined> = {
    debugger: undefined,
    target: undefined,
  };
  /**
   * The conditions listeners were last told, from the start: both sides begin waiting, which
   * the owner says itself from status() (the CLI's start lines), so a first tick must not say
   * it again.
   */
  private readonly last: Record<Side, HealthCondition> = {
    debugger: 'waiting',
    target: 'waiting',
  };
  private readonly listeners = new Set<(status: HealthStatus) => void>();

  constructor(options: HealthOptions = {}) {
    this.silentAfterMs = options.silentAfterMs ?? 10_000;
    this.resetLoopCount = options.resetLoopCount ?? 6;
    this.resetWindowMs = options.resetWindowMs ?? 3_000;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
    this.maxSends = options.maxSendsWithoutAck ?? 4;
    this.clock = options.clock ?? Date.now;
    const now = this.clock();
    const fresh = (): SideInfo => ({
      state: 'waiting',
      since: now,
      lastByteAt: now,
      datagramsTo: undefined,
      heard: false,
      refused: false,
    });
    this.sides = { debugger: fresh(), target: fresh() };
  }

  /** Listener is told each time a side's condition changes; returns the disposer. */
  subscribe(listener: (status: HealthStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setConnection(side: Side, state: ConnectionState, detail: ConnectionDetail = {}): void {
    const now = this.clock();
    const info = this.sides[side];
    info.state = state;
    info.since = now;
    info.lastByteAt = now;
    info.datagramsTo = detail.datagramsTo;
    info.heard = false;
    info.refused = false;
    // A new connection starts a new conversation: old waits and RESET counts mean nothing.
    this.pending.debugger = undefined;
    this.pending.target = undefined;
    this.resets.debugger.length = 0;
    this.resets.target.length = 0;
    this.tick();
  }

  observeBytes(dir: Direction, count: number): void {
    if (count === 0) return;
    const info = this.sides[from(dir)];
    info.lastByteAt = this.clock();
    info.heard = true;
    info.refused = false;
  }

  /** ICMP says nothing listens where the side's datagrams go (true), or the side spoke (false). */
  setRefused(side: Side, refused: boolean): void {
    const info = this.sides[side];
    if (info.refused === refused) return;
    info.refused = refused;
    this.tick();
  }

  observePacket(packet: HealthPacket): void {
    if (packet.kind !== 'packet') return;
    const now = this.clock();
    const side = from(packet.dir);
    const peer = peerOf(side);
    if (packet.leader === 'data') {
      // Per data packet: most have no RESET to forget, and setting a length is a runtime call.
      if (this.resets.debugger.length > 0) this.resets.debugger.length = 0;
      if (this.resets.target.length > 0) this.resets.target.length = 0;
      // A data packet from the peer while this side waits: kdcom counts its own as delivered.
      this.pending[peer] = undefined;
      const id = packet.id ?? 0;
      const waiting = this.pending[side];
      if (waiting && waiting.id === id) waiting.sends++;
      else this.pending[side] = { id, firstSentAt: now, sends: 1 };
    } else if (packet.type === PacketType.ACKNOWLEDGE) {
      const waiting = this.pending[peer];
      const id = (packet.id ?? 0) & ~SYNC_PACKET_ID;
      if (waiting && (waiting.id & ~SYNC_PACKET_ID) === id) this.pending[peer] = undefined;
    } else if (packet.type === PacketType.RESET) {
      this.pending.debugger = undefined;
      this.pending.target = undefined;
      const list = this.resets[side];
      list.push(now);
      while (list.length > 0 && now - list[0]! > this.resetWindowMs) list.shift();
      // Bounded: only the last resetLoopCount matter.
      if (list.length > this.resetLoopCount) list.shift();
    }
    // No tick here: this runs per packet; the owner ticks on a timer (and after batches).
  }

  /**
   * Re-evaluates; emits changed conditions. The bridge calls it after every relayed batch, so it
   * only compares conditions and builds a status when one changed.
   */
  tick(): void {
    const now = this.clock();
    for (const side of SIDES) {
      const condition = this.condition(side, now);
      if (condition !== this.last[side]) {
        this.last[side] = condition;
        const status = this.status(side);
        for (const listener of [...this.listeners]) listener(status);
      }
    }
  }

  status(side: Side): HealthStatus {
    const now = this.clock();
    const info = this.sides[side];
    const condition = this.condition(side, now);
    // What the line will say is taken now; the line is built only when read.
    const loop = condition === 'reset-loop' ? this.resetLoop(now) : undefined;
    const peer = peerOf(side);
    const waiting = this.pending[peer];
    const sends = waiting?.sends ?? 0;
    const quiet = now - info.lastByteAt;
    const peerState = this.sides[peer].state;
    // WinDbg has nothing to say while there is no target to say it to.
    const why = (): string =>
      side === 'target'
        ? 'running, or is the VM paused?'
        : peerState === 'connected'
          ? 'idle, or is WinDbg busy?'
          : peerState === 'gone'
            ? 'the target is gone'
            : 'no target yet';
    const text = (): string => {
      switch (condition) {
        case 'waiting':
          if (info.state === 'connected')
            return `sending to ${info.datagramsTo ?? 'it'}, nothing heard from it yet`;
          return side === 'debugger'
            ? 'waiting for the debugger to connect'
            : 'connecting to the target';
        case 'refused':
          return refusedText(side, info.datagramsTo ?? 'its address');
        case 'gone':
          return side === 'debugger'
            ? `gone for ${seconds(now - info.since)}, waiting for the debugger to reconnect`
            : `gone for ${seconds(now - info.since)}, reconnecting (is the VM still running?)`;
        case 'reset-loop':
          return (
            `RESET bounce: ${loop!.debugger} RESETs from the debugger and ${loop!.target} from the target ` +
            `within ${seconds(this.resetWindowMs)}, no data — stale RESETs buffered in the pipe? restart the debugger's connection`
          );
        case 'no-ack':
          return (
            `not acknowledging: the ${peer} sent data packet 0x${waiting!.id.toString(16)} ` +
            `${sends} time${sends === 1 ? '' : 's'} over ${seconds(now - waiting!.firstSentAt)} with no ACK` +
            (side === 'target'
              ? ' — is the target hung or the line one-way?'
              : ' — is WinDbg stuck?')
          );
        case 'silent':
          return `connected, silent for ${seconds(quiet)} (${why()})`;
        case 'talking':
          return 'connected and talking';
      }
    };
    let line: string | undefined;
    return {
      side,
      condition,
      timeMs: now,
      get line(): string {
        line ??= `${side}: ${text()}`;
        return line;
      },
    };
  }

  private condition(side: Side, now: number): HealthCondition {
    const info = this.sides[side];
    if (info.state === 'waiting') return 'waiting';
    if (info.state === 'gone') return 'gone';
    if (info.refused) return 'refused';
    // Datagrams sent prove nothing: a datagram side talks once it has said something.
    if (info.datagramsTo !== undefined && !info.heard) return 'waiting';
    if (this.resetLoop(now)) return 'reset-loop';
    const waiting = this.pending[peerOf(side)];
    if (
      waiting &&
      (now - waiting.firstSentAt >= this.ackTimeoutMs || waiting.sends >= this.maxSends)
    )
      return 'no-ack';
    if (now - info.lastByteAt >= this.silentAfterMs) return 'silent';
    return 'talking';
  }

  private resetLoop(now: number): Record<Side, number> | undefined {
    const debuggerCount = this.recentResets('debugger', now);
    if (debuggerCount < this.resetLoopCount) return undefined;
    const targetCount = this.recentResets('target', now);
    if (debuggerCount >= this.resetLoopCount && targetCount >= this.resetLoopCount) {
      return { debugger: debuggerCount, target: targetCount };
    }
    return undefined;
  }

  private recentResets(side: Side, now: number): number {
    let n = 0;
    for (const t of this.resets[side]) if (now - t <= this.resetWindowMs) n++;
    return n;
  }
}
