// Says at once that the engine went away (web mode: the server stopped) and that the page is
// reconnecting; the session's state is unknown until it is back. When a server there will not
// take this page (kdscope restarted: a new run has a new link), reconnecting cannot help: it says
// what happened and what to do instead.

import type { EngineRefusal } from '../api/client';
import { useWorkbench } from '../store/workbench';

export function EngineBanner(props: {
  mode: 'electron' | 'web';
  /** Asks the engine again after a refusal (web mode). */
  onRetry?: () => void;
}): React.JSX.Element | null {
  const closed = useWorkbench((s) => s.connection === 'closed');
  const reason = useWorkbench((s) => s.connectionError);
  const refused = useWorkbench((s) => s.engineRefused);
  if (!closed) return null;
  if (refused) return <Refused refusal={refused} onRetry={props.onRetry} />;
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

function Refused(props: { refusal: EngineRefusal; onRetry?: () => void }): React.JSX.Element {
  return (
    <div className="engine-banner" role="alert" data-testid="engine-banner">
      {props.refusal === 'token'
        ? "kdscope restarted: this page's link is no longer valid."
        : `kdscope is gone: another program answers at ${window.location.host}.`}
      <span className="engine-banner-note">
        {' '}
        {props.refusal === 'token'
          ? 'Open the new link kdscope printed when it started (kdscope serve, npm run web). ' +
            'The sessions recorded before are in its captures folder, listed under Recorded ' +
            'sessions on its attach page.'
          : 'Start kdscope again and open the link it prints.'}{' '}
        This page keeps what it shows and no longer reconnects.
      </span>
      {props.onRetry && (
        <button
          type="button"
          className="engine-banner-retry"
          data-testid="engine-retry"
          title="Ask the server at this address again"
          onClick={props.onRetry}
        >
          Try again
        </button>
      )}
    </div>
  );
}
