// Records a KDNET bridge session as the target would see it on its wire: each relayed datagram
// is one frame with its real addresses and ports (the target's, and the socket it sent to),
// not the seed's fake 51111/51112 wrap. Like the seed-format Recorder (../recorder.ts), what
// the tap is handed is written before it returns (one write per batch), and a failed write
// stops recording with one line while the relay goes on.

import {
  UdpDatagramWriter,
  type DatagramCaptureFormat,
  type IpEnd,
} from '../../capture/udp-datagram-writer';
import type { UdpFlow } from '../transports/udp';
import type { StreamChunk } from '../../capture/chunk';
import type { BridgeTap, TapHost } from '../bridge/types';
import { FRAME_OVERHEAD, formatLimit, type RecorderOptions } from '../bridge/recorder';
import { ipBytes, localAddressFor } from './addresses';

/** The target's leg as the capture shows it. */
interface Leg {
  readonly target: IpEnd;
  readonly host: IpEnd;
}

function legOf(flow: UdpFlow): Leg | undefined {
  const target = ipBytes(flow.remote.address);
  const host = ipBytes(localAddressFor(flow.local.address, flow.remote.address));
  if (!target || !host || target.length !== host.length) return undefined;
  return {
    target: { ip: target, port: flow.remote.port },
    host: { ip: host, port: flow.local.port },
  };
}

export class DatagramRecorder implements BridgeTap {
  readonly name = 'recorder';
  private report: (message: string) => void = () => undefined;
  private leg: Leg | undefined;
  private readonly legs = new WeakMap<UdpFlow, Leg>();
  private stopped = false;
  private closed = false;
  /** Frames written (one per datagram). */
  frames = 0;
  /** Datagrams relayed before the target's address was known (not recorded; counted). */
  unplaced = 0;
  /** Why recording stopped early, if it did. */
  failure: string | undefined;

  constructor(
    private readonly writer: UdpDatagramWriter,
    private readonly options: RecorderOptions = {},
  ) {}

  /** Creates the file now, so a bad path fails before the bridge starts (CaptureWriteError). */
  static open(
    path: string,
    format: DatagramCaptureFormat,
    options: RecorderOptions = {},
  ): DatagramRecorder {
    return new DatagramRecorder(UdpDatagramWriter.open(path, format), options);
  }

  /** Bytes in the capture so far. */
  get bytesWritten(): number {
    return this.writer.bytesWritten;
  }

  get label(): string {
    return this.writer.label;
  }

  get recording(): boolean {
    return !this.stopped;
  }

  /** The target's side of the bridge (TransportDeps.onUdpFlow, socket 'bound'). */
  setTargetFlow(flow: UdpFlow): void {
    this.leg = legOf(flow) ?? this.leg;
  }

  /** A datagram from someone who is not the target: recorded with its sender's address. */
  stray(chunk: StreamChunk): void {
    this.write([chunk]);
  }

  bind(host: TapHost): void {
    this.report = (message) => host.report(message);
  }

  /** The batch in one write: it is in memory until the tap runs either way (a few ms). */
  write(batch: readonly StreamChunk[]): void {
    if (this.stopped) return;
    const frames = [];
    for (const chunk of batch) {
      // Each datagram's own leg (the bridge says it per chunk); the last known else.
      const leg = (chunk.flow && this.legFor(chunk.flow)) ?? this.leg;
      if (!leg) {
        this.unplaced++;
        continue;
      }
      const fromTarget = chunk.dir === 'target->debugger';
      frames.push({
        timeUs: chunk.timeUs,
        dir: chunk.dir,
        src: fromTarget ? leg.target : leg.host,
        dst: fromTarget ? leg.host : leg.target,
        payload: chunk.bytes,
      });
    }
    if (frames.length === 0) return;
    const limit = this.options.limitBytes;
    const size = frames.reduce((n, f) => n + f.payload.length + FRAME_OVERHEAD, 0);
    if (limit !== undefined && this.writer.bytesWritten + size > limit) {
      this.stopped = true;
      this.failure = `the capture reached its size limit (${formatLimit(limit)})`;
      this.report(`recording stopped (the relay goes on): ${this.failure}`);
      this.closeWriter();
      return;
    }
    try {
      this.writer.writeAll(frames);
      this.frames += frames.length;
    } catch (error) {
      this.stopped = true;
      this.failure = (error as Error).message;
      this.report(`recording stopped (the relay goes on): ${this.failure}`);
      this.closeWriter();
    }
  }

  /** The leg of `flow`, made once per distinct flow (a datagram each would be wasteful). */
  private legFor(flow: UdpFlow): Leg | undefined {
    const cached = this.legs.get(flow);
    if (cached) return cached;
    const leg = legOf(flow);
    if (leg) this.legs.set(flow, leg);
    return leg;
  }

  close(): void {
    this.stopped = true;
    this.closeWriter();
  }

  private closeWriter(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.writer.close();
    } catch (error) {
      this.report((error as Error).message);
    }
  }
}
