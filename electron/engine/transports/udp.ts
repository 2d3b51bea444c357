// UDP for KDNET: a channel is a Duplex in object mode whose every write is one datagram and
// every 'data' event one datagram, so the bridge relays datagrams unchanged and one for one.
//
// KDNET turns the usual roles round: the target sends first (it pokes the host's port) and
// WinDbg listens. So on the bridge the target's side is the bound socket, and its Dialer
// "connects" when the target's first datagram arrives; the channel then answers that sender,
// and follows a new one only if its SenderAdmission admits the datagram (a rebooted target
// comes from a new port), or, once the peer has been quiet PEER_QUIET_MS, if it looks like
// KDNET. Anyone else's datagrams are strays: counted, told ('stray'), never read as the
// peer's, so a stray datagram cannot take WinDbg's replies away from a target that talks.
// The debugger's side is a socket connected to where WinDbg listens, handed over at once by a
// dialing Acceptor; ICMP "port unreachable" on it makes it 'refusing' until WinDbg speaks.

import { createSocket, type RemoteInfo, type Socket, type SocketType } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { Duplex } from 'node:stream';
import { hasKdnetMagic, parseKdnetDatagram } from '../../../protocol/kdnet/datagram';
import { formatEndpoint, type Endpoint } from '../endpoint';
import { dialingAcceptor, type DialingAcceptorOptions } from './dialing-acceptor';
import { describeTransportError } from './errors';
import {
  TransportError,
  type Acceptor,
  type ByteChannel,
  type Dialer,
  type SenderAdmission,
  type UdpAddress,
  type UdpFlow,
} from './types';

export type { SenderAdmission, UdpAddress, UdpFlow };

export type UdpEndpoint = Extract<Endpoint, { kind: 'udp' }>;

export interface DatagramChannelStats {
  datagramsIn: number;
  datagramsOut: number;
  /** Writes with nowhere to go (no peer has spoken yet) or reads past the queue limit. */
  dropped: number;
  /** ICMP said nobody listens at the peer's port (WinDbg not started yet, say). */
  refused: number;
  /** Datagrams from senders the admission did not let take the peer's place (not read). */
  strays: number;
}

/** A KDNET datagram by its look alone: the MDBG magic and whole AES blocks (no key needed). */
export const plausibleKdnet: SenderAdmission = {
  admits: (datagram) => hasKdnetMagic(datagram) && typeof parseKdnetDatagram(datagram) !== 'string',
};

/** A datagram the bound channel did not read: from `flow.remote`, to its socket. */
export interface StrayDatagram {
  readonly datagram: Buffer;
  readonly flow: UdpFlow;
  /** The first datagram from this address (worth a line). */
  readonly newSender: boolean;
}

/**
 * A peer silent this long may be replaced by any sender whose datagram looks like KDNET, even
 * one the admission refuses: a target rebooted with another key than the bridge's (the user
 * re-keyed the VM and WinDbg) is still the target, and the relay must keep serving it. While
 * the target talks, only a sender the admission admits takes its place.
 */
export const PEER_QUIET_MS = 2000;

/** Datagrams sent unanswered that an ICMP refusal may still name (WinDbg answers each). */
const UNCONFIRMED_REMEMBERED = 64;
/** Distinct stray senders remembered for "one line per new address" (a flood stays bounded). */
const STRAY_SENDERS_REMEMBERED = 1024;

/** Where WinDbg is assumed to listen when the debugger's endpoint names no host. */
export const DEFAULT_UDP_HOST = '127.0.0.1';
/** Datagrams queued for a paused reader before new ones are dropped (UDP would drop too). */
const READ_QUEUE_LIMIT = 4096;
/** Socket buffers large enough for a burst of KDNET datagrams (a replay flat out). */
const SOCKET_BUFFER = 4 * 1024 * 1024;
const TRANSIENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN']);

function socketType(host: string | undefined): SocketType {
  return host !== undefined && isIPv6(host) ? 'udp6' : 'udp4';
}

function tuneBuffers(socket: Socket): void {
  try {
    socket.setRecvBufferSize(SOCKET_BUFFER);
    socket.setSendBufferSize(SOCKET_BUFFER);
  } catch {
    // The system may cap buffer sizes; the defaults work, only bursts suffer.
  }
}

export class DatagramChannel extends Duplex {
  readonly stats: DatagramChannelStats = {
    datagramsIn: 0,
    datagramsOut: 0,
    dropped: 0,
    refused: 0,
    strays: 0,
  };
  private peer: UdpAddress | undefined;
  /** local and peer, one object per peer (every datagram read points to it). */
  private currentFlow: UdpFlow | undefined;
  /** Connected: ICMP said nobody listens, and the peer has not spoken since. */
  private refusingNow = false;
  /**
   * Sizes of the datagrams sent while not refusing since the peer last spoke: each ICMP
   * refusal is one of them not delivered (oldest first).
   */
  private unconfirmed: number[] = [];
  private readonly straySenders = new Set<string>();
  /** When the peer last sent (ms, performance.now()); -Infinity before it has. */
  private peerHeardAt = Number.NEGATIVE_INFINITY;
  /** Each datagram read, with the addresses it came over (for captures with real senders). */
  private readonly flows = new WeakMap<Uint8Array, UdpFlow>();

