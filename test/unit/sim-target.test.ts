import { afterEach, describe, expect, it } from 'vitest';
import { ManipulateApi, PacketType, StateChange } from '../../protocol/kd/constants';
import { encodeReset } from '../../protocol/kd/encoder';
import { KdLink } from '../../protocol/kd/link';
import { decodeDebugIo } from '../../protocol/kd/payloads/debug-io';
import {
  buildManipulate,
  decodeManipulate,
  type DecodedManipulate,
  type ManipulateInput,
} from '../../protocol/kd/payloads/manipulate';
import {
  decodeStateChange64,
  type DecodedStateChange64,
} from '../../protocol/kd/payloads/state-change';
import { CONTEXT_SIZE, ContextOffset } from '../../electron/engine/simulators/context';
import {
  IMAGE_BASE,
  IMAGE_PHYSICAL,
  IMAGE_SIZE,
  ImageLayout,
  buildImage,
} from '../../electron/engine/simulators/memory';
import {
  MAX_TRANSFER,
  SimTarget,
  Status,
  type SimTargetOptions,
} from '../../electron/engine/simulators/target';
import { nodeTimers } from '../../electron/engine/simulators/timers';
import { FakeClock } from '../support/fake-clock';
import { untilWithin } from '../support/until';

const until = untilWithin(5_000, 5);

const open: { target: SimTarget; link: KdLink }[] = [];
afterEach(() => {
  for (const { target, link } of open.splice(0)) {
    target.close();
    link.close();
  }
});

/** A bare debugger-side link wired to a target, each hop on a later turn like a socket. */
function harness(options: SimTargetOptions = {}) {
  const target = new SimTarget({ runMs: 1, ...options });
  const link = new KdLink({
    role: 'debugger',
    timers: nodeTimers,
    ackTimeoutMs: 200,
    maxSends: 5,
    send: (bytes) => setImmediate(() => target.feed(bytes)),
  });
  target.onSend((bytes) => setImmediate(() => link.feed(bytes)));
  open.push({ target, link });

  const stateChange = async (): Promise<DecodedStateChange64> => {
    const packet = await link.receive([PacketType.STATE_CHANGE64], 2000);
    return decodeStateChange64(packet.payload);
  };
  const request = async (input: ManipulateInput, data?: Uint8Array): Promise<DecodedManipulate> => {
    await link.send(PacketType.STATE_MANIPULATE, buildManipulate(input, data));
    const packet = await link.receive([PacketType.STATE_MANIPULATE], 2000);
    return decodeManipulate(packet.payload);
  };
  const start = async (): Promise<DecodedStateChange64> => {
    link.reset();
    return stateChange();
  };
  const read = (api: number, address: bigint, count: number) =>
    request({ api, fields: { targetBaseAddress: address, transferCount: count } });
  return { target, link, stateChange, request, start, read };
}

