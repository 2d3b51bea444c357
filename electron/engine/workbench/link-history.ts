// The link sampled a few times a second (bytes and packets per direction, the bridge's queues
// and backpressure, VMBus rings and pipe counters): the occupancy and I/O graphs' data, kept for
// the last ten minutes so a window that (re)connects, or looks after Stop, sees it whole.

import type { Direction } from '../../../protocol/kd/events';
import type { LinkSample, PipeSample, RingSample } from '../../api/contract';
import type { LiveSession } from '../session/live-session';

export const SAMPLE_MS = 250;
const KEEP = (10 * 60 * 1000) / SAMPLE_MS;

export class LinkHistory {
  private samples: LinkSample[] = [];
  private lastTime = 0;

  /**
   * Samples the session now; `packets` are the records decoded per direction so far; `final`
   * once the session closed.
   */
  sample(
    session: LiveSession,
    packets: Readonly<Record<Direction, number>>,
    final = false,
  ): LinkSample {
    const counters = session.bridge.counters();
    const queues = session.bridge.queues();
    const direction = (dir: Direction) => ({
      bytes: counters[dir].bytes,
      packets: packets[dir],
      droppedBytes: counters[dir].droppedBytes,
      queuedBytes: queues[dir].queuedBytes,
      paused: queues[dir].paused,
    });
    const rings: RingSample[] | undefined = session.ringStats()?.map((r) => ({
      ring: r.ring,
      size: r.size,
      occupancy: r.occupancy,
      highWater: r.highWater,
      refused: r.refused,
    }));
    const p = session.pipeStats();
    const pipe: PipeSample | undefined = p && {
      messagesOut: p.messagesOut,
      messagesIn: p.messagesIn,
      resends: p.resends,
      bad: p.badMessages + p.badChecksums,
      feedbackSent: p.feedbackSent,
      feedbackReceived: p.feedbackReceived,
      queuedBytes: p.queuedBytes,
    };
    // Strictly later than the last: a window merges the history it loads with the samples it
    // is sent by time, so two in one millisecond (Stop just after a tick) would lose one.
    this.lastTime = Math.max(Date.now(), this.lastTime + 1);
    const sample: LinkSample = {
      time: this.lastTime,
      'debugger->target': direction('debugger->target'),
      'target->debugger': direction('target->debugger'),
      ...(rings ? { rings } : {}),
      ...(pipe ? { pipe } : {}),
      ...(final ? { final: true as const } : {}),
    };
    this.samples.push(sample);
    if (this.samples.length > KEEP * 1.25) this.samples = this.samples.slice(-KEEP);
    return sample;
  }

  all(): LinkSample[] {
    return this.samples.slice(-KEEP);
  }

  clear(): void {
    this.samples = [];
  }
}
