import { describe, expect, it } from 'vitest';
import {
  explainHyperVError,
  HYPERV_LIST_SCRIPT,
  hypervProvider,
  parseHyperVList,
  powershellArgs,
  setComPortScript,
} from '../../electron/engine/vms/hyperv';
import { libvirtProvider, serialChannelsOfDomainXml } from '../../electron/engine/vms/libvirt';
import { parseQemuCommandLine } from '../../electron/engine/vms/qemu-args';
import {
  parseMachineReadable,
  virtualBoxChannels,
  virtualBoxProvider,
} from '../../electron/engine/vms/virtualbox';
import { parseVmx, vmxChannels } from '../../electron/engine/vms/vmware';
import { listVms } from '../../electron/engine/vms';
import {
  ToolMissingError,
  runCommand,
  type CommandRunner,
} from '../../electron/engine/vms/run-command';
import { vmDialer } from '../../electron/engine/vmbus/dialers';
import { createDialer } from '../../electron/engine/transports';
import { getEventListeners } from 'node:events';

/** A runner that answers from a table and records every command line it was given. */
function fakeRunner(answers: Record<string, { code?: number; stdout?: string; stderr?: string }>) {
  const calls: string[][] = [];
  const run: CommandRunner = async (command, args) => {
    calls.push([command, ...args]);
    const key = [command, ...args].join(' ');
    const hit = Object.entries(answers).find(([k]) => key.startsWith(k));
    if (!hit) throw new ToolMissingError(`${command} is not installed or not on PATH`);
    return { code: hit[1].code ?? 0, stdout: hit[1].stdout ?? '', stderr: hit[1].stderr ?? '' };
  };
  return { run, calls };
}

describe('QEMU command lines', () => {
  it('finds the name and every serial backend with the endpoint that reaches it', () => {
    const parsed = parseQemuCommandLine([
      '/usr/bin/qemu-system-x86_64',
      '-name',
      'guest=win11,debug-threads=on',
      '-serial',
      'unix:/run/kd.sock,server=on,wait=off',
      '-serial',
      'tcp:127.0.0.1:4555,server,nowait',
      '-chardev',
      'socket,id=com3,path=/tmp/c3.sock,server=on',
      '-device',
      'isa-serial,chardev=com3',
      '-serial',
      'pty',
    ]);
    expect(parsed.name).toBe('win11');
    expect(parsed.channels.map((c) => [c.port, c.kind, c.endpoint])).toEqual([
      ['COM1', 'unix', 'unix:/run/kd.sock'],
      ['COM2', 'tcp', 'tcp:127.0.0.1:4555'],
      ['COM3', 'pty', undefined],
      ['COM4', 'unix', 'unix:/tmp/c3.sock'],
    ]);
    expect(parsed.channels[0]!.note).toMatch(/QEMU listens/);
  });

  it('ignores backends a debugger cannot use', () => {
    const parsed = parseQemuCommandLine([
      'qemu-system-x86_64',
      '-serial',
      'stdio',
      '-serial',
      'file:/tmp/log',
    ]);
    expect(parsed.channels).toEqual([]);
  });
});

