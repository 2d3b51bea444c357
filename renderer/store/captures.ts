// Opening and exporting captures from the UI: which dialog is up, uploads (web mode) or
// system dialogs (desktop app), the KDNET key and "stop the live session?" prompts the engine's
// refusals call for, the recently opened list, and exports with their progress. The rows to
// export are no. ranges, whatever chose them: the view's displayed rows, the marked rows
// (Ctrl+M), or a from-to range.

import { create } from 'zustand';
import {
  MAX_SELECTION_PART,
  OPEN_ERRORS,
  type CaptureFormat,
  type ExportProgress,
  type OpenCaptureRequest,
  type RecentCapture,
  type SessionStatus,
  type WorkbenchClient,
} from '../../electron/api/contract';
import {
  NoRangesBuilder,
  countNoRanges,
  encodeNoRangeParts,
  normalizeNoRanges,
  type NoRange,
} from '../../protocol/records/no-ranges';
import { attachActions } from './attach';
import { useMarks } from './marks';
import { engineClient, table, tableRow, useWorkbench } from './workbench';

export type ExportScope = 'all' | 'displayed' | 'marked' | 'range';

export interface KeyPrompt {
  readonly request: OpenCaptureRequest;
  readonly name: string;
  readonly reason: 'missing' | 'rejected';
  /** The engine's line (it never holds the key). */
  readonly message: string;
}

export interface ExportState {
  readonly id: string | null;
  readonly rows: number | null;
  readonly progress: ExportProgress | null;
}

export interface CapturesState {
  dialog: 'none' | 'open' | 'export';
  recent: RecentCapture[];
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
  exporting: ExportState | null;
}