  constructor(
    private readonly socket: Socket,
    /** A connected socket sends to its one peer; a bound one answers whoever sent last. */
    private readonly connected: boolean,
    peer: UdpAddress | undefined,
    private readonly onFlow?: (flow: UdpFlow) => void,
    /** A bound channel follows a new sender only if this admits it (undefined: anyone). */
    private readonly admission?: SenderAdmission,
    private readonly peerQuietMs = PEER_QUIET_MS,
  ) {
    super({ objectMode: true, allowHalfOpen: false });
    this.peer = peer;
    if (peer) this.currentFlow = { local: this.local, remote: peer };
    socket.on('message', (message: Buffer, from: RemoteInfo) => this.onMessage(message, from));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== undefined && TRANSIENT.has(error.code)) this.onRefused();
      else this.destroy(error);
    });
    socket.once('close', () => {
      if (!this.destroyed) this.destroy();
    });
    if (this.currentFlow) this.onFlow?.(this.currentFlow);
  }

  /** The socket's own address. */
  get local(): UdpAddress {
    const a = this.socket.address();
    return { address: a.address, port: a.port };
  }

  /** The peer datagrams go to (undefined until one has spoken, for a bound socket). */
  get remote(): UdpAddress | undefined {
    return this.peer;
  }

  /** Connected to its one peer (WinDbg's side), not bound for whoever the target is. */
  get connectedToPeer(): boolean {
    return this.connected;
  }

  /** The addresses datagrams go over now (undefined while no peer is known). */
  get flow(): UdpFlow | undefined {
    return this.currentFlow;
  }

  /** The addresses a datagram this channel read came over. */
  flowOf(datagram: Uint8Array): UdpFlow | undefined {
    return this.flows.get(datagram);
  }

  /**
   * ICMP said nobody listens at the peer's port and the peer has not spoken since: what is
   * written now is lost (a connected channel only).
   */
  get refusing(): boolean {
    return this.refusingNow;
  }

  override _read(): void {
    // Datagrams are pushed as they arrive.
  }

  override _write(
    chunk: Uint8Array,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    const peer = this.peer;
    if (peer === undefined) {
      this.stats.dropped++;
      callback();
      return;
    }
    this.stats.datagramsOut++;
    if (!this.refusingNow && this.connected) {
      this.unconfirmed.push(chunk.length);
      if (this.unconfirmed.length > UNCONFIRMED_REMEMBERED) this.unconfirmed.shift();
    }
    this.admission?.sent?.(chunk);
    // A failed send is a lost datagram, as UDP loses them: counted, never the end of the channel.
    const done = (error: Error | null): void => {
      if (error) this.stats.dropped++;
      callback();
    };
    if (this.connected) this.socket.send(chunk, done);
    else this.socket.send(chunk, peer.port, peer.address, done);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    try {
      this.socket.close();
    } catch {
      // Closed already.
    }
    callback(error);
  }

  private onRefused(): void {
    this.stats.refused++;
    // A datagram written while the channel did not know yet: not delivered after all. (The
    // kernel keeps one pending error, so refusals that came together are told as one.)
    const lost = this.unconfirmed.shift();
    if (lost !== undefined) this.emit('undelivered', lost);
    if (this.refusingNow) return;
    this.refusingNow = true;
    this.emit('refused');
  }

  private onMessage(message: Buffer, from: RemoteInfo): void {
    this.stats.datagramsIn++;
    this.unconfirmed.length = 0;
    if (this.refusingNow) {
      this.refusingNow = false;
      this.emit('listening-again');
    }
    if (!this.connected) {
      const peer = this.peer;
      if (peer === undefined || peer.address !== from.address || peer.port !== from.port) {
        const now = performance.now();
        if (
          this.admission &&
          !this.admission.admits(message) &&
          !(now - this.peerHeardAt > this.peerQuietMs && plausibleKdnet.admits(message))
        ) {
          this.onStray(message, from);
          return;
        }
        this.peer = { address: from.address, port: from.port };
        this.currentFlow = { local: this.local, remote: this.peer };
        this.onFlow?.(this.currentFlow);
        this.emit('peer', this.peer);
      }
      this.admission?.received?.(message);
      this.peerHeardAt = performance.now();
      this.flows.set(message, this.currentFlow!);
    }
    if (this.readableLength >= READ_QUEUE_LIMIT) {
      this.stats.dropped++;
      return;
    }
    this.push(message);
  }

  private onStray(datagram: Buffer, from: RemoteInfo): void {
    this.stats.strays++;
    const key = `${from.address}|${from.port}`;
    const newSender = !this.straySenders.has(key);
    if (newSender && this.straySenders.size < STRAY_SENDERS_REMEMBERED) this.straySenders.add(key);
    const stray: StrayDatagram = {
      datagram,
      flow: { local: this.local, remote: { address: from.address, port: from.port } },
      newSender,
    };
    this.emit('stray', stray);
  }
}

