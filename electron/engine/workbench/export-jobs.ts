// Exports the UI started: each runs the shared exporter in time-boxed steps (so relaying and
// the UI go on, and a cancel takes effect at once), reports progress a few times a second to
// the connection that asked, and ends in a file: the path the desktop app's save dialog gave,
// or one in the engine's exports folder that the page downloads in web mode.

import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import type { CaptureFormat, ExportJob, ExportProgress } from '../../api/contract';
import { CaptureError, CaptureWriteError, captureErrorLine } from '../../capture/capture-error';
import type { CaptureSource } from '../../capture/capture-source';
import { CaptureExport, type ExportChoice } from '../../capture/export-capture';
import { NoRangeSet, countNoRanges, type NoRange } from '../../../protocol/records/no-ranges';
import { makeDirs } from '../make-dirs';

export class ExportError extends Error {
  override readonly name = 'ExportError';
}

/** What the view shows, as something to export. */
export interface ExportSource {
  /** A name for the output ("windbg-uncut"), from the source file. */
  readonly stem: string;
  readonly paths: readonly string[];
  /** The source holds KDNET datagrams (they stay encrypted unless decrypted). */
  readonly kdnet: boolean;
  readonly totalFrames?: number;
  open(): CaptureSource;
}

export interface ExportOrder {
  readonly format: CaptureFormat;
  /** Absent: every chunk / frame. */
  readonly ranges?: readonly NoRange[];
  readonly decrypt?: boolean;
  readonly out?: string;
  readonly name?: string;
}

const STEP_FRAMES = 256;
const SLICE_MS = 25;
const PROGRESS_MS = 100;
/** Characters a download's file name may hold (anything else becomes '_'). */
const SAFE_NAME = /[^A-Za-z0-9._+()-]+/g;

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function safeFileName(name: string): string {
  const cleaned = basename(name.replace(/\\/g, '/')).replace(SAFE_NAME, '_').slice(0, 200);
  return cleaned === '' || /^\.+$/.test(cleaned) ? 'export' : cleaned;
}

interface Running {
  readonly id: string;
  cancelled: boolean;
  readonly done: Promise<void>;
}

export class ExportJobs {
  private readonly running = new Map<string, Running>();
  /** Finished web-mode exports the page may download: id -> file. */
  private readonly files = new Map<string, { path: string; name: string }>();
  private dir: string | undefined;

  /** `beforeSlice`: awaited before each slice of work (a test holds an export there). */
  constructor(
    private readonly baseDir?: string,
    private readonly beforeSlice?: () => Promise<void>,
  ) {}

  /** Starts an export; `emit` gets its progress. Throws ExportError for a bad order. */
  start(
    source: ExportSource,
    order: ExportOrder,
    emit: (progress: ExportProgress) => void,
  ): ExportJob {
    const ext = `.${order.format}`;
    const asCaptured = source.kdnet && order.decrypt !== true;
    const id = randomUUID();
    let out: string;
    let name: string;
    if (order.out !== undefined) {
      out = resolve(order.out);
      if (extname(out).toLowerCase() !== ext)
        throw new ExportError(`the file for a ${order.format} export must end in ${ext}: ${out}`);
      if (source.paths.some((p) => resolve(p) === out))
        throw new ExportError('that is the capture being exported; choose another file');
      name = basename(out);
    } else {
      name = safeFileName(order.name ?? `${source.stem}-export${ext}`);
      if (extname(name).toLowerCase() !== ext) name += ext;
      const dir = join(this.exportsDir(), id);
      mkdirSync(dir);
      out = join(dir, name);
    }
    const ranges = order.ranges;
    if (ranges !== undefined && ranges.length === 0)
      throw new ExportError('no packets are selected to export');
    let choice: ExportChoice = { kind: 'all' };
    if (ranges) {
      const set = new NoRangeSet(ranges);
      choice = { kind: 'records', select: (r) => set.has(r.no), lastNo: set.last };
    }
    let job: CaptureExport;
    try {
      job = new CaptureExport({
        source: source.open(),
        out,
        format: order.format,
        choice,
        asCaptured,
        stepFrames: STEP_FRAMES,
      });
    } catch (error) {
      if (error instanceof CaptureError || error instanceof CaptureWriteError)
        throw new ExportError(error.message);
      throw error;
    }
    const entry: { id: string; cancelled: boolean; done: Promise<void> } = {
      id,
      cancelled: false,
      done: Promise.resolve(),
    };
    this.running.set(id, entry);
    const web = order.out === undefined;
    entry.done = this.run(id, job, source, out, name, web, entry, emit).finally(() =>
      this.running.delete(id),
    );
    return {
      id,
      ...(source.totalFrames !== undefined ? { totalFrames: source.totalFrames } : {}),
      ...(ranges ? { rows: countNoRanges(ranges) } : {}),
    };
  }

