// The bridge's decoder for KDNET: every relayed chunk is one datagram (transports/udp.ts);
// each is authenticated and decrypted, the data key follows every key exchange that goes by
// (a restarted WinDbg, a target that poked again), and the KD packet inside, re-framed as
// kdcom sends it, feeds the same session pipeline as a COM session.

import type { Direction } from '../../../protocol/kd/events';
import {
  KDNET_HOLD_DATAGRAMS,
  KdnetDecoder,
  type KdnetOutcome,
  type KdnetStats,
} from '../../../protocol/kdnet/decoder';
import { nodeKdnetCrypto } from '../../capture/kdnet-node-crypto';
import {
  sessionBridgeDecoder,
  type SessionBridgeDecoder,
  type SessionBridgeDecoderOptions,
} from '../session/decoder';

export interface KdnetBridgeDecoderOptions extends SessionBridgeDecoderOptions {
  /**
   * Trouble worth a line: a wrong key and a missed exchange, said once each; datagrams failing
   * authentication after a session decoded, said when they start and then at most every
   * `repeatMs` while their count grows.
   */
  readonly report?: (line: string) => void;
  /** Failed datagrams before they are said, as a wrong key or mid-session (default 3). */
  readonly wrongKeyAfter?: number;
  /** Mid-session failures: at most one line per this long (default 5 s). */
  readonly repeatMs?: number;
  /** Mid-session failures: this long with none ends a run; the next starts anew (default 10 s). */
  readonly quietMs?: number;
  /** The clock of the idle flush (push() takes the relay time); epoch ms. */
  readonly now?: () => number;
}

export interface KdnetBridgeDecoder extends SessionBridgeDecoder {
  readonly kdnet: KdnetStats;
  /** Datagrams that failed authentication so far (those held for a key to come included). */
  readonly rejected: number;
}

/** Failures after a session decoded, from the first to the last with no long quiet between. */
interface FailureRun {
  readonly since: number;
  failed: number;
  lastAt: number;
  /** The count last said (0: not said yet) and when. */
  said: number;
  saidAt: number;
}

const two = (n: number): string => String(n).padStart(2, '0');

/** Local wall-clock time, HH:MM:SS. */
function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

export function kdnetBridgeDecoder(
  startKey: Uint8Array,
  options: KdnetBridgeDecoderOptions = {},
): KdnetBridgeDecoder {
  const decoder = new KdnetDecoder<Direction>(startKey, nodeKdnetCrypto, {
    hold: KDNET_HOLD_DATAGRAMS,
  });
  const session = sessionBridgeDecoder(options);
  const wrongKeyAfter = options.wrongKeyAfter ?? 3;
  const repeatMs = options.repeatMs ?? 5_000;
  const quietMs = options.quietMs ?? 10_000;
  const now = options.now ?? Date.now;
  let saidWrongKey = false;
  let saidNoExchange = false;
  let run: FailureRun | undefined;

  const sayRun = (at: number, force: boolean): void => {
    if (!run || run.failed === run.said) return;
    const due = run.said === 0 ? run.failed >= wrongKeyAfter : force || at - run.saidAt >= repeatMs;
    if (!due) return;
    run.said = run.failed;
    run.saidAt = at;
    options.report?.(
      `KDNET: ${run.failed} datagrams failed authentication since ${clockTime(run.since)} ` +
        '(the key changed? a restarted target with another key?)',
    );
  };

  // After a session decoded, a datagram no key opens means the key changed or someone forges:
  // a rejected one, or a held data datagram once an exchange set the data key (before that,
  // held ones wait for the exchange, and the "no exchange" line says so).
  const midSessionFailure = (outcome: KdnetOutcome, timeMs: number): void => {
    const s = decoder.stats;
    if (s.authenticated === 0) return;
    const counts =
      outcome.kind === 'rejected'
        ? outcome.reason === 'unauthenticated'
        : outcome.kind === 'held' && s.dataKeyChanges > 0;
    if (!counts) return;
    if (run && timeMs - run.lastAt >= quietMs) {
      sayRun(timeMs, true);
      run = undefined;
    }
    run ??= { since: timeMs, failed: 0, lastAt: timeMs, said: 0, saidAt: timeMs };
    run.failed++;
    run.lastAt = timeMs;
    sayRun(timeMs, false);
  };

  const troubleCheck = (): void => {
    const s = decoder.stats;
    const failed = s.unauthenticated + s.held;
    if (!saidWrongKey && s.authenticated === 0 && failed >= wrongKeyAfter) {
      saidWrongKey = true;
      options.report?.(`${failed} KDNET datagrams failed authentication: wrong key?`);
    } else if (!saidNoExchange && s.authenticated > 0 && s.dataKeyChanges === 0 && s.held >= 3) {
      saidNoExchange = true;
      options.report?.(
        'KDNET data datagrams under a key this bridge has not seen exchanged: they are held ' +
          'until the target pokes again (restart WinDbg, or wait for the target to re-poke)',
      );
    }
  };

  return {
    get kdnet() {
      return decoder.stats;
    },
    push(dir, bytes, timeMs, sink) {
      const outcome = decoder.decode(bytes, dir);
      switch (outcome.kind) {
        case 'kd':
          // The direction the datagram was relayed in: the bridge knows who sent it.
          session.push(dir, outcome.bytes, timeMs, sink);
          return;
        case 'control':
          for (const released of decoder.takeReleased()) {
            if (released.outcome.kind === 'kd')
              session.push(released.tag, released.outcome.bytes, timeMs, sink);
          }
          return;
        default:
          troubleCheck();
          midSessionFailure(outcome, timeMs);
      }
    },
    get rejected() {
      return decoder.stats.unauthenticated + decoder.stats.held;
    },
    flush(sink) {
      sayRun(now(), false);
      if (run && now() - run.lastAt >= quietMs) run = undefined;
      session.flush(sink);
    },
    end(sink) {
      sayRun(now(), true);
      session.end!(sink);
    },
    summary: () => session.summary(),
    recordBytes: (no) => session.recordBytes(no),
  };
}
