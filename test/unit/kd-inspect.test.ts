import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManipulateApi, PacketType, StateChange } from '../../protocol/kd/constants';
import { encodeAck, encodeDataPacket } from '../../protocol/kd/encoder';
import { buildManipulate, buildStateChange64 } from '../../protocol/kd/payloads';
import { buildPrintString } from '../../protocol/kd/payloads/debug-io';
import {
  AMD64_CONTEXT_SIZE,
  contextRegisters,
  eflagsText,
} from '../../protocol/kd/payloads/context';
import { hexDump, inspectPacket } from '../../protocol/kd/payloads/inspect';
import { exceptionCodeName } from '../../protocol/kd/payloads/ntstatus';
import { ansiBytes } from '../../protocol/kd/payloads/bytes';

const ID = 0x80800000;
const data = (type: number, payload: Uint8Array): Uint8Array => encodeDataPacket(type, ID, payload);
const row = (i: ReturnType<typeof inspectPacket>, name: string): string | undefined =>
  i.rows.find((r) => r.name === name)?.value;

describe('inspectPacket (the call dialog)', () => {
  it('shows a ReadVirtualMemory reply: address, lengths, status and the bytes at the address', () => {
    const memory = Uint8Array.from({ length: 40 }, (_, k) => (k * 7 + 0x41) & 0xff);
    const reply = data(
      PacketType.STATE_MANIPULATE,
      buildManipulate(
        {
          api: ManipulateApi.ReadVirtualMemory,
          fields: {
            targetBaseAddress: 0xfffff80012345000n,
            transferCount: 40,
            actualBytesRead: 40,
          },
        },
        memory,
      ),
    );
    const i = inspectPacket(reply, 'target->debugger');
    expect(i.name).toBe('ReadVirtualMemory');
    expect(i.role).toBe('reply');
    expect(row(i, 'TargetBaseAddress')).toBe('0xfffff80012345000');
    expect(row(i, 'TransferCount')).toBe('0x28 (40)');
    expect(row(i, 'ActualBytesRead')).toBe('0x28 (40)');
    expect(row(i, 'Checksum')).toMatch(/correct/);
    expect(i.status).toEqual({
      label: 'ReturnStatus',
      value: 0,
      text: '0x00000000 (STATUS_SUCCESS)',
      ok: true,
    });
    expect(i.memory?.address).toBe('0xfffff80012345000');
    expect(Array.from(i.memory!.bytes)).toEqual(Array.from(memory));
    expect(i.problems).toEqual([]);
    const lines = hexDump(i.memory!.bytes, i.memory!.address);
    expect(lines.map((l) => l.address)).toEqual([
      'fffff80012345000',
      'fffff80012345010',
      'fffff80012345020',
    ]);
    expect(lines[0]!.hex.slice(0, 3)).toEqual(['41', '48', '4f']);
    expect(lines[0]!.ascii.slice(0, 3)).toBe('AHO');
  });

  it('names a failing status and leaves the request status alone', () => {
    const fail = data(
      PacketType.STATE_MANIPULATE,
      buildManipulate({ api: ManipulateApi.ReadVirtualMemory, returnStatus: 0xc0000005 }),
    );
    expect(inspectPacket(fail, 'target->debugger').status).toMatchObject({
      text: '0xc0000005 (STATUS_ACCESS_VIOLATION)',
      ok: false,
    });
    const request = inspectPacket(fail, 'debugger->target');
    expect(request.role).toBe('request');
    expect(request.status).toBeUndefined();
  });

  it('shows GetVersion fields by name', () => {
    const reply = data(
      PacketType.STATE_MANIPULATE,
      buildManipulate({
        api: ManipulateApi.GetVersion,
        fields: {
          majorVersion: 0xf,
          minorVersion: 0x4a61,
          protocolVersion: 6,
          flags: 0x47,
          machineType: 0x8664,
          maxPacketType: 12,
          maxStateChange: 3,
          maxManipulate: 0x33,
          kernBase: 0xfffff80000000000n,
        },
      }),
    );
    const i = inspectPacket(reply, 'target->debugger');
    expect(row(i, 'MachineType')).toBe('0x8664 (AMD64)');
    expect(row(i, 'MajorVersion')).toBe('0xf (NT free)');
    expect(row(i, 'Flags')).toBe('0x47 (MP|DATA|PTR64|0x40)');
    expect(row(i, 'KernBase')).toBe('0xfffff80000000000');
    expect(i.rows.find((r) => r.name === 'MachineType')?.group).toBe('u.GetVersion64');
  });

  it('shows a GetContext reply as registers, and a GetContextEx slice from its offset', () => {
    const ctx = new Uint8Array(AMD64_CONTEXT_SIZE);
    const view = new DataView(ctx.buffer);
    view.setUint32(0x30, 0x10001f, true);
    view.setUint16(0x38, 0x10, true);
    view.setUint32(0x44, 0x246, true);
    view.setBigUint64(0x78, 0x1122334455667788n, true);
    view.setBigUint64(0xf8, 0xfffff80012345678n, true);
    view.setBigUint64(0x100 + 0xa0 + 16, 0xaabbn, true); // Xmm1 low
    const reply = data(
      PacketType.STATE_MANIPULATE,
      buildManipulate({ api: ManipulateApi.GetContext }, ctx),
    );
    const regs = inspectPacket(reply, 'target->debugger').registers!;
    const get = (n: string) => regs.find((r) => r.name === n);
    expect(get('Rax')?.value).toBe('0x1122334455667788');
    expect(get('Rip')?.value).toBe('0xfffff80012345678');
    expect(get('SegCs')).toMatchObject({ value: '0x0010', note: 'kernel mode' });
    expect(get('EFlags')?.note).toBe('0x246 (PF ZF IF iopl=0)');
    expect(get('ContextFlags')?.note).toMatch(/AMD64 CONTROL\|INTEGER\|SEGMENTS/);
    expect(get('Xmm1')?.value).toBe(`0x${'0'.repeat(28)}aabb`);
    // GetContextEx: 0x10 bytes from offset 0xf8 hold Rip and the start of FltSave.
    const slice = data(
      PacketType.STATE_MANIPULATE,
      buildManipulate(
        {
          api: ManipulateApi.GetContextEx,
          fields: { offset: 0xf8, byteCount: 16, bytesCopied: 16 },
        },
        ctx.subarray(0xf8, 0x108),
      ),
    );
    const partial = inspectPacket(slice, 'target->debugger').registers!;
    expect(partial.map((r) => r.name)).toEqual(['Rip', 'FpControlWord', 'FpStatusWord']);
    expect(partial[0]!.value).toBe('0xfffff80012345678');
  });

  it('shows an exception state change with its code named and the instruction stream', () => {
    const sc = data(
      PacketType.STATE_CHANGE64,
      buildStateChange64({
        newState: StateChange.Exception,
        programCounter: 0xfffff80012340000n,
        fields: {
          exceptionCode: 0x80000003,
          exceptionAddress: 0xfffff80012340000n,
          firstChance: 1,
        },
        controlReport: { instructionStream: Uint8Array.of(0xcc, 0x90, 0x90) },
      }),
    );
    const i = inspectPacket(sc, 'target->debugger');
    expect(i.role).toBe('state change');
    expect(i.name).toBe('Exception');
    expect(i.status?.text).toBe('0x80000003 (STATUS_BREAKPOINT)');
    expect(row(i, 'ExceptionCode')).toBe('0x80000003 (STATUS_BREAKPOINT)');
    expect(i.memory?.address).toBe('0xfffff80012340000');
    expect(i.memory?.bytes[0]).toBe(0xcc);
  });

  it('shows a LoadSymbols module path and a DbgPrint text', () => {
    const path = '\\SystemRoot\\system32\\ntoskrnl.exe';
    const sc = data(
      PacketType.STATE_CHANGE64,
      buildStateChange64(
        { newState: StateChange.LoadSymbols, fields: { baseOfDll: 0xfffff80000000000n } },
        ansiBytes(path, true),
      ),
    );
    expect(inspectPacket(sc, 'target->debugger').text).toEqual({
      label: 'Module loaded',
      value: path,
    });
    const print = data(PacketType.DEBUG_IO, buildPrintString('hello\n'));
    expect(inspectPacket(print, 'target->debugger').text).toEqual({
      label: 'DbgPrint',
      value: 'hello\n',
    });
  });

  it('reports wire problems and handles control packets', () => {
    const bad = encodeDataPacket(
      PacketType.STATE_MANIPULATE,
      ID,
      buildManipulate({ api: ManipulateApi.GetVersion }),
      { checksum: 1, trailer: 0 },
    );
    const i = inspectPacket(bad, 'debugger->target');
    expect(i.problems.join('\n')).toMatch(/wrong checksum/);
    expect(i.problems.join('\n')).toMatch(/Trailer/);
    expect(inspectPacket(encodeAck(ID), 'target->debugger')).toMatchObject({
      role: 'control',
      name: 'ACKNOWLEDGE',
    });
  });

  it('never throws, and every register lies inside the data it came from (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 1400 }),
        fc.constantFrom('debugger->target', 'target->debugger'),
        (bytes, dir) => {
          const i = inspectPacket(bytes, dir as 'debugger->target');
          expect(typeof i.name).toBe('string');
          if (i.memory) expect(i.memory.bytes.length).toBeLessThanOrEqual(bytes.length);
        },
      ),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 0x500 }), fc.nat(0x600), (slice, offset) => {
        for (const r of contextRegisters(slice, offset)) {
          expect(r.offset).toBeGreaterThanOrEqual(offset);
          expect(r.offset + r.size).toBeLessThanOrEqual(offset + slice.length);
          expect(r.value).toHaveLength(2 + r.size * 2);
        }
      }),
    );
  });

  it('hexDump covers every byte once, in order (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (bytes, base) => {
          const lines = hexDump(bytes, `0x${base.toString(16)}`);
          expect(lines.flatMap((l) => l.hex).map((h) => parseInt(h, 16))).toEqual(
            Array.from(bytes),
          );
          lines.forEach((l, k) => {
            expect(BigInt(`0x${l.address}`)).toBe(BigInt.asUintN(64, base + BigInt(k * 16)));
            expect(l.ascii).toHaveLength(l.hex.length);
          });
        },
      ),
    );
  });
});

describe('names', () => {
  it('name exception codes, including the runtime ones that are not NTSTATUS', () => {
    expect(exceptionCodeName(0xc0000005)).toBe('STATUS_ACCESS_VIOLATION');
    expect(exceptionCodeName(0x4000001f)).toBe('STATUS_WX86_BREAKPOINT');
    expect(exceptionCodeName(0xe06d7363)).toBe('C++ exception (MSVC)');
    expect(exceptionCodeName(0x12345678)).toBe('NTSTATUS(0x12345678)');
    expect(eflagsText(0x3202)).toBe('0x3202 (IF iopl=3)');
  });
});
