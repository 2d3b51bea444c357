// A manipulate request against its reply: the fields only the target fills (ReactOS
// ntoskrnl/kd64/kdapi.c) are shown as unset in a request, in the details tree, the Info text
// and the summary; a reply is decoded whole. The bytes (mostly real): kd-manipulate-pairs.ts.
import { describe, expect, it } from 'vitest';
import { PacketType } from '../../protocol/kd/constants';
import { encodeDataPacket } from '../../protocol/kd/encoder';
import type { Direction } from '../../protocol/kd/events';
import { describePacket, dissectPacket } from '../../protocol/kd/payloads';
import { inspectPacket } from '../../protocol/kd/payloads/inspect';
import {
  getVersionReply,
  getVersionRequest,
  hx,
  readReply,
  readRequest,
  writeReply,
  writeRequest,
} from '../support/kd-manipulate-pairs';
import { findField } from '../support/field-nodes';

const UNSET = '(not filled in a request)';
const REQUEST: Direction = 'debugger->target';
const REPLY: Direction = 'target->debugger';

const find = findField;

const packet = (payload: Uint8Array): Uint8Array =>
  encodeDataPacket(PacketType.STATE_MANIPULATE, 0x80800000, payload);

// Wire offsets: KD header 16 bytes, then ApiNumber 16, ReturnStatus 24, the union 32..72.
describe('GetVersion by direction', () => {
  it('a request shows its union and ReturnStatus as unset, bytes still in place', () => {
    const tree = dissectPacket(packet(getVersionRequest), REQUEST);
    expect(find(tree, 'u.GetVersion64')).toEqual({
      name: 'u.GetVersion64',
      value: UNSET,
      offset: 32,
      length: 40,
      children: [],
    });
    expect(find(tree, 'MajorVersion')).toBeUndefined();
    expect(find(tree, 'KernBase')).toBeUndefined();
    expect(find(tree, 'ReturnStatus')).toEqual({
      name: 'ReturnStatus',
      value: UNSET,
      offset: 24,
      length: 4,
    });
    // What the request does fill is decoded as before.
    expect(find(tree, 'ApiNumber')?.value).toBe('0x3146 (GetVersion)');
    expect(find(tree, 'Processor')?.value).toBe('0xffff');
  });

  it('its summary has no ReturnStatus and its Info no version', () => {
    expect(describePacket(2, getVersionRequest, REQUEST)).toEqual({
      api: 0x3146,
      apiName: 'GetVersion',
      info: 'GetVersion',
    });
    expect(describePacket(2, getVersionRequest, REQUEST, { info: false })).toEqual({
      api: 0x3146,
      apiName: 'GetVersion',
    });
  });

  it('a reply is decoded whole', () => {
    const tree = dissectPacket(packet(getVersionReply), REPLY);
    expect(find(tree, 'u.GetVersion64')?.value).toBe('DBGKD_GET_VERSION64');
    expect(find(tree, 'MajorVersion')?.value).toBe('0x40f (NTBD free)');
    expect(find(tree, 'MinorVersion')?.value).toBe('0x295a (10586)');
    expect(find(tree, 'MachineType')?.value).toBe('0x8664 (AMD64)');
    expect(find(tree, 'KernBase')).toMatchObject({ offset: 48, value: '0x96f000' });
    expect(find(tree, 'ReturnStatus')?.value).toBe('0x00000000 (STATUS_SUCCESS)');
    expect(describePacket(2, getVersionReply, REPLY)).toEqual({
      api: 0x3146,
      apiName: 'GetVersion',
      returnStatus: 0,
      info: 'GetVersion NTBD free build 10586 (0x295a) protocol 6 AMD64 KernBase 0x96f000',
    });
  });

  it('without a direction everything is decoded, as before', () => {
    const tree = dissectPacket(packet(getVersionRequest));
    expect(find(tree, 'MajorVersion')?.value).toMatch(/^0xc6f0 /);
    expect(find(tree, 'ReturnStatus')?.value).toBe('0x00000103 (STATUS_PENDING)');
    expect(describePacket(2, getVersionRequest).returnStatus).toBe(0x103);
  });

  it('the call dialog shows the request union as one unset row', () => {
    const rows = inspectPacket(packet(getVersionRequest), REQUEST).rows;
    expect(rows).toContainEqual({
      group: 'DBGKD_MANIPULATE_STATE64',
      name: 'u.GetVersion64',
      value: UNSET,
    });
    expect(rows.some((r) => r.name === 'MajorVersion')).toBe(false);
    const reply = inspectPacket(packet(getVersionReply), REPLY).rows;
    expect(reply).toContainEqual({
      group: 'u.GetVersion64',
      name: 'MinorVersion',
      value: '0x295a (10586)',
    });
  });
});

