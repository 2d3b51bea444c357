// The debugger endpoint `sim`: the built-in scripted debugger, connected to the bridge's
// debugger side through an in-process stream pair, so a simulated session runs through the very
// same relay, taps, decoder and recorder as a real WinDbg would.

import type { Acceptor } from '../transports/types';
import { memoryPair } from '../transports/memory-pair';
import {
  ScriptedDebugger,
  type DebuggerReport,
  type ScriptedDebuggerOptions,
} from '../simulators/debugger';
import type { SimTargetOptions } from '../simulators/target';

/** Packets per scripted step (request, ACK, reply, ACK). */
const PACKETS_PER_STEP = 4;
/** Above this the pair runs flat out. */
const FLAT_OUT_RATE = 20_000;
/** A human pace by default. */
export const DEFAULT_SCRIPTED_RATE = 400;

/** The scripted debugger's pace and the simulated target's matching run time for a rate. */
export function scriptedPace(rate = DEFAULT_SCRIPTED_RATE): {
  readonly debuggerOptions: ScriptedDebuggerOptions;
  readonly targetOptions: SimTargetOptions;
} {
  const flatOut = rate >= FLAT_OUT_RATE;
  // The target's run time after a continue: as long as eight steps take at this rate.
  const stepMs = flatOut ? 0 : Math.max(1, Math.round((1000 * PACKETS_PER_STEP) / rate));
  return {
    debuggerOptions: {
      loops: Number.MAX_SAFE_INTEGER,
      ...(flatOut ? {} : { rate }),
      replyTimeoutMs: 10_000,
      stateChangeWaitMs: 2_000,
    },
    targetOptions: { seed: 1, runMs: Math.min(250, Math.max(2, stepMs * 8)) },
  };
}

/**
 * An acceptor that "accepts" one connection at once: the scripted debugger's end of a stream
 * pair. `onEnd` hears how the script ended, unless the acceptor was closed first.
 */
export function scriptedDebuggerAcceptor(
  options: ScriptedDebuggerOptions,
  onEnd: (report: DebuggerReport) => void,
): Acceptor {
  const [bridgeEnd, debuggerEnd] = memoryPair();
  let closed = false;
  return {
    description: 'the built-in scripted debugger',
    onConnection(listener) {
      let active = true;
      setImmediate(() => {
        if (!active || closed) return;
        listener(bridgeEnd);
        void new ScriptedDebugger(options).runOver(debuggerEnd).then((report) => {
          if (!closed) onEnd(report);
        });
      });
      return () => {
        active = false;
      };
    },
    async close() {
      closed = true;
      debuggerEnd.destroy();
      bridgeEnd.destroy();
    },
  };
}
