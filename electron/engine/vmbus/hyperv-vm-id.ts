// A Hyper-V VM's GUID from its name, as vmbuspiper.dll's offer needs it: WMI's
// root\virtualization\v2 Msvm_ComputerSystem, ElementName = the name, Name = the GUID,
// through the same PowerShell seam as the Hyper-V provider.

import { explainHyperVError, powershellArgs } from '../vms/hyperv';
import { ToolMissingError, runCommand, type CommandRunner } from '../vms/run-command';
import { TransportError } from '../transports/types';

const GUID_TEXT = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;

/** The WQL filter for a name: a WQL string literal escapes backslash and quote with a backslash. */
export function vmNameFilter(name: string): string {
  return `ElementName = '${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The script: every GUID whose ElementName is the name, as one JSON array. The host's own
 * Msvm_ComputerSystem has its computer name as Name, not a GUID: the parser drops it.
 */
export function vmIdScript(name: string): string {
  const literal = `'${vmNameFilter(name).replace(/'/g, "''")}'`;
  return [
    '$ErrorActionPreference = "Stop"',
    `$vms = @(Get-CimInstance -Namespace root\\virtualization\\v2 -ClassName Msvm_ComputerSystem -Filter ${literal} | ForEach-Object { "$($_.Name)" })`,
    'ConvertTo-Json -InputObject $vms -Compress',
  ].join('\n');
}

/** The GUIDs in the script's output; throws on anything that is not its JSON. */
export function parseVmIds(stdout: string): string[] {
  const text = stdout.trim();
  if (text === '') return [];
  const parsed: unknown = JSON.parse(text);
  const values = Array.isArray(parsed) ? parsed : [parsed];
  const ids: string[] = [];
  for (const value of values) {
    const match = typeof value === 'string' ? GUID_TEXT.exec(value.trim()) : null;
    if (match) ids.push(match[1]!.toUpperCase());
  }
  return ids;
}

export async function resolveVmId(
  name: string,
  run: CommandRunner = runCommand,
  signal?: AbortSignal,
): Promise<string> {
  const where = `vmbus:${name}`;
  let result;
  try {
    result = await run('powershell.exe', powershellArgs(vmIdScript(name)), {
      signal,
      timeoutMs: 20_000,
    });
  } catch (error) {
    if (error instanceof ToolMissingError) throw new TransportError(`${where}: ${error.message}`);
    throw new TransportError(`${where}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (result.code !== 0) throw new TransportError(`${where}: ${explainHyperVError(result.stderr)}`);
  let ids: string[];
  try {
    ids = parseVmIds(result.stdout);
  } catch {
    throw new TransportError(`${where}: unexpected PowerShell output looking up the VM's GUID`);
  }
  if (ids.length === 0) {
    throw new TransportError(`${where}: no Hyper-V VM is named '${name}' (kdscope vms lists them)`);
  }
  if (ids.length > 1) {
    throw new TransportError(
      `${where}: ${ids.length} Hyper-V VMs are named '${name}' (${ids.join(', ')}); rename one`,
    );
  }
  return ids[0]!;
}
