// Find packet (Ctrl+F): by text in the Info/API/Type columns or by a display filter.

import { find, useFind, type FindMode } from '../store/find';

export function FindBar(): React.JSX.Element | null {
  const { open, mode, text, message } = useFind();
  if (!open) return null;
  return (
    <div className="findbar" role="search" aria-label="Find packet" data-testid="findbar">
      <label htmlFor="find-text" className="filter-label">
        Find
      </label>
      <select
        aria-label="Find by"
        value={mode}
        onChange={(e) => find.set({ mode: e.target.value as FindMode })}
      >
        <option value="string">Text (Info, API, Type)</option>
        <option value="filter">Display filter</option>
      </select>
      <input
        id="find-text"
        data-testid="find-text"
        className="filter-input"
        spellCheck={false}
        autoComplete="off"
        value={text}
        placeholder={mode === 'filter' ? 'e.g. api == GetContext && rtt > 2' : 'e.g. kdscope sim'}
        onChange={(e) => find.set({ text: e.target.value })}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            find.next(e.shiftKey ? -1 : 1);
          } else if (e.key === 'Escape') {
            e.preventDefault();
            find.close();
            document.querySelector<HTMLElement>('[data-testid="timeline"]')?.focus();
          }
        }}
      />
      <button type="button" onClick={() => find.next(-1)} title="Previous (Shift+Enter)">
        ↑ Previous
      </button>
      <button type="button" className="primary" onClick={() => find.next(1)} title="Next (Enter)">
        ↓ Next
      </button>
      <span className="dim" data-testid="find-message" role="status">
        {message}
      </span>
      <span className="spacer" />
      <button type="button" aria-label="Close find" onClick={() => find.close()}>
        ✕
      </button>
    </div>
  );
}
