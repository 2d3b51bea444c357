import { useWorkbench } from '../store/workbench';
import { formatCount } from './format';

export function StatusBar(props: { mode: 'electron' | 'web' }): React.JSX.Element {
  const s = useWorkbench();
  const connection =
    s.connection === 'open'
      ? 'connected'
      : s.connection === 'connecting'
        ? 'connecting…'
        : 'disconnected';
  return (
    <footer className="statusbar" data-testid="statusbar">
      <span className={`dot dot-${s.connection}`} aria-hidden="true" />
      <span>
        {props.mode === 'web' ? 'Web mode' : 'Desktop'} · {connection}
        {s.connectionError ? ` (${s.connectionError})` : ''}
      </span>
      <span data-testid="displayed">
        Displayed: {formatCount(s.displayCount)} of {formatCount(s.totalRows)}
      </span>
      {s.filterApplied && (
        <span>
          Filter: <code>{s.filterApplied}</code>
          {s.filterMs !== null ? ` (${s.filterMs.toFixed(1)} ms)` : ''}
        </span>
      )}
      {s.paused && (
        <span className="warn">View paused · {formatCount(s.pendingWhilePaused)} new</span>
      )}
      {s.droppedRows > 0 && (
        <span className="warn">{formatCount(s.droppedRows)} older rows only in the capture</span>
      )}
      {s.session.error && <span className="err">{s.session.error}</span>}
      {s.lastError && (
        <span className="err" data-testid="last-error">
          {s.lastError}
        </span>
      )}
      <span className="spacer" />
      {s.session.info && <span className="dim">{s.session.info.debuggerCommand}</span>}
    </footer>
  );
}
