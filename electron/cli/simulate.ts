// `kdscope simulate target|debugger`: the simulated KD target as a server, or the scripted
// debugger against any endpoint.

import type { Duplex } from 'node:stream';
import { parseArgs } from './args';
import {
  EXIT_FAILURE,
  EXIT_OK,
  RuntimeError,
  UsageError,
  type CliIo,
  type Command,
} from './command';
import { EndpointError, formatEndpoint, parseEndpoint, type Endpoint } from '../engine/endpoint';
import { createDialer, TransportError } from '../engine/transports';
import { CaptureWriteError } from '../capture/capture-error';
import { KdnetKeyError, parseKdnetKey } from '../../protocol/kdnet/key';
import { openPeerCapture, type PeerCapture } from '../engine/kdnet/peer-capture';
import { acceptKdnetTarget, startKdnetSimTarget } from '../engine/simulators/kdnet-peers';
import {
  parseFault,
  runScriptedDebugger,
  serveSimTarget,
  simVmbusTargetFactory,
  type SimFault,
} from '../engine/simulators';

const USAGE = `usage: kdscope simulate target --listen EP [--seed N] [--latency MS] [--fault KIND:N]
       kdscope simulate debugger --connect EP [--loops N] [--pace MS] [--timeout MS] [--verbose]
       kdscope simulate target --kdnet --key W.X.Y.Z --connect udp:HOST:PORT [--poke-ms MS]
                               [--session-timeout MS] [--pcap FILE] [target options]
       kdscope simulate debugger --kdnet --key W.X.Y.Z --listen udp:[HOST:]PORT [--pcap FILE]
                               [debugger options]

  target    serves a simulated AMD64 KD target on EP (unix:PATH, tcp:HOST:PORT, pipe:NAME)
            until SIGINT/SIGTERM; each connection gets a fresh target.
            --fault drop:N | corrupt:N | garble:N  misbehave on every Nth packet (for tests)
  debugger  connects to EP (or 'sim' / 'sim:vmbus', the built-in target) and runs a scripted session:
            RESET, GetVersion, memory and context reads, a breakpoint, Continue2, break-in.
            Exits 0 when it completed, 1 when the target misbehaved (saying what), 2 for bad usage.
  --kdnet   the same over KDNET (UDP, AES-256-CBC, HMAC-SHA256): the target pokes HOST:PORT
            every --poke-ms (default 1000) until a debugger answers, and again after
            --session-timeout ms (default 5000) without a word from it; the debugger listens,
            answers every poke (a new data key each time), then runs its script.
            --pcap FILE records every datagram the simulator sent and received.`;

function endpointOf(text: string | undefined, flag: string): Endpoint {
  if (text === undefined) throw new UsageError(`--${flag} EP is required`);
  try {
    return parseEndpoint(text);
  } catch (error) {
    if (error instanceof EndpointError) throw new UsageError(error.message);
    throw error;
  }
}

function numberOf(text: string | undefined, flag: string, min: number, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`--${flag} must be a whole number >= ${min}, not '${text}'`);
  }
  return value;
}

function faultOf(text: string | undefined): SimFault | undefined {
  if (text === undefined) return undefined;
  const fault = parseFault(text);
  if (!fault) throw new UsageError(`--fault must be drop:N, corrupt:N or garble:N, not '${text}'`);
  return fault;
}

function transportFailure(error: unknown): never {
  if (error instanceof TransportError) throw new RuntimeError(error.message);
  throw error;
}

/** KDNET options shared by both roles. */
const KDNET_VALUES = ['key', 'pcap', 'poke-ms', 'session-timeout'];

function kdnetKey(text: string | undefined): Uint8Array {
  if (text === undefined) throw new UsageError('--kdnet needs the key: --key W.X.Y.Z');
  try {
    return parseKdnetKey(text);
  } catch (error) {
    if (error instanceof KdnetKeyError) throw new UsageError(`--key: ${error.message}`);
    throw error;
  }
}

function udpEndpoint(text: string | undefined, flag: string) {
  const ep = endpointOf(text, flag);
  if (ep.kind !== 'udp')
    throw new UsageError(`--kdnet --${flag} takes udp:[HOST:]PORT, not ${formatEndpoint(ep)}`);
  return ep;
}

