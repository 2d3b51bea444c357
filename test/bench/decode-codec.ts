// Throughput of the in-process KD framing decoder on a generated realistic capture, cut into
// chunks of 1..64 KiB like a relay's reads. Baseline: a plain byte-sum loop over the same chunks.
// Targets (2-core CI box): >= 300 MB/s and >= 3 M packets/s.

import { KdStreamDecoder } from '../../protocol/kd/decoder';
import type { KdEvent } from '../../protocol/kd/events';
import { generateRealisticStream, randomChunks } from '../support/kd-gen';

const MB = 1024 * 1024;
const DEFAULT_BYTES = 200 * MB;

interface Pass {
  readonly seconds: number;
  readonly packets: number;
  readonly coveredBytes: number;
}

function decodePass(chunks: readonly Uint8Array[]): Pass {
  const decoder = new KdStreamDecoder();
  let packets = 0;
  let coveredBytes = 0;
  // Touch every event like a real consumer would, so no work can be optimised away.
  const sink = (e: KdEvent): void => {
    if (e.kind === 'packet') packets++;
    coveredBytes += e.length;
  };
  const start = performance.now();
  for (const chunk of chunks) decoder.push(chunk, sink);
  decoder.end(sink);
  return { seconds: (performance.now() - start) / 1000, packets, coveredBytes };
}

function byteSumPass(chunks: readonly Uint8Array[]): { seconds: number; sum: number } {
  const start = performance.now();
  let sum = 0;
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) sum = (sum + chunk[i]!) | 0;
  }
  return { seconds: (performance.now() - start) / 1000, sum };
}

function prepare(totalBytes: number): {
  chunks: Uint8Array[];
  packets: number;
  bytes: number;
} {
  const stream = generateRealisticStream(totalBytes, 0x5eed);
  return {
    chunks: randomChunks(stream.bytes, 7, 1, 64 * 1024),
    packets: stream.packets,
    bytes: totalBytes,
  };
}

function check(pass: Pass, packets: number, bytes: number): void {
  if (pass.packets !== packets || pass.coveredBytes !== bytes) {
    throw new Error(
      `decode-codec: decoded ${pass.packets}/${packets} packets covering ${pass.coveredBytes}/${bytes} bytes`,
    );
  }
}

/** Decodes about `totalBytes` of realistic traffic (best of 3 passes after a warm-up). */
export function measureCodec(totalBytes: number): { mbPerSec: number; packetsPerSec: number } {
  const { chunks, packets, bytes } = prepare(totalBytes);
  decodePass(chunks.slice(0, 64));
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const result = decodePass(chunks);
    check(result, packets, bytes);
    best = Math.min(best, result.seconds);
  }
  return { mbPerSec: bytes / MB / best, packetsPerSec: packets / best };
}

export async function run(): Promise<void> {
  const totalBytes = Number(process.env.KD_BENCH_BYTES ?? DEFAULT_BYTES);
  const genStart = performance.now();
  const { chunks, packets, bytes } = prepare(totalBytes);
  const genSeconds = (performance.now() - genStart) / 1000;
  console.log(
    `stream: ${(bytes / MB).toFixed(0)} MB, ${packets} packets (avg ${(bytes / packets).toFixed(0)} B), ` +
      `${chunks.length} chunks; generated in ${genSeconds.toFixed(1)} s`,
  );
  decodePass(chunks.slice(0, 64));
  byteSumPass(chunks.slice(0, 64));
  let decodeBest = Infinity;
  let sumBest = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const decoded = decodePass(chunks);
    check(decoded, packets, bytes);
    decodeBest = Math.min(decodeBest, decoded.seconds);
    sumBest = Math.min(sumBest, byteSumPass(chunks).seconds);
  }
  const mbPerSec = bytes / MB / decodeBest;
  const packetsPerSec = packets / decodeBest;
  const baseline = bytes / MB / sumBest;
  console.log(
    `decoder:  ${mbPerSec.toFixed(0)} MB/s, ${(packetsPerSec / 1e6).toFixed(2)} M packets/s`,
  );
  console.log(`byte sum: ${baseline.toFixed(0)} MB/s (baseline)`);
  console.log(`ratio decoder/byte-sum: ${(mbPerSec / baseline).toFixed(2)}`);
  const ok = mbPerSec >= 300 && packetsPerSec >= 3e6;
  console.log(`targets >= 300 MB/s and >= 3 M packets/s: ${ok ? 'met' : 'NOT met'}`);
}
