// The Windows side of the VMBus channel through its seams (nothing here runs on Linux for
// real): koffi declarations of vmbuspiper.dll and kernel32, the offer's layout, GUIDs, the
// PowerShell command that finds a VM's GUID, Win32 errors in one line, the dialers' failures.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PROTOTYPES } from '../../electron/engine/vmbus/vmbuspiper';
import {
  KD_INTERFACE_INSTANCE,
  KD_INTERFACE_TYPE,
  OFFER_SIZE,
  OfferOffset,
  USER_DEFINED_SIZE,
  Win32,
  describeWin32Error,
  encodeOffer,
  formatGuid,
  guidBytes,
  loadVmbusApi,
  vmbusTypes,
} from '../../electron/engine/vmbus/vmbuspiper';
import {
  parseVmIds,
  resolveVmId,
  vmIdScript,
  vmNameFilter,
} from '../../electron/engine/vmbus/hyperv-vm-id';
import { findVms, vmDialer, vmbusDialer } from '../../electron/engine/vmbus/dialers';
import { ToolMissingError, type CommandRunner } from '../../electron/engine/vms/run-command';
import { createDialer, TransportError } from '../../electron/engine/transports';
import { parseEndpoint, type Endpoint } from '../../electron/engine/endpoint';
import type { VmInfo } from '../../electron/engine/vms';

const VM_ID = '5F0C4B7E-1D2A-4C3B-9A8B-0123456789AB';

describe('vmbuspiper.dll and kernel32 declarations (koffi, no DLL loaded)', () => {
  it('every prototype parses with the argument count of its signature', async () => {
    const { koffi, prototypes } = await vmbusTypes();
    const expected: Record<keyof typeof PROTOTYPES, number> = {
      VmbusPipeServerOfferChannel: 3,
      VmbusPipeServerConnectPipe: 2,
      CreateEventW: 4,
      ReadFile: 5,
      WriteFile: 5,
      GetOverlappedResult: 4,
      WaitForSingleObject: 2,
      CancelIoEx: 2,
      CloseHandle: 1,
      GetLastError: 0,
    };
    for (const [name, count] of Object.entries(expected)) {
      const info = koffi.type(prototypes[name]!) as unknown as {
        primitive: string;
        proto: { name: string; arguments: unknown[] };
      };
      expect(info.primitive).toBe('Prototype');
      expect(info.proto.name).toBe(name);
      expect(info.proto.arguments).toHaveLength(count);
    }
    // Declaring twice is harmless (koffi type names are global).
    expect(await vmbusTypes()).toBe(await vmbusTypes());
  });

  it('the offer struct has the layout windbg-uefi and Mile.HyperV give it', async () => {
    const { koffi, offer, overlapped } = await vmbusTypes();
    expect(koffi.sizeof(offer)).toBe(OFFER_SIZE);
    expect(koffi.offsetof(offer, 'Vm')).toBe(OfferOffset.vmGuid);
    expect(koffi.offsetof(offer, 'InterruptLatencyInMilliseconds')).toBe(0x10);
    expect(koffi.offsetof(offer, 'InterfaceType')).toBe(0x14);
    expect(koffi.offsetof(offer, 'InterfaceInstance')).toBe(0x24);
    expect(koffi.offsetof(offer, 'InterfaceRevision')).toBe(0x34);
    expect(koffi.offsetof(offer, 'MmioMegabytes')).toBe(0x38);
    expect(koffi.offsetof(offer, 'Flags')).toBe(0x3a);
    expect(koffi.offsetof(offer, 'UserDefined')).toBe(0x3c);
    expect(OfferOffset.userDefined + USER_DEFINED_SIZE).toBe(0xac); // the packed size
    expect(koffi.sizeof(overlapped)).toBe(32);
  });

  it('encodeOffer writes what koffi encodes for the same struct', async () => {
    const { koffi, offer } = await vmbusTypes();
    const guid = (text: string) => {
      const b = guidBytes(text);
      const v = new DataView(b.buffer);
      return {
        Data1: v.getUint32(0, true),
        Data2: v.getUint16(4, true),
        Data3: v.getUint16(6, true),
        Data4: [...b.subarray(8)],
      };
    };
    const ptr = koffi.alloc(offer, 1);
    try {
      koffi.encode(ptr, offer, {
        Vm: { VmGuid: guid(VM_ID) },
        InterruptLatencyInMilliseconds: 0,
        InterfaceType: guid(KD_INTERFACE_TYPE),
        InterfaceInstance: guid(KD_INTERFACE_INSTANCE),
        InterfaceRevision: 0,
        MmioMegabytes: 0,
        Flags: 0,
        UserDefined: new Array(USER_DEFINED_SIZE).fill(0),
      });
      const native = Uint8Array.from(koffi.decode(ptr, 'uint8_t', OFFER_SIZE) as number[]);
      // The union's tail padding (0xAC..0xB0) is not a field: compare the fields.
      expect([...encodeOffer(VM_ID).subarray(0, 0xac)]).toEqual([...native.subarray(0, 0xac)]);
    } finally {
      koffi.free(ptr);
    }
  });

  it('GUIDs are laid out as Windows does (Data1-3 little-endian, Data4 as written)', () => {
    expect([...guidBytes(KD_INTERFACE_TYPE)]).toEqual([
      0xae, 0xfb, 0x7d, 0xa6, 0x97, 0x78, 0xad, 0x42, 0x9d, 0x10, 0xd9, 0x61, 0x56, 0xb3, 0x69,
      0x58,
    ]);
    const offer = encodeOffer(VM_ID);
    expect(formatGuid(offer.subarray(0x24, 0x34))).toBe(KD_INTERFACE_INSTANCE);
    expect(formatGuid(offer.subarray(0, 16))).toBe(`{${VM_ID}}`);
    expect(() => guidBytes('not-a-guid')).toThrow(/is not a GUID/);
    fc.assert(
      fc.property(fc.uuid(), (id) => {
        expect(formatGuid(guidBytes(id))).toBe(`{${id.toUpperCase()}}`);
      }),
    );
  });
});

