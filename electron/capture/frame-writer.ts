// What a recorder or an exporter writes frames into (pcap, pcapng, a live Wireshark pipe).

import type { Direction } from '../../protocol/kd/events';

export interface CaptureFrame {
  readonly dir: Direction;
  /** Microseconds since the Unix epoch. */
  readonly timeUs: number;
  /** Raw stream bytes of that direction (part of a packet, a packet, or several). */
  readonly bytes: Uint8Array;
}

export interface FrameWriter {
  /**
   * Frames the file holds: a chunk too large for one frame is written as several, and a frame
   * whose write failed (rolled back) is not counted.
   */
  readonly framesWritten: number;
  /** Writes one frame; the file is valid up to this frame once the call returns. */
  write(frame: CaptureFrame): void;
  close(): void;
}
