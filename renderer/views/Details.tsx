// The decoded fields of the selected packet; selecting one highlights its bytes in the hex view.
// The tree is a keyboard tree (Tab into it; arrows move and open/close, Home/End, the menu key
// or Shift+F10 opens the field's menu); a right-click offers Apply/Prepare as Filter.

import { useMemo, useRef, useState } from 'react';
import type { FieldNode } from '../../protocol/kd/summary';
import type { PacketRecord } from '../../protocol/session/record';
import { callDialog } from '../store/call-dialog';
import { contextMenu, type MenuEntry } from '../store/context-menu';
import { fieldFilter } from '../store/filter-from';
import { actions, heldRecord, useWorkbench, timeOrigin } from '../store/workbench';
import { filterEntries } from './filter-menu';
import { flagsText, relativeTime } from './format';

interface Visible {
  readonly node: FieldNode;
  readonly path: string;
  readonly depth: number;
  readonly parent: string | null;
}

function visibleNodes(
  nodes: readonly FieldNode[],
  collapsed: ReadonlySet<string>,
  prefix = '',
  depth = 0,
  out: Visible[] = [],
): Visible[] {
  nodes.forEach((node, i) => {
    const path = prefix ? `${prefix}.${i}` : String(i);
    out.push({ node, path, depth, parent: prefix || null });
    if (node.children?.length && !collapsed.has(path))
      visibleNodes(node.children, collapsed, path, depth + 1, out);
  });
  return out;
}

interface TreeState {
  readonly no: number | undefined;
  readonly collapsed: ReadonlySet<string>;
  readonly focus: string | null;
}
const NONE: ReadonlySet<string> = new Set();

function fieldMenu(node: FieldNode): MenuEntry[] {
  return [
    ...filterEntries(
      fieldFilter(node),
      `${node.name} is in the details only: the packet list has no column for it`,
    ),
    'separator',
    {
      label: 'Copy value',
      run: () => void navigator.clipboard?.writeText(node.value).catch(() => undefined),
    },
  ];
}

