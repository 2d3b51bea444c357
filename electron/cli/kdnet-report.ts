// What `decode` and `export` say about a capture's KDNET datagrams: at most one line, and
// whether the key was wrong (nothing authenticated: exit 1 rather than an empty success).

import type { CaptureStats } from '../capture/capture-source';

export interface KdnetReport {
  /** One line for stderr (no command prefix), or undefined when there is nothing to say. */
  readonly line: string | undefined;
  /** Datagrams failed authentication and none passed: the key is wrong. */
  readonly wrongKey: boolean;
}

export function kdnetReport(stats: CaptureStats): KdnetReport {
  const noKey = stats.skippedBy['kdnet-no-key'] ?? 0;
  if (noKey > 0) {
    return {
      line: `${noKey} KDNET datagrams skipped: give the key with --key W.X.Y.Z`,
      wrongKey: false,
    };
  }
  const k = stats.kdnet;
  if (!k) return { line: undefined, wrongKey: false };
  if (k.unauthenticated > 0 && k.authenticated === 0) {
    return {
      line: `${k.unauthenticated} KDNET datagrams failed authentication: wrong key?`,
      wrongKey: true,
    };
  }
  const rejected = stats.skippedBy['kdnet-rejected'] ?? 0;
  if (rejected === 0) return { line: undefined, wrongKey: false };
  if (k.dataKeyChanges === 0 && k.kdPackets + k.unframed === 0) {
    // The key opens the control channel, but no exchange set the data key.
    return {
      line: `${rejected} KDNET datagrams failed authentication: the capture holds no key exchange (it began after WinDbg connected?)`,
      wrongKey: false,
    };
  }
  const first = stats.firstKdnetRejection;
  return {
    line:
      `${rejected} of ${k.datagrams} KDNET datagrams rejected` +
      (first ? `, first at frame ${first.frame}: ${first.detail}` : ''),
    wrongKey: false,
  };
}

/** The failure line (if any) and the KDNET line (if any) as one line. */
export function oneLine(...parts: readonly (string | undefined)[]): string | undefined {
  const kept = parts.filter((p): p is string => p !== undefined && p !== '');
  return kept.length > 0 ? kept.join('; ') : undefined;
}
