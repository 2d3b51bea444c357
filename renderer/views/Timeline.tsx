// The packet list: virtualized (only visible rows are built from the columnar table), coloured
// by rule, auto-following the newest row until the user scrolls away.

import { useCallback, useLayoutEffect, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { actions, table, tableRow, useWorkbench } from '../store/workbench';
import {
  apiText,
  dirText,
  flagsText,
  relativeTime,
  rowClass,
  statusText,
  typeText,
} from './format';

export const ROW_HEIGHT = 20;
const rowHeight = (): number => ROW_HEIGHT;

const COLUMNS = [
  'No.',
  'Time',
  'Dir',
  'Type',
  'Id',
  'API / State',
  'Status',
  'Len',
  'Flags',
  'Info',
];

export function Timeline(): React.JSX.Element {
  const count = useWorkbench((s) => s.displayCount);
  const revision = useWorkbench((s) => s.revision);
  const follow = useWorkbench((s) => s.follow);
  const selectedIndex = useWorkbench((s) => s.selectedIndex);
  const origin = useWorkbench((s) => s.session.info?.startedAt ?? 0);
  const scrollRef = useRef<HTMLDivElement>(null);

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

  const onKeyDown = (e: React.KeyboardEvent<HTMLDivElement>): void => {
    const el = scrollRef.current;
    const page = el ? Math.max(1, Math.floor(el.clientHeight / ROW_HEIGHT) - 1) : 20;
    const at = useWorkbench.getState().selectedIndex ?? -1;
    const last = useWorkbench.getState().displayCount - 1;
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

  // Following, the rows on screen are simply the last ones: computed here rather than from the
  // virtualizer's last scroll event, so no frame shows the new bottom without its rows.
  const items = follow
    ? tailItems(count, scrollRef.current?.clientHeight ?? 1200)
    : virtualizer.getVirtualItems();
  return (
    <section className="timeline" aria-label="Packets">
      <div className="tl-header" role="row">
        {COLUMNS.map((c) => (
          <span key={c} className="cell" role="columnheader">
            {c}
          </span>
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
            const rowIndex = tableRow(item.index);
            if (rowIndex < 0) return null;
            const r = table.row(rowIndex);
            const selected = item.index === selectedIndex;
            return (
              <div
                key={item.key}
                role="row"
                aria-selected={selected}
                data-no={r.no}
                className={`tl-row ${rowClass(r)}${selected ? ' selected' : ''}`}
                style={{ transform: `translateY(${item.start}px)` }}
                onMouseDown={() => {
                  actions.setFollow(false);
                  void actions.select(item.index);
                }}
              >
                <span className="cell num">{r.no}</span>
                <span className="cell num">{relativeTime(r.time, origin || r.time)}</span>
                <span className={`cell dir ${r.dir === 'debugger->target' ? 'd2t' : 't2d'}`}>
                  {dirText(r)}
                </span>
                <span className="cell">{typeText(r)}</span>
                <span className="cell mono">
                  {r.id === undefined ? '' : r.id.toString(16).padStart(8, '0')}
                </span>
                <span className="cell">{apiText(r)}</span>
                <span className="cell">{statusText(r)}</span>
                <span className="cell num">{r.length}</span>
                <span className="cell flags">{flagsText(r.flags)}</span>
                <span className="cell info">{r.info ?? r.text ?? ''}</span>
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
      {count === 0 && (
        <div className="empty">No packets. Start a session against the simulated VM.</div>
      )}
    </section>
  );
}

function tailItems(count: number, height: number): { index: number; key: number; start: number }[] {
  const visible = Math.ceil(height / ROW_HEIGHT) + 4;
  const out = [];
  for (let i = Math.max(0, count - visible); i < count; i++) {
    out.push({ index: i, key: i, start: i * ROW_HEIGHT });
  }
  return out;
}
