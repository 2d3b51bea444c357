// Each side's link in a few plain words for the toolbar (the engine's full line is the tooltip):
// "talking", "silent 12 s", "gone 3 s, reconnecting", "RESET bounce", "not acknowledging",
// "not up yet: refused", "error: pipe busy", and the reconnects so far.

import type { LaunchedDebugger, PeerStatus } from '../../electron/api/contract';

export type PeerTone = 'ok' | 'idle' | 'warn' | 'bad';

export interface PeerWords {
  readonly text: string;
  readonly tone: PeerTone;
  /** "1 reconnect", "3 reconnects", or '' before the first. */
  readonly reconnects: string;
  /** The engine's line, its seconds counted on as the text's, and the last failed attempt. */
  readonly title: string;
}

/** Seconds a line like "silent for 12 s" or "gone for 3 s" names, plus the time since it came. */
function seconds(line: string, elapsedMs: number): number | null {
  const m = /for (\d+) s/.exec(line);
  return m ? Number(m[1]) + Math.floor(Math.max(0, elapsedMs) / 1000) : null;
}

const plainBytes = (n: number): string => `${n} B`;

export function peerWords(
  peer: PeerStatus,
  elapsedMs = 0,
  size: (bytes: number) => string = plainBytes,
): PeerWords {
  const reconnectCount = Math.max(0, peer.connections - 1);
  const reconnects =
    reconnectCount === 0 ? '' : `${reconnectCount} reconnect${reconnectCount === 1 ? '' : 's'}`;
  const s = seconds(peer.line, elapsedMs);
  const line = s === null ? peer.line : peer.line.replace(/for \d+ s/, `for ${s} s`);
  // The failure is the headline only of a side never reached; else it is the detail.
  const lastAttempt =
    peer.error !== undefined && peer.condition !== 'error' && peer.connection !== 'connected'
      ? `\nlast attempt: ${peer.error}`
      : '';
  const lost =
    peer.notDelivered === undefined
      ? ''
      : `\n${size(peer.notDelivered)} for it not delivered (read while it was not connected; recorded)`;
  const title = line + lastAttempt + lost;
  const words = (text: string, tone: PeerTone): PeerWords => ({ text, tone, reconnects, title });
  switch (peer.condition) {
    case 'talking':
      return words('talking', 'ok');
    case 'waiting':
      return words('waiting', 'idle');
    case 'silent':
      return words(s === null ? 'silent' : `silent ${s} s`, 'warn');
    case 'gone': {
      const gone = s === null ? 'gone' : `gone ${s} s`;
      return words(/reconnecting/.test(peer.line) ? `${gone}, reconnecting` : gone, 'bad');
    }
    case 'reset-loop':
      return words('RESET bounce', 'bad');
    case 'no-ack':
      return words('not acknowledging', 'bad');
    case 'error': {
      const short = shortError(peer.error ?? peer.line);
      // A target the bridge keeps dialling that was never up: it may just not be started yet.
      return peer.connection === 'waiting'
        ? words(`not up yet: ${short}`, 'warn')
        : words(`error: ${short}`, 'bad');
    }
  }
}

/** "connect ENOENT /tmp/t.sock" -> "not found"; the pipe's words as they are. */
function shortError(error: string): string {
  if (/EBUSY|ERROR_PIPE_BUSY|pipe busy|all pipe instances are busy/i.test(error))
    return 'pipe busy';
  if (/ECONNREFUSED|refused/i.test(error)) return 'refused';
  if (/nobody listens|nothing listens/i.test(error)) return 'nobody listens';
  if (/ENOENT|not found|no such file/i.test(error)) return 'not found';
  if (/EACCES|EPERM|access denied|permission/i.test(error)) return 'access denied';
  if (/EADDRINUSE|in use/i.test(error)) return 'address in use';
  const words = error
    .replace(/^(debugger|target): /, '')
    .replace(/^(unix|tcp|udp|serial|vmbus|vm|pipe)[: ]\S*: /, '');
  return words.length > 40 ? `${words.slice(0, 39).trimEnd()}…` : words;
}

/** The launched debugger in a few words: "running (pid 123)", "exited: exit code 0". */
export function launchedWords(launched: LaunchedDebugger): string {
  if (launched.state === 'running')
    return `running${launched.pid === undefined ? '' : ` (pid ${launched.pid})`}`;
  return `${launched.state === 'failed' ? 'failed' : 'ended'}${launched.detail ? `: ${launched.detail}` : ''}`;
}
