// `sim:vmbus`: the simulated KD target as a windbg-uefi guest behind simulated VMBus rings.
// The guest side writes the target's KD bytes as data messages into its send ring and feeds it
// what it reads from its receive ring; the host side is the same PipeChannel the bridge uses
// for a real VM, so the whole VMBus path (messages, checksums, feedback, ring wrap) runs
// in process.

import type { SimTargetFactory } from '../transports/types';
import { PipeChannel, type PipeChannelOptions } from '../vmbus/pipe-channel';
import { simTargetFactory } from './channel';
import { SimTarget, type SimTargetOptions } from './target';
import { SimVmbusRings, WINDBG_UEFI_RING_SIZE } from './vmbus-rings';

export interface SimVmbusOptions {
  readonly target?: SimTargetOptions;
  /** Both ends' pipe options (feedback, resend timeout, clock); role is set per end. */
  readonly pipe?: Omit<PipeChannelOptions, 'role'> & {
    /** Sees the host side's channel (as the vmbus dialers' onChannel does). */
    readonly onChannel?: (channel: PipeChannel) => void;
  };
  readonly ringSize?: number;
}

export interface SimVmbusTarget {
  /** The host side's KD byte stream (what the bridge relays). */
  readonly stream: PipeChannel;
  readonly guest: PipeChannel;
  readonly target: SimTarget;
  readonly rings: SimVmbusRings;
}

export function createSimVmbusTarget(options: SimVmbusOptions = {}): SimVmbusTarget {
  const rings = new SimVmbusRings(options.ringSize ?? WINDBG_UEFI_RING_SIZE);
  const { onChannel, ...pipe } = options.pipe ?? {};
  const guest = new PipeChannel(rings.guest, { ...pipe, role: 'vm' });
  const target = new SimTarget(options.target);
  target.attach(guest);
  const stream = new PipeChannel(rings.host, { ...pipe, role: 'host' });
  onChannel?.(stream);
  stream.once('close', () => {
    rings.close();
    target.close();
  });
  return { stream, guest, target, rings };
}

/**
 * The transports' hook for both simulated flavours: `sim` as the simulators build it, and
 * `sim:vmbus` here; `onVmbus` sees each VMBus target made (its rings' stats, for the UI).
 */
export function simVmbusTargetFactory(
  options: SimVmbusOptions = {},
  onVmbus?: (sim: SimVmbusTarget) => void,
): SimTargetFactory {
  const com = simTargetFactory(options.target);
  return (endpoint) => {
    if (endpoint.flavour !== 'vmbus') return com(endpoint);
    const sim = createSimVmbusTarget(options);
    onVmbus?.(sim);
    return sim.stream;
  };
}
