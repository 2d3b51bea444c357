// The link samples behind the occupancy and I/O graphs: per direction bytes and packets that
// grow, the bridge's queues, and for sim:vmbus the rings' fill and the pipe's counters; each
// later than the one before; the history stays readable after Stop and ends with the sample
// marked final, taken once the session closed.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LinkSample } from '../../electron/api/contract';
import { Workbench } from '../../electron/engine/workbench/workbench';
import { untilWithin } from '../support/until';

const until = untilWithin(15_000, 10);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('link samples', () => {
  it('sample bytes, packets, queues and the VMBus rings; the history outlives Stop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kdscope-stats-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const workbench = new Workbench({ capturesDir: dir });
    cleanups.push(() => workbench.dispose());
    const samples: LinkSample[] = [];
    const handlers = workbench.connect((name, data) => {
      if (name === 'stats') samples.push(data as LinkSample);
    });
    cleanups.push(() => handlers.dispose());
    await handlers['session.start']({
      debugger: 'sim',
      target: 'sim:vmbus',
      feedback: true,
      rate: 2000,
    });
    await until(
      () => (samples.at(-1)?.['target->debugger'].packets ?? 0) > 20,
      'packets in the samples',
    );
    const last = samples.at(-1)!;
    for (const dir of ['debugger->target', 'target->debugger'] as const) {
      expect(last[dir].bytes).toBeGreaterThan(0);
      expect(last[dir].queuedBytes).toBeGreaterThanOrEqual(0);
      expect(typeof last[dir].paused).toBe('boolean');
    }
    expect(last.rings?.map((r) => r.ring).sort()).toEqual(['guest->host', 'host->guest']);
    expect(last.rings!.every((r) => r.size === 0x2000 && r.highWater > 0)).toBe(true);
    expect(last.pipe!.messagesOut).toBeGreaterThan(0);
    expect(last.pipe!.feedbackReceived).toBeGreaterThan(0);
    // Cumulative and in time order.
    for (let i = 1; i < samples.length; i++) {
      expect(samples[i]!.time).toBeGreaterThan(samples[i - 1]!.time);
      expect(samples[i]!['debugger->target'].bytes).toBeGreaterThanOrEqual(
        samples[i - 1]!['debugger->target'].bytes,
      );
    }
    expect(samples.some((s) => s.final)).toBe(false);
    // Stop within the millisecond of the last tick: the final sample is still the later one (a
    // window merges what it is sent with the history it loads by time).
    const clock = vi.spyOn(Date, 'now').mockReturnValue(samples.at(-1)!.time);
    try {
      await handlers['session.stop']();
    } finally {
      clock.mockRestore();
    }
    const history = await handlers['session.stats']();
    expect(history.length).toBeGreaterThanOrEqual(samples.length);
    // The last sample sent is the session's final one, as the history ends, and only it.
    expect(samples.at(-1)!.final).toBe(true);
    expect(samples.at(-1)!.time).toBe(samples.at(-2)!.time + 1);
    expect(history.at(-1)).toEqual(samples.at(-1));
    expect(history.filter((s) => s.final)).toHaveLength(1);
    expect(history.at(-1)!['target->debugger'].packets).toBe(
      workbench.status().counters.packets - history.at(-1)!['debugger->target'].packets,
    );
  }, 30_000);
});
