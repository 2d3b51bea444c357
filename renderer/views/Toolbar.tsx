import { useState } from 'react';
import { actions, useWorkbench } from '../store/workbench';
import { formatBytes, formatCount } from './format';

const RATES: readonly [string, number][] = [
  ['Live pace (400/s)', 400],
  ['Fast (5k/s)', 5000],
  ['Flood (50k/s)', 50000],
];

export function Toolbar(): React.JSX.Element {
  const session = useWorkbench((s) => s.session);
  const counters = useWorkbench((s) => s.counters);
  const paused = useWorkbench((s) => s.paused);
  const connected = useWorkbench((s) => s.connection === 'open');
  const [rate, setRate] = useState(400);
  const running = session.state === 'running';
  return (
    <header className="toolbar" role="toolbar" aria-label="Session">
      <span className="brand">kdscope</span>
      <select
        aria-label="Simulated VM pace"
        value={rate}
        disabled={running || !connected}
        onChange={(e) => setRate(Number(e.target.value))}
      >
        {RATES.map(([label, value]) => (
          <option key={value} value={value}>
            Simulated VM · {label}
          </option>
        ))}
      </select>
      <button
        type="button"
        className="primary"
        data-testid="start"
        disabled={running || !connected}
        onClick={() => void actions.start({ debugger: 'sim', target: 'sim', rate })}
      >
        ▶ Start
      </button>
      <button
        type="button"
        data-testid="stop"
        disabled={!running}
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
      <button type="button" data-testid="clear" onClick={() => void actions.clear()}>
        ⌫ Clear
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
