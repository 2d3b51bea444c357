// Each side's link in a few plain words for the toolbar (the engine's full line is the tooltip):
// "talking", "silent 12 s", "gone", "RESET bounce", "not acknowledging", "error: pipe busy",
// and the reconnects so far.

import type { LaunchedDebugger, PeerStatus } from '../../electron/api/contract';

export type PeerTone = 'ok' | 'idle' | 'warn' | 'bad';

export interface PeerWords {
  readonly text: string;
  readonly tone: PeerTone;
  /** "1 reconnect", "3 reconnects", or '' before the first. */
  readonly reconnects: string;
}

/** Seconds a line like "silent for 12 s" or "gone for 3 s" names, plus the time since it came. */
function seconds(line: string, elapsedMs: number): number | null {
  const m = /for (\d+) s/.exec(line);
  return m ? Number(m[1]) + Math.floor(Math.max(0, elapsedMs) / 1000) : null;
}

export function peerWords(peer: PeerStatus, elapsedMs = 0): PeerWords {
  const reconnectCount = Math.max(0, peer.connections - 1);
  const reconnects =
    reconnectCount === 0 ? '' : `${reconnectCount} reconnect${reconnectCount === 1 ? '' : 's'}`;
  const s = seconds(peer.line, elapsedMs);
  switch (peer.condition) {
    case 'talking':
      return { text: 'talking', tone: 'ok', reconnects };
    case 'waiting':
      return { text: 'waiting', tone: 'idle', reconnects };
    case 'silent':
      return { text: s === null ? 'silent' : `silent ${s} s`, tone: 'warn', reconnects };
    case 'gone':
      return { text: s === null ? 'gone' : `gone ${s} s`, tone: 'bad', reconnects };
    case 'reset-loop':
      return { text: 'RESET bounce', tone: 'bad', reconnects };
    case 'no-ack':
      return { text: 'not acknowledging', tone: 'bad', reconnects };
    case 'error':
      return { text: `error: ${shortError(peer.error ?? peer.line)}`, tone: 'bad', reconnects };
  }
}

/** "connect ENOENT /tmp/t.sock" -> "not found"; the pipe's words as they are. */
function shortError(error: string): string {
  if (/EBUSY|ERROR_PIPE_BUSY|pipe busy|all pipe instances are busy/i.test(error))
    return 'pipe busy';
  if (/ECONNREFUSED|refused/i.test(error)) return 'refused';
  if (/ENOENT|not found|no such file/i.test(error)) return 'not found';
  if (/EACCES|EPERM|access denied|permission/i.test(error)) return 'access denied';
  if (/EADDRINUSE|in use/i.test(error)) return 'address in use';
  const words = error.replace(/^(debugger|target): /, '');
  return words.length > 40 ? `${words.slice(0, 39).trimEnd()}…` : words;
}

/** The launched debugger in a few words: "running (pid 123)", "exited: exit code 0". */
export function launchedWords(launched: LaunchedDebugger): string {
  if (launched.state === 'running')
    return `running${launched.pid === undefined ? '' : ` (pid ${launched.pid})`}`;
  return `${launched.state === 'failed' ? 'failed' : 'ended'}${launched.detail ? `: ${launched.detail}` : ''}`;
}
