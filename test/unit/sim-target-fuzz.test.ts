// Property test of the simulated target: any manipulate payload (any API, any union bytes,
// any length, short ones included) gets exactly one reply with the same ApiNumber, or makes
// it run when it is a continue; it never throws and keeps serving.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManipulateApi, PacketType } from '../../protocol/kd/constants';
import { KdLink, type LinkPacket } from '../../protocol/kd/link';
import { buildManipulate, decodeManipulate } from '../../protocol/kd/payloads/manipulate';
import { SimTarget } from '../../electron/engine/simulators/target';
import { FakeClock } from '../support/fake-clock';

const apis = Object.values(ManipulateApi) as number[];
const CONTINUES: readonly number[] = [ManipulateApi.Continue, ManipulateApi.Continue2];

const payloadArb = fc.oneof(
  // A known API with random union and data bytes.
  fc
    .tuple(
      fc.constantFrom(...apis),
      fc.uint8Array({ minLength: 40, maxLength: 40 }),
      fc.uint8Array({ maxLength: 64 }),
    )
    .map(([api, union, data]) => {
      const p = buildManipulate({ api }, data);
      p.set(union, 16);
      return p;
    }),
  // Anything at all, short payloads included.
  fc.uint8Array({ maxLength: 120 }),
);

describe('simulated target under fuzz', () => {
  it('answers every manipulate with its ApiNumber, or runs on a continue', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(payloadArb, { minLength: 1, maxLength: 10 }), async (payloads) => {
        const clock = new FakeClock();
        const target = new SimTarget({ timers: clock, runMs: 1 });
        const link: KdLink = new KdLink({
          role: 'debugger',
          timers: clock,
          queueLimit: 64,
          send: (b) => void clock.set(1, () => target.feed(b)),
        });
        target.onSend((b) => void clock.set(1, () => link.feed(b)));
        const pump = async (until: () => boolean): Promise<void> => {
          for (let i = 0; i < 10_000 && !until(); i++) {
            if (!clock.step()) break;
            await Promise.resolve();
          }
        };
        const next = async (types: number[]): Promise<LinkPacket | undefined> => {
          let got: LinkPacket | undefined;
          void link.receive(types).then(
            (p) => (got = p),
            () => undefined,
          );
          await pump(() => got !== undefined);
          return got;
        };
        link.reset();
        expect(await next([PacketType.STATE_CHANGE64])).toBeDefined();
        for (const payload of payloads) {
          const api = decodeManipulate(payload).api;
          let acked = false;
          void link.send(PacketType.STATE_MANIPULATE, payload).then(() => (acked = true));
          await pump(() => acked);
          expect(acked).toBe(true);
          if (CONTINUES.includes(api)) {
            await pump(() => target.state === 'running' && target.idle);
            expect(target.state).toBe('running');
            link.breakin();
            expect(await next([PacketType.STATE_CHANGE64])).toBeDefined();
            continue;
          }
          const reply = await next([PacketType.STATE_MANIPULATE]);
          expect(reply).toBeDefined();
          expect(decodeManipulate(reply!.payload).api).toBe(api);
        }
        target.close();
        link.close();
      }),
      { numRuns: 100 },
    );
  });
});
