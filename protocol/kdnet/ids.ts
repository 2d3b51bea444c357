// KDNET packet ids, and their translation to and from kdcom's, so that the serial link layer
// (kd/link.ts, and the simulators built on it) can speak KDNET through a framing layer.
//
// kdcom: each side sends 0x80800000 / 0x80800001 alternately (INITIAL_PACKET_ID ^ 1 per
// acknowledged packet), SYNC 0x800 on the target's first; RESET returns both to INITIAL
// [ReactOS drivers/base/kddll/kddll.c; PROTOCOL.md "Ids"]. KDNET (the real capture
// windbg-uncut): the target's data ids go 0, 2, 4, ..., the debugger's 0x80000000,
// 0x80000002, ...; a retransmission repeats its id; an ACK carries the id it acknowledges;
// RESEND carries 0; RESET carries the sender's current id and resets nothing (frames 198-206:
// debugger RESET 0x80000060, target RESET 0x62, then target data 0x62 again and debugger
// data 0x80000060). rizin (subprojects/rzwinkd/winkd.c) keeps kdcom's ids on KDNET too; it is
// a debugger, and the target accepts whatever id the debugger uses, as the real one does.

import { INITIAL_PACKET_ID, PacketType, SYNC_PACKET_ID } from '../kd/constants';

export const KDNET_TARGET_FIRST_ID = 0;
export const KDNET_DEBUGGER_FIRST_ID = 0x80000000;

interface Sent {
  readonly serial: number;
  readonly kdnet: number;
  acked: boolean;
}

const bare = (id: number): number => (id & ~SYNC_PACKET_ID) >>> 0;
const REMEMBERED = 8;

/**
 * One side's translation, between its serial link (kdcom ids) and the wire (KDNET ids). It
 * needs no knowledge of the link beyond what passes through: a new outgoing packet is one
 * whose serial id is not the unacknowledged one just sent; a new incoming packet gets the
 * serial id the link expects, which moves on only when the link acknowledges it (a link
 * that answered RESEND instead still expects the same id).
 */
export class KdnetIdMap {
  private nextOut: number;
  private lastOut: Sent | undefined;
  /** KDNET id -> serial id of recent outgoing data packets, for the peer's ACKs. */
  private readonly sent = new Map<number, number>();
  private nextInSerial = INITIAL_PACKET_ID;
  private lastIn: Sent | undefined;

  constructor(firstId: number) {
    this.nextOut = firstId >>> 0;
  }

  /** The KDNET id for a packet this side's link sends with `serialId`. */
  outgoing(leader: 'data' | 'control', type: number, serialId: number): number {
    if (leader === 'data') {
      const last = this.lastOut;
      if (last && !last.acked && last.serial === serialId) return last.kdnet;
      const kdnet = this.nextOut;
      this.nextOut = (this.nextOut + 2) >>> 0;
      this.lastOut = { serial: serialId, kdnet, acked: false };
      this.sent.set(kdnet, serialId);
      if (this.sent.size > REMEMBERED) this.sent.delete(this.sent.keys().next().value!);
      return kdnet;
    }
    switch (type) {
      case PacketType.ACKNOWLEDGE: {
        const last = this.lastIn;
        if (!last || bare(last.serial) !== bare(serialId)) return serialId;
        if (!last.acked) {
          last.acked = true;
          this.nextInSerial = (bare(last.serial) ^ 1) >>> 0;
        }
        return last.kdnet;
      }
      case PacketType.RESET: {
        const id = this.currentId();
        this.restart();
        return id;
      }
      case PacketType.RESEND:
        return 0;
      default:
        return serialId;
    }
  }

  /** The serial id this side's link should see for a peer packet sent with `kdnetId`. */
  incoming(leader: 'data' | 'control', type: number, kdnetId: number): number {
    if (leader === 'data') {
      const last = this.lastIn;
      if (last && last.kdnet === kdnetId) return last.serial;
      this.lastIn = { serial: this.nextInSerial, kdnet: kdnetId, acked: false };
      return this.nextInSerial;
    }
    switch (type) {
      case PacketType.ACKNOWLEDGE: {
        if (this.lastOut?.kdnet === kdnetId) this.lastOut.acked = true;
        return this.sent.get(kdnetId) ?? kdnetId;
      }
      case PacketType.RESET:
        this.restart();
        return 0;
      case PacketType.RESEND:
        return 0;
      default:
        return kdnetId;
    }
  }

  /** The id of the packet in flight, or of the next one. */
  private currentId(): number {
    return this.lastOut && !this.lastOut.acked ? this.lastOut.kdnet : this.nextOut;
  }

  /** Both links start over at INITIAL_PACKET_ID; KDNET ids go on. */
  private restart(): void {
    this.lastOut = undefined;
    this.lastIn = undefined;
    this.nextInSerial = INITIAL_PACKET_ID;
    this.sent.clear();
  }
}
