import { useState } from 'react';
import { viewCounters } from '../store/view-counters';
import { actions, useWorkbench } from '../store/workbench';
import { formatBytes, formatCount } from './format';

const RATES: readonly [string, number][] = [
  ['Live pace (400/s)', 400],
  ['Fast (5k/s)', 5000],
  ['Flood (50k/s)', 50000],
];

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
  const paused = useWorkbench((s) => s.paused);
  const connected = useWorkbench((s) => s.connection === 'open');
  const [rate, setRate] = useState(400);
  const running = session.state === 'running';
  return (
    <header className="toolbar" role="toolbar" aria-label="Session">
      <span className="brand">kdscope</span>
      <select
        aria-label="Simulated VM pace"
        title="The built-in simulated VM, at this pace"
        value={rate}
        disabled={running || !connected}
        onChange={(e) => setRate(Number(e.target.value))}
      >
        {RATES.map(([label, value]) => (
          <option key={value} value={value}>
            Sim · {label}
          </option>
        ))}
      </select>
      <button
        type="button"
        className="primary"
        data-testid="start"
        disabled={running || !connected}
        title="Start a session"
        aria-label="Start"
        onClick={() => void actions.start({ debugger: 'sim', target: 'sim', rate })}
      >
        <Label icon="▶" text="Start" />
      </button>
      <button
        type="button"
        data-testid="stop"
        disabled={!running}
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
        onClick={() => void actions.clear()}
      >
        <Label icon="⌫" text="Clear" />
      </button>
      <span className={`state state-${session.state}`} data-testid="session-state">
        {session.state}
      </span>
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
        <Counter label="Rate" value={`${formatCount(rateNow)}/s`} testId="c-rate" />
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
