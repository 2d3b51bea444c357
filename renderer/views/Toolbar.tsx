import { viewCounters } from '../store/view-counters';
import { actions, useWorkbench } from '../store/workbench';
import { attachActions } from '../store/attach';
import { captureActions } from '../store/captures';
import { PeerState } from './PeerState';
import { formatBytes, formatCount } from './format';

/** A button whose words fold away on a narrow window (the icon and its tooltip stay). */
function Label(props: { icon: string; text: string }): React.JSX.Element {
  return (
    <>
      <span aria-hidden="true">{props.icon}</span>
      <span className="btn-text"> {props.text}</span>
    </>
  );
}

export function Toolbar(): React.JSX.Element {
  const session = useWorkbench((s) => s.session);
  // Packets, bytes, errors count this view's rows (Clear starts them over); the rate is the
  // engine's, over the whole session.
  useWorkbench((s) => s.revision);
  const counters = viewCounters();
  const rateNow = useWorkbench((s) => s.counters.rate);
  // Without the engine the last rate it sent is no rate at all.
  const engineUp = useWorkbench((s) => s.connection === 'open');
  const paused = useWorkbench((s) => s.paused);
  const link = useWorkbench((s) => s.connection);
  const refused = useWorkbench((s) => s.engineRefused);
  const connected = link === 'open';
  const running = session.state === 'running';
  return (
    <header className="toolbar" role="toolbar" aria-label="Session">
      <span className="brand">kdscope</span>
      <button
        type="button"
        className="primary"
        data-testid="attach"
        disabled={!connected}
        title="Choose a VM or endpoints and start a session"
        aria-label="Attach"
        onClick={() => attachActions.showAttach()}
      >
        <Label icon="⇄" text="Attach…" />
      </button>
      <button
        type="button"
        data-testid="open-capture"
        disabled={!connected}
        title="Open a capture file: pcap, pcapng, .gz, a raw pair (Ctrl+O, or drop it on the window)"
        aria-label="Open capture"
        onClick={() => captureActions.showOpen()}
      >
        <Label icon="⇧" text="Open…" />
      </button>
      <button
        type="button"
        data-testid="export"
        disabled={!connected || session.info === null}
        title="Export specified packets: all, displayed, marked or a range, as pcap or pcapng"
        aria-label="Export"
        onClick={() => captureActions.showExport()}
      >
        <Label icon="⇩" text="Export…" />
      </button>
      <button
        type="button"
        data-testid="stop"
        disabled={!running || !connected}
        title="Stop the session"
        aria-label="Stop"
        onClick={() => void actions.stop()}
      >
        <Label icon="■" text="Stop" />
      </button>
      <button
        type="button"
        data-testid="pause"
        aria-pressed={paused}
        aria-label={paused ? 'Resume view' : 'Pause view'}
        title={paused ? 'Show the rows that came meanwhile' : 'Freeze the list (rows keep coming)'}
        onClick={() => actions.togglePause()}
      >
        {paused ? <Label icon="▶" text="Resume view" /> : <Label icon="‖" text="Pause view" />}
      </button>
      <button
        type="button"
        data-testid="clear"
        aria-label="Clear"
        title="Forget the rows shown so far and start the counters over (the capture keeps them)"
        disabled={!connected}
        onClick={() => void actions.clear()}
      >
        <Label icon="⌫" text="Clear" />
      </button>
      <span
        className={`state state-${connected ? session.state : 'disconnected'}`}
        data-testid="session-state"
      >
        {connected
          ? session.state
          : link === 'connecting'
            ? 'connecting…'
            : refused === 'token'
              ? 'engine restarted — open its new link'
              : refused
                ? 'engine gone'
                : 'engine disconnected — reconnecting…'}
      </span>
      <PeerState />
      <div className="counters" aria-label="Counters">
        <Counter label="Packets" value={formatCount(counters.packets)} testId="c-packets" />
        <Counter label="Bytes" value={formatBytes(counters.bytes)} testId="c-bytes" />
        <Counter
          label="Errors"
          value={formatCount(counters.errors)}
          testId="c-errors"
          warn={counters.errors > 0}
        />
        <Counter label="Retransmits" value={formatCount(counters.retransmits)} testId="c-rtx" />
        <Counter
          label="Rate"
          value={engineUp ? `${formatCount(rateNow)}/s` : '–'}
          testId="c-rate"
        />
      </div>
    </header>
  );
}

function Counter(props: {
  label: string;
  value: string;
  testId: string;
  warn?: boolean;
}): React.JSX.Element {
  return (
    <span className={`counter${props.warn ? ' warn' : ''}`}>
      <span className="counter-label">{props.label}</span>
      <span className="counter-value" data-testid={props.testId}>
        {props.value}
      </span>
    </span>
  );
}
