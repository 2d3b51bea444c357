// The simulated target and the scripted debugger over KDNET: the same serial simulators
// (target.ts, debugger.ts) behind protocol/kdnet's framing layer (KdnetPeer), which turns
// their KD byte stream into one encrypted datagram per packet and back, and runs the key
// exchange. Real UDP sockets (transports/udp.ts), node:crypto behind the KdnetCrypto
// interface.

import { Duplex } from 'node:stream';
import { KdnetPeer, type KdnetPeerOptions, type KdnetRole } from '../../../protocol/kdnet/peer';
import { nodeKdnetCrypto, nodeRandomBytes } from '../../capture/kdnet-node-crypto';
import {
  bindUdpChannel,
  connectUdpChannel,
  type DatagramChannel,
  type UdpEndpoint,
} from '../transports/udp';
import { TransportError } from '../transports/types';
import { ipBytes } from '../kdnet/addresses';
import { SimTarget, type SimTargetOptions } from './target';
import { nodeTimers } from './timers';

/** A datagram the peer sent (`sent`) or received on `channel`, for a capture of its traffic. */
export type KdnetDatagramLog = (
  datagram: Uint8Array,
  sent: boolean,
  channel: DatagramChannel,
) => void;

export interface KdnetLinkOptions {
  readonly startKey: Uint8Array;
  readonly pokeIntervalMs?: number;
  readonly sessionTimeoutMs?: number;
  readonly log?: KdnetDatagramLog;
  readonly onKeyExchange?: (count: number) => void;
}

export interface KdnetLink {
  readonly peer: KdnetPeer;
  /** The serial KD byte stream of the local simulator (what a COM port would carry). */
  readonly serial: Duplex;
  readonly channel: DatagramChannel;
  close(): void;
}

/** Ties a datagram channel, a KdnetPeer and a serial stream for a simulator together. */
export function linkKdnetPeer(
  channel: DatagramChannel,
  role: KdnetRole,
  options: KdnetLinkOptions,
): KdnetLink {
  const local = channel.local;
  const remote = channel.remote;
  const addresses = [local, remote].flatMap((a) => {
    const ip = a && ipBytes(a.address);
    return ip ? [{ ip: Array.from(ip), port: a.port }] : [];
  });
  const host = remote && ipBytes(remote.address);
  const peerOptions: KdnetPeerOptions = {
    role,
    crypto: nodeKdnetCrypto,
    startKey: options.startKey,
    random: nodeRandomBytes,
    timers: nodeTimers,
    sendDatagram: (datagram) => {
      options.log?.(datagram, true, channel);
      if (!channel.destroyed) channel.write(datagram);
    },
    deliverSerial: (bytes) => {
      if (!serial.destroyed) serial.push(bytes);
    },
    ...(options.onKeyExchange ? { onKeyExchange: options.onKeyExchange } : {}),
    ...(options.pokeIntervalMs !== undefined ? { pokeIntervalMs: options.pokeIntervalMs } : {}),
    ...(options.sessionTimeoutMs !== undefined
      ? { sessionTimeoutMs: options.sessionTimeoutMs }
      : {}),
    pokeAddresses: addresses,
    ...(host?.length === 4 ? { hostIpv4: Array.from(host) } : {}),
  };
  const peer = new KdnetPeer(peerOptions);
  const serial = new Duplex({
    read() {
      // Pushed as datagrams arrive.
    },
    write(chunk: Buffer, _encoding, callback) {
      peer.sendSerial(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      callback();
    },
    final(callback) {
      callback();
    },
    destroy(error, callback) {
      // The simulator is done with its line: the socket and the peer's timers go too.
      close();
      callback(error);
    },
  });
  const onDatagram = (datagram: Buffer): void => {
    const bytes = new Uint8Array(datagram.buffer, datagram.byteOffset, datagram.byteLength);
    options.log?.(bytes, false, channel);
    peer.receive(bytes);
  };
  channel.on('data', onDatagram);
  function close(): void {
    peer.close();
    channel.off('data', onDatagram);
    if (!channel.destroyed) channel.destroy();
    if (!serial.destroyed) serial.destroy();
  }
  channel.once('close', close);
  return { peer, serial, channel, close };
}

export interface KdnetSimTarget {
  readonly target: SimTarget;
  readonly link: KdnetLink;
  close(): void;
}

/** `simulate target --kdnet --connect udp:HOST:PORT`: pokes HOST:PORT until a debugger answers. */
export async function startKdnetSimTarget(
  ep: UdpEndpoint,
  options: KdnetLinkOptions & { readonly target?: SimTargetOptions },
): Promise<KdnetSimTarget> {
  const channel = await connectUdpChannel(ep);
  const link = linkKdnetPeer(channel, 'target', options);
  const target = new SimTarget(options.target);
  target.attach(link.serial);
  link.peer.start();
  return {
    target,
    link,
    close() {
      target.close();
      link.close();
    },
  };
}

/**
 * `simulate debugger --kdnet --listen udp:[HOST:]PORT`: binds the port, answers the first poke
 * and resolves with the link, whose serial stream the scripted debugger then runs over. It
 * keeps answering pokes (a target that poked again gets a new data key).
 */
export async function acceptKdnetTarget(
  ep: UdpEndpoint,
  options: KdnetLinkOptions,
  signal?: AbortSignal,
): Promise<KdnetLink> {
  const channel = await bindUdpChannel(ep);
  let keyed: () => void = () => undefined;
  const exchanged = new Promise<void>((resolve) => (keyed = resolve));
  const link = linkKdnetPeer(channel, 'debugger', {
    ...options,
    onKeyExchange: (count) => {
      options.onKeyExchange?.(count);
      keyed();
    },
  });
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      link.close();
      reject(new TransportError('interrupted while waiting for the target to poke'));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    void exchanged.then(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
  });
  return link;
}
