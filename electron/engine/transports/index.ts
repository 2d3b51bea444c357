// Picks the transport for an endpoint: a Dialer for the side we connect to (the target), an
// Acceptor for the side that connects to us (the debugger).

import { formatEndpoint, type Endpoint } from '../endpoint';
import { dialingAcceptor, type DialingAcceptorOptions } from './dialing-acceptor';
import { netAcceptor, netDialer } from './net';
import { serialDialer } from './serial';
import { udpBindDialer, udpConnectAcceptor } from './udp';
import { TransportError, type Acceptor, type Dialer, type TransportDeps } from './types';
import { pipeMessageDialer, vmDialer, vmbusDialer } from '../vmbus/dialers';

export * from './types';
export { Backoff, sleep } from './backoff';
export { describeTransportError } from './errors';
export { netAcceptor, netAddress, netDialer } from './net';
export type { NetAcceptor, NetAcceptorOptions } from './net';
export { serialDialer } from './serial';
export { dialingAcceptor } from './dialing-acceptor';
export { memoryPair } from './memory-pair';
export {
  DatagramChannel,
  bindUdpChannel,
  connectUdpChannel,
  udpBindDialer,
  udpConnectAcceptor,
} from './udp';
export { plausibleKdnet } from './udp';
export type { StrayDatagram, UdpAddress, UdpFlow } from './udp';

function unsupported(ep: Endpoint, why: string): TransportError {
  return new TransportError(`${formatEndpoint(ep)}: ${why}`);
}

export function createDialer(ep: Endpoint, deps: TransportDeps = {}): Dialer {
  switch (ep.kind) {
    case 'unix':
    case 'tcp':
    case 'pipe':
      return deps.vmbus
        ? pipeMessageDialer(netDialer(ep, deps.platform), deps.vmbus)
        : netDialer(ep, deps.platform);
    case 'serial':
      return serialDialer(ep);
    case 'vmbus':
      return vmbusDialer(ep, deps.vmbus, { platform: deps.platform });
    case 'vm':
      return vmDialer(ep, {
        dialerFor: (target) => createDialer(target, deps),
        vmbusOnly: deps.vmbus !== undefined,
      });
    case 'sim': {
      const factory = deps.simTarget;
      // A KDNET target is a UDP peer, not a stream: a session runs it on loopback (kdnet-preset).
      if (ep.flavour === 'kdnet')
        throw unsupported(ep, 'the simulated KDNET target runs in a kdscope session (mode kdnet)');
      if (!factory)
        throw unsupported(ep, 'the simulated target is not available in this build yet');
      return {
        description: formatEndpoint(ep),
        dial: async () => factory(ep),
      };
    }
    case 'udp':
      // KDNET: the target sends first, so "reaching" it is binding where it sends (udp.ts).
      return udpBindDialer(ep, {
        onFlow: (flow) => deps.onUdpFlow?.(flow, 'bound'),
        ...(deps.udpAdmission ? { admission: deps.udpAdmission } : {}),
      });
  }
}

export async function createAcceptor(
  ep: Endpoint,
  deps: TransportDeps = {},
  options: DialingAcceptorOptions = {},
): Promise<Acceptor> {
  switch (ep.kind) {
    case 'unix':
    case 'tcp':
    case 'pipe':
      return netAcceptor(ep, deps.platform);
    case 'serial':
      return dialingAcceptor(serialDialer(ep), options);
    case 'sim':
      if (ep.flavour === 'com' && deps.simDebugger) return deps.simDebugger();
      throw unsupported(
        ep,
        ep.flavour === 'com'
          ? 'the built-in scripted debugger is not available here'
          : 'sim:vmbus is a target; the debugger side needs a pipe, socket or port',
      );
    case 'vmbus':
    case 'vm':
      throw unsupported(ep, 'a VM is a target; the debugger side needs a pipe, socket or port');
    case 'udp':
      // KDNET: WinDbg listens; its side is a socket connected to it, there at once (udp.ts).
      return udpConnectAcceptor(ep, {
        ...options,
        onFlow: (flow) => deps.onUdpFlow?.(flow, 'connected'),
      });
  }
}
