// A read-only xterm with search (the search addon), copy and clear, fitted to its pane (the
// fit addon). The DbgPrint terminal and the engine log are two sources of this one view.

import { useEffect, useRef, useState } from 'react';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import '@xterm/xterm/css/xterm.css';
import { installCspSafeStyles } from './csp-styles';

export interface TerminalSource {
  /** What was written before the view mounted. */
  backlog(): string;
  /** New text as it comes; `null` says the source was cleared. */
  subscribe(write: (text: string | null) => void): () => void;
  clear(): void;
}

const SEARCH_DECORATIONS = {
  matchBackground: '#5a4714',
  activeMatchBackground: '#a86b00',
  matchOverviewRuler: '#f2c14e',
  activeMatchColorOverviewRuler: '#ffa500',
};

const THEME = {
  background: '#101216',
  foreground: '#d6dae2',
  cursor: '#101216',
  selectionBackground: '#264f78',
};

export function XtermView(props: {
  source: TerminalSource;
  label: string;
  testId: string;
  children?: React.ReactNode;
}): React.JSX.Element {
  const hostRef = useRef<HTMLDivElement>(null);
  const termRef = useRef<Terminal | null>(null);
  const searchRef = useRef<SearchAddon | null>(null);
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<string>('');
  const [copied, setCopied] = useState('');
  const { source } = props;

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    installCspSafeStyles();
    const term = new Terminal({
      convertEol: false,
      disableStdin: true,
      cursorBlink: false,
      scrollback: 20_000,
      fontFamily: "'JetBrains Mono', 'DejaVu Sans Mono', Menlo, Consolas, monospace",
      fontSize: 12,
      theme: THEME,
      allowProposedApi: true,
    });
    const fit = new FitAddon();
    const search = new SearchAddon();
    term.loadAddon(fit);
    term.loadAddon(search);
    term.open(host);
    termRef.current = term;
    searchRef.current = search;
    const refit = (): void => {
      if (host.clientWidth > 0 && host.clientHeight > 0) {
        try {
          fit.fit();
        } catch {
          // Not laid out yet; the next resize fits it.
        }
      }
    };
    refit();
    const backlog = source.backlog();
    if (backlog) term.write(backlog);
    const off = source.subscribe((text) => {
      if (text === null) term.reset();
      else term.write(text);
    });
    const resize = new ResizeObserver(refit);
    resize.observe(host);
    const results = search.onDidChangeResults((r) =>
      setFound(r.resultCount === 0 ? 'no match' : `${r.resultIndex + 1} of ${r.resultCount}`),
    );
    return () => {
      off();
      results.dispose();
      resize.disconnect();
      term.dispose();
      termRef.current = null;
      searchRef.current = null;
    };
  }, [source]);

  // Every match is highlighted, the current one selected (so Copy takes it).
  const find = (dir: 1 | -1): void => {
    const search = searchRef.current;
    if (!search || query === '') return;
    const options = { caseSensitive: false, decorations: SEARCH_DECORATIONS };
    const hit = dir > 0 ? search.findNext(query, options) : search.findPrevious(query, options);
    if (!hit) setFound('no match');
  };

  const copy = (): void => {
    const term = termRef.current;
    if (!term) return;
    let text = term.getSelection();
    if (!text) {
      term.selectAll();
      text = term.getSelection();
      term.clearSelection();
    }
    const done = (what: string): void => {
      setCopied(what);
      setTimeout(() => setCopied(''), 1500);
    };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(text).then(
        () => done('copied'),
        () => done('copy refused'),
      );
    } else done('no clipboard');
  };

  return (
    <div className="xterm-pane" data-testid={props.testId}>
      <div className="pane-tools" role="toolbar" aria-label={`${props.label} tools`}>
        <input
          type="search"
          className="term-search"
          placeholder="Search"
          aria-label={`Search ${props.label}`}
          data-testid={`${props.testId}-search`}
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setFound('');
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              find(e.shiftKey ? -1 : 1);
            } else if (e.key === 'Escape') {
              searchRef.current?.clearDecorations();
              termRef.current?.clearSelection();
              setQuery('');
              setFound('');
            }
          }}
        />
        <button
          type="button"
          className="small"
          title="Previous match (Shift+Enter)"
          onClick={() => find(-1)}
        >
          ↑
        </button>
        <button type="button" className="small" title="Next match (Enter)" onClick={() => find(1)}>
          ↓
        </button>
        <span className="dim" data-testid={`${props.testId}-found`}>
          {found}
        </span>
        <button
          type="button"
          className="small"
          title="Copy the selection (or everything)"
          data-testid={`${props.testId}-copy`}
          onClick={copy}
        >
          Copy
        </button>
        <button
          type="button"
          className="small"
          title="Clear this pane (the packets stay)"
          data-testid={`${props.testId}-clear`}
          onClick={() => source.clear()}
        >
          Clear
        </button>
        {copied && <span className="dim">{copied}</span>}
        <span className="spacer" />
        {props.children}
      </div>
      <div ref={hostRef} className="xterm-host" aria-label={props.label} />
    </div>
  );
}
