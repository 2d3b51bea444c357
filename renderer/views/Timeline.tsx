// The packet list: virtualized (only visible rows are built from the columnar table), coloured
// by rule, auto-following the newest row until the user scrolls away. Columns are resizable
// (drag a header's edge; double-click it for the default width); a right-click on a cell
// offers Apply/Prepare as Filter; double-click or Enter opens the call dialog.

import { useCallback, useLayoutEffect, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { PacketRecord } from '../../protocol/session/record';
import { callDialog } from '../store/call-dialog';
import { contextMenu, type MenuEntry } from '../store/context-menu';
import { cellFilter } from '../store/filter-from';
import {
  DEFAULT_WIDTHS,
  TIMELINE_COLUMNS,
  layout,
  useLayout,
  type TimelineColumn,
} from '../store/layout';
import { marks, useMarks } from '../store/marks';
import { actions, displayNo, displayRecord, useWorkbench, timeOrigin } from '../store/workbench';
import { filterEntries } from './filter-menu';
import {
  apiText,
  dirText,
  flagsText,
  flagsTitle,
  relativeTime,
  rowClass,
  rttText,
  statusText,
  typeText,
} from './format';

export const ROW_HEIGHT = 20;
const rowHeight = (): number => ROW_HEIGHT;

const HEADERS: Readonly<Record<TimelineColumn, readonly [string, string]>> = {
  no: ['No.', 'Packet number, both directions, in the order the bytes were seen'],
  time: ['Time', 'Seconds since the session start, or since the time reference (Ctrl+T)'],
  dir: ['Dir', 'D->T debugger to target, T->D target to debugger'],
  type: ['Type', 'PacketType (or BREAKIN / GARBAGE)'],
  id: ['Id', 'PacketId'],
  api: ['API / State', 'ApiNumber of a manipulate, debug I/O or file I/O packet; NewState'],
  status: ['Status', 'ReturnStatus of a manipulate reply'],
  len: ['Len', 'Bytes on the wire'],
  rtt: ['RTT ms', 'Round trip: milliseconds from the request to this response'],
  flags: ['Flags', 'What the session tracker noticed (hover a cell for what each flag means)'],
  info: ['Info', 'One line about the payload'],
};

/** The cell's text, as the list shows it. */
function cellText(r: PacketRecord, column: TimelineColumn, origin: number, refNo: number): string {
  switch (column) {
    case 'no':
      return String(r.no);
    case 'time':
      return r.no === refNo ? '*REF*' : relativeTime(r.time, origin || r.time);
    case 'dir':
      return dirText(r);
    case 'type':
      return typeText(r);
    case 'id':
      return r.id === undefined ? '' : r.id.toString(16).padStart(8, '0');
    case 'api':
      return apiText(r);
    case 'status':
      return statusText(r);
    case 'len':
      return String(r.length);
    case 'rtt':
      return rttText(r);
    case 'flags':
      return flagsText(r.flags);
    case 'info':
      return r.info ?? r.text ?? '';
  }
}

const CELL_CLASS: Readonly<Record<TimelineColumn, string>> = {
  no: 'cell num',
  time: 'cell num',
  dir: 'cell dir',
  type: 'cell',
  id: 'cell mono',
  api: 'cell',
  status: 'cell',
  len: 'cell num',
  rtt: 'cell num',
  flags: 'cell flags',
  info: 'cell info',
};

/** The context menu of one row (and cell). */
export function rowMenu(r: PacketRecord, column: TimelineColumn): MenuEntry[] {
  const origin = timeOrigin();
  const expr = cellFilter(r, column, origin);
  const marked = useMarks.getState().marked.has(r.no);
  const isRef = useMarks.getState().timeRef?.no === r.no;
  return [
    ...filterEntries(expr, `the ${HEADERS[column][0]} cell is empty`),
    'separator',
    {
      label: 'Open call dialog',
      shortcut: 'Enter',
      run: () => callDialog.open(r.no),
      testId: 'menu-open-call',
    },
    {
      label: marked ? 'Unmark packet' : 'Mark packet',
      shortcut: 'Ctrl+M',
      run: () => marks.toggle(r.no),
      testId: 'menu-mark',
    },
    {
      label: isRef ? 'Unset time reference' : 'Set time reference',
      shortcut: 'Ctrl+T',
      run: () => marks.toggleTimeRef(r.no, r.time),
      testId: 'menu-time-ref',
    },
    {
      label: 'Copy value',
      run: () =>
        void navigator.clipboard
          ?.writeText(cellText(r, column, origin, isRef ? r.no : -1))
          .catch(() => undefined),
    },
  ];
}

function ColumnHeader(props: { column: TimelineColumn; last: boolean }): React.JSX.Element {
  const { column, last } = props;
  const [label, title] = HEADERS[column];
  const onPointerDown = (e: React.PointerEvent<HTMLSpanElement>): void => {
    e.preventDefault();
    e.stopPropagation();
    const handle = e.currentTarget;
    handle.setPointerCapture(e.pointerId);
    const start = e.clientX;
    const width = useLayout.getState().widths[column];
    const move = (m: PointerEvent): void => layout.setWidth(column, width + m.clientX - start);
    const up = (): void => {
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', up);
      handle.removeEventListener('pointercancel', up);
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up);
    handle.addEventListener('pointercancel', up);
  };
  return (
    <span className="cell th" role="columnheader" title={title} data-col={column}>
      {label}
      {!last && (
        <span
          className="col-resize"
          role="separator"
          aria-orientation="vertical"
          aria-label={`Resize column ${label}`}
          data-testid={`resize-${column}`}
          onPointerDown={onPointerDown}
          onDoubleClick={() => layout.setWidth(column, DEFAULT_WIDTHS[column])}
        />
      )}
    </span>
  );
}

export function Timeline(): React.JSX.Element {
  const count = useWorkbench((s) => s.displayCount);
  const revision = useWorkbench((s) => s.revision);
  const follow = useWorkbench((s) => s.follow);
  const selectedIndex = useWorkbench((s) => s.selectedIndex);
  useWorkbench((s) => s.session.info?.startedAt);
  const widths = useLayout((s) => s.widths);
  const marked = useMarks((s) => s.marked);
  const timeRef = useMarks((s) => s.timeRef);
  const scrollRef = useRef<HTMLDivElement>(null);
  const origin = timeOrigin();
  const refNo = timeRef?.no ?? -1;

  // While following, the virtualizer gets no rows: it re-measures every row when the count
  // changes (O(rows) per frame at a million rows), and the tail is all that is on screen anyway.
  // It keeps observing the scroll offset, so it is current when the user scrolls away.
  // eslint-disable-next-line react-hooks/incompatible-library -- the list re-renders on every revision anyway
  const virtualizer = useVirtualizer({
    count: follow ? 0 : count,
    getScrollElement: () => scrollRef.current,
    estimateSize: rowHeight,
    overscan: 12,
  });

  // Before paint, so a frame never shows the old scroll position with the new rows.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (follow && el && count > 0) el.scrollTop = count * ROW_HEIGHT; // clamped by the browser
  }, [follow, count, revision]);

  // A selection made elsewhere (a link in the details pane) is scrolled into view.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el || follow || selectedIndex === null) return;
    const top = selectedIndex * ROW_HEIGHT;
    if (top < el.scrollTop || top + ROW_HEIGHT > el.scrollTop + el.clientHeight) {
      el.scrollTop = top - el.clientHeight / 2;
    }
  }, [selectedIndex, follow]);

  // Only a user's gesture pauses follow: a resize or new rows also fire scroll events.
  const gestureAt = useRef(0);
  const markGesture = useCallback(() => {
    gestureAt.current = performance.now();
  }, []);
  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (!el || performance.now() - gestureAt.current > 500) return;
    const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_HEIGHT;
    if (!atBottom && useWorkbench.getState().follow) actions.setFollow(false);
  }, []);

  const moveTo = useCallback((index: number) => {
    const n = useWorkbench.getState().displayCount;
    if (n === 0) return;
    const clamped = Math.max(0, Math.min(n - 1, index));
    void actions.select(clamped);
    // Fixed-height rows: scrolling a row into view is arithmetic, and works in either mode.
    const el = scrollRef.current;
    if (!el) return;
    const top = clamped * ROW_HEIGHT;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight) {
      el.scrollTop = top + ROW_HEIGHT - el.clientHeight;
    }
  }, []);

  const selectedRecord = (): PacketRecord | null => {
    const at = useWorkbench.getState().selectedIndex;
    if (at === null) return null;
    const r = displayRecord(at);
    return 'no' in r ? r : null;
  };

  const onKeyDown = (e: React.KeyboardEvent<HTMLDivElement>): void => {
    const el = scrollRef.current;
    const page = el ? Math.max(1, Math.floor(el.clientHeight / ROW_HEIGHT) - 1) : 20;
    const at = useWorkbench.getState().selectedIndex ?? -1;
    const last = useWorkbench.getState().displayCount - 1;
    if (e.key === 'Enter') {
      const r = selectedRecord();
      if (r) {
        e.preventDefault();
        callDialog.open(r.no);
      }
      return;
    }
    if (e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) {
      const r = selectedRecord();
      const rowEl = el?.querySelector<HTMLElement>('.tl-row.selected');
      if (r && rowEl) {
        e.preventDefault();
        const box = rowEl.getBoundingClientRect();
        contextMenu.show(box.left + 40, box.bottom, rowMenu(r, 'api'), `Packet ${r.no}`);
      }
      return;
    }
    let target: number;
    switch (e.key) {
      case 'ArrowDown':
        target = at + 1;
        break;
      case 'ArrowUp':
        target = at < 0 ? last : at - 1;
        break;
      case 'PageDown':
        target = at + page;
        break;
      case 'PageUp':
        target = at < 0 ? last - page : at - page;
        break;
      case 'Home':
        target = 0;
        break;
      case 'End':
        target = last;
        actions.setFollow(true);
        break;
      default:
        return;
    }
    e.preventDefault();
    if (e.key !== 'End') actions.setFollow(false);
    moveTo(target);
  };

  const columns = TIMELINE_COLUMNS.map((c, k) =>
    k === TIMELINE_COLUMNS.length - 1 ? `minmax(${widths[c]}px, 1fr)` : `${widths[c]}px`,
  ).join(' ');

  // Following, the rows on screen are simply the last ones: computed here rather than from the
  // virtualizer's last scroll event, so no frame shows the new bottom without its rows.
  const items = follow
    ? tailItems(count, scrollRef.current?.clientHeight ?? 1200)
    : virtualizer.getVirtualItems();
  return (
    <section className="timeline" aria-label="Packets" style={{ ['--tl-cols' as string]: columns }}>
      <div className="tl-header" role="row">
        {TIMELINE_COLUMNS.map((c, k) => (
          <ColumnHeader key={c} column={c} last={k === TIMELINE_COLUMNS.length - 1} />
        ))}
      </div>
      <div
        ref={scrollRef}
        className="tl-scroll"
        tabIndex={0}
        role="grid"
        aria-rowcount={count}
        data-testid="timeline"
        onScroll={onScroll}
        onWheel={markGesture}
        onPointerDown={markGesture}
        onTouchMove={markGesture}
        onKeyDown={onKeyDown}
      >
        <div style={{ height: count * ROW_HEIGHT, position: 'relative' }}>
          {items.map((item) => {
            const r = displayRecord(item.index);
            if (!('no' in r)) return gapRow(item, displayNo(item.index), r);
            const selected = item.index === selectedIndex;
            const classes = `tl-row ${rowClass(r)}${selected ? ' selected' : ''}${
              marked.has(r.no) ? ' marked' : ''
            }${r.no === refNo ? ' time-ref' : ''}`;
            return (
              <div
                key={item.key}
                role="row"
                aria-selected={selected}
                data-no={r.no}
                className={classes}
                style={{ transform: `translateY(${item.start}px)` }}
                onMouseDown={(e) => {
                  if (e.button !== 0 && selected) return;
                  actions.setFollow(false);
                  void actions.select(item.index);
                }}
                onDoubleClick={() => callDialog.open(r.no)}
                onContextMenu={(e) => {
                  e.preventDefault();
                  const cell = (e.target as HTMLElement).closest<HTMLElement>('[data-col]');
                  const column = (cell?.dataset.col as TimelineColumn | undefined) ?? 'info';
                  void actions.select(item.index);
                  contextMenu.show(e.clientX, e.clientY, rowMenu(r, column), `Packet ${r.no}`);
                }}
              >
                {TIMELINE_COLUMNS.map((c) => (
                  <span
                    key={c}
                    data-col={c}
                    className={
                      c === 'dir'
                        ? `cell dir ${r.dir === 'debugger->target' ? 'd2t' : 't2d'}`
                        : CELL_CLASS[c]
                    }
                    title={c === 'flags' && r.flags ? flagsTitle(r.flags) : undefined}
                  >
                    {cellText(r, c, origin, refNo)}
                  </span>
                ))}
              </div>
            );
          })}
        </div>
      </div>
      {!follow && count > 0 && (
        <button
          type="button"
          className="follow-btn"
          data-testid="follow"
          onClick={() => {
            actions.setFollow(true);
          }}
        >
          ⤓ Follow newest
        </button>
      )}
      {count === 0 && <EmptyList />}
    </section>
  );
}

