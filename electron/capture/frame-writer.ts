// What a recorder or an exporter writes frames into (pcap, pcapng, a live Wireshark pipe).

import type { StreamChunk } from './chunk';

export interface FrameWriter {
  /**
   * Frames the file holds: a chunk too large for one frame is written as several, and a frame
   * whose write failed (rolled back) is not counted.
   */
  readonly framesWritten: number;
  /** framesWritten, plus inside batch() the frames gathered to be written when it returns. */
  readonly framesQueued: number;
  /** Writes one frame; the file is valid up to this frame once the call returns. */
  write(frame: StreamChunk): void;
  /**
   * Runs `work`, whose write() calls reach the file together when it returns (one system call
   * for a batch of small frames, instead of one each): the file is then valid up to the last.
   */
  batch(work: () => void): void;
  /** Bytes in the capture so far. */
  readonly bytesWritten: number;
  close(): void;
}
