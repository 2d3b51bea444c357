// The decoded fields of the selected packet; selecting one highlights its bytes in the hex view.

import { useState } from 'react';
import type { FieldNode } from '../../protocol/kd/summary';
import type { PacketRecord } from '../../protocol/session/record';
import { actions, table, useWorkbench } from '../store/workbench';
import { flagsText, relativeTime } from './format';

export function Details(): React.JSX.Element {
  const details = useWorkbench((s) => s.details);
  const missing = useWorkbench((s) => s.detailsMissing);
  const selectedNo = useWorkbench((s) => s.selectedNo);
  const field = useWorkbench((s) => s.field);
  const capture = useWorkbench((s) => s.session.info?.capture);
  return (
    <section className="details" aria-label="Packet details" data-testid="details">
      <div className="pane-title">
        {details
          ? `Packet ${details.no} · ${details.dir} · ${details.bytes.length} bytes`
          : 'Details'}
      </div>
      <div className="pane-body" role="tree">
        {selectedNo === null && <div className="empty small">Select a packet.</div>}
        {missing && (
          <div className="empty small">
            Its bytes are no longer in memory
            {capture ? ` (they are in ${capture})` : ' (and this session was not recorded)'}.
          </div>
        )}
        {selectedNo !== null && <Summary no={selectedNo} />}
        {details?.fields.map((node, i) => (
          <TreeNode
            key={i}
            node={node}
            path={String(i)}
            depth={0}
            selectedPath={field?.path ?? null}
          />
        ))}
      </div>
    </section>
  );
}

function TreeNode(props: {
  node: FieldNode;
  path: string;
  depth: number;
  selectedPath: string | null;
}): React.JSX.Element {
  const { node, path, depth, selectedPath } = props;
  const [open, setOpen] = useState(true);
  const hasChildren = (node.children?.length ?? 0) > 0;
  const selected = selectedPath === path;
  return (
    <div role="treeitem" aria-expanded={hasChildren ? open : undefined} aria-selected={selected}>
      <div
        className={`tree-row${selected ? ' selected' : ''}${node.error ? ' tree-error' : ''}`}
        style={{ paddingLeft: 6 + depth * 14 }}
        data-path={path}
        onClick={() => actions.selectField({ path, offset: node.offset, length: node.length })}
      >
        <span
          className="twisty"
          onClick={(e) => {
            e.stopPropagation();
            setOpen(!open);
          }}
        >
          {hasChildren ? (open ? '▾' : '▸') : ''}
        </span>
        <span className="f-name">{node.name}</span>
        {node.value !== '' && <span className="f-sep">: </span>}
        <span className="f-value">{node.value}</span>
        {node.error && <span className="f-error"> [{node.error}]</span>}
      </div>
      {hasChildren &&
        open &&
        node.children!.map((child, i) => (
          <TreeNode
            key={i}
            node={child}
            path={`${path}.${i}`}
            depth={depth + 1}
            selectedPath={selectedPath}
          />
        ))}
    </div>
  );
}

/** What the session tracker knows about the row: links to its partner and ACK, timing, flags. */
function Summary(props: { no: number }): React.JSX.Element | null {
  useWorkbench((s) => s.revision); // links arrive after the row itself
  const origin = useWorkbench((s) => s.session.info?.startedAt ?? 0);
  const row = table.rowOfNo(props.no);
  if (row < 0) return null;
  const r: PacketRecord = table.row(row);
  const isRequest = r.dir === 'debugger->target';
  return (
    <div className="summary" data-testid="summary">
      <div className="tree-row" style={{ paddingLeft: 6 }}>
        <span className="twisty">▾</span>
        <span className="f-name">Packet {r.no}</span>
        <span className="f-sep">: </span>
        <span className="f-value">
          {r.dir}, {r.length} bytes on the wire, offset {r.offset}
          {r.frame !== undefined ? `, frame ${r.frame}` : ''}
        </span>
      </div>
      <SummaryLine name="Time" value={`${relativeTime(r.time, origin || r.time)} s`} />
      {r.flags !== 0 && <SummaryLine name="Flags" value={flagsText(r.flags)} />}
      {r.pair !== undefined && (
        <SummaryLine
          name={isRequest ? 'Response in' : 'Request in'}
          link={r.pair}
          value={r.rttMs !== undefined ? `(${r.rttMs.toFixed(3)} ms)` : ''}
        />
      )}
      {r.ack !== undefined && (
        <SummaryLine
          name={r.leader === 'control' ? 'Acknowledges' : 'Acknowledged by'}
          link={r.ack}
          value=""
        />
      )}
      {r.info && <SummaryLine name="Info" value={r.info} />}
    </div>
  );
}

function SummaryLine(props: { name: string; value: string; link?: number }): React.JSX.Element {
  return (
    <div className="tree-row" style={{ paddingLeft: 20 }}>
      <span className="f-name">{props.name}</span>
      <span className="f-sep">: </span>
      {props.link !== undefined && (
        <button type="button" className="link" onClick={() => void actions.selectNo(props.link!)}>
          {props.link}
        </button>
      )}
      <span className="f-value"> {props.value}</span>
    </div>
  );
}