/** What an empty list says: why it is empty, and what to do. */
function EmptyList(): React.JSX.Element {
  const state = useWorkbench((s) => s.session.state);
  const warning = useWorkbench((s) => s.session.warning);
  const total = useWorkbench((s) => s.totalRows);
  const filter = useWorkbench((s) => s.filterApplied);
  const connected = useWorkbench((s) => s.connection === 'open');
  const opened = useWorkbench((s) => s.session.info?.opened?.name);
  if (!connected)
    return (
      <div className="empty" data-testid="empty-list">
        Not connected to the engine.
      </div>
    );
  if (filter && total > 0)
    return (
      <div className="empty" data-testid="empty-list">
        No packet matches the filter <code>{filter}</code>.
      </div>
    );
  if (state === 'running' && opened !== undefined)
    return (
      <div className="empty" data-testid="empty-list">
        Reading {opened}…
      </div>
    );
  if (state === 'running')
    return (
      <div className={warning ? 'empty warn' : 'empty'} data-testid="empty-list">
        {warning
          ? `No KD packets: ${warning}`
          : 'The session runs: no KD packet yet (the peers show on the attach page).'}
      </div>
    );
  return (
    <div className="empty" data-testid="empty-list">
      No packets. Attach to a VM or a pair of endpoints (Attach…), or open a capture (Open…).
      {warning ? ` ${warning}` : ''}
    </div>
  );
}

/** A row older than the window, on its way from the engine (or why it cannot come). */
function gapRow(
  item: { index: number; key: number | string | bigint; start: number },
  no: number | null,
  gap: { loading: true } | { missing: string },
): React.JSX.Element {
  return (
    <div
      key={String(item.key)}
      role="row"
      data-no={no ?? undefined}
      data-gap={'loading' in gap ? 'loading' : 'missing'}
      className="tl-row gap"
      style={{ transform: `translateY(${item.start}px)` }}
    >
      <span className="cell num">{no ?? ''}</span>
      <span className="cell info">
        {'loading' in gap ? 'reading from the capture…' : gap.missing}
      </span>
    </div>
  );
}

/**
 * The last rows, keyed by their slot in the window (index modulo its size) rather than their
 * index: while following at flood rates the window moves by hundreds of rows per redraw, and
 * slot keys let React update the same row elements in place instead of building new ones.
 */
function tailItems(count: number, height: number): { index: number; key: number; start: number }[] {
  const visible = Math.ceil(height / ROW_HEIGHT) + 4;
  const out = [];
  for (let i = Math.max(0, count - visible); i < count; i++) {
    out.push({ index: i, key: i % visible, start: i * ROW_HEIGHT });
  }
  return out;
}
