// Capture I/O: reading a 17 MB / 170 k-frame seed-format capture (openCapture + forEach)
// against the floor of reading the file into memory, and tshark on the same file; writing
// it live (one synchronous write per frame) against buffered export writes.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { openCapture } from '../../electron/capture/capture-source';
import { PcapWriter } from '../../electron/capture/capture-writers';
import type { StreamChunk } from '../../electron/capture/chunk';
import { makeTempDir } from '../support/pcap-fixtures';

const FRAMES = 170_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timeMs(runs: number, fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

function makeFrames(): StreamChunk[] {
  const frames: StreamChunk[] = [];
  for (let i = 0; i < FRAMES; i++) {
    // Mostly short pieces (ACKs, headers), some packet bodies: ~42 bytes on average.
    const size = i % 10 === 0 ? 250 : 17 + (i % 13);
    frames.push({
      dir: i % 2 ? 'target->debugger' : 'debugger->target',
      timeUs: 1_732_521_600_000_000 + i * 50,
      bytes: new Uint8Array(size).fill(0x30 + (i % 3)),
    });
  }
  return frames;
}

export async function run(): Promise<void> {
  const tmp = makeTempDir('kdscope-bench-capture-');
  try {
    const frames = makeFrames();
    const path = tmp.file('bench.pcap');

    const live = timeMs(3, () => {
      const w = PcapWriter.open(path);
      for (const f of frames) w.write(f);
      w.close();
    });
    const buffered = timeMs(3, () => {
      const w = PcapWriter.open(path, { bufferBytes: 1 << 20 });
      for (const f of frames) w.write(f);
      w.close();
    });
    const size = statSync(path).size;
    console.log(`capture: ${FRAMES} frames, ${(size / 1e6).toFixed(1)} MB`);
    console.log(
      `write live (sync per frame) ${live.toFixed(0)} ms, buffered export ${buffered.toFixed(0)} ms: live/buffered ${(live / buffered).toFixed(2)}x`,
    );

    const floor = timeMs(7, () => readFileSync(path));
    let chunks = 0;
    const read = timeMs(7, () => {
      chunks = 0;
      openCapture(path).forEach(() => {
        chunks++;
      });
    });
    if (chunks !== FRAMES) throw new Error(`bench: read ${chunks} chunks, wrote ${FRAMES}`);
    console.log(
      `read: openCapture+forEach ${read.toFixed(1)} ms (${((size / 1e6 / read) * 1000).toFixed(0)} MB/s), readFileSync alone ${floor.toFixed(1)} ms: ratio ${(read / floor).toFixed(2)}x the I/O floor`,
    );
    try {
      const tshark = timeMs(1, () =>
        execFileSync('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.number'], {
          stdio: ['ignore', 'ignore', 'ignore'],
          maxBuffer: 1 << 30,
        }),
      );
      console.log(
        `tshark -T fields -e frame.number: ${tshark.toFixed(0)} ms: kdscope reader is ${(tshark / read).toFixed(0)}x faster`,
      );
    } catch {
      console.log('tshark: not available, skipped');
    }
  } finally {
    tmp.cleanup();
  }
}
