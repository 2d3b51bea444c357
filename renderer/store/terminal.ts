// The target's DbgPrint output for the terminal pane, and the rate meter. Text is kept in a
// bounded buffer (the newest ~2 MiB) so a terminal opened later shows what came before;
// a mounted terminal gets new text as it arrives.

import { create } from 'zustand';
import { DbgPrintTap, type DbgPrintRate } from '../../protocol/stats';
import { onRows } from './row-feed';
import { throttled } from './throttle';

const MAX_CHARS = 2 * 1024 * 1024;

export interface TerminalState {
  /** Lines printed since the view started. */
  lines: number;
  rate: DbgPrintRate;
}

const IDLE: DbgPrintRate = { linesPerSecond: 0, share: 0, bytesPerSecond: 0, flood: false };
export const useTerminal = create<TerminalState>(() => ({ lines: 0, rate: IDLE }));

/** What a mounted terminal is told: text to write, or that the view started over. */
export type TerminalSink = (event: { text: string } | { reset: true }) => void;

const tap = new DbgPrintTap();
const sinks = new Set<TerminalSink>();
let chunks: string[] = [];
let chars = 0;

/** xterm wants CRLF; DbgPrint text uses LF. */
const crlf = (text: string): string => text.replace(/\r?\n/g, '\r\n');

/** Everything kept, for a terminal that mounts now. */
export function terminalBacklog(): string {
  return chunks.join('');
}

export function onTerminalText(sink: TerminalSink): () => void {
  sinks.add(sink);
  return () => sinks.delete(sink);
}

/** Forget the text (the Clear button of the pane; the packets stay). */
export function clearTerminal(): void {
  chunks = [];
  chars = 0;
  for (const s of sinks) s({ reset: true });
}

function append(text: string): void {
  chunks.push(text);
  chars += text.length;
  while (chars > MAX_CHARS && chunks.length > 1) chars -= chunks.shift()!.length;
  for (const s of sinks) s({ text });
}

export function setupTerminal(): () => void {
  const publish = throttled(250, () =>
    useTerminal.setState({ lines: tap.lines, rate: tap.rate(Date.now()) }),
  );
  // The rate decays when prints stop: keep publishing while it is not zero.
  const decay = setInterval(() => {
    if (useTerminal.getState().rate.linesPerSecond > 0 || useTerminal.getState().rate.share > 0)
      publish();
  }, 1000);
  // The text of a batch, written at its end: one terminal write per batch, not per print.
  let out = '';
  const off = onRows({
    row(row) {
      // Every row feeds the meter's byte count; only prints produce text.
      const text = tap.take(row);
      if (text !== undefined) out += text;
    },
    batch() {
      if (out) append(crlf(out));
      out = '';
      publish();
    },
    reset() {
      out = '';
      tap.clear();
      clearTerminal();
      publish.cancel();
      useTerminal.setState({ lines: 0, rate: IDLE });
    },
  });
  return () => {
    off();
    publish.cancel();
    clearInterval(decay);
  };
}