describe('ReadVirtualMemory by direction', () => {
  it('a request shows ActualBytesRead and ReturnStatus as unset', () => {
    const tree = dissectPacket(packet(readRequest), REQUEST);
    expect(find(tree, 'TargetBaseAddress')).toMatchObject({ offset: 32, value: '0xad5e60' });
    expect(find(tree, 'TransferCount')).toMatchObject({ offset: 40, value: '0x10 (16)' });
    expect(find(tree, 'ActualBytesRead')).toEqual({
      name: 'ActualBytesRead',
      value: UNSET,
      offset: 44,
      length: 4,
    });
    expect(find(tree, 'ReturnStatus')?.value).toBe(UNSET);
    expect(describePacket(2, readRequest, REQUEST)).toEqual({
      api: 0x3130,
      apiName: 'ReadVirtualMemory',
      info: 'ReadVirtualMemory 0xad5e60 len 0x10',
    });
  });

  it('a reply shows the count read and the bytes', () => {
    const tree = dissectPacket(packet(readReply), REPLY);
    expect(find(tree, 'ActualBytesRead')).toMatchObject({ offset: 44, value: '0x10 (16)' });
    expect(find(tree, 'ReturnStatus')?.value).toBe('0x00000000 (STATUS_SUCCESS)');
    expect(find(tree, 'Data (16 bytes)')).toMatchObject({ offset: 72, length: 16 });
    expect(describePacket(2, readReply, REPLY)).toEqual({
      api: 0x3130,
      apiName: 'ReadVirtualMemory',
      returnStatus: 0,
      info: 'ReadVirtualMemory 0xad5e60 len 0x10 -> 0x10 read',
    });
  });

  it('ReadPhysicalMemory: the request carries its caching flags where the count read goes', () => {
    const physical = readRequest.slice();
    physical.set(hx('3d 31 00 00'), 0);
    physical.set(hx('02 00 00 00'), 28);
    const tree = dissectPacket(packet(physical), REQUEST);
    expect(find(tree, 'ActualBytesRead')?.value).toBe('0x2 (caching UNCACHED, in a request)');
    expect(find(dissectPacket(packet(physical), REPLY), 'ActualBytesRead')?.value).toBe('2');
  });
});

describe('WriteVirtualMemory by direction', () => {
  it('a request shows ActualBytesWritten as unset and the data to write', () => {
    const tree = dissectPacket(packet(writeRequest), REQUEST);
    expect(find(tree, 'TargetBaseAddress')?.value).toBe('0xfffff80012340000');
    expect(find(tree, 'TransferCount')?.value).toBe('8');
    expect(find(tree, 'ActualBytesWritten')).toEqual({
      name: 'ActualBytesWritten',
      value: UNSET,
      offset: 44,
      length: 4,
    });
    expect(find(tree, 'ReturnStatus')?.value).toBe(UNSET);
    expect(find(tree, 'Data (8 bytes)')).toMatchObject({
      offset: 72,
      value: '90 90 90 90 cc cc cc cc',
    });
    expect(describePacket(2, writeRequest, REQUEST)).toEqual({
      api: 0x3131,
      apiName: 'WriteVirtualMemory',
      info: 'WriteVirtualMemory 0xfffff80012340000 len 0x8',
    });
  });

  it('a reply shows the count written and carries no data', () => {
    const tree = dissectPacket(packet(writeReply), REPLY);
    expect(find(tree, 'ActualBytesWritten')?.value).toBe('8');
    expect(find(tree, 'ReturnStatus')?.value).toBe('0x00000000 (STATUS_SUCCESS)');
    expect(tree.some((n) => n.name.startsWith('Data'))).toBe(false);
    expect(find(tree, 'DBGKD_MANIPULATE_STATE64')?.children?.map((n) => n.name)).toEqual([
      'ApiNumber',
      'ProcessorLevel',
      'Processor',
      'ReturnStatus',
      'Padding',
      'u.WriteMemory',
    ]);
    expect(describePacket(2, writeReply, REPLY)).toEqual({
      api: 0x3131,
      apiName: 'WriteVirtualMemory',
      returnStatus: 0,
      info: 'WriteVirtualMemory 0xfffff80012340000 len 0x8 -> 0x8 written',
    });
  });
});

describe('the other APIs the target answers into its own fields', () => {
  // [api, union offset of the field, its name] for the request table of manipulate.ts.
  const cases: [number, number, string][] = [
    [0x3137, 12, 'ActualBytesRead'], // ReadControlSpace
    [0x3138, 12, 'ActualBytesWritten'], // WriteControlSpace
    [0x3134, 8, 'BreakPointHandle'], // WriteBreakPoint
    [0x3139, 12, 'DataValue'], // ReadIoSpace
    [0x3144, 24, 'DataValue'], // ReadIoSpaceExtended
    [0x3152, 4, 'DataValueLow'], // ReadMachineSpecificRegister
    [0x3152, 8, 'DataValueHigh'],
    [0x315f, 8, 'BytesCopied'], // GetContextEx
    [0x3160, 8, 'BytesCopied'], // SetContextEx
    [0x315c, 20, 'Flags'], // QueryMemory
    [0x315c, 8, 'Reserved'],
  ];
  for (const [api, at, name] of cases) {
    it(`0x${api.toString(16)} ${name}`, () => {
      const payload = new Uint8Array(56).fill(0x41);
      payload.set([api & 0xff, api >> 8, 0, 0], 0);
      expect(find(dissectPacket(packet(payload), REQUEST), name)).toMatchObject({
        value: UNSET,
        offset: 32 + at,
      });
      expect(find(dissectPacket(packet(payload), REPLY), name)?.value).not.toBe(UNSET);
    });
  }

  it('an input field stays decoded in a request (WriteIoSpace DataValue, RestoreBreakPoint)', () => {
    const io = new Uint8Array(56);
    io.set(hx('3a 31 00 00'), 0);
    io.set(hx('41 00 00 00'), 28);
    expect(find(dissectPacket(packet(io), REQUEST), 'DataValue')?.value).toBe('0x41');
    const restore = new Uint8Array(56);
    restore.set(hx('35 31 00 00'), 0);
    restore.set(hx('07 00 00 00'), 16);
    expect(find(dissectPacket(packet(restore), REQUEST), 'BreakPointHandle')?.value).toBe('0x7');
  });
});
