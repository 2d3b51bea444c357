// The details tree of one packet for the UI: the protocol's own dissector (offsets relative to
// the first byte on the wire, so the hex view can highlight them).

import { dissectPacket } from '../../../protocol/kd/payloads';
import type { Direction } from '../../../protocol/kd/events';
import type { FieldNode } from '../../../protocol/kd/summary';

/** `dir` tells a request from a reply, so a request's unset reply fields show as such. */
export function packetFields(bytes: Uint8Array, dir: Direction): FieldNode[] {
  try {
    return dissectPacket(bytes, dir);
  } catch (error) {
    // A dissector bug must not cost the user the bytes: show them with the reason.
    return [
      {
        name: 'Bytes',
        value: `${bytes.length} bytes (not dissected: ${(error as Error).message})`,
        offset: 0,
        length: bytes.length,
        error: 'dissector failed',
      },
    ];
  }
}
