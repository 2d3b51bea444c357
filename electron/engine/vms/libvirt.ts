// libvirt-managed VMs (virt-manager, virsh): their serial ports from the domain XML.
import { runCommand, runListing, type CommandRunner } from './run-command';
import type { ProviderResult, VmChannel, VmInfo, VmProvider } from './types';

const STATES: Record<string, VmInfo['state']> = {
  running: 'running',
  'shut off': 'stopped',
  paused: 'paused',
  pmsuspended: 'saved',
};

/** Serial ports of a domain's XML (only the few attributes we need; no XML library required). */
export function serialChannelsOfDomainXml(xml: string): VmChannel[] {
  const channels: VmChannel[] = [];
  const serials = xml.match(/<serial\b[^>]*>[\s\S]*?<\/serial>/g) ?? [];
  serials.forEach((block, index) => {
    const type = /<serial\b[^>]*\btype=['"]([^'"]+)['"]/.exec(block)?.[1];
    const source = /<source\b([^>]*)\/?>/.exec(block)?.[1] ?? '';
    const attr = (name: string): string | undefined =>
      new RegExp(`\\b${name}=['"]([^'"]*)['"]`).exec(source)?.[1];
    const portNo = /<target\b[^>]*\bport=['"](\d+)['"]/.exec(block)?.[1] ?? String(index);
    const port = `COM${Number(portNo) + 1}`;
    const listening = attr('mode') === 'bind';
    const note = listening
      ? 'libvirt listens: kdscope connects to it as the target'
      : 'libvirt connects out: kdscope must listen there before the VM starts';
    if (type === 'unix' && attr('path')) {
      const path = attr('path')!;
      channels.push({ kind: 'unix', port, path, endpoint: `unix:${path}`, note });
    } else if (type === 'tcp' && attr('service')) {
      const host = attr('host') ?? '127.0.0.1';
      const path = `${host}:${attr('service')}`;
      channels.push({ kind: 'tcp', port, path, endpoint: `tcp:${path}`, note });
    } else if (type === 'pty') {
      const path = attr('path');
      channels.push(
        path
          ? { kind: 'pty', port, path, endpoint: `serial:${path}` }
          : { kind: 'pty', port, path: '(assigned when the VM starts)' },
      );
    } else if (type === 'dev' && attr('path')) {
      const path = attr('path')!;
      channels.push({ kind: 'serial', port, path, endpoint: `serial:${path}` });
    }
  });
  return channels;
}

export function libvirtProvider(
  run: CommandRunner = runCommand,
  uri = 'qemu:///system',
): VmProvider {
  return {
    name: 'libvirt',
    async list(signal): Promise<ProviderResult> {
      const listed = await runListing(run, 'virsh', ['-c', uri, 'list', '--all'], { signal });
      if ('problem' in listed) return { vms: [], problem: listed.problem };
      const listing = listed.result;
      const vms: VmInfo[] = [];
      // " Id   Name   State" then "----" then rows like " 3    win11  running" / " -  dev  shut off".
      for (const line of listing.stdout.split('\n').slice(2)) {
        const m = /^\s*(\S+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
        if (!m) continue;
        const [, id, name, state] = m as unknown as [string, string, string, string];
        const xml = await run('virsh', ['-c', uri, 'dumpxml', name], { signal });
        vms.push({
          provider: 'libvirt',
          name,
          state: STATES[state] ?? 'unknown',
          ...(id !== '-' ? { id } : {}),
          channels: xml.code === 0 ? serialChannelsOfDomainXml(xml.stdout) : [],
        });
      }
      return { vms };
    },
  };
}
