import { actions, useWorkbench } from '../store/workbench';
import { attachActions } from '../store/attach';
import { PeerState } from './PeerState';
import { formatBytes, formatCount } from './format';

export function Toolbar(): React.JSX.Element {
  const session = useWorkbench((s) => s.session);
  const counters = useWorkbench((s) => s.counters);
  const paused = useWorkbench((s) => s.paused);
  const link = useWorkbench((s) => s.connection);
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
        onClick={() => attachActions.showAttach()}
      >
        Attach…
      </button>
      <button
        type="button"
        data-testid="stop"
        disabled={!running || !connected}
        onClick={() => void actions.stop()}
      >
        ■ Stop
      </button>
      <button
        type="button"
        data-testid="pause"
        aria-pressed={paused}
        onClick={() => actions.togglePause()}
      >
        {paused ? '▶ Resume view' : '‖ Pause view'}
      </button>
      <button
        type="button"
        data-testid="clear"
        disabled={!connected}
        onClick={() => void actions.clear()}
      >
        ⌫ Clear
      </button>
      <span
        className={`state state-${connected ? session.state : 'disconnected'}`}
        data-testid="session-state"
      >
        {connected
          ? session.state
          : link === 'connecting'
            ? 'connecting…'
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
        <Counter label="Rate" value={`${formatCount(counters.rate)}/s`} testId="c-rate" />
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