  cancel(id: string): void {
    const job = this.running.get(id);
    if (job) job.cancelled = true;
  }

  /** A finished web-mode export, for the download route. */
  file(id: string): { path: string; name: string } | undefined {
    return this.files.get(id);
  }

  /** Cancels what runs, waits for it, and removes the exports folder. */
  async dispose(): Promise<void> {
    for (const job of this.running.values()) job.cancelled = true;
    await Promise.all([...this.running.values()].map((j) => j.done));
    this.files.clear();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  private exportsDir(): string {
    if (this.dir) return this.dir;
    const base = this.baseDir ?? tmpdir();
    makeDirs(base);
    this.dir = mkdtempSync(join(base, 'kdscope-exports-'));
    return this.dir;
  }

  private async run(
    id: string,
    job: CaptureExport,
    source: ExportSource,
    out: string,
    name: string,
    web: boolean,
    entry: { cancelled: boolean },
    emit: (progress: ExportProgress) => void,
  ): Promise<void> {
    const total = source.totalFrames;
    const report = (state: ExportProgress['state'], extra: Partial<ExportProgress> = {}): void => {
      const p = job.progress;
      emit({
        id,
        state,
        pass: p.pass,
        passes: p.passes,
        framesRead: p.framesRead,
        ...(total !== undefined ? { totalFrames: total } : {}),
        framesWritten: p.framesWritten,
        ...extra,
      });
    };
    let lastReport = 0;
    try {
      let more = true;
      while (more && !entry.cancelled) {
        if (this.beforeSlice) {
          await this.beforeSlice();
          if (entry.cancelled) break;
        }
        const until = performance.now() + SLICE_MS;
        do more = job.step();
        while (more && performance.now() < until);
        if (more) {
          if (performance.now() - lastReport >= PROGRESS_MS) {
            lastReport = performance.now();
            report('running');
          }
          await yieldToLoop();
        }
      }
      job.close();
    } catch (error) {
      closeQuietly(job);
      rmSync(out, { force: true });
      const message =
        error instanceof CaptureWriteError || error instanceof CaptureError
          ? error.message
          : `export failed: ${(error as Error).message}`;
      report('failed', { error: message });
      return;
    }
    if (entry.cancelled) {
      rmSync(out, { force: true });
      report('cancelled');
      return;
    }
    const outcome = job.outcome();
    let bytes = 0;
    try {
      bytes = statSync(out).size;
    } catch {
      // Reported with 0 bytes; the download route says what is missing.
    }
    if (web) this.files.set(id, { path: out, name });
    report('done', {
      file: {
        name,
        bytes,
        ...(web ? { download: `exports/${id}` } : { path: out }),
      },
      ...(outcome.failure
        ? {
            warning: `${captureErrorLine(source.stem, outcome.failure)}: the frames before it were exported`,
          }
        : {}),
    });
  }
}

function closeQuietly(job: CaptureExport): void {
  try {
    job.close();
  } catch {
    // The error being reported is the first one.
  }
}
