// Expert information: one list of what went wrong on the wire, grouped by kind, counted by
// severity; each occurrence links to its packet.

import { useMemo, useState } from 'react';
import { SEVERITIES, type ExpertGroup, type Severity } from '../../protocol/stats';
import { expertSnapshot, useStats } from '../store/stats';
import { actions, displayIndexOf, useWorkbench } from '../store/workbench';

export const SEVERITY_ICON: Readonly<Record<Severity, string>> = {
  error: '●',
  warning: '▲',
  note: '■',
  chat: '○',
};

function Entries(props: { group: ExpertGroup }): React.JSX.Element {
  const g = props.group;
  return (
    <ul className="expert-entries">
      {g.entries.map((e, k) => (
        <li key={k}>
          {e.no !== undefined ? (
            <button
              type="button"
              className="link"
              data-testid="expert-link"
              data-no={e.no}
              title={
                displayIndexOf(e.no) === null
                  ? 'Hidden by the display filter (or no longer in memory)'
                  : 'Select it in the packet list'
              }
              onClick={() => void actions.selectNo(e.no!)}
            >
              packet {e.no}
            </button>
          ) : (
            <span>{e.frame !== undefined ? `frame ${e.frame}` : 'capture'}</span>
          )}
          {e.detail && <span className="dim"> · {e.detail}</span>}
        </li>
      ))}
      {g.count > g.entries.length && (
        <li className="dim">… and {g.count - g.entries.length} more</li>
      )}
    </ul>
  );
}

export function ExpertPane(): React.JSX.Element {
  const revision = useStats((s) => s.revision);
  const live = useWorkbench((s) => s.session.state === 'running');
  const snap = useMemo(() => (void revision, expertSnapshot(live)), [revision, live]);
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (key: string): void => {
    const next = new Set(open);
    if (!next.delete(key)) next.add(key);
    setOpen(next);
  };
  return (
    <div className="expert-pane" data-testid="expert">
      <div className="pane-tools" data-testid="expert-counts">
        {SEVERITIES.map((s) => (
          <span key={s} className={`sev sev-${s}`} data-testid={`expert-count-${s}`}>
            {SEVERITY_ICON[s]} {snap.bySeverity[s]} {s}
            {snap.bySeverity[s] === 1 ? '' : 's'}
          </span>
        ))}
      </div>
      <div className="expert-list" role="tree" aria-label="Expert information">
        {snap.groups.length === 0 && (
          <div className="empty small">Nothing went wrong on the wire.</div>
        )}
        {snap.groups.map((g) => (
          <div
            key={g.key}
            role="treeitem"
            aria-expanded={open.has(g.key)}
            className="expert-group"
            data-key={g.key}
          >
            <button
              type="button"
              className={`expert-head sev-${g.severity}`}
              onClick={() => toggle(g.key)}
              data-testid={`expert-group-${g.key}`}
            >
              <span className="twisty">{open.has(g.key) ? '▾' : '▸'}</span>
              <span className="sev-icon">{SEVERITY_ICON[g.severity]}</span>
              <span className="expert-sev">{g.severity}</span>
              <span className="expert-group-name">{g.group}</span>
              <span className="expert-summary">{g.summary}</span>
              <span className="expert-count">{g.count}</span>
            </button>
            {open.has(g.key) && <Entries group={g} />}
          </div>
        ))}
      </div>
    </div>
  );
}
