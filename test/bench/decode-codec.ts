// Throughput of the in-process KD framing decoder on a generated realistic capture, cut into
// chunks of 1..64 KiB like a relay's reads. Baseline: a plain byte-sum loop over the same chunks.
// Targets (2-core CI box): >= 300 MB/s and >= 3 M packets/s.

import { availableParallelism, loadavg } from 'node:os';
import { KdStreamDecoder } from '../../protocol/kd/decoder';
import type { KdEvent } from '../../protocol/kd/events';
import { generateRealisticStream, randomChunks, xorshift32 } from '../support/kd-gen';

const MB = 1024 * 1024;
const DEFAULT_BYTES = 200 * MB;

interface Pass {
  readonly seconds: number;
  /** CPU time of this process (all threads, GC included): less skewed by other load. */
  readonly cpuSeconds: number;
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
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (const chunk of chunks) decoder.push(chunk, sink);
  decoder.end(sink);
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, packets, coveredBytes };
}

function byteSumPass(chunks: readonly Uint8Array[]): {
  seconds: number;
  cpuSeconds: number;
  sum: number;
} {
  const cpu = process.cpuUsage();
  const start = performance.now();
  let sum = 0;
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) sum = (sum + chunk[i]!) | 0;
  }
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, sum };
}

function prepare(totalBytes: number): {
  chunks: Uint8Array[];
  packets: number;
  bytes: number;
} {
  const stream = generateRealisticStream(totalBytes, 0x5eed);
  // Node Buffers, as a relay's sockets deliver them.
  const chunks = randomChunks(stream.bytes, 7, 1, 64 * 1024).map((c) =>
    Buffer.from(c.buffer, c.byteOffset, c.length),
  );
  return { chunks, packets: stream.packets, bytes: totalBytes };
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
  let decodeCpuBest = Infinity;
  let sumBest = Infinity;
  let sumCpuBest = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const decoded = decodePass(chunks);
    check(decoded, packets, bytes);
    decodeBest = Math.min(decodeBest, decoded.seconds);
    decodeCpuBest = Math.min(decodeCpuBest, decoded.cpuSeconds);
    const summed = byteSumPass(chunks);
    sumBest = Math.min(sumBest, summed.seconds);
    sumCpuBest = Math.min(sumCpuBest, summed.cpuSeconds);
  }
  const mb = bytes / MB;
  const mbPerSec = mb / decodeBest;
  const packetsPerSec = packets / decodeBest;
  console.log(
    `decoder:  ${mbPerSec.toFixed(0)} MB/s, ${(packetsPerSec / 1e6).toFixed(2)} M packets/s ` +
      `(per CPU second: ${(mb / decodeCpuBest).toFixed(0)} MB/s, ${(packets / decodeCpuBest / 1e6).toFixed(2)} M packets/s)`,
  );
  console.log(
    `byte sum: ${(mb / sumBest).toFixed(0)} MB/s (baseline; per CPU second ${(mb / sumCpuBest).toFixed(0)} MB/s)`,
  );
  console.log(
    `ratio decoder/byte-sum: ${(sumBest / decodeBest).toFixed(2)} (CPU time: ${(sumCpuBest / decodeCpuBest).toFixed(2)})`,
  );
  // Worst-case-ish input: uniformly random bytes (mostly noise, short leader runs, false headers).
  const noise = new Uint8Array(32 * MB);
  const rnd = xorshift32(99);
  for (let i = 0; i < noise.length; i += 4) {
    const r = rnd();
    noise[i] = r;
    noise[i + 1] = r >>> 8;
    noise[i + 2] = r >>> 16;
    noise[i + 3] = r >>> 24;
  }
  const noiseChunks = randomChunks(noise, 3, 1, 64 * 1024);
  let noiseCpuBest = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const decoded = decodePass(noiseChunks);
    if (decoded.coveredBytes !== noise.length)
      throw new Error('decode-codec: random bytes not covered');
    noiseCpuBest = Math.min(noiseCpuBest, decoded.cpuSeconds);
  }
  console.log(`random bytes: ${(32 / noiseCpuBest).toFixed(0)} MB per CPU second`);
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${availableParallelism()} CPUs`,
  );
  const ok = mbPerSec >= 300 && packetsPerSec >= 3e6;
  console.log(`targets >= 300 MB/s and >= 3 M packets/s (wall clock): ${ok ? 'met' : 'NOT met'}`);
}
