import { describe, expect, it } from 'vitest';
import { DebugIoApi, FileIoApi, ManipulateApi, StateChange } from '../../protocol/kd/constants';
import {
  ManipulateStructs,
  StateChangeStructs,
  ansiBytes,
  buildDebugIo,
  buildFileIo,
  buildGetString,
  buildManipulate,
  buildPrintString,
  buildStateChange64,
  decodeDebugIo,
  decodeFileIo,
  decodeManipulate,
  decodeStateChange64,
  fileIoMember,
  fileNameBytes,
  manipulateFields,
  manipulateMember,
  stateChangeFields,
} from '../../protocol/kd/payloads';
import type { FieldValue, Layout } from '../../protocol/kd/payloads';

// Distinct, non-zero values per field so a swapped or misplaced field cannot round-trip.
function sample(layout: Layout, seed: number): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  let n = seed;
  for (const [key, f] of Object.entries(layout)) {
    n += 1;
    switch (f.kind) {
      case 'u8':
        out[key] = (n * 7) & 0xff;
        break;
      case 'u16':
        out[key] = (n * 0x101 + 3) & 0xffff;
        break;
      case 'u32':
        out[key] = (n * 0x1010101 + 0x80000000) >>> 0;
        break;
      case 'u64':
        out[key] = 0xfffff80000000000n + BigInt(n) * 0x1000n;
        break;
      case 'bytes':
        out[key] = Uint8Array.from({ length: f.count }, (_, i) => (i + n) & 0xff);
        break;
      case 'u64s':
        out[key] = Array.from({ length: f.count }, (_, i) => BigInt(i + n) << 40n);
        break;
    }
  }
  return out;
}

