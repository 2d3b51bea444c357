// Hand-written bytes, laid out from ReactOS windbgkd.h by hand (not from our layout tables),
// checked against the decoders, describePacket and dissectPacket.
import { describe, expect, it } from 'vitest';
import { ManipulateApi, PacketType, StateChange } from '../../protocol/kd/constants';
import { encodeAck, encodeDataPacket } from '../../protocol/kd/encoder';
import {
  decodeDebugIo,
  decodeFileIo,
  decodeManipulate,
  decodeStateChange32,
  decodeStateChange64,
  describePacket,
  dissectPacket,
  isNtError,
  manipulateFields,
  ntStatusName,
  stateChangeFields,
} from '../../protocol/kd/payloads';
import { findField } from '../support/field-nodes';

/** Bytes from hex text; spaces, newlines and `|` are ignored. */
function hx(text: string): Uint8Array {
  const clean = text.replace(/[\s|]/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** A zeroed payload of `size` bytes with the given hex pieces placed at their offsets. */
function place(size: number, pieces: Record<number, string | Uint8Array>): Uint8Array {
  const out = new Uint8Array(size);
  for (const [at, v] of Object.entries(pieces))
    out.set(typeof v === 'string' ? hx(v) : v, Number(at));
  return out;
}

const find = findField;

describe('STATE_MANIPULATE by hand', () => {
  // ApiNumber 0x3130, ProcessorLevel 0, Processor 1, ReturnStatus 0, pad,
  // ReadMemory { TargetBaseAddress 0xfffff80012340000, TransferCount 0x100, ActualBytesRead 0x100 }
  const readReply = hx(`
    30 31 00 00 | 00 00 | 01 00 | 00 00 00 00 | 00 00 00 00
    00 00 34 12 00 f8 ff ff | 00 01 00 00 | 00 01 00 00
    00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
    de ad be ef`);

  it('decodes ReadVirtualMemory', () => {
    const m = decodeManipulate(readReply);
    expect(m).toMatchObject({
      api: 0x3130,
      apiName: 'ReadVirtualMemory',
      processor: 1,
      returnStatus: 0,
    });
    expect(m.structName).toBe('DBGKD_READ_MEMORY64');
    expect(m.fields).toEqual({
      targetBaseAddress: 0xfffff80012340000n,
      transferCount: 0x100,
      actualBytesRead: 0x100,
    });
    expect(m.data).toEqual(hx('de ad be ef'));
    expect(describePacket(PacketType.STATE_MANIPULATE, readReply)).toEqual({
      api: 0x3130,
      apiName: 'ReadVirtualMemory',
      returnStatus: 0,
      info: 'ReadVirtualMemory 0xfffff80012340000 len 0x100 -> 0x100 read',
    });
  });

  it('describes a request and a failed reply', () => {
    const request = place(56, {
      0: '30 31 00 00',
      16: '00 00 34 12 00 f8 ff ff',
      24: '00 01 00 00',
    });
    expect(describePacket(2, request, 'debugger->target').info).toBe(
      'ReadVirtualMemory 0xfffff80012340000 len 0x100',
    );
    // Without a direction, an empty reply part with STATUS_SUCCESS reads as a request.
    expect(describePacket(2, request).info).toBe('ReadVirtualMemory 0xfffff80012340000 len 0x100');
    // WinDbg sends requests with ReturnStatus STATUS_PENDING and garbage in the reply fields.
    const pending = place(56, {
      0: '30 31 00 00',
      8: '03 01 00 00',
      16: '00 00 34 12 00 f8 ff ff',
      24: '00 01 00 00 | 4e 00 00 00',
    });
    expect(describePacket(2, pending).info).toBe('ReadVirtualMemory 0xfffff80012340000 len 0x100');
    expect(describePacket(2, pending, 'target->debugger').info).toBe(
      'ReadVirtualMemory 0xfffff80012340000 len 0x100 -> STATUS_PENDING',
    );
    const failed = place(56, {
      0: '30 31 00 00',
      8: '01 00 00 c0',
      16: '00 00 34 12 00 f8 ff ff',
      24: '00 01 00 00',
    });
    const s = describePacket(2, failed);
    expect(s.returnStatus).toBe(0xc0000001);
    expect(s.info).toBe('ReadVirtualMemory 0xfffff80012340000 len 0x100 -> STATUS_UNSUCCESSFUL');
  });

  it('decodes Continue2 with the pshpack4 control set (Dr7 at union+8)', () => {
    const c = place(56, {
      0: '3c 31 00 00',
      16: '02 00 01 00', // ContinueStatus DBG_CONTINUE
      20: '01 00 00 00', // TraceFlag
      24: '00 04 00 00 00 00 00 00', // Dr7
      32: '00 10 00 12 00 f8 ff ff', // CurrentSymbolStart
      40: '80 10 00 12 00 f8 ff ff', // CurrentSymbolEnd
    });
    const f = manipulateFields(decodeManipulate(c), ManipulateApi.Continue2);
    expect(f).toEqual({
      continueStatus: 0x10002,
      traceFlag: 1,
      dr7: 0x400n,
      currentSymbolStart: 0xfffff80012001000n,
      currentSymbolEnd: 0xfffff80012001080n,
    });
    expect(describePacket(2, c).info).toBe('Continue2 DBG_CONTINUE trace Dr7 0x400');
  });

  it('decodes GetVersion as windbg-uefi answers it', () => {
    const v = place(56, {
      0: '46 31 00 00',
      16: '0f 00 | 61 4a | 06 | 00 | 47 00 | 64 86 | 0c | 03 | 33 | 00 | 00 00',
      32: '00 00 00 12 00 f8 ff ff', // KernBase
      40: '30 a0 c0 12 00 f8 ff ff', // PsLoadedModuleList
      48: '00 b0 c0 12 00 f8 ff ff', // DebuggerDataList
    });
    expect(manipulateFields(decodeManipulate(v), ManipulateApi.GetVersion)).toEqual({
      majorVersion: 0xf,
      minorVersion: 0x4a61,
      protocolVersion: 6,
      kdSecondaryVersion: 0,
      flags: 0x47,
      machineType: 0x8664,
      maxPacketType: 12,
      maxStateChange: 3,
      maxManipulate: 0x33,
      simulation: 0,
      unused: 0,
      kernBase: 0xfffff80012000000n,
      psLoadedModuleList: 0xfffff80012c0a030n,
      debuggerDataList: 0xfffff80012c0b000n,
    });
    expect(describePacket(2, v).info).toBe(
      'GetVersion NT free build 19041 (0x4a61) protocol 6 AMD64 KernBase 0xfffff80012000000',
    );
    expect(describePacket(2, place(56, { 0: '46 31 00 00' }), 'debugger->target').info).toBe(
      'GetVersion',
    );
    // The boot debugger (winload) says DBGKD_MAJOR_NTBD in the high byte, as in the real capture.
    const ntbd = place(56, { 0: '46 31 00 00', 16: '0f 04 | 5a 29 | 06 | 00 | 00 00 | 64 86' });
    expect(describePacket(2, ntbd, 'target->debugger').info).toBe(
      'GetVersion NTBD free build 10586 (0x295a) protocol 6 AMD64 KernBase 0x0',
    );
  });

  it('decodes MSR, breakpoint, I/O space, query memory and search memory', () => {
    const msr = place(56, { 0: '52 31 00 00', 16: '82 00 00 c0 | 78 56 34 12 | 00 f8 ff ff' });
    expect(decodeManipulate(msr).fields).toEqual({
      msr: 0xc0000082,
      dataValueLow: 0x12345678,
      dataValueHigh: 0xfffff800,
    });
    expect(describePacket(2, msr).info).toBe(
      'ReadMachineSpecificRegister 0xc0000082 -> 0xfffff80012345678',
    );

    const bp = place(56, { 0: '34 31 00 00', 16: '10 32 54 12 00 f8 ff ff | 07 00 00 00' });
    expect(decodeManipulate(bp).fields).toEqual({
      breakPointAddress: 0xfffff80012543210n,
      breakPointHandle: 7,
    });
    expect(describePacket(2, bp).info).toBe('WriteBreakPoint 0xfffff80012543210 -> handle 0x7');
    expect(describePacket(2, bp, 'debugger->target').info).toBe(
      'WriteBreakPoint 0xfffff80012543210',
    );
    const restore = place(56, { 0: '35 31 00 00', 16: '07 00 00 00' });
    expect(decodeManipulate(restore).fields).toEqual({ breakPointHandle: 7 });

    const io = place(56, {
      0: '3a 31 00 00',
      16: 'f8 03 00 00 00 00 00 00 | 01 00 00 00 | 41 00 00 00',
    });
    expect(decodeManipulate(io).fields).toEqual({
      ioAddress: 0x3f8n,
      dataSize: 1,
      dataValue: 0x41,
    });
    expect(describePacket(2, io).info).toBe('WriteIoSpace 0x3f8 size 1 value 0x41');

    const query = place(56, {
      0: '5c 31 00 00',
      16: '00 00 34 12 00 f8 ff ff',
      32: '02 00 00 00 | 07 00 00 00',
    });
    expect(decodeManipulate(query).fields).toEqual({
      address: 0xfffff80012340000n,
      reserved: 0n,
      addressSpace: 2,
      flags: 7,
    });

    const search = place(56, {
      0: '56 31 00 00',
      16: '00 00 00 12 00 f8 ff ff | 00 00 10 00 00 00 00 00 | 04 00 00 00',
    });
    expect(decodeManipulate(search).fields).toEqual({
      searchAddress: 0xfffff80012000000n,
      searchLength: 0x100000n,
      patternLength: 4,
    });

    const ctxEx = place(56, { 0: '5f 31 00 00', 16: '00 00 00 00 | d0 04 00 00 | d0 04 00 00' });
    expect(decodeManipulate(ctxEx).fields).toEqual({
      offset: 0,
      byteCount: 0x4d0,
      bytesCopied: 0x4d0,
    });

    const ibp = place(56, {
      0: '43 31 00 00',
      16: '00 10 00 12 00 f8 ff ff | 01 00 00 00 | 05 00 00 00 | 06 00 00 00 | 07 00 00 00 | 08 00 00 00 | 09 00 00 00',
    });
    expect(decodeManipulate(ibp).fields).toEqual({
      breakpointAddress: 0xfffff80012001000n,
      flags: 1,
      calls: 5,
      maxCallsPerPeriod: 6,
      minInstructions: 7,
      maxInstructions: 8,
      totalInstructions: 9,
    });
  });

  it('names APIs without fields and shows unknown ones raw', () => {
    const bug = place(56, { 0: '49 31 00 00' });
    expect(decodeManipulate(bug).fields).toEqual({});
    expect(describePacket(2, bug)).toMatchObject({
      apiName: 'CauseBugCheck',
      info: 'CauseBugCheck',
    });
    const sw = place(56, { 0: '50 31 00 00', 6: '03 00' });
    expect(describePacket(2, sw).info).toBe('SwitchProcessor to 3');
    const unknown = place(56, { 0: '99 31 00 00', 16: '01 02 03' });
    expect(describePacket(2, unknown)).toMatchObject({
      api: 0x3199,
      apiName: 'Unknown(0x3199)',
      info: 'Unknown(0x3199)',
    });
    expect((decodeManipulate(unknown).fields.raw as Uint8Array).subarray(0, 4)).toEqual(
      hx('01 02 03 00'),
    );
  });

  it('gives a partial summary of a short payload', () => {
    const s = describePacket(2, readReply.subarray(0, 10));
    expect(s.api).toBe(0x3130);
    expect(s.malformed).toBe('short DBGKD_MANIPULATE_STATE64: 10 of 56 bytes');
    expect(decodeManipulate(readReply.subarray(0, 10)).malformed).toBe(s.malformed);
  });
});

describe('STATE_CHANGE64 by hand', () => {
  const exception = place(0xf0, {
    0x00: '30 30 00 00 | 00 00 | 01 00 | 02 00 00 00', // Exception, processor 1 of 2
    0x10: '80 50 34 12 01 c0 ff ff', // Thread
    0x18: '00 11 00 12 00 f8 ff ff', // ProgramCounter
    0x20: '03 00 00 80 | 00 00 00 00', // ExceptionCode, ExceptionFlags
    0x30: '00 11 00 12 00 f8 ff ff', // ExceptionAddress
    0x38: '01 00 00 00', // NumberParameters
    0x40: '00 00 00 00 00 00 00 00',
    0xb8: '01 00 00 00', // FirstChance
    0xc0: 'f0 0f ff ff 00 00 00 00 | 00 04 00 00 00 00 00 00 | 46 02 00 00 | 10 00 | 03 00',
    0xd8: 'cc c3 90 90 90 90 90 90 90 90 90 90 90 90 90 90',
    0xe8: '10 00 | 2b 00 | 2b 00 | 53 00',
  });

  it('decodes an exception with its control report', () => {
    const s = decodeStateChange64(exception);
    expect(s).toMatchObject({
      newState: StateChange.Exception,
      newStateName: 'Exception',
      processor: 1,
      numberProcessors: 2,
      thread: 0xffffc00112345080n,
      programCounter: 0xfffff80012001100n,
    });
    const e = stateChangeFields(s, StateChange.Exception);
    expect(e?.exceptionCode).toBe(0x80000003);
    expect(e?.exceptionAddress).toBe(0xfffff80012001100n);
    expect(e?.numberParameters).toBe(1);
    expect(e?.firstChance).toBe(1);
    expect(s.controlReport).toMatchObject({
      dr6: 0xffff0ff0n,
      dr7: 0x400n,
      eFlags: 0x246,
      instructionCount: 16,
      reportFlags: 3,
      segCs: 0x10,
      segDs: 0x2b,
      segEs: 0x2b,
      segFs: 0x53,
    });
    expect(s.controlReport.instructionStream[0]).toBe(0xcc);
    expect(describePacket(PacketType.STATE_CHANGE64, exception)).toEqual({
      newState: 0x3030,
      newStateName: 'Exception',
      info: 'Exception 0x80000003 STATUS_BREAKPOINT at 0xfffff80012001100 first chance',
    });
  });

  it('decodes LoadSymbols with its path', () => {
    const path = new TextEncoder().encode('\\SystemRoot\\system32\\ntoskrnl.exe\0');
    const ls = place(0xf0 + path.length, {
      0x00: '31 30 00 00',
      0x20: `${path.length.toString(16).padStart(2, '0')} 00 00 00`,
      0x28: '00 00 00 12 00 f8 ff ff', // BaseOfDll
      0x30: '04 00 00 00 00 00 00 00', // ProcessId
      0x38: '78 56 34 12 | 00 60 04 01', // CheckSum, SizeOfImage
      0xf0: path,
    });
    const s = decodeStateChange64(ls);
    expect(stateChangeFields(s, StateChange.LoadSymbols)).toEqual({
      pathNameLength: path.length,
      baseOfDll: 0xfffff80012000000n,
      processId: 4n,
      checkSum: 0x12345678,
      sizeOfImage: 0x1046000,
      unloadSymbols: 0,
    });
    expect(s.path).toBe('\\SystemRoot\\system32\\ntoskrnl.exe');
    expect(describePacket(7, ls)).toEqual({
      newState: 0x3031,
      newStateName: 'LoadSymbols',
      text: '\\SystemRoot\\system32\\ntoskrnl.exe',
      info: 'LoadSymbols \\SystemRoot\\system32\\ntoskrnl.exe base 0xfffff80012000000 size 0x1046000',
    });
    // A PathNameLength past the data is reported, the path shown as far as it goes.
    const cut = describePacket(7, ls.subarray(0, 0xf0 + 5));
    expect(cut.text).toBe('\\Syst');
    expect(cut.malformed).toMatch(/PathNameLength/);
  });

  it('decodes CommandString: name and command, each NUL-terminated', () => {
    const cs = place(0xf0 + 15, {
      0: '32 30 00 00',
      0xf0: new TextEncoder().encode('kdtest\0.reload\0'),
    });
    expect(decodeStateChange64(cs).commandString).toEqual({ name: 'kdtest', command: '.reload' });
    expect(describePacket(7, cs)).toMatchObject({
      text: '.reload',
      info: 'CommandString "kdtest" ".reload"',
    });
  });

  it('shows an unknown state raw and a short one as malformed', () => {
    expect(describePacket(7, place(0xf0, { 0: '40 30 00 00' }))).toMatchObject({
      newStateName: 'Unknown(0x3040)',
    });
    expect(decodeStateChange64(place(0xf0, { 0: '40 30 00 00' })).structName).toBe('raw');
    expect(describePacket(7, exception.subarray(0, 0x30)).malformed).toBe(
      'short DBGKD_ANY_WAIT_STATE_CHANGE: 48 of 240 bytes',
    );
  });

  it('decodes STATE_CHANGE32 minimally', () => {
    const x86 = place(144, {
      0: '30 30 00 00',
      12: '00 10 00 80',
      16: '34 12 00 80',
      20: '04 00 00 80',
      32: '34 12 00 80',
      100: '01 00 00 00',
    });
    const s = decodeStateChange32(x86);
    expect(s.newStateName).toBe('Exception');
    expect(s.fields).toMatchObject({
      thread: 0x80001000,
      programCounter: 0x80001234,
      exceptionCode: 0x80000004,
      exceptionAddress: 0x80001234,
      firstChance: 1,
    });
    expect(describePacket(PacketType.STATE_CHANGE32, x86).info).toBe(
      'Exception 0x80000004 STATUS_SINGLE_STEP at 0x80001234 first chance (32-bit)',
    );
  });
});

describe('DEBUG_IO and FILE_IO by hand', () => {
  it('decodes PrintString and GetString', () => {
    const print = hx('30 32 00 00 | 00 00 | 00 00 | 06 00 00 00 | 00 00 00 00 | 68 65 6c 6c 6f 0a');
    expect(decodeDebugIo(print)).toMatchObject({
      apiName: 'PrintString',
      text: 'hello\n',
      fields: { lengthOfString: 6 },
    });
    expect(describePacket(3, print)).toEqual({
      api: 0x3230,
      apiName: 'PrintString',
      text: 'hello\n',
      info: 'PrintString "hello\\n"',
    });
    const get = hx('31 32 00 00 | 00 00 | 00 00 | 04 00 00 00 | 00 02 00 00 | 6b 64 3e 20');
    expect(decodeDebugIo(get).fields).toEqual({
      lengthOfPromptString: 4,
      lengthOfStringRead: 0x200,
    });
    expect(describePacket(3, get)).toMatchObject({
      text: 'kd> ',
      info: 'GetString "kd> " max 0x200',
    });
    const over = hx('30 32 00 00 | 00 00 | 00 00 | 40 00 00 00 | 00 00 00 00 | 68 69');
    expect(describePacket(3, over)).toMatchObject({
      text: 'hi',
      malformed: 'LengthOfString 0x40 exceeds the 2 data bytes',
    });
  });

  it('decodes CreateFile with a UTF-16LE name and the other file APIs', () => {
    const name = hx('43 00 3a 00 5c 00 e9 00 2e 00 73 00 79 00 73 00 00 00'); // "C:\é.sys"
    const create = place(64 + name.length, {
      0: '30 34 00 00 | 00 00 00 00',
      8: '00 00 00 80 | 80 00 00 00 | 01 00 00 00 | 01 00 00 00 | 00 00 00 00',
      0x20: '44 00 00 00 00 00 00 00', // Handle (8 + 0x18)
      0x28: '00 20 01 00 00 00 00 00', // Length (8 + 0x20)
      64: name,
    });
    const f = decodeFileIo(create);
    expect(f.fileName).toBe('C:\\é.sys');
    expect(f.fields).toEqual({
      desiredAccess: 0x80000000,
      fileAttributes: 0x80,
      shareAccess: 1,
      createDisposition: 1,
      createOptions: 0,
      handle: 0x44n,
      length: 0x12000n,
    });
    expect(describePacket(PacketType.FILE_IO, create, 'debugger->target')).toEqual({
      api: 0x3430,
      apiName: 'CreateFile',
      text: 'C:\\é.sys',
      info: 'CreateFile "C:\\\\é.sys" -> handle 0x44 size 0x12000',
    });
    const read = place(64, {
      0: '31 34 00 00 | 11 00 00 c0',
      8: '44 00 00 00 00 00 00 00 | 00 10 00 00 00 00 00 00 | 00 10 00 00',
    });
    expect(decodeFileIo(read)).toMatchObject({
      status: 0xc0000011,
      fields: { handle: 0x44n, offset: 0x1000n, length: 0x1000 },
    });
    expect(describePacket(11, read).info).toBe(
      'ReadFile handle 0x44 offset 0x1000 len 0x1000 -> STATUS_END_OF_FILE',
    );
    expect(describePacket(11, place(64, { 0: '33 34 00 00', 8: '44' })).info).toBe(
      'CloseFile handle 0x44',
    );
  });
});

describe('TRACE_IO and CONTROL_REQUEST by hand', () => {
  it('names PrintTrace and the hardware breakpoint requests', () => {
    const trace = place(64 + 3, { 0: '30 33 00 00 | 00 00 | 02 00 | 03 00 00 00', 64: '01 02 03' });
    expect(describePacket(PacketType.TRACE_IO, trace)).toEqual({
      api: 0x3330,
      apiName: 'PrintTrace',
      info: 'PrintTrace 0x3 bytes',
    });
    expect(find(dissectPacket(encodeDataPacket(9, 0, trace)), 'LengthOfData')).toMatchObject({
      offset: 24,
      length: 4,
    });
    const request = hx('00 43 00 00 | 02 00 00 00 | 01 00 00 00');
    expect(describePacket(PacketType.CONTROL_REQUEST, request)).toEqual({
      api: 0x4300,
      apiName: 'RequestHardwareBp',
      info: 'RequestHardwareBp breakpoint 2',
    });
    const tree = dissectPacket(encodeDataPacket(10, 0, request));
    expect(find(tree, 'HardwareBreakPointNumber')).toMatchObject({ offset: 20, value: '0x2' });
    expect(find(tree, 'Available')).toMatchObject({ offset: 24, value: '0x1' });
  });
});

describe('dissectPacket', () => {
  const payload = hx(`
    30 31 00 00 | 00 00 | 01 00 | 00 00 00 00 | 00 00 00 00
    00 00 34 12 00 f8 ff ff | 00 01 00 00 | 00 01 00 00
    00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
    de ad be ef`);

  it('places every field at its offset in the packet', () => {
    const tree = dissectPacket(encodeDataPacket(PacketType.STATE_MANIPULATE, 0x80800001, payload));
    expect(find(tree, 'PacketLeader')).toMatchObject({
      offset: 0,
      length: 4,
      value: '0x30303030 (data)',
    });
    expect(find(tree, 'ByteCount')).toMatchObject({ offset: 6, length: 2, value: '0x3c (60)' });
    expect(find(tree, 'Checksum')?.error).toBeUndefined();
    expect(find(tree, 'ApiNumber')).toMatchObject({
      offset: 16,
      length: 4,
      value: '0x3130 (ReadVirtualMemory)',
    });
    expect(find(tree, 'TargetBaseAddress')).toMatchObject({
      offset: 32,
      length: 8,
      value: '0xfffff80012340000',
    });
    expect(find(tree, 'ActualBytesRead')).toMatchObject({ offset: 44, value: '0x100 (256)' });
    expect(find(tree, 'Data (4 bytes)')).toMatchObject({
      offset: 72,
      length: 4,
      value: 'de ad be ef',
    });
    expect(find(tree, 'Trailer')).toMatchObject({ offset: 76, length: 1, value: '0xaa' });
  });

  it('flags a wrong checksum, a wrong trailer and a truncated packet', () => {
    const bad = encodeDataPacket(2, 0x80800001, payload, { checksum: 1, trailer: 0x55 });
    expect(find(dissectPacket(bad), 'Checksum')?.error).toMatch(/wrong checksum/);
    expect(find(dissectPacket(bad), 'Trailer')?.error).toBe('should be 0xaa');
    const cut = dissectPacket(encodeDataPacket(2, 0x80800001, payload).subarray(0, 40));
    expect(find(cut, 'Payload (24 bytes)')?.error).toBe(
      'truncated: ByteCount 60, 24 bytes present',
    );
    expect(find(cut, 'TargetBaseAddress')).toMatchObject({ offset: 32, length: 8 });
    expect(find(cut, 'TransferCount')).toBeUndefined();
    expect(find(dissectPacket(hx('30 30 30 30 02 00')), 'KD_PACKET')?.error).toMatch(/truncated/);
  });

  it('shows control packets, break-ins and trailing bytes', () => {
    const ack = dissectPacket(encodeAck(0x80800000));
    expect(ack).toHaveLength(1);
    expect(find(ack, 'PacketType')?.value).toBe('4 (ACKNOWLEDGE)');
    expect(dissectPacket(hx('62'))).toEqual([
      { name: 'Break-in', value: "1 × 0x62 ('b')", offset: 0, length: 1 },
    ]);
    const extra = dissectPacket(hx('69 69 69 69 04 00 00 00 00 00 80 80 00 00 00 00 ff'));
    expect(find(extra, 'Extra bytes (1)')?.offset).toBe(16);
  });
});

describe('NTSTATUS names', () => {
  it('names the common statuses and shows others raw', () => {
    expect(ntStatusName(0)).toBe('STATUS_SUCCESS');
    expect(ntStatusName(0xc0000001)).toBe('STATUS_UNSUCCESSFUL');
    expect(ntStatusName(0x80000003)).toBe('STATUS_BREAKPOINT');
    expect(ntStatusName(0x80000004)).toBe('STATUS_SINGLE_STEP');
    expect(ntStatusName(0xc0000005)).toBe('STATUS_ACCESS_VIOLATION');
    expect(ntStatusName(0x103)).toBe('STATUS_PENDING');
    expect(ntStatusName(0xc0000002)).toBe('STATUS_NOT_IMPLEMENTED');
    expect(ntStatusName(0xc000000d)).toBe('STATUS_INVALID_PARAMETER');
    expect(ntStatusName(-1073741819)).toBe('STATUS_ACCESS_VIOLATION'); // signed form
    expect(ntStatusName(0xc0001234)).toBe('NTSTATUS(0xc0001234)');
    expect(isNtError(0xc0000001)).toBe(true);
    expect(isNtError(0x80000003)).toBe(false);
  });
});
