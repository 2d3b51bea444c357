// `sim:kdnet`: the simulated KD target over KDNET as a session's target, and (debugger `sim`)
// the scripted debugger over KDNET as its debugger, both on loopback UDP, so a KDNET session
// runs through the real UDP relay, decryption and datagram capture with no VM and no WinDbg.
// The target pokes the port the bridge binds; the bridge forwards to the debugger's port.

import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import type { Endpoint } from '../endpoint';
import {
  ScriptedDebugger,
  type DebuggerReport,
  type ScriptedDebuggerOptions,
} from '../simulators/debugger';
import {
  linkKdnetPeer,
  startKdnetSimTarget,
  type KdnetLink,
  type KdnetSimTarget,
} from '../simulators/kdnet-peers';
import type { SimTargetOptions } from '../simulators/target';
import { bindUdpChannel } from '../transports/udp';

/** The key of the simulated KDNET VM when none is given (bcdedit would show it so). */
export const SIM_KDNET_KEY = '1.2.3.4';

const LOOPBACK = '127.0.0.1';

/** A UDP port free on loopback now (the bridge binds it a moment later). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  socket.bind(0, LOOPBACK);
  await once(socket, 'listening');
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export interface KdnetPreset {
  /** What the bridge relays between: the port the target pokes, and the debugger's. */
  readonly target: Endpoint;
  readonly debugger: Endpoint;
  /** Starts the simulated target poking the bridge (once the bridge listens). */
  startTarget(): Promise<void>;
  close(): void;
}

export interface KdnetPresetOptions {
  readonly startKey: Uint8Array;
  /** The user's debugger endpoint (a WinDbg listening on udp:), or undefined for `sim`. */
  readonly debugger?: Endpoint;
  readonly target?: SimTargetOptions;
  readonly script: ScriptedDebuggerOptions;
  readonly onScriptEnd?: (report: DebuggerReport) => void;
}

export async function prepareKdnetPreset(options: KdnetPresetOptions): Promise<KdnetPreset> {
  let link: KdnetLink | undefined;
  let target: KdnetSimTarget | undefined;
  let closed = false;
  let debuggerEp = options.debugger;
  if (!debuggerEp) {
    const channel = await bindUdpChannel({ kind: 'udp', host: LOOPBACK, port: 0 });
    let started = false;
    const scripted = new ScriptedDebugger(options.script);
    link = linkKdnetPeer(channel, 'debugger', {
      startKey: options.startKey,
      // The script starts once the target's first poke was answered (as WinDbg waits for it).
      onKeyExchange: () => {
        if (started) return;
        started = true;
        void scripted.runOver(link!.serial).then((report) => {
          if (!closed) options.onScriptEnd?.(report);
        });
      },
    });
    debuggerEp = { kind: 'udp', host: LOOPBACK, port: channel.local.port };
  }
  const targetEp: Endpoint = { kind: 'udp', host: LOOPBACK, port: await freeUdpPort() };
  return {
    target: targetEp,
    debugger: debuggerEp,
    async startTarget() {
      if (closed) return;
      target = await startKdnetSimTarget(targetEp as Extract<Endpoint, { kind: 'udp' }>, {
        startKey: options.startKey,
        ...(options.target ? { target: options.target } : {}),
      });
      if (closed) target.close();
    },
    close() {
      closed = true;
      target?.close();
      link?.close();
    },
  };
}