describe('Win32 errors in one line', () => {
  it.each([
    [Win32.ACCESS_DENIED, /offering the channel: access denied: run kdscope elevated/],
    [Win32.PIPE_BUSY, /busy: another program .* has offered this channel/],
    [Win32.BROKEN_PIPE, /the VM closed the channel/],
    [Win32.PIPE_NOT_CONNECTED, /the VM closed the channel/],
    [Win32.FILE_NOT_FOUND, /the VM is not running or has no VMBus/],
    [Win32.OPERATION_ABORTED, /cancelled/],
    [1234, /Win32 error 1234$/],
  ])('error %i', (code, pattern) => {
    const error = describeWin32Error(code, 'vmbus:Win11', 'offering the channel');
    expect(error).toBeInstanceOf(TransportError);
    expect(error.message).toMatch(/^vmbus:Win11: offering the channel: /);
    expect(error.message).toMatch(pattern);
    expect(error.message).not.toContain('\n');
    expect(error.code).toBe(`WIN32_${code}`);
  });

  it('a missing vmbuspiper.dll is said as such (a real failed load)', async () => {
    await expect(loadVmbusApi('/nonexistent/vmbuspiper.dll')).rejects.toThrow(
      /^vmbuspiper\.dll not found: \/nonexistent\/vmbuspiper\.dll \(it comes with Hyper-V/,
    );
  });
});

describe("the VM's GUID by name (PowerShell / WMI)", () => {
  function runner(result: { code?: number; stdout?: string; stderr?: string } | Error) {
    const calls: { command: string; args: readonly string[] }[] = [];
    const run: CommandRunner = async (command, args) => {
      calls.push({ command, args });
      if (result instanceof Error) throw result;
      return { code: result.code ?? 0, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
    };
    return { run, calls };
  }

  it('builds one PowerShell command: Msvm_ComputerSystem by ElementName, quotes escaped', async () => {
    const { run, calls } = runner({ stdout: `["${VM_ID.toLowerCase()}"]` });
    expect(await resolveVmId("Bob's \\ VM", run)).toBe(VM_ID);
    expect(calls).toHaveLength(1);
    const { command, args } = calls[0]!;
    expect(command).toBe('powershell.exe');
    expect(args.slice(0, 5)).toEqual([
      '-NoProfile',
      '-NonInteractive',
      '-ExecutionPolicy',
      'Bypass',
      '-Command',
    ]);
    expect(vmNameFilter("Bob's \\ VM")).toBe("ElementName = 'Bob\\'s \\\\ VM'");
    expect(args[5]).toBe(vmIdScript("Bob's \\ VM"));
    expect(args[5]).toContain(
      "Get-CimInstance -Namespace root\\virtualization\\v2 -ClassName Msvm_ComputerSystem -Filter 'ElementName = ''Bob\\''s \\\\ VM'''",
    );
    expect(args[5]).toContain('ConvertTo-Json -InputObject $vms -Compress');
  });

  it('keeps GUIDs only (the host itself is a Msvm_ComputerSystem named after the computer)', () => {
    expect(parseVmIds(`["HOST01","{${VM_ID}}"]`)).toEqual([VM_ID]);
    expect(parseVmIds(`"${VM_ID}"`)).toEqual([VM_ID]);
    expect(parseVmIds('')).toEqual([]);
    expect(() => parseVmIds('Get-CimInstance : error')).toThrow();
  });

  it.each([
    [{ stdout: '[]' }, /^vmbus:Win11: no Hyper-V VM is named 'Win11' \(kdscope vms lists them\)$/],
    [
      { stdout: `["${VM_ID}","${VM_ID.replace('5F', '6F')}"]` },
      /2 Hyper-V VMs are named 'Win11'.*rename one/,
    ],
    [
      { code: 1, stderr: 'Access denied: you do not have the required permission' },
      /Hyper-V refused: run kdscope elevated/,
    ],
    [{ stdout: 'garbage' }, /unexpected PowerShell output/],
    [
      new ToolMissingError('powershell.exe is not installed or not on PATH'),
      /^vmbus:Win11: powershell\.exe is not installed/,
    ],
  ])('%j -> one line', async (result, pattern) => {
    const { run } = runner(result);
    const error = await resolveVmId('Win11', run).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toMatch(pattern);
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('vmbus:NAME and vm:NAME dialers', () => {
  it('vmbus:NAME fails at once off Windows, through createDialer too', () => {
    const ep = parseEndpoint('vmbus:Win11') as Extract<Endpoint, { kind: 'vmbus' }>;
    expect(() => vmbusDialer(ep, {}, { platform: 'linux' })).toThrow(
      /^vmbus:Win11: the VMBus channel needs Hyper-V on Windows \(vmbuspiper\.dll\)/,
    );
    expect(() => createDialer(ep, { platform: 'darwin' })).toThrow(TransportError);
  });

  it('on Windows it first loads vmbuspiper.dll (here: not found, one line)', async () => {
    const ep = parseEndpoint('vmbus:Win11') as Extract<Endpoint, { kind: 'vmbus' }>;
    const dialer = vmbusDialer(
      ep,
      {},
      { platform: 'win32', run: async () => ({ code: 0, stdout: `["${VM_ID}"]`, stderr: '' }) },
    );
    await expect(dialer.dial()).rejects.toThrow(/^vmbuspiper\.dll not found: vmbuspiper\.dll/);
  });

  const vm = (name: string, provider: string, endpoints: string[], id?: string): VmInfo => ({
    provider,
    name,
    state: 'running',
    ...(id ? { id } : {}),
    channels: endpoints.map((endpoint, i) => ({
      kind: 'unix',
      port: `COM${i + 1}`,
      path: endpoint,
      endpoint,
    })),
  });

  it('finds a VM by exact name first, else ignoring case', () => {
    const vms = [vm('Dev', 'qemu', []), vm('dev', 'libvirt', []), vm('Other', 'qemu', [])];
    expect(findVms(vms, 'dev').map((v) => v.provider)).toEqual(['libvirt']);
    expect(findVms(vms, 'OTHER').map((v) => v.name)).toEqual(['Other']);
    expect(findVms(vms, 'none')).toEqual([]);
  });

  it('says when the VM is unknown, ambiguous or has no channel, in one line', async () => {
    const listing = {
      vms: [
        vm('twin', 'qemu', [], '11'),
        vm('twin', 'libvirt', [], '22'),
        vm('bare', 'vmware', []),
      ],
      problems: new Map([['hyperv', 'Hyper-V is on Windows only']]),
    };
    const dial = (name: string) =>
      vmDialer(
        { kind: 'vm', name },
        { listVms: async () => listing, dialerFor: (ep) => createDialer(ep) },
      ).dial();
    await expect(dial('ghost')).rejects.toThrow(
      "vm:ghost: no VM named 'ghost' (kdscope vms lists them; 1 provider(s) saw nothing: Hyper-V is on Windows only)",
    );
    await expect(dial('twin')).rejects.toThrow(
      /vm:twin: 2 VMs are named 'twin' \(qemu 11, libvirt 22\)/,
    );
    await expect(dial('bare')).rejects.toThrow(
      /vm:bare: vmware VM 'bare' \(running\) has no KD channel kdscope can reach/,
    );
  });

  it('with --mode vmbus only VMBus channels are candidates', async () => {
    const listing = {
      vms: [vm('simulated', 'kdscope', ['sim', 'sim:vmbus'])],
      problems: new Map(),
    };
    const dialled: string[] = [];
    const seams = (vmbusOnly: boolean) => ({
      listVms: async () => listing,
      vmbusOnly,
      dialerFor: (ep: Endpoint) => ({
        description: 'fake',
        dial: async () => {
          dialled.push(JSON.stringify(ep));
          throw new TransportError('refused');
        },
      }),
    });
    await expect(vmDialer({ kind: 'vm', name: 'simulated' }, seams(true)).dial()).rejects.toThrow(
      /answered: COM2: refused$/,
    );
    expect(dialled).toEqual(['{"kind":"sim","flavour":"vmbus"}']);
    await expect(vmDialer({ kind: 'vm', name: 'simulated' }, seams(false)).dial()).rejects.toThrow(
      /COM1: refused; COM2: refused$/,
    );
    const comOnly = { vms: [vm('dev', 'qemu', ['unix:/x'])], problems: new Map() };
    await expect(
      vmDialer(
        { kind: 'vm', name: 'dev' },
        { ...seams(true), listVms: async () => comOnly },
      ).dial(),
    ).rejects.toThrow(
      /has no VMBus channel \(--mode vmbus\); drop --mode vmbus to use its COM port/,
    );
  });

  it('dials the first channel that answers, saying why the others did not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kdscope-vmdial-'));
    const live = join(dir, 'com2.sock');
    const server = createServer((socket) => socket.end('hi'));
    await new Promise<void>((r) => server.listen(live, r));
    try {
      const listing = {
        vms: [vm('dev', 'qemu', [`unix:${join(dir, 'gone.sock')}`, `unix:${live}`])],
        problems: new Map(),
      };
      const dialer = vmDialer(
        { kind: 'vm', name: 'dev' },
        { listVms: async () => listing, dialerFor: (ep) => createDialer(ep) },
      );
      const stream = await dialer.dial();
      const got = await new Promise<string>((r) =>
        stream.once('data', (d: Buffer) => r(d.toString())),
      );
      expect(got).toBe('hi');
      stream.destroy();
      const dead = {
        vms: [vm('dev', 'qemu', [`unix:${join(dir, 'gone.sock')}`])],
        problems: new Map(),
      };
      await expect(
        vmDialer(
          { kind: 'vm', name: 'dev' },
          { listVms: async () => dead, dialerFor: (ep) => createDialer(ep) },
        ).dial(),
      ).rejects.toThrow(
        /^vm:dev: no channel of qemu VM 'dev' \(running\) answered: COM1: unix:.*gone\.sock: nobody listens there/,
      );
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
