// Every VM provider, asked together; each answers for itself and a failing one hides no other.
import { hypervProvider } from './hyperv';
import { libvirtProvider } from './libvirt';
import { qemuProvider } from './qemu';
import { virtualBoxProvider } from './virtualbox';
import { vmwareProvider } from './vmware';
import type { VmInfo, VmProvider } from './types';

export type { VmChannel, VmInfo, VmProvider, ProviderResult } from './types';

/** The simulated VM is always there: the demo target and the tests' target. */
export const simulatedVm: VmInfo = {
  provider: 'kdscope',
  name: 'simulated',
  state: 'running',
  channels: [
    {
      kind: 'sim',
      port: 'COM1',
      path: '(in process)',
      endpoint: 'sim',
      note: 'simulated KD target',
    },
    {
      kind: 'sim',
      port: 'VMBus pipe',
      path: '(in process)',
      endpoint: 'sim:vmbus',
      note: 'simulated KD target behind simulated VMBus rings',
    },
    {
      kind: 'sim',
      port: 'KDNET',
      path: '(loopback UDP)',
      endpoint: 'sim:kdnet',
      note: 'simulated KD target over KDNET (key 1.2.3.4; a WinDbg listening on udp: works too)',
    },
  ],
};

export function defaultProviders(): VmProvider[] {
  return [
    hypervProvider(),
    qemuProvider(),
    libvirtProvider(),
    virtualBoxProvider(),
    vmwareProvider(),
  ];
}

export interface VmListing {
  readonly vms: VmInfo[];
  /** Provider name -> why it saw nothing. */
  readonly problems: Map<string, string>;
}

export async function listVms(
  providers: readonly VmProvider[] = defaultProviders(),
  signal?: AbortSignal,
): Promise<VmListing> {
  const results = await Promise.allSettled(providers.map((p) => p.list(signal)));
  const vms: VmInfo[] = [simulatedVm];
  const problems = new Map<string, string>();
  results.forEach((result, i) => {
    const name = providers[i]!.name;
    if (result.status === 'rejected') {
      problems.set(
        name,
        result.reason instanceof Error ? result.reason.message : String(result.reason),
      );
    } else {
      vms.push(...result.value.vms);
      if (result.value.problem) problems.set(name, result.value.problem);
    }
  });
  return { vms, problems };
}
