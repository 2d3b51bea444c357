// A UI connection to a Workbench in a test (what a window sees: rows, skips, states, with the
// tracker's late updates applied), and a capture decoded the way `kdscope decode` does.
import type { RecordsEvent, SessionStatus } from '../../electron/api/contract';
import type { ConnectionHandlers, Emit } from '../../electron/api/server';
import { openCapture } from '../../electron/capture';
import type { Workbench } from '../../electron/engine/workbench/workbench';
import { batchFromBytes, decodeRecord } from '../../protocol/records/columns';
import { SessionDecoder } from '../../protocol/session/pipeline';
import type { PacketRecord } from '../../protocol/session/record';

export interface View {
  handlers: ConnectionHandlers;
  rows: PacketRecord[];
  skipped: number;
  states: SessionStatus[];
  /** Acknowledge batches as they come (a view that keeps up) or only when told. */
  autoAck: boolean;
  unacked: number[];
}

/**
 * Connects a view; the caller disposes `view.handlers` when done. `startOver`: the rows start
 * over when a new session or opened capture replaces the last, as the UI's do.
 */
export function connectView(
  workbench: Workbench,
  window: number,
  autoAck: boolean,
  startOver = false,
): View {
  const view: View = {
    handlers: undefined as unknown as ConnectionHandlers,
    rows: [],
    skipped: 0,
    states: [],
    autoAck,
    unacked: [],
  };
  const byNo = new Map<number, number>();
  let sessionId: string | undefined;
  const emit: Emit = (name, data) => {
    if (name === 'session.state') {
      const status = data as SessionStatus;
      if (startOver && status.state === 'running' && status.info?.id !== sessionId) {
        sessionId = status.info?.id;
        view.rows = [];
        byNo.clear();
      }
      view.states.push(status);
    }
    if (name !== 'records') return;
    const event = data as RecordsEvent;
    view.skipped += event.skipped;
    const batch = batchFromBytes(event.batch);
    for (let i = 0; i < batch.count; i++) {
      const row = decodeRecord(batch, i);
      byNo.set(row.no, view.rows.length);
      view.rows.push(row);
    }
    if (event.updates) {
      const updates = batchFromBytes(event.updates);
      for (let i = 0; i < updates.count; i++) {
        const row = decodeRecord(updates, i);
        const at = byNo.get(row.no);
        if (at !== undefined) view.rows[at] = row;
      }
    }
    if (view.autoAck) queueMicrotask(() => void view.handlers['stream.ack'](event.seq));
    else view.unacked.push(event.seq);
  };
  view.handlers = workbench.connect(emit);
  void view.handlers['stream.ready']({ window });
  return view;
}

/**
 * The capture decoded the way `kdscope decode` does (one chunk per frame, then the end), with
 * the tracker's late updates applied to the rows.
 */
export function decodeCapture(path: string): { rows: PacketRecord[]; frames: number } {
  const rows: PacketRecord[] = [];
  const decoder = new SessionDecoder({
    onRecord: (r) => rows.push(r),
    onUpdate: (r) => {
      if (rows[r.no - 1]?.no === r.no) rows[r.no - 1] = r;
    },
  });
  const stats = openCapture(path).forEach((chunk) =>
    decoder.push(chunk.dir, chunk.bytes, chunk.timeUs / 1000, chunk.frame),
  );
  decoder.end();
  return { rows, frames: stats.frames };
}

/** A page of rows the engine reads back (`packets.rows`), decoded. */
export async function readPage(
  view: View,
  from: number,
  count: number,
): Promise<{ rows: PacketRecord[]; missing: string | undefined }> {
  const got = await view.handlers['packets.rows']({ from, count });
  const batch = batchFromBytes(got.batch);
  const rows: PacketRecord[] = [];
  for (let i = 0; i < batch.count; i++) rows.push(decodeRecord(batch, i));
  return { rows, missing: got.missing };
}
