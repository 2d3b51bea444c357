// Says at once that the engine went away (web mode: the server stopped) and that the page is
// reconnecting; the session's state is unknown until it is back.

import { useWorkbench } from '../store/workbench';

export function EngineBanner(props: { mode: 'electron' | 'web' }): React.JSX.Element | null {
  const closed = useWorkbench((s) => s.connection === 'closed');
  const reason = useWorkbench((s) => s.connectionError);
  if (!closed) return null;
  return (
    <div className="engine-banner" role="alert" data-testid="engine-banner">
      {props.mode === 'web'
        ? 'Engine disconnected — reconnecting…'
        : 'Engine disconnected — restart kdscope'}
      {reason ? <span className="engine-banner-reason"> ({reason})</span> : null}
      <span className="engine-banner-note">
        {' '}
        The view keeps what it has; Start, Stop and packet details wait for it.
      </span>
    </div>
  );
}