describe('builders round-trip through the decoders', () => {
  it('STATE_MANIPULATE: every known API with every union field', () => {
    const apis = Object.values(ManipulateApi);
    for (const [i, api] of apis.entries()) {
      const fields = sample(manipulateMember(api).layout, i * 20);
      const data = Uint8Array.from({ length: i }, (_, k) => k);
      const payload = buildManipulate(
        { api, processorLevel: 6, processor: i & 3, returnStatus: 0xc0000001, fields },
        data,
      );
      expect(payload.length).toBe(56 + data.length);
      const m = decodeManipulate(payload);
      expect(m.malformed).toBeUndefined();
      expect(m).toMatchObject({
        api,
        processorLevel: 6,
        processor: i & 3,
        returnStatus: 0xc0000001,
      });
      expect(m.fields).toEqual(fields);
      expect(m.data).toEqual(data);
    }
  });

  it('STATE_MANIPULATE: an unknown API keeps its raw union', () => {
    const raw = Uint8Array.from({ length: 40 }, (_, i) => i + 1);
    const m = decodeManipulate(buildManipulate({ api: 0x3199, fields: { raw } }));
    expect(m.apiName).toBe('Unknown(0x3199)');
    expect(m.structName).toBe('raw');
    expect(m.fields).toEqual({ raw });
  });

  it('STATE_MANIPULATE: typed fields for a literal API', () => {
    const payload = buildManipulate({
      api: ManipulateApi.ReadVirtualMemory,
      fields: { targetBaseAddress: 0xfffff80012340000n, transferCount: 0x100 },
    });
    const rm = manipulateFields(decodeManipulate(payload), ManipulateApi.ReadVirtualMemory);
    expect(rm?.targetBaseAddress).toBe(0xfffff80012340000n);
    expect(rm?.transferCount).toBe(0x100);
    expect(rm?.actualBytesRead).toBe(0);
    expect(manipulateFields(decodeManipulate(payload), ManipulateApi.GetVersion)).toBeUndefined();
  });

  it('STATE_CHANGE64: Exception, LoadSymbols, CommandString, unknown', () => {
    const states = [StateChange.Exception, StateChange.LoadSymbols, StateChange.CommandString];
    for (const [i, newState] of states.entries()) {
      const structs = Object.values(StateChangeStructs);
      const fields = sample(structs[i]!.layout, i * 30);
      const controlReport = {
        dr6: 0xffff0ff0n,
        dr7: 0x400n,
        eFlags: 0x246,
        instructionCount: 16,
        reportFlags: 3,
        instructionStream: Uint8Array.from({ length: 16 }, (_, k) => 0xc0 + k),
        segCs: 0x10,
        segDs: 0x2b,
        segEs: 0x2b,
        segFs: 0x53,
      };
      const data =
        newState === StateChange.LoadSymbols
          ? ansiBytes('\\SystemRoot\\ntoskrnl.exe', true)
          : undefined;
      const header = {
        processorLevel: 0x6,
        processor: 1,
        numberProcessors: 4,
        thread: 0xffffc00112345080n,
        programCounter: 0xfffff80012345678n,
      };
      const payload = buildStateChange64({ newState, ...header, fields, controlReport }, data);
      const s = decodeStateChange64(payload);
      expect(s.malformed).toBeUndefined();
      expect(s).toMatchObject({ newState, ...header });
      expect(s.fields).toEqual(fields);
      expect(s.controlReport).toEqual(controlReport);
      expect(s.data).toEqual(data ?? new Uint8Array(0));
    }
    const raw = Uint8Array.from({ length: 0xa0 }, (_, i) => i);
    expect(
      decodeStateChange64(buildStateChange64({ newState: 0x3040, fields: { raw } })).fields,
    ).toEqual({ raw });
  });

  it('STATE_CHANGE64: LoadSymbols path length defaults to the data length', () => {
    const path = ansiBytes('\\SystemRoot\\system32\\ntoskrnl.exe', true);
    const s = decodeStateChange64(
      buildStateChange64(
        {
          newState: StateChange.LoadSymbols,
          fields: { baseOfDll: 0xfffff80012000000n, sizeOfImage: 0x1046000 },
        },
        path,
      ),
    );
    const ls = stateChangeFields(s, StateChange.LoadSymbols);
    expect(ls?.pathNameLength).toBe(path.length);
    expect(ls?.baseOfDll).toBe(0xfffff80012000000n);
    expect(s.path).toBe('\\SystemRoot\\system32\\ntoskrnl.exe');
  });

  it('DEBUG_IO: PrintString and GetString', () => {
    const p = decodeDebugIo(buildPrintString('Hello from the target\n', 2));
    expect(p).toMatchObject({
      api: DebugIoApi.PrintString,
      processor: 2,
      text: 'Hello from the target\n',
    });
    expect(p.fields).toEqual({ lengthOfString: 22 });
    const g = decodeDebugIo(buildGetString('Break, Ignore, Terminate? ', 0x200));
    expect(g.fields).toEqual({ lengthOfPromptString: 26, lengthOfStringRead: 0x200 });
    expect(g.text).toBe('Break, Ignore, Terminate? ');
    const raw = decodeDebugIo(
      buildDebugIo({ api: 0x3299, fields: { raw: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) } }),
    );
    expect(raw.fields).toEqual({ raw: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) });
  });

  it('FILE_IO: every API with every field', () => {
    for (const [i, api] of Object.values(FileIoApi).entries()) {
      const fields = sample(fileIoMember(api).layout, i * 10);
      const data =
        api === FileIoApi.CreateFile
          ? fileNameBytes('\\??\\C:\\Windows\\System32\\drivers\\kdnic.sys')
          : undefined;
      const f = decodeFileIo(buildFileIo({ api, status: 0xc0000034, fields }, data));
      expect(f).toMatchObject({ api, status: 0xc0000034 });
      expect(f.fields).toEqual(fields);
      if (data) expect(f.fileName).toBe('\\??\\C:\\Windows\\System32\\drivers\\kdnic.sys');
    }
  });

  it('exposes the manipulate structures it decodes with', () => {
    expect(manipulateMember(ManipulateApi.GetVersion)).toBe(ManipulateStructs.GetVersion);
  });
});
