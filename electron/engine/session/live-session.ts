// One live session, the same for `kdscope bridge` and the workbench: the bridge between the two
// endpoints with its taps (recorder, live Wireshark sink) and the session decoder (framing,
// payloads, tracker with its late updates). The CLI prints what it sees; the workbench streams
// it to the UI. So for the same bytes both write the same capture and decode the same records.

import { rmSync } from 'node:fs';
import type { CaptureFormat } from '../../api/contract';
import { Bridge, type BridgeOptions, type BridgeTap } from '../bridge/bridge';
import { createLiveSink, type LiveSink } from '../bridge/live-sink';
import { Recorder } from '../bridge/recorder';
import type { DebuggerReport } from '../simulators/debugger';
import type { SimTargetOptions } from '../simulators/target';
import { simVmbusTargetFactory } from '../simulators/vmbus-target';
import type { RingStats, SimVmbusRings } from '../simulators/vmbus-rings';
import type { TransportDeps } from '../transports/types';
import type { PipeChannel, PipeChannelStats, VmbusDialOptions } from '../vmbus/pipe-channel';
import { canIndex, indexRecording } from './capture-index';
import { CapturePager } from './capture-pager';
import {
  PAGED_BYTES_PER_DIRECTION,
  sessionBridgeDecoder,
  type SessionBridgeDecoder,
} from './decoder';
import { kdnetBridgeDecoder, type KdnetBridgeDecoder } from '../kdnet/bridge-decoder';
import { kdnetDecryptingTap } from '../kdnet/decrypting-tap';
import { DatagramRecorder } from '../kdnet/recorder';
import { kdnetAdmission } from '../kdnet/admission';
import { parseKdnetKey } from '../../../protocol/kdnet/key';
import { SIM_KDNET_KEY, prepareKdnetPreset, type KdnetPreset } from './kdnet-preset';
import type { ResolvedSession } from './plan';
import { scriptedDebuggerAcceptor, scriptedPace } from './scripted-debugger';

/** The seed-format recorder, or for KDNET the datagram recorder (real UDP addresses). */
export type SessionRecorder = Recorder | DatagramRecorder;

export interface SessionCapture {
  readonly path: string;
  readonly format: CaptureFormat;
  /** Recording stops (the session goes on) before the file would pass this size. */
  readonly limitBytes?: number;
}

export interface LiveSessionOptions {
  readonly resolved: ResolvedSession;
  readonly capture?: SessionCapture;
  /** FIFO path (Unix) or pipe name (Windows) Wireshark reads live. */
  readonly wireshark?: string;
  /** Keep the decoded streams so every recent record's bytes can be shown. */
  readonly keepBytes?: boolean;
  /** Packets per second the scripted debugger (debugger `sim`) aims for. */
  readonly rate?: number;
  /** The simulated target's options (fault injection), for target `sim` / `sim:vmbus`. */
  readonly simTarget?: SimTargetOptions;
  /** One line per kind of VMBus pipe trouble (bad messages, resends). */
  readonly report?: (line: string) => void;
  /** How the scripted debugger's script ended (debugger `sim`). */
  readonly onScriptEnd?: (report: DebuggerReport) => void;
  /** Seams for tests (platform, other transports). */
  readonly deps?: TransportDeps;
  readonly bridge?: Pick<BridgeOptions, 'backoff' | 'health' | 'tickMs'>;
  /** Records between the capture index's checkpoints (capture-index.ts; tests make it small). */
  readonly checkpointRecords?: number;
}

export class LiveSession {
  private rings: SimVmbusRings | undefined;
  private pipe: PipeChannel | undefined;
  private preset: KdnetPreset | undefined;
  private kdnet: KdnetBridgeDecoder | undefined;
  /** Old rows decoded again from the capture; undefined when `unpageable` says why not. */
  pager: CapturePager | undefined;
  unpageable: string | undefined;

  private constructor(
    readonly resolved: ResolvedSession,
    readonly decoder: SessionBridgeDecoder,
    readonly recorder: SessionRecorder | undefined,
    readonly live: LiveSink | undefined,
  ) {}

  // Assigned once in start(), before anyone can see the session.
  bridge!: Bridge;

