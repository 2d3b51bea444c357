// Timers driven by hand for the link layer (LinkTimers) and the VMBus pipe (PipeClock): due
// timers fire in time order, ties in the order they were set.
import type { LinkTimers } from '../../protocol/kd/link';
import type { PipeClock } from '../../electron/engine/vmbus/pipe-channel';

export class FakeClock implements LinkTimers, PipeClock {
  private time = 0;
  private seq = 0;
  private timers: { at: number; seq: number; fn: () => void; live: boolean }[] = [];

  set(ms: number, fn: () => void): () => void {
    const timer = { at: this.time + ms, seq: this.seq++, fn, live: true };
    this.timers.push(timer);
    return () => {
      timer.live = false;
    };
  }

  setTimeout(fn: () => void, ms: number): () => void {
    return this.set(ms, fn);
  }

  now(): number {
    return this.time;
  }

  /** Runs the earliest timer, moving time to it; false when none is left. */
  step(): boolean {
    const next = this.next(Infinity);
    if (!next) return false;
    next.live = false;
    this.time = Math.max(this.time, next.at);
    next.fn();
    return true;
  }

  /** Runs every timer due within `ms` (including ones set meanwhile); time ends `ms` later. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (let due = this.next(end); due; due = this.next(end)) {
      due.live = false;
      this.time = due.at;
      due.fn();
    }
    this.time = end;
  }

  private next(until: number): { at: number; fn: () => void; live: boolean } | undefined {
    this.timers = this.timers.filter((t) => t.live);
    let best: (typeof this.timers)[number] | undefined;
    for (const t of this.timers) {
      if (t.at > until) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