describe('simulated target', () => {
  it('waits for the debugger, then reports LoadSymbols for its kernel', async () => {
    // However long nobody speaks to it (a minute on its own clock), it says nothing.
    const clock = new FakeClock();
    const alone = new SimTarget({ seed: 7, timers: clock });
    const said: Uint8Array[] = [];
    alone.onSend((bytes) => said.push(bytes));
    clock.advance(60_000);
    expect(said).toEqual([]);
    expect(alone.state).toBe('waiting');
    alone.close();
    const h = harness({ seed: 7 });
    expect(h.link.queued).toBe(0);
    expect(h.target.state).toBe('waiting');
    const load = await h.start();
    expect(load.newState).toBe(StateChange.LoadSymbols);
    expect(load.path).toBe('\\SystemRoot\\system32\\ntoskrnl.exe');
    expect(load.fields).toMatchObject({
      baseOfDll: IMAGE_BASE,
      sizeOfImage: IMAGE_SIZE,
      checkSum: buildImage(7).checkSum,
    });
    expect(load.programCounter).toBe(IMAGE_BASE + BigInt(ImageLayout.entryPoint));
    expect(load.controlReport.segCs).toBe(0x10);
    expect(h.target.state).toBe('stopped');
  });

  it('serves virtual and physical memory from one image, zeros elsewhere, clamps transfers', async () => {
    const h = harness();
    await h.start();
    const head = await h.read(ManipulateApi.ReadVirtualMemory, IMAGE_BASE, 0x200);
    expect(head.returnStatus).toBe(Status.SUCCESS);
    expect([...head.data.subarray(0, 2)]).toEqual([0x4d, 0x5a]);
    const phys = await h.read(ManipulateApi.ReadPhysicalMemory, IMAGE_PHYSICAL, 0x200);
    expect(phys.data).toEqual(head.data);
    const edge = await h.read(
      ManipulateApi.ReadVirtualMemory,
      IMAGE_BASE + BigInt(IMAGE_SIZE - 8),
      16,
    );
    expect(edge.fields.actualBytesRead).toBe(16);
    expect([...edge.data.subarray(8)]).toEqual(new Array(8).fill(0));
    const nowhere = await h.read(ManipulateApi.ReadVirtualMemory, 0xffff000012340000n, 64);
    expect(nowhere.returnStatus).toBe(Status.SUCCESS);
    expect(nowhere.data).toEqual(new Uint8Array(64));
    const big = await h.read(ManipulateApi.ReadVirtualMemory, IMAGE_BASE, 10_000);
    expect(big.fields.actualBytesRead).toBe(MAX_TRANSFER);
    expect(big.data).toHaveLength(MAX_TRANSFER);

    const address = IMAGE_BASE + 0x9800n;
    const write = await h.request(
      {
        api: ManipulateApi.WriteVirtualMemory,
        fields: { targetBaseAddress: address, transferCount: 4 },
      },
      Uint8Array.of(1, 2, 3, 4),
    );
    expect(write.fields.actualBytesWritten).toBe(4);
    expect((await h.read(ManipulateApi.ReadVirtualMemory, address, 4)).data).toEqual(
      Uint8Array.of(1, 2, 3, 4),
    );
  });

  it('returns its CONTEXT, takes a new one, and serves parts of it (GetContextEx)', async () => {
    const h = harness();
    const load = await h.start();
    const got = await h.request({ api: ManipulateApi.GetContext });
    expect(got.data).toHaveLength(CONTEXT_SIZE);
    const view = new DataView(got.data.buffer, got.data.byteOffset);
    expect(view.getBigUint64(ContextOffset.rip, true)).toBe(load.programCounter);
    view.setBigUint64(ContextOffset.rax, 0x1122334455667788n, true);
    const set = await h.request({ api: ManipulateApi.SetContext }, got.data);
    expect(set.returnStatus).toBe(Status.SUCCESS);
    const part = await h.request({
      api: ManipulateApi.GetContextEx,
      fields: { offset: ContextOffset.rax, byteCount: 8 },
    });
    expect(part.fields.bytesCopied).toBe(8);
    expect(new DataView(part.data.buffer, part.data.byteOffset).getBigUint64(0, true)).toBe(
      0x1122334455667788n,
    );
  });

  it('reads known MSRs, refuses unknown ones, keeps written ones', async () => {
    const h = harness();
    await h.start();
    const efer = await h.request({
      api: ManipulateApi.ReadMachineSpecificRegister,
      fields: { msr: 0xc0000080 },
    });
    expect(efer.fields).toMatchObject({ dataValueLow: 0xd01, dataValueHigh: 0 });
    const unknown = await h.request({
      api: ManipulateApi.ReadMachineSpecificRegister,
      fields: { msr: 0x1234 },
    });
    expect(unknown.returnStatus).toBe(Status.UNSUCCESSFUL);
    await h.request({
      api: ManipulateApi.WriteMachineSpecificRegister,
      fields: { msr: 0x1234, dataValueLow: 5, dataValueHigh: 6 },
    });
    const back = await h.request({
      api: ManipulateApi.ReadMachineSpecificRegister,
      fields: { msr: 0x1234 },
    });
    expect(back.fields).toMatchObject({ dataValueLow: 5, dataValueHigh: 6 });
  });

  it('answers unknown APIs with STATUS_NOT_IMPLEMENTED and the same ApiNumber', async () => {
    const h = harness();
    await h.start();
    for (const api of [ManipulateApi.SearchMemory, 0x3199]) {
      const reply = await h.request({ api });
      expect(reply.api).toBe(api);
      expect(reply.returnStatus).toBe(Status.NOT_IMPLEMENTED);
    }
    expect(h.target.stats.notImplemented).toBe(2);
  });

  it('refuses a breakpoint outside its memory and an unknown handle', async () => {
    const h = harness();
    await h.start();
    const bad = await h.request({
      api: ManipulateApi.WriteBreakPoint,
      fields: { breakPointAddress: 0x1000n },
    });
    expect(bad.returnStatus).toBe(Status.UNSUCCESSFUL);
    const restore = await h.request({
      api: ManipulateApi.RestoreBreakPoint,
      fields: { breakPointHandle: 99 },
    });
    expect(restore.returnStatus).toBe(Status.UNSUCCESSFUL);
  });

  it('runs after Continue2 (DbgPrints), stops on a break-in, answers what came while it ran', async () => {
    const h = harness();
    await h.start();
    await h.link.send(
      PacketType.STATE_MANIPULATE,
      buildManipulate({ api: ManipulateApi.Continue2, fields: { continueStatus: 0x10002 } }),
    );
    const print = await h.link.receive([PacketType.DEBUG_IO], 2000);
    expect(decodeDebugIo(print.payload).text).toMatch(/^kdscope sim: run 1, tick \d+\n$/);
    expect(h.target.state).toBe('running');
    // A request while it runs (once it is quiet: a request crossing a DbgPrint is lost on
    // both sides, as with kdcom) is acknowledged and kept, not answered and not dropped.
    await until(() => h.target.idle, 'the target to be quiet');
    await h.link.send(
      PacketType.STATE_MANIPULATE,
      buildManipulate({ api: ManipulateApi.GetVersion }),
    );
    expect(h.target.state).toBe('running');
    h.link.breakin();
    const stop = await h.stateChange();
    expect(stop.newState).toBe(StateChange.Exception);
    expect(stop.fields.exceptionCode).toBe(Status.BREAKPOINT);
    expect(stop.programCounter).toBe(IMAGE_BASE + BigInt(ImageLayout.breakInPoint));
    const reply = await h.link.receive([PacketType.STATE_MANIPULATE], 2000);
    expect(decodeManipulate(reply.payload).api).toBe(ManipulateApi.GetVersion);
  });

  it('sends its state change again after a RESET while stopped; ignores a break-in then', async () => {
    const h = harness();
    const first = await h.start();
    h.link.breakin();
    await until(() => h.target.stats.breakinsIgnored > 0, 'the break-in');
    expect(h.target.stats.breakinsIgnored).toBe(1);
    const again = await h.start();
    expect(again).toEqual(first);
    expect(h.target.stats.stateChanges).toBe(2);
  });

  it('counts garbage and still talks afterwards', async () => {
    const h = harness();
    const noise = new Uint8Array(300).map((_, i) => (i * 13) & 0x5f);
    h.target.feed(noise);
    expect(h.target.stats.link.garbageBytes).toBe(300);
    const load = await h.start();
    expect(load.newState).toBe(StateChange.LoadSymbols);
  });

  it('delays everything it writes by the latency option', () => {
    const due: { at: number; fn: () => void }[] = [];
    let now = 0;
    const timers = {
      set(ms: number, fn: () => void) {
        due.push({ at: now + ms, fn });
        return () => undefined;
      },
    };
    const advance = (ms: number): void => {
      now += ms;
      for (const t of due.splice(0)) {
        if (t.at <= now) t.fn();
        else due.push(t);
      }
    };
    const target = new SimTarget({ latencyMs: 50, timers });
    open.push({ target, link: new KdLink({ role: 'debugger', timers, send: () => undefined }) });
    const out: Uint8Array[] = [];
    target.onSend((b) => out.push(b));
    target.feed(encodeReset());
    expect(out).toHaveLength(0);
    advance(49);
    expect(out).toHaveLength(0);
    advance(1);
    expect(out.map((b) => b.length)).toEqual([16, 16 + 0xf0 + 34 + 1]);
  });

  it('builds the same image for a seed and another one for another seed', () => {
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;
    expect(same(buildImage(3).bytes, buildImage(3).bytes)).toBe(true);
    expect(same(buildImage(3).bytes, buildImage(4).bytes)).toBe(false);
  });
});