const initial: CapturesState = {
  dialog: 'none',
  recent: [],
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

export const isDesktop = (): boolean =>
  typeof window !== 'undefined' && window.kdscopeFiles !== undefined;

function client(): WorkbenchClient {
  const c = engineClient();
  if (!c) throw new Error('not connected to the engine');
  return c;
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

// ---- Which rows --------------------------------------------------------------------------

/** Packet numbers (any order, repeats allowed) as sorted ranges. */
export function rangesOfNos(nos: Iterable<number>): NoRange[] {
  const sorted = [...nos].filter((n) => Number.isSafeInteger(n) && n >= 1).sort((a, b) => a - b);
  const builder = new NoRangesBuilder();
  let last = 0;
  for (const no of sorted) if (no > last) builder.add((last = no));
  return builder.build();
}

/** The marked rows (Ctrl+M) as ranges. */
export const markedRanges = (): NoRange[] => rangesOfNos(useMarks.getState().marked);

/** The rows the packet list displays now (the filter's matches that are in memory). */
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

/** The ranges a scope exports (null: all of the source); throws a line for the dialog. */
export function exportRanges(
  scope: ExportScope,
  range: { from?: number; to?: number } = {},
): NoRange[] | null {
  let ranges: NoRange[];
  if (scope === 'all') return null;
  if (scope === 'displayed') ranges = displayedRanges();
  else if (scope === 'marked') ranges = markedRanges();
  else {
    const { from, to } = range;
    if (
      from === undefined ||
      to === undefined ||
      !Number.isSafeInteger(from) ||
      !Number.isSafeInteger(to) ||
      from < 1 ||
      to < from
    )
      throw new Error('give a range of packet numbers: 1 ≤ from ≤ to');
    ranges = normalizeNoRanges([[from, to]]);
  }
  if (ranges.length === 0)
    throw new Error(
      scope === 'marked'
        ? 'no packets are marked (Ctrl+M marks the selected one)'
        : 'no packets are displayed',
    );
  return ranges;
}

/** The view's source holds KDNET datagrams (an export can decrypt them). */
export const isKdnetView = (session: SessionStatus): boolean =>
  session.info?.mode === 'kdnet' || session.info?.opened?.kdnet === true;

/** A download's default name: the source's stem, "-export", the format's extension. */
export function exportName(session: SessionStatus, format: CaptureFormat): string {
  const info = session.info;
  const source = info?.opened?.name ?? info?.capture?.split(/[\\/]/).pop() ?? 'kdscope';
  const stem = source.replace(/(\.(pcap|pcapng|cap|raw|bin))?(\.gz)?$/i, '') || 'kdscope';
  return `${stem}-export.${format}`;
}

/** How far an export is, 0..1 over all its passes (null: the source's size is unknown). */
export function exportFraction(progress: ExportProgress | null): number | null {
  if (!progress) return 0;
  if (progress.state === 'done') return 1;
  const total = progress.totalFrames;
  if (total === undefined || total <= 0) return null;
  const inPass = Math.min(1, progress.framesRead / total);
  return Math.min(1, (progress.pass - 1 + inPass) / Math.max(1, progress.passes));
}

/** What a refusal of captures.open asks of the user. */
export function promptFor(error: unknown): 'key-missing' | 'key-rejected' | 'replace' | 'error' {
  const name = error instanceof Error ? error.name : '';
  if (name === OPEN_ERRORS.keyMissing) return 'key-missing';
  if (name === OPEN_ERRORS.keyRejected) return 'key-rejected';
  if (name === OPEN_ERRORS.sessionRunning) return 'replace';
  return 'error';
}

// ---- Opening ---------------------------------------------------------------------------

/** Reads the recently opened list again (the recorded sessions are the attach store's). */
export async function refreshRecent(): Promise<void> {
  const c = engineClient();
  if (!c) return;
  try {
    set({ recent: await c.invoke('captures.recent') });
  } catch {
    // An engine without the list (or gone): the page shows what it had.
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

/** The engine's path for a file the user chose or dropped (an upload in web mode). */
async function pathOf(file: File): Promise<string> {
  const files = typeof window === 'undefined' ? undefined : window.kdscopeFiles;
  if (files) return files.pathForFile(file);
  set({ busy: `Uploading ${file.name}…`, uploaded: 0 });
  try {
    return await upload(file);
  } finally {
    set({ uploaded: null });
  }
}

const closedDialogs = (): Partial<CapturesState> => ({
  dialog: 'none',
  keyPrompt: null,
  replacePrompt: null,
  error: null,
});

/** Errors show in the open dialog (a drop or a recent entry has none up: it opens). */
const showError = (message: string): void =>
  set({ busy: null, error: message, dialog: get().dialog === 'none' ? 'open' : get().dialog });

/**
 * The names the user knows uploads by (web mode: the engine's copy in a temporary folder means
 * nothing to them), said in errors instead of the paths. The desktop app opens files in place.
 */
const uploadedAs = new Map<string, string>();

function uploaded(path: string, name: string): string {
  if (typeof window === 'undefined' || !window.kdscopeFiles) uploadedAs.set(path, name);
  if (uploadedAs.size > 64) uploadedAs.delete(uploadedAs.keys().next().value!);
  return path;
}

async function open(request: OpenCaptureRequest, name: string): Promise<void> {
  set({ busy: `Opening ${name}…`, error: null });
  try {
    await client().invoke('captures.open', request);
  } catch (error) {
    set({ busy: null });
    const prompt = promptFor(error);
    const said = [...uploadedAs].reduce(
      (text, [path, shown]) => text.split(path).join(shown),
      messageOf(error),
    );
    if (prompt === 'key-missing' || prompt === 'key-rejected')
      set({
        keyPrompt: {
          request,
          name,
          reason: prompt === 'key-missing' ? 'missing' : 'rejected',
          message: said,
        },
        replacePrompt: null,
      });
    else if (prompt === 'replace') set({ replacePrompt: { request, name }, keyPrompt: null });
    else {
      set({ keyPrompt: null, replacePrompt: null });
      showError(said);
    }
    return;
  }
  set({ ...closedDialogs(), busy: null });
  attachActions.showPackets();
  void refreshRecent();
}

const baseName = (path: string): string => path.split(/[\\/]/).pop() ?? path;

export const captureActions = {
  showOpen(): void {
    set({ dialog: 'open', error: null });
    void refreshRecent();
  },
  close(): void {
    if (get().busy) return;
    set(closedDialogs());
  },
  /** One capture file (chosen or dropped). */
  async openFile(file: File): Promise<void> {
    if (get().busy) return;
    try {
      const path = uploaded(await pathOf(file), file.name);
      await open({ path }, file.name);
    } catch (error) {
      showError(messageOf(error));
    }
  },
  /** Files dropped on the window: one capture (a raw pair goes through the open dialog). */
  async dropFiles(files: readonly File[]): Promise<void> {
    set({ dragging: false });
    if (files.length === 0) return;
    if (files.length > 1) {
      showError(
        `drop one capture at a time (${files.length} files were dropped); a raw pair is opened from Open capture…`,
      );
      return;
    }
    await captureActions.openFile(files[0]!);
  },
  /** Two raw byte streams: what the debugger sent, and what the target sent. */
  async openRawPair(debuggerFile: File, targetFile: File): Promise<void> {
    if (get().busy) return;
    try {
      const d = uploaded(await pathOf(debuggerFile), debuggerFile.name);
      const t = uploaded(await pathOf(targetFile), targetFile.name);
      await open({ debugger: d, target: t }, `${debuggerFile.name} + ${targetFile.name}`);
    } catch (error) {
      showError(messageOf(error));
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
      showError(messageOf(error));
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
      showError(messageOf(error));
    }
  },
  async submitKey(key: string): Promise<void> {
    const prompt = get().keyPrompt;
    if (!prompt || key.trim() === '') return;
    await open({ ...prompt.request, key: key.trim() }, prompt.name);
  },
  cancelKey(): void {
    set({ keyPrompt: null, busy: null });
  },
  async confirmReplace(): Promise<void> {
    const prompt = get().replacePrompt;
    if (!prompt) return;
    set({ replacePrompt: null });
    await open({ ...prompt.request, replace: true }, prompt.name);
  },
  cancelReplace(): void {
    set({ replacePrompt: null, busy: null });
  },
  setDragging(dragging: boolean): void {
    if (get().dragging !== dragging) set({ dragging });
  },

  // ---- Exporting ---------------------------------------------------------------------

  showExport(): void {
    const ex = get().exporting;
    // A running export stays on show; an ended one gives way to a new form.
    const running = ex !== null && (ex.progress === null || ex.progress.state === 'running');
    set({ dialog: 'export', error: null, exporting: running ? ex : null });
  },
  async startExport(order: {
    scope: ExportScope;
    format: CaptureFormat;
    decrypt: boolean;
    from?: number;
    to?: number;
    name: string;
  }): Promise<void> {
    if (get().exporting?.progress?.state === 'running') return;
    set({ error: null });
    try {
      const c = client();
      subscribeExports(c);
      const ranges = exportRanges(order.scope, order);
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
      set({
        exporting: {
          id: job.id,
          rows: job.rows ?? get().exporting?.rows ?? null,
          progress: get().exporting?.progress ?? null,
        },
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
  if (typeof document === 'undefined') return;
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
}
