// `kdscope bridge`: serve the debugger's endpoint, connect the target's, relay, record, decode,
// and show a live status until SIGINT/SIGTERM; then close the capture cleanly.

import { parseArgs, type ParsedArgs } from './args';
import { EXIT_OK, RuntimeError, UsageError, type CliIo, type Command } from './command';
import { Bridge, type BridgeEvent, type BridgeTap } from '../engine/bridge';
import { sessionBridgeDecoder } from '../engine/bridge-decoder';
import { EndpointError, parseEndpoint, type Endpoint } from '../engine/endpoint';
import { createLiveSink, type LiveSink } from '../engine/live-sink';
import { Recorder, defaultCaptureName } from '../engine/recorder';
import { simVmbusTargetFactory } from '../engine/simulators/vmbus-target';
import { formatRingStats, type SimVmbusRings } from '../engine/simulators/vmbus-rings';
import { kdnetBridgeDecoder } from '../engine/kdnet/bridge-decoder';
import { kdnetDecryptingTap } from '../engine/kdnet/decrypting-tap';
import { DatagramRecorder } from '../engine/kdnet/recorder';
import { KdnetKeyError, parseKdnetKey } from '../../protocol/kdnet/key';
import type { PipeChannel, VmbusDialOptions } from '../engine/vmbus';
import type { Side } from '../engine/health';

const USAGE = `usage: kdscope bridge --debugger EP --target EP [--pcap FILE] [--pcapng] [--no-pcap]
                      [--wireshark PIPE] [--mode com|vmbus|kdnet] [--feedback] [--key W.X.Y.Z]

Serves EP for the debugger (WinDbg connects to it), connects to the target's EP, relays both
ways unchanged, records every chunk and decodes the session, until Ctrl+C.
KDNET (--mode kdnet --key W.X.Y.Z --target udp:[HOST:]PORT --debugger udp:[HOST:]PORT): the
target sends to the host's port, so the bridge binds --target there (point the target's
bcdedit hostip/port at it) and forwards every datagram unchanged to --debugger, where WinDbg
listens (windbg -k net:port=N,key=K; host 127.0.0.1 unless named), and the replies back.
The capture holds the datagrams as the target's wire carries them (real addresses, ports);
the key decrypts them for decoding and for --wireshark (which gets the KD stream in clear).

  --debugger EP    where WinDbg connects: pipe:NAME, unix:PATH, tcp:HOST:PORT, serial:DEV[,baud]
  --target EP      the VM or target: pipe:NAME, unix:PATH, tcp:HOST:PORT, serial:DEV[,baud],
                   vmbus:VMNAME (Hyper-V), vm:NAME (a VM by name), sim, sim:vmbus
  --pcap FILE      capture file (default kdscope-YYYY-MM-DD-HH-mm-ss.pcap here)
  --pcapng         write pcapng instead of the seed's pcap
  --no-pcap        do not record
  --wireshark P    stream live to Wireshark: a FIFO path (Unix) or pipe name (Windows)
  --mode M         com (default), or vmbus: the target speaks windbg-uefi's VMBus pipe messages
                   (implied by vmbus:NAME and sim:vmbus; over a socket or pipe each message
                   follows a u32 little-endian length); kdnet: see above
  --feedback       windbg-uefi's feedback mode (vmbus): acknowledge every message, resend
                   unacknowledged ones after 30 s
  --key W.X.Y.Z    the KDNET key (bcdedit /dbgsettings net ... key:W.X.Y.Z)`;

const MODES = ['com', 'vmbus', 'kdnet'];

function endpoint(flag: string, value: string | undefined): Endpoint {
  if (value === undefined)
    throw new UsageError(`--${flag} EP is required (see kdscope bridge --help)`);
  try {
    return parseEndpoint(value);
  } catch (error) {
    if (error instanceof EndpointError) throw new UsageError(`--${flag}: ${error.message}`);
    throw error;
  }
}

