// What a recorder or an exporter writes frames into (pcap, pcapng, a live Wireshark pipe).

import type { StreamChunk } from './chunk';

export interface FrameWriter {
  /** Writes one frame; the file is valid up to this frame once the call returns. */
  write(frame: StreamChunk): void;
  /** Bytes in the capture so far. */
  readonly bytesWritten: number;
  close(): void;
}
