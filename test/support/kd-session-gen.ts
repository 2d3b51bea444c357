// A seeded KD conversation with the trouble a real link has: manipulate calls with ACKs and
// replies, prints and state changes, and now and then a corrupted packet answered by RESEND, a
// lost ACK and its retransmission, an unanswered request, a RESET, break-in bytes, line noise
// and stray ACKs. What the session tracker keeps state for (ids, awaited ACKs, pending
// requests, the packet a RESEND asks for) is all exercised. For tests and benches.

import { ManipulateApi, PacketType } from '../../protocol/kd/constants';
import {
  encodeAck,
  encodeBreakin,
  encodeDataPacket,
  encodeResend,
  encodeReset,
} from '../../protocol/kd/encoder';
import type { Direction } from '../../protocol/kd/events';
import { buildPrintString } from '../../protocol/kd/payloads/debug-io';
import { buildManipulate } from '../../protocol/kd/payloads/manipulate';
import { xorshift32 } from './kd-gen';

export interface WireStep {
  readonly dir: Direction;
  readonly bytes: Uint8Array;
}

const D2T: Direction = 'debugger->target';
const T2D: Direction = 'target->debugger';
const INITIAL = 0x80800000;
const APIS = [
  ManipulateApi.ReadVirtualMemory,
  ManipulateApi.GetContext,
  ManipulateApi.ReadControlSpace,
  ManipulateApi.GetVersion,
  ManipulateApi.ReadMachineSpecificRegister,
];

/**
 * `steps` conversation steps (each a few wire writes), seeded. The bytes of one step in one
 * direction are written together; the caller may cut them further.
 */
export function generateKdSession(steps: number, seed = 1): WireStep[] {
  const rnd = xorshift32(seed);
  const chance = (per1000: number): boolean => rnd() % 1000 < per1000;
  const out: WireStep[] = [];
  const send = (dir: Direction, bytes: Uint8Array): void => void out.push({ dir, bytes });
  let dId = INITIAL;
  let tId = INITIAL;
  const noise = (): Uint8Array => {
    const n = 1 + (rnd() % 24);
    const bytes = new Uint8Array(n);
    // Not 0x30/0x69/0x62: noise that cannot start a leader or a break-in.
    for (let k = 0; k < n; k++) bytes[k] = 0x80 | (rnd() & 0x7f);
    return bytes;
  };
  for (let s = 0; s < steps; s++) {
    const r = rnd() % 1000;
    if (r < 640) {
      const api = APIS[rnd() % APIS.length]!;
      const request = encodeDataPacket(
        PacketType.STATE_MANIPULATE,
        dId,
        buildManipulate({ api, fields: {} }),
      );
      if (chance(40)) {
        // One payload byte flipped on the line: the target asks again.
        const bad = request.slice();
        bad[20] = (bad[20]! ^ 0x01) & 0xff;
        send(D2T, bad);
        send(T2D, encodeResend());
      }
      send(D2T, request);
      if (chance(30)) {
        // The ACK was lost: the debugger times out and sends the request again.
        send(D2T, request);
      }
      send(T2D, encodeAck(dId));
      dId ^= 1;
      if (chance(20)) continue; // never answered (the target went away for a while)
      const extra = rnd() % 4 === 0 ? 1 + (rnd() % 900) : rnd() % 17;
      const reply = encodeDataPacket(
        PacketType.STATE_MANIPULATE,
        tId,
        buildManipulate(
          { api, returnStatus: chance(50) ? 0xc0000005 : 0, fields: {} },
          new Uint8Array(extra).fill(0x90),
        ),
      );
      send(T2D, reply);
      if (chance(30)) send(T2D, reply); // retransmitted before the ACK came
      send(D2T, encodeAck(tId));
      tId ^= 1;
    } else if (r < 800) {
      send(
        T2D,
        encodeDataPacket(PacketType.DEBUG_IO, tId, buildPrintString(`print ${s} ${rnd() % 997}\n`)),
      );
      // kdcom lets a print time out without flipping its id: the next packet reuses it, and
      // whether the print was ACKed decides if that one is a retransmission.
      const ack = !chance(40);
      if (ack) send(D2T, encodeAck(tId));
      if (!chance(ack ? 20 : 500)) tId ^= 1;
    } else if (r < 850) {
      send(
        T2D,
        encodeDataPacket(PacketType.STATE_CHANGE64, tId, new Uint8Array(240 + (rnd() % 64))),
      );
      send(D2T, encodeAck(tId));
      tId ^= 1;
    } else if (r < 900) {
      // Break-in bytes, one or a few (WinDbg repeats them while the target does not answer).
      for (let k = 1 + (rnd() % 3); k > 0; k--) send(D2T, encodeBreakin());
    } else if (r < 950) {
      send(rnd() & 1 ? D2T : T2D, noise());
    } else if (r < 970) {
      send(D2T, encodeAck(rnd() & 1 ? dId : 0x12345678)); // stray ACK
    } else if (r < 980) {
      send(D2T, encodeReset());
      send(T2D, encodeReset());
      dId = INITIAL;
      tId = INITIAL;
    } else {
      // A request the target gives up on silently, then a Continue (no reply expected).
      const api = rnd() & 1 ? ManipulateApi.Continue2 : ManipulateApi.ReadIoSpace;
      send(D2T, encodeDataPacket(PacketType.STATE_MANIPULATE, dId, buildManipulate({ api })));
      send(T2D, encodeAck(dId));
      dId ^= 1;
    }
  }
  return out;
}

/** Cuts each step's bytes into 1..3 pieces (a relay reads a packet in pieces too). */
export function cutSteps(steps: readonly WireStep[], seed = 2): WireStep[] {
  const rnd = xorshift32(seed);
  const out: WireStep[] = [];
  for (const step of steps) {
    let at = 0;
    const pieces = 1 + (rnd() % 3);
    for (let p = 1; p < pieces && at < step.bytes.length; p++) {
      const cut = at + 1 + (rnd() % Math.max(1, step.bytes.length - at));
      if (cut >= step.bytes.length) break;
      out.push({ dir: step.dir, bytes: step.bytes.subarray(at, cut) });
      at = cut;
    }
    out.push({ dir: step.dir, bytes: step.bytes.subarray(at) });
  }
  return out;
}