function peerCapture(path: string | undefined, role: 'target' | 'debugger') {
  if (path === undefined) return undefined;
  try {
    return openPeerCapture(path, role);
  } catch (error) {
    if (error instanceof CaptureWriteError) throw new RuntimeError(error.message);
    throw error;
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

async function runKdnetTarget(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(args, {
    values: ['connect', 'seed', 'latency', 'fault', ...KDNET_VALUES],
    booleans: ['kdnet'],
  });
  if (parsed.positional.length > 0) {
    throw new UsageError(`unexpected argument '${parsed.positional[0]}'`);
  }
  if (parsed.value('listen') !== undefined)
    throw new UsageError('a KDNET target sends first: --connect udp:HOST:PORT, not --listen');
  const ep = udpEndpoint(parsed.value('connect'), 'connect');
  const startKey = kdnetKey(parsed.value('key'));
  const fault = faultOf(parsed.value('fault'));
  const capture = peerCapture(parsed.value('pcap'), 'target');
  if (io.signal.aborted) return EXIT_OK;
  const sim = await startKdnetSimTarget(ep, {
    startKey,
    pokeIntervalMs: numberOf(parsed.value('poke-ms'), 'poke-ms', 1, 1000),
    sessionTimeoutMs: numberOf(parsed.value('session-timeout'), 'session-timeout', 1, 5000),
    ...(capture ? { log: capture.log } : {}),
    onKeyExchange: (n) => io.stdout.write(`key exchange ${n}: debugger answered\n`),
    target: {
      seed: numberOf(parsed.value('seed'), 'seed', 0, 1),
      latencyMs: numberOf(parsed.value('latency'), 'latency', 0, 0),
      ...(fault ? { fault } : {}),
    },
  }).catch(transportFailure);
  io.stdout.write(
    `simulated KDNET target on udp:${sim.link.channel.local.address}:${sim.link.channel.local.port}, poking ${formatEndpoint(ep)}\n`,
  );
  await untilAborted(io.signal);
  sim.close();
  capture?.close();
  const s = sim.link.peer.stats;
  io.stdout.write(
    `stopped after ${s.keyExchanges} key exchange(s), ${s.datagramsOut} datagrams sent, ${s.datagramsIn} received\n`,
  );
  return EXIT_OK;
}

async function runTarget(args: readonly string[], io: CliIo): Promise<number> {
  if (args.includes('--kdnet')) return runKdnetTarget(args, io);
  const parsed = parseArgs(args, { values: ['listen', 'seed', 'latency', 'fault'] });
  if (parsed.positional.length > 0) {
    throw new UsageError(`unexpected argument '${parsed.positional[0]}'`);
  }
  const ep = endpointOf(parsed.value('listen'), 'listen');
  if (ep.kind !== 'unix' && ep.kind !== 'tcp' && ep.kind !== 'pipe') {
    throw new UsageError(
      `cannot listen on ${formatEndpoint(ep)}: use unix:PATH, tcp:HOST:PORT or pipe:NAME`,
    );
  }
  const fault = faultOf(parsed.value('fault'));
  const options = {
    seed: numberOf(parsed.value('seed'), 'seed', 0, 1),
    latencyMs: numberOf(parsed.value('latency'), 'latency', 0, 0),
    ...(fault ? { fault } : {}),
  };
  if (io.signal.aborted) return EXIT_OK;
  let connections = 0;
  const server = await serveSimTarget(ep, options, () => {
    io.stdout.write(`connection ${++connections}: debugger attached\n`);
  }).catch(transportFailure);
  const where =
    ep.kind === 'tcp' && server.port !== undefined
      ? formatEndpoint({ ...ep, port: server.port })
      : server.description;
  io.stdout.write(`simulated target listening on ${where}\n`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await server.close();
  io.stdout.write(`stopped after ${connections} connection(s)\n`);
  return EXIT_OK;
}

/** Connects (or, for KDNET, waits for the target's poke) and yields the KD byte stream. */
async function debuggerStream(
  parsed: ReturnType<typeof parseArgs>,
  io: CliIo,
): Promise<{ stream: Duplex; capture?: PeerCapture }> {
  if (!parsed.booleans.has('kdnet')) {
    for (const flag of KDNET_VALUES)
      if (parsed.value(flag) !== undefined) throw new UsageError(`--${flag} needs --kdnet`);
    if (parsed.value('listen') !== undefined)
      throw new UsageError('the scripted debugger connects: --connect EP (or --kdnet --listen)');
    const ep = endpointOf(parsed.value('connect'), 'connect');
    const dialer = (() => {
      try {
        return createDialer(ep, { simTarget: simVmbusTargetFactory() });
      } catch (error) {
        return transportFailure(error);
      }
    })();
    return { stream: await dialer.dial(io.signal).catch(transportFailure) };
  }
  if (parsed.value('connect') !== undefined)
    throw new UsageError('a KDNET debugger waits for the target: --listen udp:[HOST:]PORT');
  const ep = udpEndpoint(parsed.value('listen'), 'listen');
  const startKey = kdnetKey(parsed.value('key'));
  const capture = peerCapture(parsed.value('pcap'), 'debugger');
  io.stdout.write(`waiting for a KDNET target's poke on ${formatEndpoint(ep)}\n`);
  try {
    const link = await acceptKdnetTarget(
      ep,
      {
        startKey,
        ...(capture ? { log: capture.log } : {}),
        onKeyExchange: (n) => io.stdout.write(`key exchange ${n}: answered the target's poke\n`),
      },
      io.signal,
    );
    return { stream: link.serial, ...(capture ? { capture } : {}) };
  } catch (error) {
    capture?.close();
    return transportFailure(error);
  }
}

async function runDebugger(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(args, {
    values: ['connect', 'listen', 'loops', 'pace', 'timeout', ...KDNET_VALUES],
    booleans: ['verbose', 'kdnet'],
  });
  if (parsed.positional.length > 0) {
    throw new UsageError(`unexpected argument '${parsed.positional[0]}'`);
  }
  const loops = numberOf(parsed.value('loops'), 'loops', 1, 1);
  const paceMs = numberOf(parsed.value('pace'), 'pace', 0, 0);
  const replyTimeoutMs = numberOf(parsed.value('timeout'), 'timeout', 1, 5000);
  const verbose = parsed.booleans.has('verbose');
  if (parsed.value('poke-ms') !== undefined || parsed.value('session-timeout') !== undefined)
    throw new UsageError("--poke-ms and --session-timeout are the target's options");
  const { stream, capture } = await debuggerStream(parsed, io);
  const onAbort = (): void => void stream.destroy();
  io.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const report = await runScriptedDebugger(stream, {
      loops,
      paceMs,
      replyTimeoutMs,
      ...(verbose ? { log: (line: string) => io.stdout.write(`${line}\n`) } : {}),
    });
    const s = report.link;
    const summary = `${report.loopsCompleted} of ${loops} session(s), ${report.requests} requests, ${report.stateChanges} state changes, ${report.prints} DbgPrints, ${s.retransmits} retransmits, ${s.resendsSent} RESENDs sent, ${s.badChecksums} bad checksums in ${report.elapsedMs} ms`;
    if (!report.ok) {
      const error = io.signal.aborted ? 'interrupted' : report.error;
      io.stderr.write(`kdscope simulate debugger: ${error}\n`);
      if (verbose) io.stderr.write(`${summary}\n`);
      return EXIT_FAILURE;
    }
    io.stdout.write(`session complete: ${summary}\n`);
    return EXIT_OK;
  } finally {
    io.signal.removeEventListener('abort', onAbort);
    stream.destroy();
    capture?.close();
  }
}

export const simulateCommand: Command = {
  name: 'simulate',
  usage: USAGE,
  run(args, io) {
    const [role, ...rest] = args;
    if (role === 'target') return runTarget(rest, io);
    if (role === 'debugger') return runDebugger(rest, io);
    return Promise.reject(
      new UsageError(
        role === undefined
          ? 'say which: simulate target --listen EP, or simulate debugger --connect EP'
          : `unknown role '${role}' (target or debugger)`,
      ),
    );
  },
};
