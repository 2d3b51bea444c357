// The simulated VM's pace (the attach page's "Live pace (400/s)", bridge --rate): the packets
// the session shows a second are about what it says. A pause after each scripted step gave
// half of it (the target's run time, the round trips and the timers' slack came on top).
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Workbench } from '../../electron/engine/workbench/workbench';
import { untilWithin } from '../support/until';

const until = untilWithin(30_000, 5);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('the simulated VM at a set rate', () => {
  it('shows about that many packets a second', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kdscope-rate-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const workbench = new Workbench({ capturesDir: dir });
    cleanups.push(() => workbench.dispose());
    const handlers = workbench.connect(() => undefined);
    cleanups.push(() => handlers.dispose());
    const rate = 400;
    await handlers['session.start']({ debugger: 'sim', target: 'sim', rate });
    const packets = (): number => workbench.status().counters.packets;
    // From the first session's steps on (the start-up handshake aside), over 1000 packets.
    await until(() => packets() >= 200, '200 packets');
    const [from, t0] = [packets(), performance.now()];
    await until(() => packets() >= from + 1000, '1000 packets more');
    const perSecond = (packets() - from) / ((performance.now() - t0) / 1000);
    // Above: paced by deadline, it never runs ahead. Below: a busy machine slows the timers,
    // and the deadlines make that up; the old pace gave 200 of 400.
    expect(perSecond).toBeLessThan(rate * 1.3);
    expect(perSecond).toBeGreaterThan(rate * 0.7);
  }, 60_000);
});
