// The decode path end to end: `kdscope decode` as a process against tshark on the same 17 MB
// seed-format capture (decode-cli.ts), the in-process session pipeline (capture reader ->
// framing -> describePacket -> tracker -> NDJSON bytes, read as `kdscope decode` reads: in
// ranges of a reused block) with each stage's share, and the framing codec alone on 200 MB
// when decode-codec.ts provides measureCodec.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture } from '../../electron/capture/capture-source';
import { NdjsonWriter } from '../../electron/cli/decode-format';
import { OutputSink } from '../../electron/cli/output-sink';
import { KdStreamDecoder } from '../../protocol/kd/decoder';
import type { KdEvent } from '../../protocol/kd/events';
import { describePacket } from '../../protocol/kd/payloads/index';
import { SessionDecoder } from '../../protocol/session/pipeline';
import { compareWithTshark, generateSessionCapture, printComparison } from './decode-cli';

const ROOT = join(import.meta.dirname ?? process.cwd(), '../..');

/** CPU milliseconds of the best of `runs` (CPU time: the box is shared, wall time is noise). */
function cpuBest(runs: number, f: () => void): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = process.cpuUsage();
    f();
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}

function inProcessStages(path: string): void {
  const source = openCapture(path);
  const discard = {
    on: () => undefined,
    write: () => true,
  } as unknown as NodeJS.WritableStream;
  let sink = 0;
  const stages: [string, () => void][] = [
    [
      'read frames (baseline)',
      () => source.forEachRange((dir, b, start, end) => (sink += end - start)),
    ],
    [
      '+ framing',
      () => {
        const d = new KdStreamDecoder();
        const t = new KdStreamDecoder();
        const emit = (e: KdEvent): void => {
          sink += e.length;
        };
        source.forEachRange((dir, b, start, end) =>
          (dir === 'debugger->target' ? d : t).pushRange(b, start, end, emit),
        );
      },
    ],
    [
      '+ describePacket',
      () => {
        const d = new KdStreamDecoder();
        const t = new KdStreamDecoder();
        const emit = (e: KdEvent): void => {
          if (e.kind === 'packet' && e.leader === 'data')
            sink += describePacket(e.type, e.payload).api ?? 0;
        };
        source.forEachRange((dir, b, start, end) =>
          (dir === 'debugger->target' ? d : t).pushRange(b, start, end, emit),
        );
      },
    ],
    [
      '+ tracker (SessionDecoder)',
      () => {
        const s = new SessionDecoder({ onRecord: (r) => (sink += r.length) });
        source.forEachRange((dir, b, start, end, timeUs, frame) =>
          s.pushRange(dir, b, start, end, timeUs / 1000, frame),
        );
        s.end();
      },
    ],
    [
      '+ NDJSON bytes',
      () => {
        const out = new OutputSink(discard);
        const writer = new NdjsonWriter(out, true);
        const s = new SessionDecoder({
          onRecord: (r) => {
            writer.record(r);
            if (out.pos > 1 << 19) out.pos = 0;
          },
        });
        source.forEachRange((dir, b, start, end, timeUs, frame) =>
          s.pushRange(dir, b, start, end, timeUs / 1000, frame),
        );
        s.end();
      },
    ],
  ];
  let base = 0;
  for (const [name, f] of stages) {
    const ms = cpuBest(5, f);
    if (base === 0) base = ms;
    console.log(
      `  ${name.padEnd(28)} ${ms.toFixed(1).padStart(7)} ms CPU  (${(ms / base).toFixed(1)}x baseline)`,
    );
  }
  if (sink < 0) console.log(sink);
}

export async function run(): Promise<void> {
  printComparison(compareWithTshark());

  const dir = mkdtempSync(join(tmpdir(), 'kdscope-bench-'));
  try {
    const path = join(dir, 'session.pcap');
    generateSessionCapture(path);
    console.log('in-process stages on the same capture (best of 5):');
    inProcessStages(path);
    // What Wireshark users run today: tshark dissecting KD (our Lua dissector; one run, slow).
    const lua = join(ROOT, 'resources/wireshark/kdscope.lua');
    const started = performance.now();
    const dissected = spawnSync(
      'tshark',
      ['-X', `lua_script:${lua}`, '-r', path, '-T', 'fields', '-e', 'kd.type'],
      {
        stdio: ['ignore', 'ignore', 'ignore'],
      },
    );
    if (dissected.status === 0) {
      console.log(
        `tshark with the KD Lua dissector (-e kd.type): ${(performance.now() - started).toFixed(0)} ms wall, once`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  if (existsSync(join(ROOT, 'test/bench/decode-codec.ts'))) {
    const { measureCodec } = await import('./decode-codec');
    const codec = measureCodec(200 * 1024 * 1024);
    console.log(
      `framing codec on 200 MB: ${codec.mbPerSec.toFixed(0)} MB/s, ${(codec.packetsPerSec / 1e6).toFixed(2)} M packets/s`,
    );
  } else {
    console.log('framing codec: test/bench/decode-codec.ts is not there yet');
  }
}
