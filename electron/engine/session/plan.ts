// What a session's options mean, checked once for the CLI and the UI alike: the two endpoints,
// the mode they speak, and whether they fit together. The built-in scripted debugger is the
// debugger endpoint `sim`, as the built-in target is the target endpoint `sim`.

import type { CaptureFormat, SessionMode } from '../../api/contract';
import { KdnetKeyError, parseKdnetKey } from '../../../protocol/kdnet/key';
import { EndpointError, parseEndpoint, type Endpoint } from '../endpoint';
import { SIM_KDNET_KEY } from './kdnet-preset';

export interface SessionRequest {
  readonly debugger: string;
  readonly target: string;
  readonly mode?: string;
  readonly feedback?: boolean;
  readonly key?: string;
}

export interface ResolvedSession {
  /** `{ kind: 'sim' }` is the built-in scripted debugger. */
  readonly debugger: Endpoint;
  readonly target: Endpoint;
  readonly mode: SessionMode;
  readonly feedback: boolean;
  /** The KDNET starting key, parsed (mode kdnet). */
  readonly key?: Uint8Array;
}

/** How the options are named where they came from (CLI flags, or the attach page's fields). */
export interface OptionNames {
  readonly debugger: string;
  readonly target: string;
  readonly mode: string;
  readonly feedback: string;
  readonly key: string;
}

export const CLI_NAMES: OptionNames = {
  debugger: '--debugger',
  target: '--target',
  mode: '--mode',
  feedback: '--feedback',
  key: '--key',
};

export const UI_NAMES: OptionNames = {
  debugger: 'debugger endpoint',
  target: 'target endpoint',
  mode: 'mode',
  feedback: 'feedback',
  key: 'KDNET key',
};

/**
 * Options that cannot work, in one line. `unsupported` is for what kdscope cannot do here (a
 * runtime limit, exit 1 in the CLI); the rest are the user's to fix (exit 2).
 */
export class SessionOptionError extends Error {
  override readonly name = 'SessionOptionError';
  constructor(
    message: string,
    readonly unsupported = false,
  ) {
    super(message);
  }
}

export const MODES: readonly SessionMode[] = ['com', 'vmbus', 'kdnet'];
export const CAPTURE_FORMATS: readonly CaptureFormat[] = ['pcap', 'pcapng'];

/** True for the endpoint that is the built-in scripted debugger. */
export const isScriptedDebugger = (ep: Endpoint): boolean =>
  ep.kind === 'sim' && ep.flavour === 'com';

const isVmbusTarget = (ep: Endpoint): boolean =>
  ep.kind === 'vmbus' || (ep.kind === 'sim' && ep.flavour === 'vmbus');

function endpoint(name: string, text: string): Endpoint {
  try {
    return parseEndpoint(text);
  } catch (error) {
    if (error instanceof EndpointError) throw new SessionOptionError(`${name}: ${error.message}`);
    throw error;
  }
}

export function resolveSession(
  request: SessionRequest,
  names: OptionNames = UI_NAMES,
): ResolvedSession {
  const debuggerEp = endpoint(names.debugger, request.debugger);
  const targetEp = endpoint(names.target, request.target);
  const vmbus = isVmbusTarget(targetEp);
  const udp =
    debuggerEp.kind === 'udp' ||
    targetEp.kind === 'udp' ||
    (targetEp.kind === 'sim' && targetEp.flavour === 'kdnet');
  const mode = request.mode ?? (vmbus ? 'vmbus' : udp ? 'kdnet' : 'com');
  if (!(MODES as readonly string[]).includes(mode))
    throw new SessionOptionError(`${names.mode} must be com, vmbus or kdnet, not '${mode}'`);
  if (mode === 'kdnet') return resolveKdnet(request, names, debuggerEp, targetEp);
  // WinDbg reaches us on a pipe, socket or port; `sim` is the scripted debugger.
  if (
    !['pipe', 'unix', 'tcp', 'serial'].includes(debuggerEp.kind) &&
    !isScriptedDebugger(debuggerEp)
  )
    throw new SessionOptionError(
      `${names.debugger} ${request.debugger}: WinDbg connects to a pipe, unix or tcp socket, or serial port; ${debuggerEp.kind === 'udp' ? `udp is KDNET: ${names.mode} kdnet ${names.key} W.X.Y.Z` : 'this names a target'}`,
    );
  if (targetEp.kind === 'udp')
    throw new SessionOptionError(
      `${names.target} ${request.target}: udp is KDNET: ${names.mode} kdnet ${names.key} W.X.Y.Z`,
    );
  if (mode === 'com' && vmbus)
    throw new SessionOptionError(
      `${names.target} ${request.target} speaks VMBus pipe messages, not ${names.mode} com`,
    );
  if (mode === 'vmbus' && !vmbus && !['unix', 'tcp', 'pipe', 'vm'].includes(targetEp.kind))
    throw new SessionOptionError(
      targetEp.kind === 'sim'
        ? `${names.mode} vmbus: the simulated COM target speaks no VMBus messages; use ${names.target} sim:vmbus`
        : `${names.mode} vmbus needs vmbus:NAME, sim:vmbus, vm:NAME or a socket/pipe carrying the VM's messages`,
    );
  if (request.feedback && mode !== 'vmbus')
    throw new SessionOptionError(`${names.feedback} applies to ${names.mode} vmbus only`);
  if (request.key !== undefined && request.key !== '')
    throw new SessionOptionError(`${names.key} applies to ${names.mode} kdnet only`);
  return {
    debugger: debuggerEp,
    target: targetEp,
    mode: mode as SessionMode,
    feedback: request.feedback === true,
  };
}

/**
 * KDNET: the target sends to the host's port and WinDbg listens, so the bridge binds the target
 * endpoint (where the target sends) and sends to the debugger endpoint (where WinDbg listens).
 */
function resolveKdnet(
  request: SessionRequest,
  names: OptionNames,
  debuggerEp: Endpoint,
  targetEp: Endpoint,
): ResolvedSession {
  // The simulated KDNET VM (sim:kdnet) comes with a key, and the scripted debugger (sim) speaks
  // KDNET to it; anything else is a real peer on UDP.
  const simulated = targetEp.kind === 'sim' && targetEp.flavour === 'kdnet';
  if (
    !(targetEp.kind === 'udp' || simulated) ||
    !(debuggerEp.kind === 'udp' || (simulated && isScriptedDebugger(debuggerEp)))
  )
    throw new SessionOptionError(
      `${names.mode} kdnet relays UDP: ${names.target} udp:[HOST:]PORT (where the target sends) and ${names.debugger} udp:[HOST:]PORT (where WinDbg listens)`,
    );
  if (request.feedback)
    throw new SessionOptionError(`${names.feedback} applies to ${names.mode} vmbus only`);
  const keyText = request.key || (simulated ? SIM_KDNET_KEY : undefined);
  if (keyText === undefined)
    throw new SessionOptionError(`${names.mode} kdnet needs the KDNET key: ${names.key} W.X.Y.Z`);
  let key: Uint8Array;
  try {
    key = parseKdnetKey(keyText);
  } catch (error) {
    // Said without the key itself: a mistyped key is still mostly the key.
    if (error instanceof KdnetKeyError)
      throw new SessionOptionError(
        `${names.key}: bad KDNET key: expected w.x.y.z, four base-36 numbers below 2^64`,
      );
    throw error;
  }
  return { debugger: debuggerEp, target: targetEp, mode: 'kdnet', feedback: false, key };
}