describe('libvirt', () => {
  const xml = `<domain><name>dev</name><devices>
    <serial type='unix'><source mode='bind' path='/var/lib/libvirt/qemu/dev.sock'/><target port='0'/></serial>
    <serial type="tcp"><source mode="connect" host="127.0.0.1" service="5000"/><target port="1"/></serial>
    <serial type='pty'><source path='/dev/pts/7'/><target port='2'/></serial>
  </devices></domain>`;

  it('reads serial ports from the domain XML', () => {
    expect(serialChannelsOfDomainXml(xml).map((c) => [c.port, c.endpoint])).toEqual([
      ['COM1', 'unix:/var/lib/libvirt/qemu/dev.sock'],
      ['COM2', 'tcp:127.0.0.1:5000'],
      ['COM3', 'serial:/dev/pts/7'],
    ]);
  });

  it('lists domains through virsh with their states', async () => {
    const { run, calls } = fakeRunner({
      'virsh -c qemu:///system list --all': {
        stdout:
          ' Id   Name   State\n-----------------------\n 3    dev    running\n -    old    shut off\n\n',
      },
      'virsh -c qemu:///system dumpxml dev': { stdout: xml },
      'virsh -c qemu:///system dumpxml old': { stdout: '<domain/>' },
    });
    const result = await libvirtProvider(run).list();
    expect(result.vms.map((v) => [v.name, v.state, v.channels.length])).toEqual([
      ['dev', 'running', 3],
      ['old', 'stopped', 0],
    ]);
    expect(calls[0]).toEqual(['virsh', '-c', 'qemu:///system', 'list', '--all']);
  });

  it('says why when virsh is missing or refuses', async () => {
    expect((await libvirtProvider(fakeRunner({}).run).list()).problem).toBe(
      'virsh is not installed or not on PATH',
    );
    const denied = fakeRunner({
      virsh: { code: 1, stderr: 'error: failed to connect to the hypervisor\nmore' },
    });
    expect((await libvirtProvider(denied.run).list()).problem).toBe(
      'virsh: error: failed to connect to the hypervisor',
    );
  });
});

describe('Hyper-V (through its PowerShell seam)', () => {
  it('builds a non-interactive PowerShell command that prints JSON only', () => {
    expect(powershellArgs(HYPERV_LIST_SCRIPT).slice(0, 5)).toEqual([
      '-NoProfile',
      '-NonInteractive',
      '-ExecutionPolicy',
      'Bypass',
      '-Command',
    ]);
    expect(HYPERV_LIST_SCRIPT).toMatch(/Get-VM/);
    expect(HYPERV_LIST_SCRIPT).toMatch(/ComPort1\.Path/);
    expect(HYPERV_LIST_SCRIPT).toMatch(/ConvertTo-Json -Compress/);
  });

  it('quotes names in the Set-VMComPort command it proposes', () => {
    expect(setComPortScript("Bob's VM", 'windbg')).toBe(
      "Set-VMComPort -VMName 'Bob''s VM' -Number 1 -Path '\\\\.\\pipe\\windbg'",
    );
  });

  it('maps Get-VM rows to COM pipes and, for generation 2, the VMBus channel', () => {
    const vms = parseHyperVList(
      JSON.stringify([
        {
          Name: 'uefi',
          Id: 'a-b',
          State: 'Running',
          Generation: 2,
          Com1: '\\\\.\\pipe\\windbg',
          Com2: '',
        },
        { Name: 'old', Id: 'c-d', State: 'Off', Generation: 1, Com1: null, Com2: null },
      ]),
    );
    expect(vms[0]).toMatchObject({ name: 'uefi', state: 'running', id: 'a-b' });
    expect(vms[0]!.channels.map((c) => c.endpoint)).toEqual(['pipe:windbg', 'vmbus:uefi']);
    expect(vms[1]).toMatchObject({ name: 'old', state: 'stopped', channels: [] });
    // A single VM comes back as an object, not an array.
    expect(parseHyperVList('{"Name":"one","State":"Paused","Generation":1}')[0]!.state).toBe(
      'paused',
    );
  });

  it('explains the usual failures in one line', () => {
    expect(
      explainHyperVError("The term 'Get-VM' is not recognized as the name of a cmdlet"),
    ).toMatch(/module missing/);
    expect(
      explainHyperVError('Get-VM : You do not have the required permission to complete this task.'),
    ).toMatch(/elevated/);
  });

  it('runs powershell.exe on Windows and says so elsewhere', async () => {
    const { run, calls } = fakeRunner({ 'powershell.exe': { stdout: '[]' } });
    expect(await hypervProvider(run, 'win32').list()).toEqual({ vms: [] });
    expect(calls[0]![0]).toBe('powershell.exe');
    expect((await hypervProvider(run, 'linux').list()).problem).toBe('Hyper-V is on Windows only');
  });
});

