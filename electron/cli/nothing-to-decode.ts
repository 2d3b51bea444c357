// An input that reads without error but holds no KD bytes at all: decoding it "succeeds" with
// an empty summary, which reads like a session without traffic. Saying so is the useful
// answer, with exit code 2 (unreadable input: the input cannot be used for what was asked;
// nothing failed at run time, which is what 1 is for).

import type { CaptureStats } from '../capture/capture-source';

/**
 * The line to print when `stats` saw no stream bytes, or undefined. KDNET datagrams that
 * could not be decrypted (no key, wrong key) are left to their own messages.
 */
export function nothingToDecode(
  label: string,
  stats: CaptureStats,
  verb: 'decode' | 'export' | 'replay' = 'decode',
): string | undefined {
  if (stats.chunks > 0 || stats.kdnet !== undefined) return undefined;
  if ((stats.skippedBy['kdnet-no-key'] ?? 0) + (stats.skippedBy['kdnet-rejected'] ?? 0) > 0)
    return undefined;
  if (stats.format === 'raw-pair') return `nothing to ${verb}: ${label}: both streams are empty`;
  if (stats.frames === 0) return `nothing to ${verb}: ${label}: the capture has no frames`;
  const reasons = Object.entries(stats.skippedBy)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  return `nothing to ${verb}: ${label}: none of its ${stats.frames} frames carries KD bytes${reasons ? ` (${reasons})` : ''}`;
}

/**
 * What export says when it could write nothing of the capture: no KD bytes at all, or KDNET
 * datagrams only, which it writes decrypted and so needs their key for.
 */
export function nothingToExport(label: string, stats: CaptureStats): string | undefined {
  const noKey = stats.skippedBy['kdnet-no-key'] ?? 0;
  if (stats.chunks === 0 && noKey > 0)
    return `nothing to export: ${label}: its ${noKey} KDNET datagrams are written decrypted: give --key W.X.Y.Z --decrypt`;
  return nothingToDecode(label, stats, 'export');
}
