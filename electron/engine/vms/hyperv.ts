// Hyper-V VMs (Windows): names, states and COM pipes through PowerShell's Hyper-V module.
// Generation 2 VMs can also be reached through windbg-uefi's VMBus pipe channel (vmbus:NAME).
import { firstLine, runCommand, runListing, type CommandRunner } from './run-command';
import type { ProviderResult, VmChannel, VmInfo, VmProvider } from './types';

/** The script: one JSON array, COM paths and generation per VM, nothing else on stdout. */
export const HYPERV_LIST_SCRIPT = [
  '$ErrorActionPreference = "Stop"',
  '@(Get-VM | ForEach-Object {',
  '  [pscustomobject]@{',
  '    Name = $_.Name; Id = "$($_.Id)"; State = "$($_.State)"; Generation = $_.Generation',
  '    Com1 = $_.ComPort1.Path; Com2 = $_.ComPort2.Path',
  '  }',
  '}) | ConvertTo-Json -Compress -Depth 3',
].join('\n');

export function powershellArgs(script: string): string[] {
  return ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', script];
}

/**
 * The command that maps COM1 of a VM to a named pipe (what windbg-uefi's instructions ask the
 * user to run): shown by the attach dialog, run only with the user's consent.
 */
export function setComPortScript(vmName: string, pipeName: string, port = 1): string {
  const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;
  return `Set-VMComPort -VMName ${quote(vmName)} -Number ${port} -Path ${quote(`\\\\.\\pipe\\${pipeName}`)}`;
}

const STATES: Record<string, VmInfo['state']> = {
  Running: 'running',
  Off: 'stopped',
  Paused: 'paused',
  Saved: 'saved',
};

interface HyperVRow {
  Name?: unknown;
  Id?: unknown;
  State?: unknown;
  Generation?: unknown;
  Com1?: unknown;
  Com2?: unknown;
}

/** Maps PowerShell's JSON to VMs; rejects anything else with a clear error. */
export function parseHyperVList(json: string): VmInfo[] {
  const text = json.trim();
  if (text === '') return [];
  const parsed: unknown = JSON.parse(text);
  const rows: HyperVRow[] = Array.isArray(parsed) ? parsed : [parsed as HyperVRow];
  return rows.map((row) => {
    const name = String(row.Name ?? '');
    const channels: VmChannel[] = [];
    for (const [port, path] of [
      ['COM1', row.Com1],
      ['COM2', row.Com2],
    ] as const) {
      if (typeof path === 'string' && path !== '') {
        const pipe = /^\\\\\.\\pipe\\(.+)$/i.exec(path)?.[1];
        channels.push({
          kind: 'com-pipe',
          port,
          path,
          ...(pipe ? { endpoint: `pipe:${pipe}` } : {}),
          note: 'Hyper-V is the pipe server: kdscope connects to it as the target',
        });
      }
    }
    if (Number(row.Generation) === 2) {
      channels.push({
        kind: 'vmbus',
        port: 'VMBus pipe',
        path: '{9C7FE450-67FC-41AA-9732-8D4C3ED93DB4}',
        endpoint: `vmbus:${name}`,
        note: 'windbg-uefi VMBus channel (needs vmbuspiper.dll and an elevated kdscope)',
      });
    }
    return {
      provider: 'hyperv',
      name,
      state: STATES[String(row.State)] ?? 'unknown',
      ...(typeof row.Id === 'string' && row.Id ? { id: row.Id } : {}),
      channels,
    };
  });
}

/** One line for the usual PowerShell failures. */
export function explainHyperVError(stderr: string): string {
  if (/not recognized|CommandNotFoundException/i.test(stderr)) {
    return 'Hyper-V PowerShell module missing: enable "Hyper-V Module for Windows PowerShell"';
  }
  if (
    /permission|access.*denied|required permission|VirtualizationException.*authoriz/i.test(stderr)
  ) {
    return 'Hyper-V refused: run kdscope elevated or join the "Hyper-V Administrators" group';
  }
  return `powershell: ${firstLine(stderr) || 'failed'}`;
}

export function hypervProvider(
  run: CommandRunner = runCommand,
  platform: NodeJS.Platform = process.platform,
): VmProvider {
  return {
    name: 'hyperv',
    async list(signal): Promise<ProviderResult> {
      if (platform !== 'win32') return { vms: [], problem: 'Hyper-V is on Windows only' };
      const listing = await runListing(
        run,
        'powershell.exe',
        powershellArgs(HYPERV_LIST_SCRIPT),
        { signal, timeoutMs: 20_000 },
        (r) => explainHyperVError(r.stderr),
      );
      if ('problem' in listing) return { vms: [], problem: listing.problem };
      const { result } = listing;
      try {
        return { vms: parseHyperVList(result.stdout) };
      } catch {
        return { vms: [], problem: `powershell: unexpected output: ${firstLine(result.stdout)}` };
      }
    },
  };
}
