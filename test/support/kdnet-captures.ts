// Reading back the KDNET captures integration tests make: the datagrams of each side (as
// sha256s, for "identical on both sides" checks) and `kdscope decode` of a capture.
import { spawnSync } from 'node:child_process';
import { readUdpDatagrams } from '../../electron/capture/capture-datagrams';
import { KDSCOPE_BIN } from './kdscope-process';
import { sha256 } from './udp';

export interface Sides {
  /** sha256 of each datagram the target's side sent, in capture order. */
  readonly fromTarget: string[];
  readonly fromDebugger: string[];
}

/**
 * The datagrams of a capture by side. The target always speaks first (its poke), so the
 * first frame's source is the target's side, whichever end recorded it.
 */
export function sidesOf(path: string): Sides {
  const { datagrams, error } = readUdpDatagrams(path);
  if (error) throw error;
  const first = datagrams[0];
  const sides: Sides = { fromTarget: [], fromDebugger: [] };
  for (const d of datagrams) {
    const fromTarget = first !== undefined && d.src === first.src && d.srcPort === first.srcPort;
    (fromTarget ? sides.fromTarget : sides.fromDebugger).push(sha256(d.payload));
  }
  return sides;
}

export interface Decoded {
  readonly status: number | null;
  readonly stderr: string;
  readonly lines: Record<string, unknown>[];
  readonly summary: Record<string, unknown>;
  readonly packets: Record<string, unknown>[];
}

/** `kdscope decode CAPTURE --key KEY` as NDJSON. */
export function decodeCapture(path: string, key: string): Decoded {
  const run = spawnSync(process.execPath, [KDSCOPE_BIN, 'decode', path, '--key', key], {
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = run.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    status: run.status,
    stderr: run.stderr,
    lines,
    summary: lines.at(-1) ?? {},
    packets: lines.filter((l) => l.kind === 'packet'),
  };
}

/** What identifies a decoded packet, whatever capture frame or time it came in. */
export function packetKey(line: Record<string, unknown>): string {
  const { dir, type, id, byteCount, checksumOk, api, returnStatus, offset } = line;
  return JSON.stringify({ dir, type, id, byteCount, checksumOk, api, returnStatus, offset });
}
