// Opening and exporting captures from the UI: which dialog is up, uploads (web mode) or
// system dialogs (desktop app), the KDNET key and "stop the live session?" prompts the engine's
// refusals call for, the recent lists, and exports with their progress. The rows to export are
// no. ranges, whatever chose them: the view's displayed rows, a from-to range, or the marked
// rows of whoever registers a source for them (setMarkedRowsSource).

import { create } from 'zustand';
import {
  MAX_SELECTION_PART,
  OPEN_ERRORS,
  type CaptureFormat,
  type ExportProgress,
  type OpenCaptureRequest,
  type RecentCapture,
  type RecordedCapture,
  type WorkbenchClient,
} from '../../electron/api/contract';
import {
  NoRangesBuilder,
  countNoRanges,
  encodeNoRangeParts,
  normalizeNoRanges,
  type NoRange,
} from '../../protocol/records/no-ranges';
import { table, tableRow, useWorkbench, workbenchClient } from './workbench';

export type ExportScope = 'all' | 'displayed' | 'marked' | 'range';

export interface KeyPrompt {
  readonly request: OpenCaptureRequest;
  readonly name: string;
  readonly reason: 'missing' | 'rejected';
  readonly message: string;
}

export interface CapturesState {
  dialog: 'none' | 'open' | 'export';
  recent: RecentCapture[];
  recorded: RecordedCapture[];
  /** What is under way (uploading, opening), for the dialog's status line. */
  busy: string | null;
  /** Upload progress 0..1 while a file goes to the engine (web mode). */
  uploaded: number | null;
  error: string | null;
  keyPrompt: KeyPrompt | null;
  replacePrompt: { request: OpenCaptureRequest; name: string } | null;
  /** A file is dragged over the window. */
  dragging: boolean;
  /** The export under way or just ended. */
  exporting: { id: string | null; rows: number | null; progress: ExportProgress | null } | null;
}

const initial: CapturesState = {
  dialog: 'none',
  recent: [],
  recorded: [],
  busy: null,
  uploaded: null,
  error: null,
  keyPrompt: null,
  replacePrompt: null,
  dragging: false,
  exporting: null,
};

export const useCaptures = create<CapturesState>(() => ({ ...initial }));
const set = useCaptures.setState;
const get = useCaptures.getState;

/** The desktop app's preload adds this (paths of dropped files); web mode has no paths. */
interface PreloadFiles {
  pathForFile(file: File): string;
}
declare global {
  interface Window {
    kdscopeFiles?: PreloadFiles;
  }
}

export const isDesktop = (): boolean => window.kdscopeFiles !== undefined;

