// The VMBus pipe path in process: KD bytes through the host's pipe adapter, a simulated ring,
// and the guest's adapter, with and without feedback, against a plain in-process Duplex pair
// (what `sim` costs) as the baseline. Bulk: 16 MB in 4 KiB writes; echo: 5000 round trips of
// a 1 KiB packet (KD is request/response, so latency matters more than bandwidth).
import { Duplex } from 'node:stream';
import { createSimVmbusTarget } from '../../electron/engine/simulators/vmbus-target';

interface Pair {
  readonly host: Duplex;
  readonly guest: Duplex;
  close(): void;
}

/** Two in-process ends, each write delivered on a later turn (as the `sim` channel does). */
function plainPair(): Pair {
  const ends: Duplex[] = [];
  const make = (peer: () => Duplex): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        setImmediate(() => {
          peer().push(chunk);
          callback();
        });
      },
    });
  ends.push(
    make(() => ends[1]!),
    make(() => ends[0]!),
  );
  return { host: ends[0]!, guest: ends[1]!, close: () => ends.forEach((e) => e.destroy()) };
}

function vmbusPair(feedback: boolean): Pair {
  const sim = createSimVmbusTarget({ pipe: { feedback } });
  sim.target.close();
  sim.guest.removeAllListeners('data');
  return { host: sim.stream, guest: sim.guest, close: () => sim.stream.destroy() };
}

async function bulk(pair: Pair, total: number): Promise<number> {
  const chunk = Buffer.alloc(4096, 0x30);
  let got = 0;
  const start = performance.now();
  const done = new Promise<void>((resolve) =>
    pair.guest.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= total) resolve();
    }),
  );
  for (let sent = 0; sent < total; sent += chunk.length) {
    if (!pair.host.write(chunk)) await new Promise((r) => pair.host.once('drain', r));
  }
  await done;
  return performance.now() - start;
}

async function echo(pair: Pair, rounds: number): Promise<number> {
  pair.guest.on('data', (d: Buffer) => pair.guest.write(d));
  const packet = Buffer.alloc(1024, 0x69);
  const start = performance.now();
  for (let i = 0; i < rounds; i++) {
    let got = 0;
    await new Promise<void>((resolve) => {
      const onData = (d: Buffer): void => {
        got += d.length;
        if (got >= packet.length) {
          pair.host.off('data', onData);
          resolve();
        }
      };
      pair.host.on('data', onData);
      pair.host.write(packet);
    });
  }
  return performance.now() - start;
}

export async function run(): Promise<void> {
  const TOTAL = 16 * 1024 * 1024;
  const ROUNDS = 5000;
  const results: [string, number, number][] = [];
  for (const [name, make] of [
    ['plain Duplex pair (baseline)', plainPair],
    ['sim:vmbus rings', () => vmbusPair(false)],
    ['sim:vmbus rings, feedback', () => vmbusPair(true)],
  ] as const) {
    const a = make();
    const bulkMs = await bulk(a, TOTAL);
    a.close();
    const b = make();
    const echoMs = await echo(b, ROUNDS);
    b.close();
    results.push([name, bulkMs, echoMs]);
  }
  const [, baseBulk, baseEcho] = results[0]!;
  console.log(`vmbus-channel: bulk ${TOTAL / 1048576} MB in 4 KiB writes; echo ${ROUNDS} x 1 KiB`);
  for (const [name, bulkMs, echoMs] of results) {
    console.log(
      `  ${name.padEnd(30)} bulk ${((TOTAL / 1e6 / bulkMs) * 1000).toFixed(0).padStart(5)} MB/s (x${(bulkMs / baseBulk).toFixed(2)})` +
        `  echo ${((echoMs / ROUNDS) * 1000).toFixed(0).padStart(4)} us/round trip (x${(echoMs / baseEcho).toFixed(2)})`,
    );
  }
}
