// Deliberate misbehaviour of the simulated target, for tests of everything that must cope
// with a bad peer (the link layer, the scripted debugger, the bridge's health checks).

import { HEADER_SIZE, LEADER_DATA } from '../../../protocol/kd/constants';

export type SimFaultKind =
  /** Every Nth data packet the target writes is not written (a retransmit recovers it). */
  | 'drop'
  /** Every Nth data packet gets one payload byte flipped: bad checksum, the peer asks RESEND. */
  | 'corrupt'
  /** Every Nth manipulate reply carries the wrong ApiNumber: a protocol error no retry fixes. */
  | 'garble';

export interface SimFault {
  readonly kind: SimFaultKind;
  /** 1 = every packet. */
  readonly every: number;
}

const FAULT_KINDS: readonly SimFaultKind[] = ['drop', 'corrupt', 'garble'];

/** Parses `drop:N`, `corrupt:N` or `garble:N`; undefined when the text is not one of them. */
export function parseFault(text: string): SimFault | undefined {
  const match = /^([a-z]+):(\d+)$/.exec(text);
  if (!match) return undefined;
  const kind = FAULT_KINDS.find((k) => k === match[1]);
  const every = Number(match[2]);
  if (!kind || !Number.isSafeInteger(every) || every < 1) return undefined;
  return { kind, every };
}

function isDataPacket(bytes: Uint8Array): boolean {
  if (bytes.length <= HEADER_SIZE) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  return view.getUint32(0, true) === LEADER_DATA;
}

/** Applies a wire fault (drop/corrupt) to whole packets as the link writes them. */
export class WireFault {
  private count = 0;
  applied = 0;
  constructor(private readonly fault: SimFault | undefined) {}

  /** The bytes to write instead (undefined: write nothing). */
  apply(bytes: Uint8Array): Uint8Array | undefined {
    const fault = this.fault;
    if (!fault || fault.kind === 'garble' || !isDataPacket(bytes)) return bytes;
    this.count++;
    if (this.count % fault.every !== 0) return bytes;
    this.applied++;
    if (fault.kind === 'drop') return undefined;
    const out = bytes.slice();
    out[HEADER_SIZE] = (out[HEADER_SIZE]! ^ 0x01) & 0xff;
    return out;
  }
}
