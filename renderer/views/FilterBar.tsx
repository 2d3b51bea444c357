// The display filter: validated as you type (inline error at its position), completions for
// field names and values, applied over the whole table on Enter.

import { useMemo, useRef, useState } from 'react';
import { actions, useWorkbench } from '../store/workbench';
import { complete } from '../store/filter-complete';

export function FilterBar(): React.JSX.Element {
  const text = useWorkbench((s) => s.filterText);
  const error = useWorkbench((s) => s.filterError);
  const applied = useWorkbench((s) => s.filterApplied);
  const inputRef = useRef<HTMLInputElement>(null);
  const [cursor, setCursor] = useState(0);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const items = useMemo(() => (open ? complete(text, cursor) : []), [open, text, cursor]);

  const accept = (i: number): void => {
    const item = items[i];
    if (!item) return;
    const next = text.slice(0, item.start) + item.label + ' ' + text.slice(item.end);
    actions.setFilterText(next);
    const at = item.start + item.label.length + 1;
    setCursor(at);
    setOpen(false);
    requestAnimationFrame(() => inputRef.current?.setSelectionRange(at, at));
  };

  const onKeyDown = (e: React.KeyboardEvent<HTMLInputElement>): void => {
    if (open && items.length > 0) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const step = e.key === 'ArrowDown' ? 1 : -1;
        setActive((active + step + items.length) % items.length);
        return;
      }
      if (e.key === 'Tab') {
        e.preventDefault();
        accept(active);
        return;
      }
      if (e.key === 'Escape') {
        setOpen(false);
        return;
      }
    }
    if (e.key === 'Enter') {
      e.preventDefault();
      setOpen(false);
      actions.applyFilter();
    }
    if (e.key === ' ' && e.ctrlKey) {
      e.preventDefault();
      setOpen(true);
    }
  };

  const state = error ? 'invalid' : text.trim() === '' ? '' : 'valid';
  const dirty = text.trim() !== applied;
  // An invalid filter is never applied: the list keeps showing what the last good one chose.
  const stale = error !== null && text.trim() !== '' && dirty;
  return (
    <div className="filterbar">
      <label htmlFor="filter" className="filter-label">
        Filter
      </label>
      <div className="filter-wrap">
        <input
          ref={inputRef}
          id="filter"
          data-testid="filter"
          className={`filter-input ${state}`}
          spellCheck={false}
          autoComplete="off"
          placeholder='e.g. type == STATE_MANIPULATE && api == ReadVirtualMemory   ·   !checksumOk   ·   text contains "hello"'
          value={text}
          aria-invalid={error !== null}
          onChange={(e) => {
            actions.setFilterText(e.target.value);
            setCursor(e.target.selectionStart ?? e.target.value.length);
            setOpen(true);
            setActive(0);
          }}
          onSelect={(e) => setCursor(e.currentTarget.selectionStart ?? 0)}
          onBlur={() => setTimeout(() => setOpen(false), 150)}
          onKeyDown={onKeyDown}
        />
        {items.length > 0 && (
          <ul className="completions" role="listbox" data-testid="completions">
            {items.map((item, i) => (
              <li
                key={item.label}
                role="option"
                aria-selected={i === active}
                className={i === active ? 'active' : ''}
                onMouseDown={(e) => {
                  e.preventDefault();
                  accept(i);
                }}
              >
                <span className="c-label">{item.label}</span>
                <span className="c-detail">{item.detail}</span>
              </li>
            ))}
          </ul>
        )}
        {error && items.length === 0 && (
          <div className="filter-error" data-testid="filter-error" role="alert">
            <span className="caret-line">
              {text.slice(0, error.start).replace(/[^\t]/g, '\u00a0')}
              <span className="caret">{'^'.repeat(Math.max(1, error.end - error.start))}</span>
            </span>
            <span>{error.message}</span>
            {stale && (
              <span className="still" data-testid="filter-still">
                {applied
                  ? `Not applied: the list still shows "${applied}".`
                  : 'Not applied: the list still shows every packet.'}
              </span>
            )}
          </div>
        )}
      </div>
      <button
        type="button"
        data-testid="apply"
        className={dirty ? 'primary' : ''}
        onClick={() => actions.applyFilter()}
      >
        Apply
      </button>
      {applied && (
        <button
          type="button"
          onClick={() => {
            actions.setFilterText('');
            actions.applyFilter();
          }}
        >
          Clear filter
        </button>
      )}
    </div>
  );
}
