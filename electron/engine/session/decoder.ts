// The session pipeline as the bridge's decoder: SessionDecoder reports records through a
// constructor callback; the bridge wants them per push, so route them to the current emit.

import type { Direction } from '../../../protocol/kd/events';
import { SessionDecoder } from '../../../protocol/session/pipeline';
import type { PacketRecord } from '../../../protocol/session/record';
import type { BridgeDecoder } from '../bridge/types';

export interface SessionBridgeDecoder extends BridgeDecoder {
  readonly session: SessionDecoder;
}

export function sessionBridgeDecoder(): SessionBridgeDecoder {
  let emit: ((record: PacketRecord) => void) | undefined;
  const session = new SessionDecoder({ onRecord: (record) => emit?.(record) });
  const run = (sink: (record: PacketRecord) => void, work: () => void): void => {
    emit = sink;
    try {
      work();
    } finally {
      emit = undefined;
    }
  };
  return {
    session,
    push(dir: Direction, bytes: Uint8Array, timeMs: number, sink) {
      run(sink, () => session.push(dir, bytes, timeMs));
    },
    flush(sink) {
      run(sink, () => session.flush());
    },
  };
}
