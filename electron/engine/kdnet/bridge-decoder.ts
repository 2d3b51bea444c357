// The bridge's decoder for KDNET: every relayed chunk is one datagram (transports/udp.ts);
// each is authenticated and decrypted, the data key follows every key exchange that goes by
// (a restarted WinDbg, a target that poked again), and the KD packet inside, re-framed as
// kdcom sends it, feeds the same session pipeline as a COM session.

import type { Direction } from '../../../protocol/kd/events';
import {
  KDNET_HOLD_DATAGRAMS,
  KdnetDecoder,
  type KdnetStats,
} from '../../../protocol/kdnet/decoder';
import { nodeKdnetCrypto } from '../../capture/kdnet-node-crypto';
import {
  sessionBridgeDecoder,
  type SessionBridgeDecoder,
  type SessionBridgeDecoderOptions,
} from '../session/decoder';

export interface KdnetBridgeDecoderOptions extends SessionBridgeDecoderOptions {
  /** Trouble worth a line (a wrong key), said once each. */
  readonly report?: (line: string) => void;
  /** Failed datagrams with none authenticated before the key is called wrong (default 3). */
  readonly wrongKeyAfter?: number;
}

export interface KdnetBridgeDecoder extends SessionBridgeDecoder {
  readonly kdnet: KdnetStats;
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
  let saidWrongKey = false;
  let saidNoExchange = false;

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
      }
    },
    flush: (sink) => session.flush(sink),
    end: (sink) => session.end!(sink),
    summary: () => session.summary(),
    recordBytes: (no) => session.recordBytes(no),
  };
}
