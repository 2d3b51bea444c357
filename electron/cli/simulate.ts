// `kdscope simulate target|debugger`: the simulated KD target as a server, or the scripted
// debugger against any endpoint.

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
import {
  parseFault,
  runScriptedDebugger,
  serveSimTarget,
  simVmbusTargetFactory,
  type SimFault,
} from '../engine/simulators';

const USAGE = `usage: kdscope simulate target --listen EP [--seed N] [--latency MS] [--fault KIND:N]
       kdscope simulate debugger --connect EP [--loops N] [--pace MS] [--timeout MS] [--verbose]

  target    serves a simulated AMD64 KD target on EP (unix:PATH, tcp:HOST:PORT, pipe:NAME)
            until SIGINT/SIGTERM; each connection gets a fresh target.
            --fault drop:N | corrupt:N | garble:N  misbehave on every Nth packet (for tests)
  debugger  connects to EP (or 'sim' / 'sim:vmbus', the built-in target) and runs a scripted session:
            RESET, GetVersion, memory and context reads, a breakpoint, Continue2, break-in.
            Exits 0 when it completed, 1 when the target misbehaved (saying what), 2 for bad usage.`;

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

async function runTarget(args: readonly string[], io: CliIo): Promise<number> {
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

async function runDebugger(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(args, {
    values: ['connect', 'loops', 'pace', 'timeout'],
    booleans: ['verbose'],
  });
  if (parsed.positional.length > 0) {
    throw new UsageError(`unexpected argument '${parsed.positional[0]}'`);
  }
  const ep = endpointOf(parsed.value('connect'), 'connect');
  const loops = numberOf(parsed.value('loops'), 'loops', 1, 1);
  const paceMs = numberOf(parsed.value('pace'), 'pace', 0, 0);
  const replyTimeoutMs = numberOf(parsed.value('timeout'), 'timeout', 1, 5000);
  const verbose = parsed.booleans.has('verbose');
  const dialer = (() => {
    try {
      return createDialer(ep, { simTarget: simVmbusTargetFactory() });
    } catch (error) {
      return transportFailure(error);
    }
  })();
  const stream = await dialer.dial(io.signal).catch(transportFailure);
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