  /** Creates the capture and the live sink (failing before anything listens), then the bridge. */
  static async start(options: LiveSessionOptions): Promise<LiveSession> {
    const { resolved } = options;
    const taps: BridgeTap[] = [];
    const closeTaps = (): void => {
      for (const tap of taps) void Promise.resolve(tap.close()).catch(() => undefined);
    };
    let recorder: SessionRecorder | undefined;
    let live: LiveSink | undefined;
    // KDNET: the datagrams are recorded with their real addresses, decrypted for Wireshark.
    const kdnetKey = resolved.mode === 'kdnet' ? resolved.key : undefined;
    try {
      if (options.capture) {
        const { path, format, limitBytes } = options.capture;
        const limits = limitBytes ? { limitBytes } : {};
        recorder = kdnetKey
          ? DatagramRecorder.open(path, format, limits)
          : Recorder.open(path, format, limits);
        taps.push(recorder);
      }
      if (options.wireshark !== undefined) {
        live = createLiveSink(options.wireshark);
        taps.push(kdnetKey ? kdnetDecryptingTap(live, kdnetKey) : live);
      }
    } catch (error) {
      closeTaps();
      throw error;
    }
    const report = options.report ?? (() => undefined);
    // A recorded KD stream pages old packets' bytes from its capture: memory keeps the recent.
    const paged = recorder instanceof Recorder && !kdnetKey;
    const decoderOptions = options.keepBytes
      ? { keepBytes: paged ? { bytesPerDirection: PAGED_BYTES_PER_DIRECTION } : {} }
      : {};
    const kdnet = kdnetKey
      ? kdnetBridgeDecoder(kdnetKey, { ...decoderOptions, report: (line) => report(line) })
      : undefined;
    const decoder = kdnet ?? sessionBridgeDecoder(decoderOptions);
    const session = new LiveSession(resolved, decoder, recorder, live);
    session.kdnet = kdnet;
    // Index the capture as it is written, so old rows can be read back from it.
    let bridgeDecoder: SessionBridgeDecoder = decoder;
    if (recorder instanceof Recorder && canIndex(decoder)) {
      const indexed = indexRecording(recorder, decoder, options.checkpointRecords);
      taps[taps.indexOf(recorder)] = indexed.tap;
      bridgeDecoder = indexed.decoder;
      session.pager = new CapturePager(indexed.index);
    } else {
      session.unpageable = recorder
        ? 'rows of a KDNET session are not read back from its capture yet'
        : 'the session is not recorded';
    }
    const pace = scriptedPace(options.rate);
    const vmbus: VmbusDialOptions = {
      feedback: resolved.feedback,
      report: (line) => report(line),
      onChannel: (channel) => (session.pipe = channel),
    };
    const deps: TransportDeps = {
      ...options.deps,
      simTarget: simVmbusTargetFactory(
        { target: { ...pace.targetOptions, ...options.simTarget }, pipe: vmbus },
        (sim) => (session.rings = sim.rings),
      ),
      simDebugger: () =>
        scriptedDebuggerAcceptor(pace.debuggerOptions, (r) => options.onScriptEnd?.(r)),
      ...(resolved.mode === 'vmbus' ? { vmbus } : {}),
      // The target's place is taken by a datagram of this session's target (a rebooted target
      // from a new port), or a KDNET-looking one once the target has been quiet (udp.ts,
      // PEER_QUIET_MS: rebooted with another key); anyone else's are strays, recorded only.
      ...(kdnetKey ? { udpAdmission: () => kdnetAdmission(kdnetKey) } : {}),
      onUdpFlow: (flow, socket) => {
        if (socket === 'bound' && recorder instanceof DatagramRecorder)
          recorder.setTargetFlow(flow);
      },
    };
    let preset: KdnetPreset | undefined;
    try {
      // sim:kdnet: the simulated KDNET target (and scripted debugger) on loopback UDP.
      if (kdnetKey && resolved.target.kind === 'sim') {
        preset = await prepareKdnetPreset({
          // The simulated VM's own key: a session told another one shows what a wrong key does.
          startKey: parseKdnetKey(SIM_KDNET_KEY),
          ...(resolved.debugger.kind === 'udp' ? { debugger: resolved.debugger } : {}),
          target: { ...pace.targetOptions, ...options.simTarget },
          script: pace.debuggerOptions,
          onScriptEnd: (r) => options.onScriptEnd?.(r),
        });
        session.preset = preset;
      }
      session.bridge = await Bridge.start({
        ...options.bridge,
        debugger: preset?.debugger ?? resolved.debugger,
        target: preset?.target ?? resolved.target,
        deps,
        taps,
        decoder: bridgeDecoder,
      });
      await preset?.startTarget();
    } catch (error) {
      preset?.close();
      await session.bridge?.close();
      closeTaps();
      // Nothing was recorded: leave no empty capture behind.
      if (recorder) rmSync(recorder.label, { force: true });
      throw error;
    }
    return session;
  }

  /** The simulated VMBus rings' fill (target sim:vmbus). */
  ringStats(): RingStats[] | undefined {
    return this.rings?.stats();
  }

  /** KDNET datagrams that failed authentication so far (mode kdnet). */
  kdnetRejected(): number | undefined {
    return this.kdnet?.rejected;
  }

  /** The VMBus pipe channel's counters (mode vmbus). */
  pipeStats(): PipeChannelStats | undefined {
    return this.pipe?.stats;
  }

  /** Stops relaying (and the simulated KDNET peers), flushes and closes the capture and sink. */
  close(): Promise<void> {
    this.preset?.close();
    return this.bridge.close();
  }
}
