// Cell text for the timeline: short, fixed-width friendly, never throws on absent fields.

import type { PacketRecord } from '../../protocol/session/record';
import { PacketFlag } from '../../protocol/session/record';

export const hex32 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

export function relativeTime(ms: number, originMs: number): string {
  return ((ms - originMs) / 1000).toFixed(6);
}

/** The RTT column: milliseconds with microsecond resolution, as `kdscope stats` prints them. */
export const rttText = (r: PacketRecord): string =>
  r.rttMs === undefined ? '' : r.rttMs.toFixed(3);

/** As the Wireshark dissector's Info column writes it, and as `dir == D->T` filters it. */
export const dirText = (r: PacketRecord): string =>
  r.dir === 'debugger->target' ? 'D->T' : 'T->D';

export function typeText(r: PacketRecord): string {
  if (r.kind === 'breakin') return 'BREAKIN';
  if (r.kind === 'garbage') return `GARBAGE${r.garbageReason ? ` (${r.garbageReason})` : ''}`;
  return r.typeName ?? (r.type === undefined ? '' : `UNKNOWN_${r.type}`);
}

export function apiText(r: PacketRecord): string {
  return r.apiName ?? r.newStateName ?? '';
}

export function statusText(r: PacketRecord): string {
  if (r.returnStatus === undefined || r.dir !== 'target->debugger') return '';
  return r.returnStatus === 0 ? 'SUCCESS' : hex32(r.returnStatus);
}

/** Tag in the Flags column, what it means (its tooltip), the filter field that selects it. */
export const FLAG_TAGS: readonly [number, string, string, string][] = [
  [
    PacketFlag.RETRANSMIT,
    'RTX',
    'Retransmission: a data packet repeating an id the receiver already accepted',
    'retransmit',
  ],
  [
    PacketFlag.RESEND,
    'RESEND',
    'RESEND: the receiver asks for the last packet again (bad checksum, length or trailer)',
    'resend',
  ],
  [
    PacketFlag.CHECKSUM_ERROR,
    'CSUM',
    'Checksum error: the payload does not sum to the header checksum',
    'checksumError',
  ],
  [PacketFlag.BREAKIN, 'BRK', 'Break-in: the debugger asks the target to stop (0x62)', 'breakin'],
  [
    PacketFlag.GARBAGE,
    'GARB',
    'Bytes that are not a KD packet (noise, bad length or trailer)',
    'garbage',
  ],
  [PacketFlag.RESET, 'RESET', 'RESET: both sides return to the initial packet ids', 'reset'],
  [
    PacketFlag.UNEXPECTED_ID,
    'ID?',
    'Unexpected packet id: neither the expected one nor a retransmission',
    'unexpectedId',
  ],
  [PacketFlag.STRAY_ACK, 'STRAY', 'ACK that matches no packet waiting for one', 'strayAck'],
  [
    PacketFlag.NO_RESPONSE,
    'NORESP',
    'No response: a manipulate request without a reply (yet)',
    'noResponse',
  ],
  [PacketFlag.ERROR_STATUS, 'ERR', 'The reply carries a failing NTSTATUS', 'errorStatus'],
];

/** The Flags cell's tooltip: one line per flag set. */
export function flagsTitle(flags: number): string {
  return FLAG_TAGS.filter(([bit]) => flags & bit)
    .map(([, tag, what]) => `${tag}: ${what}`)
    .join('\n');
}

export function flagsText(flags: number): string {
  let out = '';
  for (const [bit, tag] of FLAG_TAGS) if (flags & bit) out += out ? ` ${tag}` : tag;
  return out;
}

const ERROR_BITS =
  PacketFlag.CHECKSUM_ERROR |
  PacketFlag.GARBAGE |
  PacketFlag.ERROR_STATUS |
  PacketFlag.UNEXPECTED_ID;

/** CSS class of a row: its colouring rule, most severe first (like Wireshark's colouring rules). */
export function rowClass(r: PacketRecord): string {
  if (r.flags & ERROR_BITS || r.kind === 'garbage') return 'r-error';
  if (r.flags & (PacketFlag.RETRANSMIT | PacketFlag.RESEND)) return 'r-retransmit';
  if (r.kind === 'breakin' || r.flags & PacketFlag.BREAKIN) return 'r-breakin';
  if (r.flags & PacketFlag.RESET) return 'r-reset';
  if (r.type === 7 || r.type === 1) return 'r-state';
  if (r.type === 3) return 'r-io';
  if (r.leader === 'control') return 'r-control';
  return '';
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export const formatCount = (n: number): string => n.toLocaleString('en-US');

/** `…/kdscope-2026-11-25-10-00-00.pcap`: the file name of a path, from either OS. */
export function shortPath(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return cut < 0 ? path : `…${path[cut]}${path.slice(cut + 1)}`;
}
