// One interface for every way bytes reach the bridge. A connected channel is a Node Duplex
// (net.Socket, SerialPort, a simulator's stream): write() returning false means "wait for
// 'drain'", pause()/resume() stop and restart reading; that is all the relay needs.

import type { Duplex } from 'node:stream';
import type { Endpoint } from '../endpoint';
import type { VmbusDialOptions } from '../vmbus/pipe-channel';

export type ByteChannel = Duplex;

export interface UdpAddress {
  readonly address: string;
  readonly port: number;
}

/** Both ends of a channel's traffic: its own socket and the peer it talks to. */
export interface UdpFlow {
  readonly local: UdpAddress;
  readonly remote: UdpAddress;
}

/**
 * Who may take a bound channel's peer's place: a new sender is followed only when this admits
 * its datagram. `sent` sees every datagram the channel sends (a key exchange to follow).
 */
export interface SenderAdmission {
  admits(datagram: Uint8Array): boolean;
  sent?(datagram: Uint8Array): void;
  /** Every datagram read from the peer (a key that proves right). */
  received?(datagram: Uint8Array): void;
}

/** The active side: opens a channel to a peer that is already there (a VM's pipe, a serial port). */
export interface Dialer {
  readonly description: string;
  /**
   * Rejects with one line when no dial could ever succeed as the endpoint is named (a UDP port
   * another program holds), so the bridge fails at start instead of retrying for ever. A
   * target that is merely not there yet (a VM not booted) passes.
   */
  prepare?(): Promise<void>;
  /** Resolves with a connected channel or rejects with a TransportError (one line). */
  dial(signal?: AbortSignal): Promise<ByteChannel>;
}

/** Something an acceptor did or met on its own after it started listening, in one line. */
export interface AcceptorNotice {
  /** 'warn': it recovered (listens again); 'error': it could not (an accept failed). */
  readonly level: 'warn' | 'error';
  readonly message: string;
}

/** The passive side: waits for peers (WinDbg connecting to our pipe or socket). */
export interface Acceptor {
  readonly description: string;
  /** Each accepted channel is handed to the listener; returns the disposer. */
  onConnection(listener: (channel: ByteChannel) => void): () => void;
  /** Trouble after listening (an accept failed, the socket file vanished); returns the disposer. */
  onNotice?(listener: (notice: AcceptorNotice) => void): () => void;
  /** Stops accepting and releases the address (unlinks a unix socket we created). */
  close(): Promise<void>;
}

/** Builds the in-process simulated target for `sim` / `sim:vmbus` (the simulators provide it). */
export type SimTargetFactory = (
  endpoint: Extract<Endpoint, { kind: 'sim' }>,
) => ByteChannel | Promise<ByteChannel>;

/** Seams for what differs between machines and for tests. */
export interface TransportDeps {
  readonly platform?: NodeJS.Platform;
  readonly simTarget?: SimTargetFactory;
  /** The built-in scripted debugger as the debugger endpoint `sim` (the session provides it). */
  readonly simDebugger?: () => Acceptor;
  /**
   * Set when the target speaks windbg-uefi's VMBus pipe messages (`--mode vmbus`): a socket or
   * pipe then carries length-prefixed messages; `vmbus:NAME` takes its options from here.
   */
  readonly vmbus?: VmbusDialOptions;
  /**
   * KDNET: the addresses of each UDP channel as they become known ('bound': the socket the
   * target sends to; 'connected': the one that sends to WinDbg), for captures with real ports.
   */
  readonly onUdpFlow?: (flow: UdpFlow, socket: 'bound' | 'connected') => void;
  /** KDNET: who may take the target's place on the bound socket (kdnet/admission.ts). */
  readonly udpAdmission?: () => SenderAdmission;
}

/** A transport failure said in one line (what, where, and a hint when there is one). */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}
