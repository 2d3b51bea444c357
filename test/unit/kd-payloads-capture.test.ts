// The payload decoders against the real KDNET capture (winload's boot debugger talking to
// WinDbg): every payload decodes whole, every length field agrees with the data that
// follows it, and the details tree of every packet is free of errors.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../electron/capture';
import { ManipulateApi, PacketType, StateChange } from '../../protocol/kd/constants';
import { KdStreamDecoder } from '../../protocol/kd/decoder';
import { encodeDataPacket } from '../../protocol/kd/encoder';
import type { Direction, KdPacketEvent } from '../../protocol/kd/events';
import type { FieldNode, PacketSummary } from '../../protocol/kd/summary';
import {
  decodeDebugIo,
  decodeFileIo,
  decodeManipulate,
  decodeStateChange64,
  describePacket,
  dissectPacket,
  manipulateFields,
  stateChangeFields,
} from '../../protocol/kd/payloads';

const CAPTURE = join(__dirname, '../fixtures/windbg-uncut.pcapng.gz');

interface Seen {
  readonly dir: Direction;
  readonly packet: KdPacketEvent;
  readonly summary: PacketSummary;
}

function readPackets(): Seen[] {
  if (!existsSync(CAPTURE))
    throw new Error(`the real KDNET capture is missing: expected it at ${CAPTURE}`);
  const decoders = {
    'debugger->target': new KdStreamDecoder(),
    'target->debugger': new KdStreamDecoder(),
  };
  const out: Seen[] = [];
  openCapture(CAPTURE, { key: '8.8.8.8' }).forEach((chunk) => {
    decoders[chunk.dir].push(chunk.bytes, (e) => {
      if (e.kind === 'packet' && e.leader === 'data') {
        out.push({
          dir: chunk.dir,
          packet: e,
          summary: describePacket(e.type, e.payload, chunk.dir),
        });
      }
    });
  });
  return out;
}

function errors(nodes: readonly FieldNode[]): string[] {
  return nodes.flatMap((n) => [
    ...(n.error ? [`${n.name}: ${n.error}`] : []),
    ...errors(n.children ?? []),
  ]);
}

describe('payloads of the real capture', () => {
  const seen = readPackets();
  const of = (type: number, dir: Direction) =>
    seen.filter((s) => s.packet.type === type && s.dir === dir);

  it('decodes every data packet whole, with a one-line summary and an error-free tree', () => {
    expect(seen.length).toBeGreaterThan(250);
    for (const { packet, summary } of seen) {
      expect(summary.malformed).toBeUndefined();
      expect(summary.info).toMatch(/^[^\n]+$/);
      expect(summary.info).not.toMatch(/Unknown/);
      const tree = dissectPacket(encodeDataPacket(packet.type, packet.id, packet.payload));
      expect(errors(tree)).toEqual([]);
    }
  });

  it('agrees with the length fields of every family', () => {
    for (const { packet } of of(PacketType.STATE_MANIPULATE, 'target->debugger')) {
      const m = decodeManipulate(packet.payload);
      const read =
        manipulateFields(m, ManipulateApi.ReadVirtualMemory) ??
        manipulateFields(m, ManipulateApi.ReadControlSpace);
      if (read && m.returnStatus === 0) expect(m.data.length).toBe(read.actualBytesRead);
      if (m.api === ManipulateApi.GetContext && m.returnStatus === 0)
        expect(m.data.length).toBe(0x4d0);
    }
    for (const { packet } of of(PacketType.STATE_CHANGE64, 'target->debugger')) {
      const s = decodeStateChange64(packet.payload);
      const ls = stateChangeFields(s, StateChange.LoadSymbols);
      if (ls) expect(ls.pathNameLength).toBe(s.data.length);
    }
    for (const { packet } of of(PacketType.DEBUG_IO, 'target->debugger')) {
      const d = decodeDebugIo(packet.payload);
      expect(d.fields.lengthOfString).toBe(d.data.length);
    }
    for (const { packet } of of(PacketType.FILE_IO, 'target->debugger')) {
      // The name is the whole data: UTF-16LE, printable, ended by its NUL.
      const f = decodeFileIo(packet.payload);
      expect(f.fileName).toMatch(/^[\x20-\x7e]+$/);
      expect(f.data.length).toBe((f.fileName!.length + 1) * 2);
    }
  });

  it('reads what WinDbg showed', () => {
    const infos = seen.map((s) => s.summary.info);
    expect(seen[0]?.summary).toMatchObject({
      apiName: 'PrintString',
      text: 'BD: Boot Debugger Initialized\n',
    });
    expect(infos).toContain('LoadSymbols winload.efi base 0x96f000 size 0x17d000');
    expect(infos).toContain(
      'GetVersion NTBD free build 10586 (0x295a) protocol 6 AMD64 KernBase 0x96f000',
    );
    expect(infos).toContain('Exception 0x80000003 STATUS_BREAKPOINT at 0x9cf07d first chance');
    expect(infos).toContain('Continue2 DBG_CONTINUE Dr7 0x400');
    expect(infos).toContain('CreateFile "\\\\Windows\\\\system32\\\\en-GB\\\\winload.efi.MUI"');
    expect(infos).toContain('CreateFile -> STATUS_NO_SUCH_FILE');
    const version = seen.find(
      (s) => s.dir === 'target->debugger' && s.summary.apiName === 'GetVersion',
    );
    expect(
      manipulateFields(decodeManipulate(version!.packet.payload), ManipulateApi.GetVersion),
    ).toMatchObject({
      majorVersion: 0x40f,
      minorVersion: 10586,
      protocolVersion: 6,
      machineType: 0x8664,
    });
  });
});
