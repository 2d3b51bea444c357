// The built-in simulated VM for the UI: the simulated KD target and the scripted debugger,
// wired in-process with the workbench tapping every chunk between them (what a bridge sees).

import type { Direction } from '../../protocol/kd/events';
import { ScriptedDebugger, SimTarget, type DebuggerReport, type SimFault } from './simulators';

export interface SimSessionOptions {
  /** Packets per second to aim for; above ~20 k/s the pair runs flat out. */
  readonly rate?: number;
  /** Every chunk on the wire, in the order it is delivered. */
  readonly onBytes: (dir: Direction, bytes: Uint8Array) => void;
  /** The scripted debugger finished (or the target misbehaved). */
  readonly onEnd: (report: DebuggerReport) => void;
  /** Misbehaviour of the simulated target (tests of what the UI shows about a bad wire). */
  readonly fault?: SimFault;
}

export interface SimSession {
  stop(): void;
}

/** About four packets per scripted step (request, ACK, reply, ACK). */
const PACKETS_PER_STEP = 4;

export function startSimSession(options: SimSessionOptions): SimSession {
  const rate = options.rate ?? 400;
  const paceMs = rate >= 20_000 ? 0 : Math.max(1, Math.round((1000 * PACKETS_PER_STEP) / rate));
  const target = new SimTarget({
    seed: 1,
    runMs: Math.min(250, Math.max(2, paceMs * 8)),
    ...(options.fault ? { fault: options.fault } : {}),
  });
  const debuggerSide = new ScriptedDebugger({
    loops: Number.MAX_SAFE_INTEGER,
    paceMs,
    replyTimeoutMs: 10_000,
    stateChangeWaitMs: 2_000,
  });
  let stopped = false;
  // Deliver on a later turn like a socket would: a synchronous answer would re-enter the sender.
  const relay = (dir: Direction, deliver: (bytes: Uint8Array) => void) => (bytes: Uint8Array) => {
    const copy = bytes.slice();
    setImmediate(() => {
      if (stopped) return;
      options.onBytes(dir, copy);
      deliver(copy);
    });
  };
  const offTarget = target.onSend(relay('target->debugger', (b) => debuggerSide.feed(b)));
  const offDebugger = debuggerSide.onSend(relay('debugger->target', (b) => target.feed(b)));
  void debuggerSide.run().then((report) => {
    if (!stopped) options.onEnd(report);
  });
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      offTarget();
      offDebugger();
      debuggerSide.disconnect('session stopped');
      target.close();
    },
  };
}
