// VirtualBox VMs: names and states from VBoxManage, serial ports from --machinereadable info.
import { runCommand, runListing, type CommandRunner } from './run-command';
import type { ProviderResult, VmChannel, VmInfo, VmProvider } from './types';

/** `key="value"` lines of `VBoxManage showvminfo --machinereadable`. */
export function parseMachineReadable(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^"?([^"=]+)"?=(?:"(.*)"|(.*))$/.exec(line);
    if (m) out.set(m[1]!, m[2] ?? m[3] ?? '');
  }
  return out;
}

const STATES: Record<string, VmInfo['state']> = {
  running: 'running',
  poweroff: 'stopped',
  aborted: 'stopped',
  paused: 'paused',
  saved: 'saved',
};

export function virtualBoxChannels(info: Map<string, string>): VmChannel[] {
  const channels: VmChannel[] = [];
  for (let n = 1; n <= 4; n++) {
    if ((info.get(`uart${n}`) ?? 'off') === 'off') continue;
    const mode = info.get(`uartmode${n}`) ?? '';
    const [kind, ...rest] = mode.split(',');
    const target = rest.join(',');
    const port = `COM${n}`;
    if (kind === 'server' || kind === 'client') {
      const note =
        kind === 'server'
          ? 'VirtualBox is the server: kdscope connects to it as the target'
          : 'VirtualBox connects out: kdscope must listen there before the VM starts';
      const pipe = /^\\\\\.\\pipe\\(.+)$/i.exec(target)?.[1];
      channels.push(
        pipe
          ? { kind: 'com-pipe', port, path: target, endpoint: `pipe:${pipe}`, note }
          : { kind: 'unix', port, path: target, endpoint: `unix:${target}`, note },
      );
    } else if (kind === 'tcpserver') {
      channels.push({
        kind: 'tcp',
        port,
        path: `127.0.0.1:${target}`,
        endpoint: `tcp:127.0.0.1:${target}`,
      });
    } else if (kind === 'tcpclient') {
      channels.push({ kind: 'tcp', port, path: target, endpoint: `tcp:${target}` });
    } else if (kind === 'hostdevice') {
      channels.push({ kind: 'serial', port, path: target, endpoint: `serial:${target}` });
    }
  }
  return channels;
}

export function virtualBoxProvider(run: CommandRunner = runCommand): VmProvider {
  return {
    name: 'virtualbox',
    async list(signal): Promise<ProviderResult> {
      const listed = await runListing(run, 'VBoxManage', ['list', 'vms'], { signal });
      if ('problem' in listed) return { vms: [], problem: listed.problem };
      const listing = listed.result;
      const vms: VmInfo[] = [];
      for (const m of listing.stdout.matchAll(/^"(.*)" \{([0-9a-f-]+)\}$/gim)) {
        const [, name, uuid] = m as unknown as [string, string, string];
        const info = await run('VBoxManage', ['showvminfo', uuid, '--machinereadable'], { signal });
        const fields = parseMachineReadable(info.stdout);
        vms.push({
          provider: 'virtualbox',
          name,
          id: uuid,
          state: STATES[fields.get('VMState') ?? ''] ?? 'unknown',
          channels: virtualBoxChannels(fields),
        });
      }
      return { vms };
    },
  };
}