export function Details(): React.JSX.Element {
  const details = useWorkbench((s) => s.details);
  const missing = useWorkbench((s) => s.detailsMissing);
  const selectedNo = useWorkbench((s) => s.selectedNo);
  const field = useWorkbench((s) => s.field);
  const capture = useWorkbench((s) => s.session.info?.capture);
  // Per packet: a new packet starts with everything open and the focus on its first field.
  const [tree, setTree] = useState<TreeState>({ no: undefined, collapsed: NONE, focus: null });
  const current =
    tree.no === details?.no ? tree : { no: details?.no, collapsed: NONE, focus: null };
  const { collapsed, focus: focusPath } = current;
  const setCollapsed = (next: ReadonlySet<string>): void =>
    setTree({ ...current, collapsed: next });
  const setFocusPath = (path: string | null): void => setTree({ ...current, focus: path });
  const treeRef = useRef<HTMLDivElement>(null);
  const fields = details?.fields;
  const visible = useMemo(() => visibleNodes(fields ?? [], collapsed), [fields, collapsed]);

  const focusRow = (path: string): void => {
    setFocusPath(path);
    const v = visible.find((x) => x.path === path);
    if (v) actions.selectField({ path, offset: v.node.offset, length: v.node.length });
    requestAnimationFrame(() =>
      treeRef.current?.querySelector<HTMLElement>(`[data-path="${path}"]`)?.focus(),
    );
  };

  const toggle = (path: string, open?: boolean): void => {
    const next = new Set(collapsed);
    const isOpen = !collapsed.has(path);
    if (open ?? !isOpen) next.delete(path);
    else next.add(path);
    setCollapsed(next);
  };

  const onKeyDown = (e: React.KeyboardEvent<HTMLDivElement>): void => {
    if (visible.length === 0) return;
    const current = focusPath ?? field?.path ?? visible[0]!.path;
    const at = Math.max(
      0,
      visible.findIndex((v) => v.path === current),
    );
    const v = visible[at]!;
    const hasChildren = (v.node.children?.length ?? 0) > 0;
    switch (e.key) {
      case 'ArrowDown':
        focusRow(visible[Math.min(visible.length - 1, at + 1)]!.path);
        break;
      case 'ArrowUp':
        focusRow(visible[Math.max(0, at - 1)]!.path);
        break;
      case 'Home':
        focusRow(visible[0]!.path);
        break;
      case 'End':
        focusRow(visible[visible.length - 1]!.path);
        break;
      case 'ArrowRight':
        if (hasChildren && collapsed.has(v.path)) toggle(v.path, true);
        else if (hasChildren) focusRow(`${v.path}.0`);
        break;
      case 'ArrowLeft':
        if (hasChildren && !collapsed.has(v.path)) toggle(v.path, false);
        else if (v.parent !== null) focusRow(v.parent);
        break;
      case 'Enter':
      case ' ':
        if (hasChildren) toggle(v.path);
        focusRow(v.path);
        break;
      case 'ContextMenu':
      case 'F10': {
        if (e.key === 'F10' && !e.shiftKey) return;
        const el = treeRef.current?.querySelector<HTMLElement>(`[data-path="${v.path}"]`);
        const box = el?.getBoundingClientRect();
        contextMenu.show(
          box ? box.left + 40 : 100,
          box ? box.bottom : 100,
          fieldMenu(v.node),
          v.node.name,
        );
        break;
      }
      default:
        return;
    }
    e.preventDefault();
  };

  const tabStop = focusPath ?? field?.path ?? visible[0]?.path ?? null;
  return (
    <section className="details" aria-label="Packet details" data-testid="details">
      <div className="pane-title">
        <span>
          {details
            ? `Packet ${details.no} · ${details.dir} · ${details.bytes.length} bytes`
            : 'Details'}
        </span>
        {selectedNo !== null && (
          <button
            type="button"
            className="small"
            data-testid="open-call"
            title="Request, ACK and response side by side (Enter or double-click in the list)"
            onClick={() => callDialog.open(selectedNo)}
          >
            Open call…
          </button>
        )}
      </div>
      <div className="pane-body">
        {selectedNo === null && <div className="empty small">Select a packet.</div>}
        {missing && (
          <div className="empty small">
            Its bytes are no longer in memory
            {capture ? ` (they are in ${capture})` : ' (and this session was not recorded)'}.
          </div>
        )}
        {selectedNo !== null && <Summary no={selectedNo} />}
        <div
          ref={treeRef}
          role="tree"
          aria-label="Fields"
          data-testid="field-tree"
          onKeyDown={onKeyDown}
        >
          {visible.map((v) => {
            const hasChildren = (v.node.children?.length ?? 0) > 0;
            const open = !collapsed.has(v.path);
            const selected = field?.path === v.path;
            return (
              <div
                key={v.path}
                role="treeitem"
                aria-level={v.depth + 1}
                aria-expanded={hasChildren ? open : undefined}
                aria-selected={selected}
                tabIndex={v.path === tabStop ? 0 : -1}
                className={`tree-row${selected ? ' selected' : ''}${v.node.error ? ' tree-error' : ''}`}
                style={{ paddingLeft: 6 + v.depth * 14 }}
                data-path={v.path}
                onFocus={() => setFocusPath(v.path)}
                onClick={() =>
                  actions.selectField({
                    path: v.path,
                    offset: v.node.offset,
                    length: v.node.length,
                  })
                }
                onContextMenu={(e) => {
                  e.preventDefault();
                  contextMenu.show(e.clientX, e.clientY, fieldMenu(v.node), v.node.name);
                }}
              >
                <span
                  className="twisty"
                  onClick={(e) => {
                    e.stopPropagation();
                    toggle(v.path);
                  }}
                >
                  {hasChildren ? (open ? '▾' : '▸') : ''}
                </span>
                <span className="f-name">{v.node.name}</span>
                {v.node.value !== '' && <span className="f-sep">: </span>}
                <span className="f-value">{v.node.value}</span>
                {v.node.error && <span className="f-error"> [{v.node.error}]</span>}
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}

/** What the session tracker knows about the row: links to its partner and ACK, timing, flags. */
function Summary(props: { no: number }): React.JSX.Element | null {
  useWorkbench((s) => s.revision); // links arrive after the row itself
  useWorkbench((s) => s.session.info?.startedAt);
  const origin = timeOrigin();
  const r: PacketRecord | undefined = heldRecord(props.no);
  if (!r) return null;
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