/** --mode kdnet's checks: two udp endpoints and the key, parsed. */
function kdnetStartKey(parsed: ParsedArgs, debuggerEp: Endpoint, targetEp: Endpoint): Uint8Array {
  if (targetEp.kind !== 'udp' || debuggerEp.kind !== 'udp')
    throw new UsageError(
      '--mode kdnet relays UDP: --target udp:[HOST:]PORT (where the target sends) and --debugger udp:[HOST:]PORT (where WinDbg listens)',
    );
  const key = parsed.value('key');
  if (key === undefined) throw new UsageError('--mode kdnet needs the KDNET key: --key W.X.Y.Z');
  try {
    return parseKdnetKey(key);
  } catch (error) {
    if (error instanceof KdnetKeyError) throw new UsageError(`--key: ${error.message}`);
    throw error;
  }
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The VMBus pipe's counters, when the target is one: "vmbus 120/118 msgs, 2 resends, 1 bad". */
function pipeStatus(pipe: PipeChannel | undefined): string {
  if (!pipe) return '';
  const s = pipe.stats;
  const trouble = [
    s.resends > 0 ? `${s.resends} resends` : '',
    s.badMessages + s.badChecksums > 0 ? `${s.badMessages + s.badChecksums} bad` : '',
  ].filter(Boolean);
  return ` | vmbus ${s.messagesOut} out/${s.messagesIn} in${trouble.length > 0 ? `, ${trouble.join(', ')}` : ''}`;
}

function statusLine(
  bridge: Bridge,
  rings: SimVmbusRings | undefined,
  pipe: PipeChannel | undefined,
): string {
  const c = bridge.counters();
  const side = (s: Side): string => {
    const status = bridge.health.status(s);
    return `${s} ${status.condition === 'silent' ? `silent ${status.line.match(/\d+ s/)?.[0] ?? ''}` : status.condition}`;
  };
  return (
    `${c.packets} packets | dbg->tgt ${size(c['debugger->target'].bytes)} | ` +
    `tgt->dbg ${size(c['target->debugger'].bytes)} | ${c.errors} errors | ` +
    `${side('debugger')} | ${side('target')}` +
    pipeStatus(pipe) +
    (rings ? ` | ${formatRingStats(rings.stats())}` : '')
  );
}

export const bridgeCommand: Command = {
  name: 'bridge',
  usage: USAGE,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgs(args, {
      values: ['debugger', 'target', 'pcap', 'wireshark', 'mode', 'key'],
      booleans: ['pcapng', 'no-pcap', 'feedback'],
    });
    if (parsed.positional.length > 0) {
      throw new UsageError(
        `unexpected argument '${parsed.positional[0]}' (see kdscope bridge --help)`,
      );
    }
    const debuggerEp = endpoint('debugger', parsed.value('debugger'));
    const targetEp = endpoint('target', parsed.value('target'));
    const vmbusTarget =
      targetEp.kind === 'vmbus' || (targetEp.kind === 'sim' && targetEp.flavour === 'vmbus');
    const udp = debuggerEp.kind === 'udp' || targetEp.kind === 'udp';
    const mode = parsed.value('mode') ?? (vmbusTarget ? 'vmbus' : udp ? 'kdnet' : 'com');
    if (!MODES.includes(mode))
      throw new UsageError(`--mode must be com, vmbus or kdnet, not '${mode}'`);
    const startKey = mode === 'kdnet' ? kdnetStartKey(parsed, debuggerEp, targetEp) : undefined;
    // Checked before a capture file is created: WinDbg reaches us on a pipe, socket or port.
    if (mode !== 'kdnet' && !['pipe', 'unix', 'tcp', 'serial'].includes(debuggerEp.kind))
      throw new UsageError(
        `--debugger ${parsed.value('debugger')}: WinDbg connects to a pipe, unix or tcp socket, or serial port; ${debuggerEp.kind === 'udp' ? 'udp is KDNET: --mode kdnet --key W.X.Y.Z' : 'this names a target'}`,
      );
    if (mode !== 'kdnet' && targetEp.kind === 'udp')
      throw new UsageError(
        `--target ${parsed.value('target')}: udp is KDNET: --mode kdnet --key W.X.Y.Z`,
      );
    if (mode === 'com' && vmbusTarget)
      throw new UsageError(
        `--target ${parsed.value('target')} speaks VMBus pipe messages, not --mode com`,
      );
    if (mode === 'vmbus' && !vmbusTarget && !['unix', 'tcp', 'pipe', 'vm'].includes(targetEp.kind))
      throw new UsageError(
        targetEp.kind === 'sim'
          ? '--mode vmbus: the simulated COM target speaks no VMBus messages; use --target sim:vmbus'
          : `--mode vmbus needs vmbus:NAME, sim:vmbus, vm:NAME or a socket/pipe carrying the VM's messages`,
      );
    if (parsed.booleans.has('feedback') && mode !== 'vmbus')
      throw new UsageError('--feedback applies to --mode vmbus only');
    if (parsed.value('key') !== undefined && mode !== 'kdnet')
      throw new UsageError('--key applies to --mode kdnet only');
    if (
      parsed.booleans.has('no-pcap') &&
      (parsed.value('pcap') !== undefined || parsed.booleans.has('pcapng'))
    ) {
      throw new UsageError('--no-pcap contradicts --pcap/--pcapng');
    }

    const taps: BridgeTap[] = [];
    let recorder: Recorder | DatagramRecorder | undefined;
    let live: LiveSink | undefined;
    const closeTaps = (): void => {
      for (const tap of taps) void tap.close();
    };
    try {
      if (!parsed.booleans.has('no-pcap')) {
        const format = parsed.booleans.has('pcapng') ? 'pcapng' : 'pcap';
        const path = parsed.value('pcap') ?? defaultCaptureName(new Date(), format);
        // KDNET: the datagrams with their real addresses (kdnet/recorder.ts).
        recorder = startKey ? DatagramRecorder.open(path, format) : Recorder.open(path, format);
        taps.push(recorder);
      }
      const wireshark = parsed.value('wireshark');
      if (wireshark !== undefined) {
        live = createLiveSink(wireshark);
        taps.push(startKey ? kdnetDecryptingTap(live, startKey) : live);
      }
    } catch (error) {
      closeTaps();
      throw new RuntimeError((error as Error).message);
    }

    // Pipe trouble (bad messages, resends) goes to stderr once `say` exists, one line each.
    let report = (line: string): void => void io.stderr.write(`kdscope bridge: ${line}\n`);
    let rings: SimVmbusRings | undefined;
    let pipe: PipeChannel | undefined;
    const vmbus: VmbusDialOptions = {
      feedback: parsed.booleans.has('feedback'),
      report: (line) => report(line),
      onChannel: (channel) => (pipe = channel),
    };
    let bridge: Bridge;
    try {
      bridge = await Bridge.start({
        debugger: debuggerEp,
        target: targetEp,
        deps: {
          simTarget: simVmbusTargetFactory({ pipe: vmbus }, (sim) => (rings = sim.rings)),
          ...(mode === 'vmbus' ? { vmbus } : {}),
          onUdpFlow: (flow, socket) => {
            if (socket === 'bound' && recorder instanceof DatagramRecorder)
              recorder.setTargetFlow(flow);
          },
        },
        taps,
        decoder: startKey
          ? kdnetBridgeDecoder(startKey, { report: (line) => report(line) })
          : sessionBridgeDecoder(),
      });
    } catch (error) {
      closeTaps();
      throw new RuntimeError((error as Error).message);
    }

    const tty = (io.stdout as NodeJS.WriteStream).isTTY === true;
    let statusShown = false;
    const say = (stream: NodeJS.WritableStream, line: string): void => {
      if (statusShown) io.stdout.write('\r\x1b[K');
      statusShown = false;
      stream.write(`${line}\n`);
    };
    const onEvent = (event: BridgeEvent): void => {
      if (event.kind === 'error') say(io.stderr, `kdscope bridge: ${event.message}`);
      else if (event.kind === 'health') say(io.stdout, event.status.line);
    };
    report = (line) => say(io.stderr, `kdscope bridge: ${line}`);
    const unsubscribe = bridge.subscribe(onEvent);
    say(
      io.stdout,
      `bridge: debugger on ${bridge.debuggerEndpoint}, target ${bridge.targetEndpoint}` +
        (recorder ? `, recording to ${recorder.label}` : '') +
        (live ? `, live view at ${live.path}` : ''),
    );

    for (const side of ['debugger', 'target'] as const)
      say(io.stdout, bridge.health.status(side).line);

    // Redraw at most 4x/s on a terminal; on a pipe, a plain line when something changed.
    let lastLine = '';
    const timer = setInterval(
      () => {
        const line = statusLine(bridge, rings, pipe);
        if (tty) {
          // Redraw only what changed (or after an event line scrolled it away).
          if (line === lastLine && statusShown) return;
          io.stdout.write(`\r\x1b[K${line}`);
          statusShown = true;
        } else if (line !== lastLine) {
          io.stdout.write(`${line}\n`);
        }
        lastLine = line;
      },
      tty ? 250 : 5000,
    );

    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    clearInterval(timer);
    await bridge.close();
    unsubscribe();
    const c = bridge.counters();
    say(
      io.stdout,
      `bridge closed: ${c.packets} packets, ${size(c['debugger->target'].bytes)} debugger->target, ` +
        `${size(c['target->debugger'].bytes)} target->debugger, ${c.errors} errors` +
        (recorder
          ? `; capture ${recorder.label} (${recorder.frames} frames${recorder.failure ? ', stopped early' : ''})`
          : '') +
        (pipe ? `;${pipeStatus(pipe).slice(2)}` : '') +
        (rings ? `; ${formatRingStats(rings.stats())}` : ''),
    );
    return EXIT_OK;
  },
};
