// Who may take the KDNET target's place on the bridge's bound socket (transports/udp.ts): a
// sender whose datagram authenticates under this session's key. A rebooted target comes from a
// new port and pokes on the control channel (the starting key); one whose port changed
// mid-session sends data under the key the last exchange derived, so the debugger's control
// replies that go by are followed, as KdnetDecoder does. Until the key has opened one of the
// target's control datagrams it may be wrong (the bridge relays a session it cannot decrypt
// all the same): then a datagram that looks like KDNET is enough.

import { KdnetDecoder } from '../../../protocol/kdnet/decoder';
import { KdnetChannel, hasKdnetMagic } from '../../../protocol/kdnet/datagram';
import { nodeKdnetCrypto } from '../../capture/kdnet-node-crypto';
import { plausibleKdnet, type SenderAdmission } from '../transports/udp';

const CHANNEL_BYTE = 5;

const isControl = (datagram: Uint8Array): boolean =>
  hasKdnetMagic(datagram) && datagram[CHANNEL_BYTE] === KdnetChannel.CONTROL;

export function kdnetAdmission(startKey: Uint8Array): SenderAdmission {
  // Only control datagrams (pokes, replies: a few a session) and new senders' datagrams are
  // decrypted here; the data traffic is not.
  const decoder = new KdnetDecoder(startKey, nodeKdnetCrypto);
  let keyProven = false;
  const opens = (datagram: Uint8Array): boolean => {
    const kind = decoder.decode(datagram).kind;
    return kind === 'kd' || kind === 'control';
  };
  return {
    admits(datagram) {
      if (!plausibleKdnet.admits(datagram)) return false;
      if (opens(datagram)) {
        keyProven = true;
        return true;
      }
      return !keyProven;
    },
    sent(datagram) {
      if (isControl(datagram)) opens(datagram);
    },
    received(datagram) {
      if (isControl(datagram) && opens(datagram)) keyProven = true;
    },
  };
}
