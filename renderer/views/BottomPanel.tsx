// The tabbed panel under the packet panes: terminal, engine log, response times, expert info,
// the link graphs (I/O rates, queues, VMBus rings).

import { Suspense, lazy, useMemo } from 'react';
import { SEVERITIES } from '../../protocol/stats';
import { layout, useLayout, type BottomTab } from '../store/layout';
import { expertSnapshot, useStats } from '../store/stats';
import { useTerminal } from '../store/terminal';
import { useWorkbench } from '../store/workbench';
import { ExpertPane, SEVERITY_ICON } from './ExpertPane';

// xterm and recharts are most of the renderer's code: loaded when their tab first opens, so
// the packet list comes up without them.
const SrtPane = lazy(async () => ({ default: (await import('./SrtPane')).SrtPane }));
const DbgPrintPane = lazy(async () => ({
  default: (await import('./terminal/TerminalPanes')).DbgPrintPane,
}));
const LinkGraphsPane = lazy(async () => ({
  default: (await import('./graphs/LinkGraphsPane')).LinkGraphsPane,
}));
const EngineLogPane = lazy(async () => ({
  default: (await import('./terminal/TerminalPanes')).EngineLogPane,
}));

const TABS: readonly [BottomTab, string, string][] = [
  ['terminal', 'DbgPrint', "The target's debug output (DbgPrint)"],
  ['log', 'Log', 'What the session and the connection did'],
  ['srt', 'Response times', 'Service response time per API (like kdscope stats)'],
  ['expert', 'Expert info', 'What went wrong on the wire'],
  ['link', 'Link', 'Packets/s and bytes/s each way, the bridge queues, VMBus ring fill'],
];

function ExpertBadge(): React.JSX.Element | null {
  const revision = useStats((s) => s.revision);
  const live = useWorkbench((s) => s.session.state === 'running');
  const counts = useMemo(() => (void revision, expertSnapshot(live).bySeverity), [revision, live]);
  const shown = SEVERITIES.filter((s) => s !== 'chat' && counts[s] > 0);
  if (shown.length === 0) return null;
  return (
    <span className="tab-badge" data-testid="expert-badge">
      {shown.map((s) => (
        <span key={s} className={`sev-${s}`}>
          {SEVERITY_ICON[s]}
          {counts[s]}
        </span>
      ))}
    </span>
  );
}

export function BottomPanel(): React.JSX.Element {
  const tab = useLayout((s) => s.bottomTab);
  const height = useLayout((s) => s.bottomHeight);
  const flood = useTerminal((s) => s.rate.flood);
  const open = height > 0;
  return (
    <section
      className="bottom-panel"
      aria-label="Panels"
      style={{ height: open ? height : 'auto' }}
    >
      <div className="tabs" role="tablist" aria-label="Panels">
        {TABS.map(([id, label, title]) => (
          <button
            key={id}
            type="button"
            role="tab"
            id={`tab-${id}`}
            aria-selected={open && tab === id}
            aria-controls={`panel-${id}`}
            className={`tab${open && tab === id ? ' active' : ''}`}
            title={`${title} — click again to fold the panel`}
            data-testid={`tab-${id}`}
            onClick={() => layout.showTab(id, true)}
          >
            {label}
            {id === 'terminal' && flood && <span className="tab-badge flood-dot">flood</span>}
            {id === 'expert' && <ExpertBadge />}
          </button>
        ))}
        <span className="spacer" />
        <button
          type="button"
          className="tab small"
          aria-label={open ? 'Fold the panel' : 'Unfold the panel'}
          title={open ? 'Fold the panel' : 'Unfold the panel'}
          onClick={() => layout.showTab(tab, open)}
        >
          {open ? '▾' : '▴'}
        </button>
      </div>
      {open && (
        <div
          className="tab-body"
          role="tabpanel"
          id={`panel-${tab}`}
          aria-labelledby={`tab-${tab}`}
        >
          <Suspense fallback={<div className="empty small">Loading…</div>}>
            {tab === 'terminal' && <DbgPrintPane />}
            {tab === 'log' && <EngineLogPane />}
            {tab === 'srt' && <SrtPane />}
            {tab === 'expert' && <ExpertPane />}
            {tab === 'link' && <LinkGraphsPane />}
          </Suspense>
        </div>
      )}
    </section>
  );
}
