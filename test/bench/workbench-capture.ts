// Workbench recording bench: packets per second of a flat-out simulated UI session that records
// every chunk to its pcap (one synchronous write per frame), against the same session whose
// captures folder cannot be created (not recording), measured in interleaved rounds.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Workbench } from '../../electron/engine/workbench/workbench';

const ROUND_MS = 2000;
const ROUNDS = 3;

async function round(capturesDir: string): Promise<{ rate: number; frames: number }> {
  const workbench = new Workbench({ capturesDir });
  // A connection that keeps up, as a UI would (the store seals and sends batches).
  const handlers = workbench.connect((name, data) => {
    if (name === 'records') void handlers['stream.ack']((data as { seq: number }).seq);
  });
  await handlers['stream.ready']({ window: 8 });
  const t0 = performance.now();
  await workbench.start({ debugger: 'sim', target: 'sim', rate: 1_000_000 });
  await new Promise((r) => setTimeout(r, ROUND_MS));
  const { counters } = workbench.status();
  const seconds = (performance.now() - t0) / 1000;
  await workbench.stop();
  handlers.dispose();
  await workbench.dispose();
  return { rate: counters.packets / seconds, frames: counters.frames };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kdscope-bench-wb-'));
  const unwritable = join(dir, 'a-file', 'captures');
  writeFileSync(join(dir, 'a-file'), 'x');
  try {
    const off: number[] = [];
    const on: number[] = [];
    let frames = 0;
    for (let i = 0; i < ROUNDS; i++) {
      off.push((await round(unwritable)).rate);
      const r = await round(dir);
      on.push(r.rate);
      frames = r.frames;
    }
    const a = median(off);
    const b = median(on);
    console.log(`workbench flat out, not recording (baseline): ${Math.round(a)} packets/s`);
    console.log(
      `workbench flat out, recording every chunk:     ${Math.round(b)} packets/s ` +
        `(${(b / a).toFixed(2)}x; ${frames} frames in the last round)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
