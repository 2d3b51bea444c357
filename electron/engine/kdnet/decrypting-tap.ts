// Puts a serial-stream tap (the live Wireshark sink) behind KDNET: each relayed datagram is
// decrypted and the KD packet inside, re-framed as kdcom sends it, is what the inner tap sees,
// so Wireshark with resources/wireshark/kdscope.lua follows a KDNET session live, with no
// crypto library. Control datagrams (the key exchange) carry no KD and are left out.

import type { Direction } from '../../../protocol/kd/events';
import { KDNET_HOLD_DATAGRAMS, KdnetDecoder } from '../../../protocol/kdnet/decoder';
import { nodeKdnetCrypto } from '../../capture/kdnet-node-crypto';
import type { StreamChunk } from '../../capture/chunk';
import type { BridgeTap, TapHost } from '../bridge/types';

export function kdnetDecryptingTap(inner: BridgeTap, startKey: Uint8Array): BridgeTap {
  const decoder = new KdnetDecoder<Direction>(startKey, nodeKdnetCrypto, {
    hold: KDNET_HOLD_DATAGRAMS,
  });
  return {
    name: inner.name,
    bind(host: TapHost) {
      inner.bind?.(host);
    },
    write(batch: readonly StreamChunk[]) {
      const out: StreamChunk[] = [];
      for (const chunk of batch) {
        const outcome = decoder.decode(chunk.bytes, chunk.dir);
        if (outcome.kind === 'kd') out.push({ ...chunk, bytes: outcome.bytes });
        else if (outcome.kind === 'control') {
          for (const { outcome: opened, tag } of decoder.takeReleased()) {
            if (opened.kind === 'kd') out.push({ ...chunk, dir: tag, bytes: opened.bytes });
          }
        }
      }
      if (out.length > 0) inner.write(out);
    },
    close() {
      return inner.close();
    },
  };
}
