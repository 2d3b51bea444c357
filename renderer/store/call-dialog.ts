// The state-change / manipulate dialog: which packet it shows, and the parts of its call
// (request, ACKs, response) found through the tracker's links in the table's columns.

import { create } from 'zustand';
import { PacketType } from '../../protocol/kd/constants';
import { PacketFlag, type PacketRecord } from '../../protocol/session/record';
import { onRows } from './row-feed';
import { actions, displayIndexOf, table } from './workbench';

export interface CallDialogState {
  /** The packet the dialog was opened on, or null when closed. */
  no: number | null;
}

export const useCallDialog = create<CallDialogState>(() => ({ no: null }));

export interface CallParts {
  readonly kind: 'manipulate' | 'state-change' | 'packet';
  /** The request (manipulate), the state change, or the packet itself. */
  readonly first: PacketRecord;
  /** The peer's ACK of `first`. */
  readonly firstAck: PacketRecord | null;
  /** The response of a manipulate call. */
  readonly reply: PacketRecord | null;
  readonly replyAck: PacketRecord | null;
  /** The no. `first` or `reply` says its partner has, when that row is no longer held. */
  readonly missing: number | null;
}

function recordOf(no: number | undefined): PacketRecord | null {
  if (no === undefined) return null;
  const row = table.rowOfNo(no);
  return row < 0 ? null : table.row(row);
}

const isStateChange = (r: PacketRecord): boolean =>
  r.type === PacketType.STATE_CHANGE64 || r.type === PacketType.STATE_CHANGE32;

/** The call `no` belongs to, or null when the row is gone. */
export function callParts(no: number): CallParts | null {
  const r = recordOf(no);
  if (!r) return null;
  if (r.type === PacketType.STATE_MANIPULATE && r.leader === 'data') {
    const request = r.dir === 'debugger->target' ? r : recordOf(r.pair);
    const reply = r.dir === 'target->debugger' ? r : recordOf(r.pair);
    const first = request ?? r;
    return {
      kind: 'manipulate',
      first,
      firstAck: recordOf(first.ack),
      reply: reply === first ? null : reply,
      replyAck: reply && reply !== first ? recordOf(reply.ack) : null,
      missing: r.pair !== undefined && (request === null || reply === null) ? r.pair : null,
    };
  }
  return {
    kind: isStateChange(r) ? 'state-change' : 'packet',
    first: r,
    firstAck: recordOf(r.ack),
    reply: null,
    replyAck: null,
    missing: null,
  };
}

/** Does row `i` start a call like `like` (same API / same state, same direction)? */
function sameKind(i: number, like: PacketRecord): boolean {
  if (table.value('kind', i) !== 0 || table.value('leader', i) !== 1) return false;
  const dir = like.dir === 'target->debugger' ? 1 : 0;
  if (table.value('dir', i) !== dir || table.value('type', i) !== like.type) return false;
  if (like.type === PacketType.STATE_MANIPULATE || like.type === PacketType.DEBUG_IO) {
    if (table.value('api', i) !== like.api) return false;
    // Skip retransmitted copies: the step goes to the next call, not the same one again.
    return (table.value('flags', i) & PacketFlag.RETRANSMIT) === 0;
  }
  if (isStateChange(like)) return table.value('newState', i) === like.newState;
  return true;
}

/** The no. of the previous (-1) or next (1) call of the same API as `no`'s, or null. */
export function stepCall(no: number, dir: 1 | -1): number | null {
  const parts = callParts(no);
  if (!parts) return null;
  const like = parts.first;
  const at = table.rowOfNo(like.no);
  if (at < 0) return null;
  for (let i = at + dir; i >= 0 && i < table.length; i += dir) {
    if (sameKind(i, like)) return table.value('no', i);
  }
  return null;
}

/** The display filter that shows the calls like this one. */
export function filterFor(parts: CallParts): string {
  const r = parts.first;
  if (parts.kind === 'state-change' && r.newStateName) return `newState == ${r.newStateName}`;
  if (r.apiName && r.api !== undefined)
    return `api == ${/^\w+$/.test(r.apiName) ? r.apiName : `0x${r.api.toString(16)}`}`;
  if (r.typeName) return `type == ${r.typeName}`;
  return `kind == ${r.kind}`;
}

export const callDialog = {
  open(no: number): void {
    useCallDialog.setState({ no });
  },
  close(): void {
    useCallDialog.setState({ no: null });
  },
  /** Moves to the previous/next call of the same API and selects it in the list if shown. */
  step(dir: 1 | -1): boolean {
    const no = useCallDialog.getState().no;
    if (no === null) return false;
    const next = stepCall(no, dir);
    if (next === null) return false;
    useCallDialog.setState({ no: next });
    if (displayIndexOf(next) !== null) void actions.selectNo(next);
    return true;
  },
  filterOnApi(): void {
    const no = useCallDialog.getState().no;
    const parts = no === null ? null : callParts(no);
    if (!parts) return;
    actions.setFilterText(filterFor(parts));
    actions.applyFilter();
  },
};

/** Closes the dialog when the rows it shows are cleared away. */
export function setupCallDialog(): () => void {
  return onRows({ reset: () => callDialog.close() });
}
