import { useMarks } from '../store/marks';
import { MAX_LIST_ROWS, useWorkbench } from '../store/workbench';
import { formatCount, shortPath } from './format';

export function StatusBar(props: { mode: 'electron' | 'web' }): React.JSX.Element {
  const s = useWorkbench();
  const marked = useMarks((m) => m.marked.size);
  const ref = useMarks((m) => m.timeRef);
  const capture = s.session.info?.capture;
  const opened = s.session.info?.opened;
  // Without the engine, whether it still records is unknown: the file is what was recorded.
  const recording =
    s.connection === 'open' && s.session.state === 'running' && !s.session.captureError;
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
      {s.filterApplied && s.filterCovers && (
        <span
          className="warn"
          data-testid="filter-covers"
          title="A filter searches the rows held in memory; older rows are shown unfiltered only"
        >
          filter searched packets {formatCount(s.filterCovers.from)}–
          {formatCount(s.filterCovers.to)} in memory ({formatCount(s.filterCovers.older)} rows not
          searched)
        </span>
      )}
      {marked > 0 && <span data-testid="marked">Marked: {formatCount(marked)}</span>}
      {ref && <span data-testid="time-ref">Time ref: packet {ref.no}</span>}
      {s.paused && (
        <span className="warn">View paused · {formatCount(s.pendingWhilePaused)} new</span>
      )}
      {opened && (
        <span data-testid="opened-file" title={opened.path}>
          File: <code className="path">{opened.name}</code>
          {opened.kdnet ? ' · KDNET, decrypted' : ''}
          {s.session.state === 'running' ? ` · reading, ${formatCount(opened.frames)} frames` : ''}
        </span>
      )}
      {capture && (
        <span data-testid="capture" title={capture}>
          {recording ? 'Recording to ' : 'Recorded to '}
          <code className="path">{shortPath(capture)}</code> · {formatCount(s.counters.frames)}{' '}
          frames
        </span>
      )}
      {s.session.captureError && (
        <span className="err" data-testid="capture-error">
          {s.session.captureError}
        </span>
      )}
      {s.droppedRows > 0 && (
        <span className="warn" data-testid="dropped">
          {formatCount(s.droppedRows)} older rows left memory
          {capture ? `; they are read back from ${shortPath(capture)}` : ' (not recorded)'}
        </span>
      )}
      {s.unlistedRows > 0 && (
        <span className="warn" data-testid="unlisted">
          the list spans the newest {formatCount(MAX_LIST_ROWS)} packets;{' '}
          {formatCount(s.unlistedRows)} older ones are only in the capture
        </span>
      )}
      {s.session.error && <span className="err">{s.session.error}</span>}
      {s.session.warning && (
        <span className="warn" data-testid="link-warning">
          {s.session.warning}
        </span>
      )}
      {s.lastError && (
        <span className="err" data-testid="last-error">
          {s.lastError}
        </span>
      )}
      <span className="spacer" />
      {s.session.info && (
        <span
          className="dim"
          data-testid="debugger-command"
          title="How the debugger reaches this session (the command line to run, or the built-in one)"
        >
          Debugger: {s.session.info.debuggerCommand}
        </span>
      )}
    </footer>
  );
}
