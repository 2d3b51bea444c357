// `kdscope bridge`: serve the debugger's endpoint, connect the target's, relay, record, decode,
// and show a live status until SIGINT/SIGTERM; then close the capture cleanly.

import { parseArgs } from './args';
import { loadProfile, mergeProfile } from './bridge-profile';
import {
  EXIT_FAILURE,
  EXIT_OK,
  RuntimeError,
  UsageError,
  type CliIo,
  type Command,
} from './command';
import type { BridgeCounters, BridgeEvent } from '../engine/bridge/bridge';
import type { Direction } from '../../protocol/kd/events';
import type { Side } from '../engine/bridge/health';
import { defaultCaptureName } from '../engine/bridge/recorder';
import { LiveSession } from '../engine/session/live-session';
import { CLI_NAMES, SessionOptionError, resolveSession } from '../engine/session/plan';
import { primaryDebuggerCommand } from '../engine/session/debugger-commands';
import { DEFAULT_SCRIPTED_RATE } from '../engine/session/scripted-debugger';
import { CommandLineError, Launcher, maskSecrets } from '../engine/session/launcher';
import { sessionCapturePath, ensureCapturesDir } from '../engine/workbench/captures-dir';
import { formatRingStats, type RingStats } from '../engine/simulators/vmbus-rings';
import type { PipeChannelStats } from '../engine/vmbus/pipe-channel';

const USAGE = `usage: kdscope bridge --debugger EP --target EP [--pcap FILE] [--pcapng] [--no-pcap]
                      [--wireshark PIPE] [--mode com|vmbus|kdnet] [--feedback] [--key W.X.Y.Z]
                      [--rate N] [--profile NAME] [--launch CMD] [--no-launch]

Serves EP for the debugger (WinDbg connects to it), connects to the target's EP, relays both
ways unchanged, records every chunk and decodes the session, until Ctrl+C (with --debugger
sim, until the scripted debugger ends: exit 0 if its script completed, 1 if it stopped).
KDNET (--mode kdnet --key W.X.Y.Z --target udp:[HOST:]PORT --debugger udp:[HOST:]PORT): the
target sends to the host's port, so the bridge binds --target there (point the target's
bcdedit hostip/port at it) and forwards every datagram unchanged to --debugger, where WinDbg
listens (windbg -k net:port=N,key=K; host 127.0.0.1 unless named), and the replies back.
The capture holds the datagrams as the target's wire carries them (real addresses, ports);
the key decrypts them for decoding and for --wireshark (which gets the KD stream in clear).

  --debugger EP    where WinDbg connects: pipe:NAME, unix:PATH, tcp:HOST:PORT, serial:DEV[,baud],
                   udp:[HOST:]PORT (KDNET); or sim: the built-in scripted debugger, in process
  --target EP      the VM or target: pipe:NAME, unix:PATH, tcp:HOST:PORT, serial:DEV[,baud],
                   udp:[HOST:]PORT (KDNET), vmbus:VMNAME (Hyper-V), vm:NAME (a VM by name),
                   sim, sim:vmbus, sim:kdnet (simulated VMs: COM, VMBus, KDNET with key 1.2.3.4)
  --pcap FILE      capture file (default kdscope-YYYY-MM-DD-HH-mm-ss.pcap here)
  --pcapng         write pcapng instead of the seed's pcap
  --no-pcap        do not record
  --wireshark P    stream live to Wireshark: a FIFO path (Unix) or pipe name (Windows)
  --mode M         com (default), or vmbus: the target speaks windbg-uefi's VMBus pipe messages
                   (implied by vmbus:NAME and sim:vmbus; over a socket or pipe each message
                   follows a u32 little-endian length); kdnet: see above
  --feedback       windbg-uefi's feedback mode (vmbus): acknowledge every message, resend
                   unacknowledged ones after 30 s
  --key W.X.Y.Z    the KDNET key (bcdedit /dbgsettings net ... key:W.X.Y.Z)
  --rate N         with --debugger sim: its pace, about N packets/s (default ${DEFAULT_SCRIPTED_RATE})
  --profile NAME   start from a profile saved on the attach page (endpoints, mode, feedback,
                   key, capture folder and format, debugger command); flags given here win
  --launch CMD     run this debugger command once the bridge listens, stop it on exit
                   (e.g. "kdscope simulate debugger --connect unix:/tmp/kd.sock")
  --no-launch      do not run the profile's debugger command`;

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The VMBus pipe's counters, when the target is one: "vmbus 120/118 msgs, 2 resends, 1 bad". */
function pipeStatus(s: PipeChannelStats | undefined): string {
  if (!s) return '';
  const trouble = [
    s.resends > 0 ? `${s.resends} resends` : '',
    s.badMessages + s.badChecksums > 0 ? `${s.badMessages + s.badChecksums} bad` : '',
  ].filter(Boolean);
  return ` | vmbus ${s.messagesOut} out/${s.messagesIn} in${trouble.length > 0 ? `, ${trouble.join(', ')}` : ''}`;
}

