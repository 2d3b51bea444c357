// The capture format a file name asks for, the same for every command that writes one
// (export --out, bridge --pcap): the extension decides, so a .pcap file never holds pcapng.

import type { CaptureFormat } from '../api/contract';
import { UsageError } from './command';

/** 'pcap' for NAME.pcap, 'pcapng' for NAME.pcapng (any case); else a UsageError naming `flag`. */
export function captureFormatOf(flag: string, path: string): CaptureFormat {
  if (path === '') throw new UsageError(`--${flag}: empty file name`);
  const match = /\.(pcap|pcapng)$/i.exec(path);
  if (!match) throw new UsageError(`--${flag} must end in .pcap or .pcapng (got ${path})`);
  return match[1]!.toLowerCase() === 'pcapng' ? 'pcapng' : 'pcap';
}