function client(): WorkbenchClient {
  const c = workbenchClient();
  if (!c) throw new Error('not connected to the engine');
  return c;
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

// ---- Marked rows: a seam for the marks (Ctrl+M) kept elsewhere -----------------------------

let markedSource: (() => readonly number[]) | null = null;

/** Registers where the marked rows' numbers come from (null: no marks in this build). */
export function setMarkedRowsSource(source: (() => readonly number[]) | null): void {
  markedSource = source;
}

/** The marked rows as ranges, or null when nothing registers marks. */
export function markedRanges(): NoRange[] | null {
  if (!markedSource) return null;
  const nos = [...markedSource()].sort((a, b) => a - b);
  const builder = new NoRangesBuilder();
  let last = 0;
  for (const no of nos) if (no > last) builder.add((last = no));
  return builder.build();
}

/** The rows the timeline displays now (the filter's matches that are in memory). */
export function displayedRanges(): NoRange[] {
  const count = useWorkbench.getState().displayCount;
  const builder = new NoRangesBuilder();
  for (let i = 0; i < count; i++) {
    const row = tableRow(i);
    if (row >= 0) builder.add(table.value('no', row));
  }
  return builder.build();
}

/** The first and last no. in memory, for the range fields' defaults. */
export function rowBounds(): { first: number; last: number } | null {
  if (table.length === 0) return null;
  return { first: table.value('no', 0), last: table.value('no', table.length - 1) };
}

// ---- Opening ---------------------------------------------------------------------------

async function refreshLists(): Promise<void> {
  try {
    const [recent, recorded] = await Promise.all([
      client().invoke('captures.recent'),
      client().invoke('captures.list'),
    ]);
    set({ recent, recorded });
  } catch (error) {
    set({ error: messageOf(error) });
  }
}

/** Sends a file to the engine's uploads folder; resolves with its path there. */
function upload(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    // Relative to the page (/t/TOKEN/): the token comes along.
    xhr.open('POST', `upload?name=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) set({ uploaded: e.loaded / e.total });
    };
    xhr.onload = () => {
      if (xhr.status === 201) {
        try {
          resolve((JSON.parse(xhr.responseText) as { path: string }).path);
        } catch {
          reject(new Error('the engine answered the upload with nonsense'));
        }
      } else reject(new Error(xhr.responseText.trim() || `upload failed (${xhr.status})`));
    };
    xhr.onerror = () => reject(new Error('upload failed: the engine is not reachable'));
    xhr.send(file);
  });
}

/** The engine's path for a file the user chose or dropped (upload in web mode). */
async function pathOf(file: File): Promise<string> {
  const files = window.kdscopeFiles;
  if (files) return files.pathForFile(file);
  set({ busy: `Uploading ${file.name}…`, uploaded: 0 });
  try {
    return await upload(file);
  } finally {
    set({ uploaded: null });
  }
}

async function open(request: OpenCaptureRequest, name: string): Promise<void> {
  set({ busy: `Opening ${name}…`, error: null });
  try {
    await client().invoke('captures.open', request);
    set({ ...closedDialogs(), busy: null });
  } catch (error) {
    const e = error as Error;
    set({ busy: null });
    if (e.name === OPEN_ERRORS.keyMissing || e.name === OPEN_ERRORS.keyRejected) {
      set({
        keyPrompt: {
          request,
          name,
          reason: e.name === OPEN_ERRORS.keyMissing ? 'missing' : 'rejected',
          message: e.message,
        },
      });
    } else if (e.name === OPEN_ERRORS.sessionRunning) {
      set({ replacePrompt: { request, name } });
    } else {
      // A drop has no dialog up: the open dialog shows what went wrong.
      set({
        error: e.message,
        keyPrompt: null,
        dialog: get().dialog === 'none' ? 'open' : get().dialog,
      });
    }
  }
}

const closedDialogs = (): Partial<CapturesState> => ({
  dialog: 'none',
  keyPrompt: null,
  replacePrompt: null,
  error: null,
});

const baseName = (path: string): string => path.split(/[\\/]/).pop() ?? path;

export const captureActions = {
  showOpen(): void {
    set({ dialog: 'open', error: null });
    void refreshLists();
  },
  close(): void {
    if (get().busy) return;
    set(closedDialogs());
  },
  /** One capture file (chosen or dropped). */
  async openFile(file: File): Promise<void> {
    try {
      const path = await pathOf(file);
      await open({ path }, file.name);
    } catch (error) {
      set({
        busy: null,
        error: messageOf(error),
        dialog: get().dialog === 'none' ? 'open' : get().dialog,
      });
    }
  },
  /** Two raw byte streams: what the debugger sent, and what the target sent. */
  async openRawPair(debuggerFile: File, targetFile: File): Promise<void> {
    try {
      const d = await pathOf(debuggerFile);
      const t = await pathOf(targetFile);
      await open({ debugger: d, target: t }, `${debuggerFile.name} + ${targetFile.name}`);
    } catch (error) {
      set({ busy: null, error: messageOf(error) });
    }
  },
  /** A file the engine already has (the recent list, a recorded session). */
  async openPath(path: string, targetPath?: string, name?: string): Promise<void> {
    const request: OpenCaptureRequest = targetPath
      ? { debugger: path, target: targetPath }
      : { path };
    await open(request, name ?? baseName(path));
  },
  /** The desktop app: the system's open dialog. */
  async chooseWithDialog(): Promise<void> {
    try {
      const path = await client().invoke('dialog.openCapture', { title: 'Open a capture' });
      if (path) await open({ path }, baseName(path));
    } catch (error) {
      set({ error: messageOf(error) });
    }
  },
  async chooseRawPairWithDialogs(): Promise<void> {
    try {
      const d = await client().invoke('dialog.openCapture', {
        title: 'The debugger’s stream (what WinDbg sent)',
      });
      if (!d) return;
      const t = await client().invoke('dialog.openCapture', {
        title: 'The target’s stream (what the VM sent)',
      });
      if (t) await open({ debugger: d, target: t }, `${baseName(d)} + ${baseName(t)}`);
    } catch (error) {
      set({ error: messageOf(error) });
    }
  },
  async submitKey(key: string): Promise<void> {
    const prompt = get().keyPrompt;
    if (!prompt) return;
    await open({ ...prompt.request, key: key.trim() }, prompt.name);
  },
  cancelKey(): void {
    set({ keyPrompt: null });
  },
  async confirmReplace(): Promise<void> {
    const prompt = get().replacePrompt;
    if (!prompt) return;
    set({ replacePrompt: null });
    await open({ ...prompt.request, replace: true }, prompt.name);
  },
  cancelReplace(): void {
    set({ replacePrompt: null });
  },
  setDragging(dragging: boolean): void {
    if (get().dragging !== dragging) set({ dragging });
  },

  // ---- Exporting ---------------------------------------------------------------------

  showExport(): void {
    const ex = get().exporting;
    set({
      dialog: 'export',
      error: null,
      exporting: ex?.progress?.state === 'running' || (ex && !ex.progress) ? ex : null,
    });
  },
  async startExport(order: {
    scope: ExportScope;
    format: CaptureFormat;
    decrypt: boolean;
    from?: number;
    to?: number;
    name: string;
  }): Promise<void> {
    const c = client();
    subscribeExports(c);
    set({ error: null });
    let ranges: NoRange[] | null = null;
    try {
      if (order.scope === 'displayed') ranges = displayedRanges();
      else if (order.scope === 'marked') ranges = markedRanges() ?? [];
      else if (order.scope === 'range') {
        const from = order.from ?? 0;
        const to = order.to ?? 0;
        if (!(from >= 1 && to >= from))
          throw new Error('give a range of packet numbers: from ≤ to');
        ranges = normalizeNoRanges([[from, to]]);
      }
      if (ranges !== null && ranges.length === 0) throw new Error('no packets to export');
      let out: string | undefined;
      if (isDesktop()) {
        const chosen = await c.invoke('dialog.saveExport', {
          name: order.name,
          format: order.format,
        });
        if (!chosen) return;
        out = chosen;
      }
      set({ exporting: { id: null, rows: ranges ? countNoRanges(ranges) : null, progress: null } });
      if (ranges)
        for (const part of encodeNoRangeParts(ranges, MAX_SELECTION_PART))
          await c.invoke('export.select', part);
      const job = await c.invoke('export.start', {
        packets: ranges ? 'selected' : 'all',
        format: order.format,
        ...(order.decrypt ? { decrypt: true } : {}),
        ...(out !== undefined ? { out } : { name: order.name }),
      });
      const current = get().exporting;
      set({
        exporting: { id: job.id, rows: job.rows ?? null, progress: current?.progress ?? null },
      });
      // Progress may have come before the answer: apply what is waiting.
      const early = pending.get(job.id);
      if (early) onProgress(early);
    } catch (error) {
      set({ error: messageOf(error), exporting: null });
    }
  },
  async cancelExport(): Promise<void> {
    const id = get().exporting?.id;
    if (!id) return;
    try {
      await client().invoke('export.cancel', id);
    } catch (error) {
      set({ error: messageOf(error) });
    }
  },
};

// ---- Export progress ---------------------------------------------------------------------

let subscribed: WorkbenchClient | null = null;
/** Progress that came before export.start answered (keyed by job id; the last only). */
const pending = new Map<string, ExportProgress>();

function subscribeExports(c: WorkbenchClient): void {
  if (subscribed === c) return;
  subscribed = c;
  c.on('export', onProgress);
}

function onProgress(progress: ExportProgress): void {
  const ex = get().exporting;
  if (!ex || ex.id !== progress.id) {
    pending.set(progress.id, progress);
    if (pending.size > 16) pending.delete(pending.keys().next().value!);
    return;
  }
  pending.delete(progress.id);
  set({ exporting: { ...ex, progress } });
  if (progress.state === 'done' && progress.file?.download)
    download(progress.file.download, progress.file.name);
}

/** Web mode: the browser saves the export (a link to the engine's download route). */
function download(href: string, name: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
}
