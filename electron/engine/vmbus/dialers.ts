// Dialers for the target side of VMBus-mode bridging and for VMs by name:
// - vmbus:NAME   Hyper-V (Windows): the VM's GUID by name, vmbuspiper.dll's offer, its handle.
// - --mode vmbus over a socket or pipe: whole windbg-uefi messages with a length prefix.
// - vm:NAME      the providers' listing: the VM's first reachable KD channel.
// Each ends in a KD byte stream, so the bridge relays, records and decodes as for COM.

import { formatEndpoint, parseEndpoint, type Endpoint } from '../endpoint';
import { TransportError, type ByteChannel, type Dialer } from '../transports/types';
import { listVms as defaultListVms, type VmInfo, type VmListing } from '../vms';
import type { CommandRunner } from '../vms/run-command';
import { resolveVmId } from './hyperv-vm-id';
import { PipeChannel, type VmbusDialOptions } from './pipe-channel';
import { lengthPrefixedTransport } from './pipe-transport';
import { handleTransport, loadVmbusApi, offerAndConnect } from './vmbuspiper';

export type { VmbusDialOptions };

function hostChannel(
  transport: ConstructorParameters<typeof PipeChannel>[0],
  options: VmbusDialOptions,
): PipeChannel {
  const { onChannel, ...pipe } = options;
  const channel = new PipeChannel(transport, { ...pipe, role: 'host' });
  onChannel?.(channel);
  return channel;
}

export interface VmbusDialerSeams {
  readonly platform?: NodeJS.Platform;
  readonly run?: CommandRunner;
}

/** `vmbus:NAME`: fails at once off Windows, where neither Hyper-V nor vmbuspiper.dll exist. */
export function vmbusDialer(
  ep: Extract<Endpoint, { kind: 'vmbus' }>,
  options: VmbusDialOptions = {},
  seams: VmbusDialerSeams = {},
): Dialer {
  const where = formatEndpoint(ep);
  if ((seams.platform ?? process.platform) !== 'win32') {
    throw new TransportError(
      `${where}: the VMBus channel needs Hyper-V on Windows (vmbuspiper.dll); here use sim:vmbus, or --mode vmbus with a socket carrying the VM's messages`,
    );
  }
  return {
    description: where,
    async dial(signal) {
      const api = await loadVmbusApi();
      const vmId = await resolveVmId(ep.vmName, seams.run, signal);
      const handle = await offerAndConnect(api, vmId, where, signal);
      return hostChannel(handleTransport(api, handle, where), options);
    },
  };
}

/** `--mode vmbus`: the inner dialer's stream carries whole messages, each after a u32 length. */
export function pipeMessageDialer(inner: Dialer, options: VmbusDialOptions = {}): Dialer {
  return {
    description: `${inner.description} (VMBus pipe messages)`,
    async dial(signal) {
      const stream = await inner.dial(signal);
      return hostChannel(lengthPrefixedTransport(stream, inner.description), options);
    },
  };
}

export interface VmDialerSeams {
  readonly listVms?: (signal?: AbortSignal) => Promise<VmListing>;
  /** How a channel's endpoint is dialled (createDialer with the bridge's deps). */
  readonly dialerFor: (ep: Endpoint) => Dialer;
  /** `--mode vmbus`: only the VM's VMBus channels (a COM port speaks no pipe messages). */
  readonly vmbusOnly?: boolean;
}

function isVmbusEndpoint(ep: Endpoint): boolean {
  return ep.kind === 'vmbus' || (ep.kind === 'sim' && ep.flavour === 'vmbus');
}

/** The VMs with this name: exact first, else the same name in another case. */
export function findVms(vms: readonly VmInfo[], name: string): VmInfo[] {
  const exact = vms.filter((vm) => vm.name === name);
  if (exact.length > 0) return exact;
  const lower = name.toLowerCase();
  return vms.filter((vm) => vm.name.toLowerCase() === lower);
}

/** The one VM the listing has by this name, or the line saying why there is none. */
function theVm(listing: VmListing, name: string, where: string): VmInfo {
  const found = findVms(listing.vms, name);
  if (found.length === 0) {
    const problems = [...listing.problems.values()];
    throw new TransportError(
      `${where}: no VM named '${name}' (kdscope vms lists them${problems.length > 0 ? `; ${problems.length} provider(s) saw nothing: ${problems[0]}` : ''})`,
    );
  }
  if (found.length > 1) {
    throw new TransportError(
      `${where}: ${found.length} VMs are named '${name}' (${found.map((vm) => `${vm.provider}${vm.id ? ` ${vm.id}` : ''}`).join(', ')}); give the channel's endpoint instead`,
    );
  }
  return found[0]!;
}

/**
 * `vm:NAME`: looks the VM up on every dial (its channels may change while it restarts). A VM
 * not listed yet is waited for, not refused: a QEMU guest is listed only while it runs, and a
 * bridge started before the VM boots is how boot-time debugging is caught.
 */
export function vmDialer(ep: Extract<Endpoint, { kind: 'vm' }>, seams: VmDialerSeams): Dialer {
  const where = formatEndpoint(ep);
  const list = seams.listVms ?? ((signal?: AbortSignal) => defaultListVms(undefined, signal));
  return {
    description: where,
    async dial(signal) {
      const vm = theVm(await list(signal), ep.name, where);
      const tried: string[] = [];
      for (const channel of vm.channels) {
        if (channel.endpoint === undefined) continue;
        let target: Endpoint;
        try {
          target = parseEndpoint(channel.endpoint);
        } catch {
          continue;
        }
        if (target.kind === 'vm') continue; // never loop through another name
        if (seams.vmbusOnly && !isVmbusEndpoint(target)) continue;
        try {
          const stream: ByteChannel = await seams.dialerFor(target).dial(signal);
          return stream;
        } catch (error) {
          if (signal?.aborted) throw error;
          tried.push(`${channel.port}: ${(error as Error).message}`);
        }
      }
      if (tried.length === 0) {
        throw new TransportError(
          seams.vmbusOnly
            ? `${where}: ${vm.provider} VM '${vm.name}' (${vm.state}) has no VMBus channel (--mode vmbus); drop --mode vmbus to use its COM port`
            : `${where}: ${vm.provider} VM '${vm.name}' (${vm.state}) has no KD channel kdscope can reach (give it a COM port on a pipe or socket)`,
        );
      }
      throw new TransportError(
        `${where}: no channel of ${vm.provider} VM '${vm.name}' (${vm.state}) answered: ${tried.join('; ')}`,
      );
    },
  };
}