/**
 * Bytes read from one side while the other was absent: recorded (they were on the wire), but
 * nobody received them. '' when every byte was delivered.
 */
function notDelivered(
  c: BridgeCounters,
  dir: Direction,
  why: boolean,
  refused?: (side: Side) => boolean,
): string {
  const dropped = c[dir].droppedBytes;
  if (dropped === 0) return '';
  const receiver = dir === 'debugger->target' ? 'target' : 'debugger';
  const never = (receiver === 'debugger' ? c.debuggerConnections : c.targetConnections) === 0;
  const reason =
    refused?.(receiver) === true
      ? `nothing listens at the ${receiver}'s port`
      : never
        ? `no ${receiver} connected`
        : `the ${receiver} was away`;
  return ` (${size(dropped)} not delivered${why ? `: ${reason}` : ''})`;
}

/**
 * KDNET datagrams that failed authentication: "N KDNET datagrams rejected" between `before`
 * and `after`, '' when none.
 */
function rejectedStatus(session: LiveSession, before: string, after: string): string {
  const rejected = session.kdnetRejected() ?? 0;
  return rejected > 0 ? `${before}${rejected} KDNET datagrams rejected${after}` : '';
}

const ringStatus = (stats: RingStats[] | undefined): string =>
  stats ? ` | ${formatRingStats(stats)}` : '';

function statusLine(session: LiveSession): string {
  const { bridge } = session;
  const c = bridge.counters();
  const side = (s: Side): string => {
    const status = bridge.health.status(s);
    return `${s} ${status.condition === 'silent' ? `silent ${status.line.match(/\d+ s/)?.[0] ?? ''}` : status.condition}`;
  };
  return (
    `${c.packets} packets | dbg->tgt ${size(c['debugger->target'].bytes)}` +
    `${notDelivered(c, 'debugger->target', false)} | ` +
    `tgt->dbg ${size(c['target->debugger'].bytes)}${notDelivered(c, 'target->debugger', false)} | ` +
    `${c.errors} errors | ` +
    rejectedStatus(session, '', ' | ') +
    `${side('debugger')} | ${side('target')}` +
    pipeStatus(session.pipeStats()) +
    ringStatus(session.ringStats())
  );
}

function positiveNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1)
    throw new UsageError(`--${flag} must be a whole number >= 1, not '${text}'`);
  return value;
}