describe('VirtualBox and VMware', () => {
  it('reads VirtualBox UART modes', () => {
    const info = parseMachineReadable(
      'name="w10"\nVMState="running"\nuart1="0x03f8,4"\nuartmode1="server,/tmp/vbox-com1"\nuart2="0x02f8,3"\nuartmode2="tcpserver,6000"\nuart3="off"\n',
    );
    expect(virtualBoxChannels(info).map((c) => c.endpoint)).toEqual([
      'unix:/tmp/vbox-com1',
      'tcp:127.0.0.1:6000',
    ]);
  });

  it('lists VirtualBox VMs through VBoxManage', async () => {
    const { run } = fakeRunner({
      'VBoxManage list vms': { stdout: '"w10" {11111111-2222-3333-4444-555555555555}\n' },
      'VBoxManage showvminfo': {
        stdout: 'VMState="poweroff"\nuart1="0x03f8,4"\nuartmode1="server,\\\\.\\pipe\\vbox"\n',
      },
    });
    const { vms } = await virtualBoxProvider(run).list();
    expect(vms[0]).toMatchObject({ name: 'w10', state: 'stopped' });
    expect(vms[0]!.channels[0]).toMatchObject({ kind: 'com-pipe', endpoint: 'pipe:vbox' });
  });

  it('reads VMware serial ports from the .vmx', () => {
    const vmx = parseVmx(
      'displayName = "Win Dev"\nserial0.present = "TRUE"\nserial0.fileType = "pipe"\nserial0.fileName = "\\\\.\\pipe\\com_1"\nserial1.present = "FALSE"\n',
    );
    expect(vmx.get('displayname')).toBe('Win Dev');
    expect(vmxChannels(vmx)).toEqual([
      expect.objectContaining({ port: 'COM1', kind: 'com-pipe', endpoint: 'pipe:com_1' }),
    ]);
  });
});

describe('listVms', () => {
  it('always offers the simulated VM and reports each failing provider without hiding the others', async () => {
    const listing = await listVms([
      {
        name: 'ok',
        list: async () => ({
          vms: [{ provider: 'ok', name: 'a', state: 'running', channels: [] }],
        }),
      },
      { name: 'absent', list: async () => ({ vms: [], problem: 'tool missing' }) },
      { name: 'broken', list: async () => Promise.reject(new Error('boom')) },
    ]);
    expect(listing.vms.map((v) => v.name)).toEqual(['simulated', 'a']);
    expect(Object.fromEntries(listing.problems)).toEqual({
      absent: 'tool missing',
      broken: 'boom',
    });
  });
});

describe('running host tools with a cancel signal', () => {
  it('a tool that does not exist leaves no abort listener behind, however often it is tried', async () => {
    const stop = new AbortController();
    for (let i = 0; i < 20; i++) {
      await expect(
        runCommand('kdscope-no-such-tool', ['--version'], { signal: stop.signal }),
      ).rejects.toThrow(ToolMissingError);
    }
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('the signal stops a running tool, and nothing stays on the signal', async () => {
    const stop = new AbortController();
    const done = await runCommand('true', [], { signal: stop.signal });
    expect(done.code).toBe(0);
    const running = runCommand('sleep', ['30'], { signal: stop.signal });
    stop.abort();
    expect((await running).code).not.toBe(0);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    expect((await runCommand('true', [], { signal: stop.signal })).code).not.toBe(0);
  });

  it('vm:NAME dialled again and again (the bridge retrying) adds no abort listener', async () => {
    const stop = new AbortController();
    const dialer = vmDialer(
      { kind: 'vm', name: 'kdscope-no-such-vm' },
      { dialerFor: createDialer },
    );
    for (let i = 0; i < 15; i++)
      await expect(dialer.dial(stop.signal)).rejects.toThrow(/no VM named/);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });
});
