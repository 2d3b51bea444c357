// `kdscope replay`: sends one side of a recorded capture to an endpoint (engine/replay.ts).

import { CaptureError, captureErrorLine } from '../capture/capture-error';
import { KdnetKeyError, parseKdnetKey } from '../../protocol/kdnet/key';
import { EndpointError, formatEndpoint, parseEndpoint } from '../engine/endpoint';
import {
  ReplayError,
  openReplaySink,
  planReplay,
  runReplay,
  type ReplaySide,
} from '../engine/replay';
import { TransportError, describeTransportError } from '../engine/transports';
import { parseArgs } from './args';
import { EXIT_OK, RuntimeError, UsageError, type CliIo, type Command } from './command';
import { nothingToDecode } from './nothing-to-decode';

const USAGE = `usage: kdscope replay CAPTURE --to EP [--side target|debugger] [--speed N|max]
                      [--key W.X.Y.Z]

Sends what one side (default: the target) sent in CAPTURE to EP, at the recorded pace
(--speed 1, the default), N times faster, or flat out (--speed max).
  EP udp:[HOST:]PORT   a KDNET capture goes datagram for datagram, unchanged (still
                       encrypted; --key tells the sides apart by decrypting, else the
                       target is who poked first); a serial capture goes one datagram per
                       captured chunk
  EP unix:PATH, tcp:HOST:PORT, pipe:NAME
                       the side's KD byte stream, one write per captured chunk (a KDNET
                       capture needs --key: its KD stream in clear)`;

function speedOf(text: string | undefined): number {
  if (text === undefined) return 1;
  if (text === 'max') return Number.POSITIVE_INFINITY;
  const speed = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(speed > 0))
    throw new UsageError(`--speed must be a number above 0 or 'max', not '${text}'`);
  return speed;
}

export const replayCommand: Command = {
  name: 'replay',
  usage: USAGE,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgs(args, { values: ['to', 'side', 'speed', 'key'] });
    if (parsed.positional.length !== 1)
      throw new UsageError(
        parsed.positional.length === 0
          ? 'which capture? (kdscope replay CAPTURE --to EP)'
          : 'one capture at a time',
      );
    const path = parsed.positional[0]!;
    const to = parsed.value('to');
    if (to === undefined) throw new UsageError('--to EP is needed (where to send)');
    let ep;
    try {
      ep = parseEndpoint(to);
    } catch (error) {
      if (error instanceof EndpointError) throw new UsageError(`--to: ${error.message}`);
      throw error;
    }
    if (ep.kind !== 'udp' && ep.kind !== 'unix' && ep.kind !== 'tcp' && ep.kind !== 'pipe')
      throw new UsageError(
        `--to: replay sends to udp:[HOST:]PORT, unix:PATH, tcp:HOST:PORT or pipe:NAME, not ${to}`,
      );
    const side = parsed.value('side') ?? 'target';
    if (side !== 'target' && side !== 'debugger')
      throw new UsageError(`--side must be target or debugger, not '${side}'`);
    const speed = speedOf(parsed.value('speed'));
    const key = parsed.value('key');
    if (key !== undefined) {
      try {
        parseKdnetKey(key);
      } catch (error) {
        if (error instanceof KdnetKeyError) throw new UsageError(`--key: ${error.message}`);
        throw error;
      }
    }

    let plan;
    try {
      plan = planReplay(path, {
        side: side as ReplaySide,
        toUdp: ep.kind === 'udp',
        ...(key !== undefined ? { key } : {}),
      });
    } catch (error) {
      if (error instanceof CaptureError) throw new UsageError(captureErrorLine(path, error));
      if (error instanceof ReplayError)
        throw error.needsKey ? new UsageError(error.message) : new RuntimeError(error.message);
      throw error;
    }
    // A capture without KD bytes at all is unusable input, as decode says of it.
    const nothing = plan.capture && nothingToDecode(path, plan.capture, 'replay');
    if (nothing !== undefined) throw new UsageError(nothing);
    if (plan.items.length === 0)
      throw new RuntimeError(`${path}: the ${side} sent nothing to replay`);
    if (io.signal.aborted) return EXIT_OK;

    let sink;
    try {
      sink = await openReplaySink(ep, io.signal);
    } catch (error) {
      throw new RuntimeError(describeTransportError(error, ep, 'connect').message);
    }
    try {
      const result = await runReplay(plan, sink, speed, io.signal);
      const what = plan.kind === 'datagrams' ? 'KDNET datagrams' : 'chunks';
      io.stdout.write(
        `replayed ${result.items} ${what} (${result.bytes} bytes) of the ${side} side to ${formatEndpoint(ep)} in ${result.elapsedMs} ms${io.signal.aborted ? ' (interrupted)' : ''}\n`,
      );
      return EXIT_OK;
    } catch (error) {
      if (error instanceof TransportError) throw new RuntimeError(error.message);
      throw new RuntimeError(describeTransportError(error, ep, 'io').message);
    }
  },
};