export const bridgeCommand: Command = {
  name: 'bridge',
  usage: USAGE,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgs(args, {
      values: [
        'debugger',
        'target',
        'pcap',
        'wireshark',
        'mode',
        'key',
        'rate',
        'profile',
        'launch',
      ],
      booleans: ['pcapng', 'no-pcap', 'feedback', 'no-launch'],
    });
    if (parsed.positional.length > 0) {
      throw new UsageError(
        `unexpected argument '${parsed.positional[0]}' (see kdscope bridge --help)`,
      );
    }
    const profileName = parsed.value('profile');
    if (profileName === '') throw new UsageError('--profile: empty name');
    if (parsed.booleans.has('no-launch') && parsed.value('launch') !== undefined)
      throw new UsageError('--no-launch contradicts --launch');
    const settings = mergeProfile(
      {
        debugger: parsed.value('debugger'),
        target: parsed.value('target'),
        mode: parsed.value('mode'),
        key: parsed.value('key'),
        pcap: parsed.value('pcap'),
        launch: parsed.value('launch'),
        feedback: parsed.booleans.has('feedback'),
        pcapng: parsed.booleans.has('pcapng'),
        noLaunch: parsed.booleans.has('no-launch'),
      },
      profileName === undefined ? undefined : loadProfile(profileName),
    );
    for (const flag of ['debugger', 'target'] as const)
      if (settings[flag] === undefined)
        throw new UsageError(
          `--${flag} EP is required (or --profile NAME; see kdscope bridge --help)`,
        );
    let resolved;
    try {
      resolved = resolveSession(
        {
          debugger: settings.debugger!,
          target: settings.target!,
          ...(settings.mode === undefined ? {} : { mode: settings.mode }),
          feedback: settings.feedback,
          ...(settings.key === undefined ? {} : { key: settings.key }),
        },
        CLI_NAMES,
      );
    } catch (error) {
      if (error instanceof SessionOptionError)
        throw error.unsupported ? new RuntimeError(error.message) : new UsageError(error.message);
      throw error;
    }
    const rate = positiveNumber('rate', parsed.value('rate'));
    if (rate !== undefined && resolved.debugger.kind !== 'sim')
      throw new UsageError(
        '--rate applies to --debugger sim (the built-in scripted debugger) only',
      );
    if (
      parsed.booleans.has('no-pcap') &&
      (parsed.value('pcap') !== undefined || parsed.booleans.has('pcapng'))
    ) {
      throw new UsageError('--no-pcap contradicts --pcap/--pcapng');
    }
    // An empty name would reach the file system as '' (ENOENT): say which flag it was.
    if (parsed.value('wireshark') === '') throw new UsageError('--wireshark: empty pipe name');
    if (settings.launch !== undefined) {
      if (resolved.debugger.kind === 'sim')
        throw new UsageError(
          '--launch: the built-in scripted debugger (--debugger sim) runs in process already',
        );
      try {
        Launcher.check(settings.launch);
      } catch (error) {
        if (error instanceof CommandLineError) throw new UsageError(`--launch: ${error.message}`);
        throw error;
      }
    }
    const format = settings.format;
    if (settings.captureDir !== undefined && !parsed.booleans.has('no-pcap')) {
      const problem = ensureCapturesDir(settings.captureDir);
      if (problem) throw new RuntimeError(problem);
    }
    const capturePath =
      settings.pcap ??
      (settings.captureDir === undefined
        ? defaultCaptureName(new Date(), format)
        : sessionCapturePath(settings.captureDir, new Date(), format));

    // Pipe trouble (bad messages, resends) goes to stderr once `say` exists, one line each.
    let report = (line: string): void => void io.stderr.write(`kdscope bridge: ${line}\n`);
    // The scripted debugger (--debugger sim) is in process and never comes back once its script
    // ended: the bridge ends with it, with the exit code `simulate debugger` would give.
    let scriptExit: number | undefined;
    let onScriptExit = (): void => undefined;
    let session: LiveSession;
    try {
      session = await LiveSession.start({
        resolved,
        ...(parsed.booleans.has('no-pcap')
          ? {}
          : {
              capture: { path: capturePath, format },
            }),
        ...(parsed.value('wireshark') === undefined
          ? {}
          : { wireshark: parsed.value('wireshark') }),
        ...(rate === undefined ? {} : { rate }),
        report: (line) => report(line),
        onScriptEnd: (r) => {
          report(
            r.ok
              ? `the scripted debugger finished (${r.requests} requests)`
              : `the scripted debugger stopped: ${r.error ?? 'the session failed'}`,
          );
          scriptExit ??= r.ok ? EXIT_OK : EXIT_FAILURE;
          onScriptExit();
        },
      });
    } catch (error) {
      throw new RuntimeError((error as Error).message);
    }
    const { bridge, recorder, live } = session;

    const tty = (io.stdout as NodeJS.WriteStream).isTTY === true;
    let statusShown = false;
    const say = (stream: NodeJS.WritableStream, line: string): void => {
      if (statusShown) io.stdout.write('\r\x1b[K');
      statusShown = false;
      stream.write(`${line}\n`);
    };
    const onEvent = (event: BridgeEvent): void => {
      if (event.kind === 'error' || event.kind === 'notice' || event.kind === 'unreachable')
        say(io.stderr, `kdscope bridge: ${event.message}`);
      else if (event.kind === 'health') say(io.stdout, event.status.line);
    };
    report = (line) => say(io.stderr, `kdscope bridge: ${line}`);
    const unsubscribe = bridge.subscribe(onEvent);
    say(
      io.stdout,
      `bridge: debugger on ${resolved.debugger.kind === 'sim' ? 'the built-in scripted debugger' : bridge.debuggerEndpoint}, target ${bridge.targetEndpoint}` +
        (recorder ? `, recording to ${recorder.label}` : '') +
        (live ? `, live view at ${live.path}` : ''),
    );
    if (resolved.debugger.kind !== 'sim')
      say(
        io.stdout,
        `point the debugger here, e.g.: ${primaryDebuggerCommand(resolved.debugger, resolved.mode)}`,
      );

    for (const side of ['debugger', 'target'] as const)
      say(io.stdout, bridge.health.status(side).line);

    let launcher: Launcher | undefined;
    if (settings.launch !== undefined) {
      launcher = Launcher.start(settings.launch, {
        onLine: (line, stream) =>
          say(stream === 'stderr' ? io.stderr : io.stdout, `debugger process: ${line}`),
        onExit: (status) =>
          say(
            status.state === 'failed' ? io.stderr : io.stdout,
            status.state === 'failed'
              ? `kdscope bridge: ${status.detail ?? 'the debugger command could not start'}`
              : `the debugger process ended: ${status.detail ?? 'exited'}`,
          ),
      });
      const pid = launcher.status().pid;
      say(
        io.stdout,
        `started the debugger${pid === undefined ? '' : ` (pid ${pid})`}: ${maskSecrets(settings.launch)}`,
      );
    }

    // Redraw at most 4x/s on a terminal; on a pipe, a plain line when something changed.
    let lastLine = '';
    const timer = setInterval(
      () => {
        const line = statusLine(session);
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

    const exitCode = await new Promise<number>((resolve) => {
      const onAbort = (): void => resolve(scriptExit ?? EXIT_OK);
      onScriptExit = () => {
        io.signal.removeEventListener('abort', onAbort);
        resolve(scriptExit ?? EXIT_OK);
      };
      if (io.signal.aborted || scriptExit !== undefined) onAbort();
      else io.signal.addEventListener('abort', onAbort, { once: true });
    });
    clearInterval(timer);
    await launcher?.stop();
    await session.close();
    unsubscribe();
    const c = bridge.counters();
    const pipe = session.pipeStats();
    const refused = (side: Side): boolean => bridge.health.status(side).condition === 'refused';
    say(
      io.stdout,
      `bridge closed: ${c.packets} packets, ${size(c['debugger->target'].bytes)} debugger->target` +
        `${notDelivered(c, 'debugger->target', true, refused)}, ${size(c['target->debugger'].bytes)} ` +
        `target->debugger${notDelivered(c, 'target->debugger', true, refused)}, ${c.errors} errors` +
        rejectedStatus(session, ', ', '') +
        (c.strayDatagrams > 0
          ? `, ${c.strayDatagrams} stray datagram${c.strayDatagrams === 1 ? '' : 's'} (not relayed)`
          : '') +
        (recorder
          ? `; capture ${recorder.label} (${recorder.frames} frames${recorder.failure ? ', stopped early' : ''})`
          : '') +
        (pipe ? `;${pipeStatus(pipe).slice(2)}` : '') +
        (session.ringStats() ? `; ${formatRingStats(session.ringStats()!)}` : ''),
    );
    return exitCode;
  },
};
