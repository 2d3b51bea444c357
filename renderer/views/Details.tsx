// The decoded fields of the selected packet; selecting one highlights its bytes in the hex view.

import { useState } from 'react';
import type { FieldNode } from '../../protocol/kd/summary';
import { actions, useWorkbench } from '../store/workbench';

export function Details(): React.JSX.Element {
  const details = useWorkbench((s) => s.details);
  const missing = useWorkbench((s) => s.detailsMissing);
  const selectedNo = useWorkbench((s) => s.selectedNo);
  const field = useWorkbench((s) => s.field);
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
            Its bytes are no longer in memory (they are in the capture).
          </div>
        )}
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
