// Each side's link in the toolbar, in plain words ("Debugger: gone", "Target: silent 12 s ·
// 1 reconnect"), the engine's full line as the tooltip; and the debugger process a session
// started, when it did.

import { useEffect } from 'react';
import type { Side } from '../../electron/api/contract';
import { tickPeerClock, usePeerClock } from '../store/peer-clock';
import { launchedWords, peerWords } from '../store/peer-words';
import { useWorkbench } from '../store/workbench';
import { formatBytes } from './format';

const LABEL: Record<Side, string> = { debugger: 'Debugger', target: 'Target' };

export function PeerState(): React.JSX.Element | null {
  const session = useWorkbench((s) => s.session);
  const connected = useWorkbench((s) => s.connection === 'open');
  const elapsed = usePeerClock((c) => c.now - c.receivedAt);
  const counting =
    session.state === 'running' &&
    Object.values(session.peers ?? {}).some(
      (p) => p.condition === 'silent' || p.condition === 'gone',
    );

  // "silent 12 s" counts on between the engine's reports.
  useEffect(() => (counting ? tickPeerClock() : undefined), [counting]);

  if (!connected || session.state !== 'running' || !session.peers) return null;
  const peers = session.peers;
  return (
    <span className="peers" aria-label="Peers">
      {(['debugger', 'target'] as const).map((side) => {
        const words = peerWords(peers[side], elapsed, formatBytes);
        return (
          <span
            key={side}
            className={`peer peer-${words.tone}`}
            data-testid={`peer-${side}`}
            title={words.title}
          >
            {LABEL[side]}: {words.text}
            {words.reconnects && <span className="peer-reconnects"> · {words.reconnects}</span>}
          </span>
        );
      })}
      {session.launched && (
        <span
          className={`peer peer-${session.launched.state === 'running' ? 'ok' : session.launched.state === 'failed' ? 'bad' : 'idle'}`}
          data-testid="launched"
          title={session.launched.command}
        >
          Debugger process: {launchedWords(session.launched)}
        </span>
      )}
    </span>
  );
}
