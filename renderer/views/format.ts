// Cell text for the timeline: short, fixed-width friendly, never throws on absent fields.

import type { PacketRecord } from '../../protocol/session/record';
import { PacketFlag } from '../../protocol/session/record';

export const hex32 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

export function relativeTime(ms: number, originMs: number): string {
  return ((ms - originMs) / 1000).toFixed(6);
}

export const dirText = (r: PacketRecord): string => (r.dir === 'debugger->target' ? 'D→T' : 'T→D');

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

const FLAG_TAGS: readonly [number, string][] = [
  [PacketFlag.RETRANSMIT, 'RTX'],
  [PacketFlag.RESEND, 'RESEND'],
  [PacketFlag.CHECKSUM_ERROR, 'CSUM'],
  [PacketFlag.BREAKIN, 'BRK'],
  [PacketFlag.GARBAGE, 'GARB'],
  [PacketFlag.RESET, 'RESET'],
  [PacketFlag.UNEXPECTED_ID, 'ID?'],
  [PacketFlag.STRAY_ACK, 'STRAY'],
  [PacketFlag.NO_RESPONSE, 'NORESP'],
  [PacketFlag.ERROR_STATUS, 'ERR'],
];

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
