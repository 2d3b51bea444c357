// The one shape of "some bytes of one direction at one time": what the bridge relays, what a
// capture reader delivers, what the writers and the live sink turn into frames.

import type { Direction } from '../../protocol/kd/events';
import type { UdpFlow } from '../engine/transports/types';

export interface StreamChunk {
  readonly dir: Direction;
  /** Microseconds since the Unix epoch (0 when the source has no clock). */
  readonly timeUs: number;
  /**
   * Raw stream bytes of that direction (part of a packet, a packet, or several). From a
   * capture reader, a view valid as long as the source; the relay never changes them, and
   * nobody downstream may either (copy to keep or to change).
   */
  readonly bytes: Uint8Array;
  /** 1-based capture frame the bytes were read from; absent for live and raw streams. */
  readonly frame?: number | undefined;
  /** Live only: false when nobody was on the other side to receive it (dropped, counted). */
  readonly delivered?: boolean;
  /**
   * Live KDNET only: the target leg this datagram went over, as it was then (local: the
   * bridge's socket; remote: the target's address), so a capture shows each one's own sender.
   */
  readonly flow?: UdpFlow | undefined;
}
