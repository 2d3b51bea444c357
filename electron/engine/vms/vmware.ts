// VMware Workstation/Fusion/Player VMs: running ones from `vmrun list`, serial ports from the .vmx.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { runCommand, runListing, type CommandRunner } from './run-command';
import type { ProviderResult, VmChannel, VmInfo, VmProvider } from './types';

/** `key = "value"` lines of a .vmx file (keys are case-insensitive). */
export function parseVmx(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([\w.:-]+)\s*=\s*"(.*)"\s*$/.exec(line);
    if (m) out.set(m[1]!.toLowerCase(), m[2]!);
  }
  return out;
}

export function vmxChannels(vmx: Map<string, string>): VmChannel[] {
  const channels: VmChannel[] = [];
  for (let n = 0; n < 4; n++) {
    const key = `serial${n}`;
    if (vmx.get(`${key}.present`)?.toUpperCase() !== 'TRUE') continue;
    const type = vmx.get(`${key}.filetype`) ?? '';
    const name = vmx.get(`${key}.filename`) ?? '';
    const port = `COM${n + 1}`;
    const server = (vmx.get(`${key}.pipe.endpoint`) ?? 'server') === 'server';
    const note = server
      ? 'VMware is the pipe server: kdscope connects to it as the target'
      : 'VMware connects out: kdscope must listen there before the VM starts';
    if (type === 'pipe') {
      const pipe = /^\\\\\.\\pipe\\(.+)$/i.exec(name)?.[1];
      channels.push(
        pipe
          ? { kind: 'com-pipe', port, path: name, endpoint: `pipe:${pipe}`, note }
          : { kind: 'unix', port, path: name, endpoint: `unix:${name}`, note },
      );
    } else if (type === 'device') {
      channels.push({ kind: 'serial', port, path: name, endpoint: `serial:${name}` });
    }
  }
  return channels;
}

export function vmwareProvider(run: CommandRunner = runCommand): VmProvider {
  return {
    name: 'vmware',
    async list(signal): Promise<ProviderResult> {
      const listed = await runListing(run, 'vmrun', ['list'], { signal });
      if ('problem' in listed) return { vms: [], problem: listed.problem };
      const listing = listed.result;
      const vms: VmInfo[] = [];
      // "Total running VMs: N" then one .vmx path a line.
      for (const path of listing.stdout
        .split(/\r?\n/)
        .slice(1)
        .map((l) => l.trim())) {
        if (!path.toLowerCase().endsWith('.vmx')) continue;
        let vmx = new Map<string, string>();
        try {
          vmx = parseVmx(await readFile(path, 'utf8'));
        } catch {
          // Unreadable .vmx: list the VM without channels rather than hide it.
        }
        vms.push({
          provider: 'vmware',
          name: vmx.get('displayname') ?? basename(path, '.vmx'),
          id: path,
          state: 'running',
          channels: vmxChannels(vmx),
        });
      }
      return { vms };
    },
  };
}
