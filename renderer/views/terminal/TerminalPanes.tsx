// The two terminal tabs: the target's DbgPrint output (with its rate and a flood warning) and
// the engine log.

import { clearEngineLog, logEntries, onLogEntry, type LogEntry } from '../../store/engine-log';
import { clearTerminal, onTerminalText, terminalBacklog, useTerminal } from '../../store/terminal';
import { XtermView, type TerminalSource } from './XtermView';

const dbgPrintSource: TerminalSource = {
  backlog: terminalBacklog,
  subscribe: (write) => onTerminalText((e) => write('reset' in e ? null : e.text)),
  clear: clearTerminal,
};

const COLORS: Readonly<Record<LogEntry['level'], string>> = {
  info: '\x1b[0m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
};

function logLine(e: LogEntry): string {
  const t = new Date(e.time).toISOString().slice(11, 23);
  return `\x1b[90m${t}\x1b[0m ${COLORS[e.level]}${e.level.padEnd(5)}\x1b[0m ${e.source === 'engine' ? '[engine] ' : ''}${e.text.replace(/\r?\n/g, '\r\n  ')}\r\n`;
}

const logSource: TerminalSource = {
  backlog: () => logEntries().map(logLine).join(''),
  subscribe: (write) => onLogEntry((e) => write(e === null ? null : logLine(e))),
  clear: clearEngineLog,
};

export function DbgPrintPane(): React.JSX.Element {
  const lines = useTerminal((s) => s.lines);
  const rate = useTerminal((s) => s.rate);
  return (
    <XtermView source={dbgPrintSource} label="DbgPrint output" testId="terminal">
      <span
        className="dim"
        data-testid="terminal-rate"
        title="DbgPrint lines per second over the last 2 s"
      >
        {lines.toLocaleString('en-US')} lines · {rate.linesPerSecond.toFixed(1)} lines/s ·{' '}
        {(rate.share * 100).toFixed(0)}% of the wire
      </span>
      {rate.flood && (
        <span className="flood" role="alert" data-testid="terminal-flood">
          DbgPrint flood: prints are {(rate.share * 100).toFixed(0)}% of the wire — the debugger
          spends its time acknowledging them (it looks like a hang)
        </span>
      )}
    </XtermView>
  );
}

export function EngineLogPane(): React.JSX.Element {
  return (
    <XtermView source={logSource} label="Engine log" testId="engine-log">
      <span
        className="dim"
        title="This window's lines, and the engine's, marked [engine]: the peers, the launched debugger's output, capture and decoder trouble"
      >
        this window and the engine (peers, debugger output, errors)
      </span>
    </XtermView>
  );
}