function opened(socket: Socket, ep: UdpEndpoint, role: 'listen' | 'connect'): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.off(role === 'listen' ? 'listening' : 'connect', onDone);
      try {
        socket.close();
      } catch {
        // Never opened.
      }
      reject(describeTransportError(error, ep, role));
    };
    const onDone = (): void => {
      socket.off('error', onError);
      resolve();
    };
    socket.once('error', onError);
    socket.once(role === 'listen' ? 'listening' : 'connect', onDone);
  });
}

export interface UdpChannelOptions {
  /** Told each time the channel's peer is set or changes (for captures with real addresses). */
  readonly onFlow?: (flow: UdpFlow) => void;
  /**
   * Bound channels: who may take the peer's place. Undefined: whoever sent last (the simulated
   * WinDbg answers any target); the bridge's target side always has one (udpBindDialer).
   */
  readonly admission?: SenderAdmission;
  /** With an admission: how long a silent peer keeps its place against KDNET lookalikes. */
  readonly peerQuietMs?: number;
}

/** A socket bound to `udp:[HOST:]PORT` that answers its peer (see SenderAdmission). */
export async function bindUdpChannel(
  ep: UdpEndpoint,
  options: UdpChannelOptions = {},
): Promise<DatagramChannel> {
  const socket = createSocket({ type: socketType(ep.host), reuseAddr: false });
  const ready = opened(socket, ep, 'listen');
  socket.bind(ep.port, ep.host);
  await ready;
  tuneBuffers(socket);
  return new DatagramChannel(
    socket,
    false,
    undefined,
    options.onFlow,
    options.admission,
    options.peerQuietMs,
  );
}

/** A socket connected to `udp:HOST:PORT` (127.0.0.1 when the endpoint names no host). */
export async function connectUdpChannel(
  ep: UdpEndpoint,
  options: UdpChannelOptions = {},
): Promise<DatagramChannel> {
  const host = ep.host ?? DEFAULT_UDP_HOST;
  const socket = createSocket(socketType(host));
  const ready = opened(socket, ep, 'connect');
  socket.connect(ep.port, host);
  await ready;
  tuneBuffers(socket);
  const peer = socket.remoteAddress();
  return new DatagramChannel(
    socket,
    true,
    { address: peer.address, port: peer.port },
    options.onFlow,
  );
}

/**
 * The bridge's target side: binds the endpoint and resolves when the target's first datagram
 * has arrived (that datagram is the channel's first 'data'). A new sender takes the target's
 * place only with a datagram `admission()` admits (default: one that looks like KDNET).
 */
export function udpBindDialer(
  ep: UdpEndpoint,
  options: Omit<UdpChannelOptions, 'admission'> & {
    readonly admission?: () => SenderAdmission;
  } = {},
): Dialer {
  return {
    description: formatEndpoint(ep),
    async prepare(): Promise<void> {
      // A port another program holds stays held: bind once to say so at start. The socket is
      // closed at once (its descriptor synchronously), so the first dial binds it again.
      const probe = await bindUdpChannel(ep);
      probe.destroy();
    },
    async dial(signal?: AbortSignal): Promise<ByteChannel> {
      if (signal?.aborted) throw new TransportError(`${formatEndpoint(ep)}: cancelled`);
      const channel = await bindUdpChannel(ep, {
        ...(options.onFlow ? { onFlow: options.onFlow } : {}),
        admission: options.admission?.() ?? plausibleKdnet,
      });
      // Cancelled while binding: the abort event has come and gone.
      if (signal?.aborted) {
        channel.destroy();
        throw new TransportError(`${formatEndpoint(ep)}: cancelled`);
      }
      if (channel.remote !== undefined) return channel;
      return new Promise<ByteChannel>((resolve, reject) => {
        const onAbort = (): void => {
          channel.off('peer', onPeer);
          channel.destroy();
          reject(new TransportError(`${formatEndpoint(ep)}: cancelled`));
        };
        // The first datagram stays queued for the reader the bridge attaches.
        const onPeer = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve(channel);
        };
        channel.once('peer', onPeer);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

/** The debugger's side: a socket connected to where WinDbg listens, handed over at once. */
export function udpConnectAcceptor(
  ep: UdpEndpoint,
  options: UdpChannelOptions & DialingAcceptorOptions = {},
): Acceptor {
  return dialingAcceptor(
    { description: formatEndpoint(ep), dial: () => connectUdpChannel(ep, options) },
    options,
  );
}
