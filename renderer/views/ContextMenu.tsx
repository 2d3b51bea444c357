// The context menu: keyboard first (arrows, Enter, Escape), closes on any click outside.

import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { contextMenu, useContextMenu, type MenuItem } from '../store/context-menu';

export function ContextMenu(): React.JSX.Element | null {
  const open = useContextMenu((s) => s.open);
  const ref = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState<{ left: number; top: number } | null>(null);

  // Kept inside the window: a menu opened near the right or bottom edge opens the other way.
  useLayoutEffect(() => {
    if (!open || !ref.current) {
      setPos(null);
      return;
    }
    const r = ref.current.getBoundingClientRect();
    setPos({
      left: Math.max(0, Math.min(open.x, window.innerWidth - r.width - 4)),
      top: Math.max(0, Math.min(open.y, window.innerHeight - r.height - 4)),
    });
    ref.current
      .querySelector<HTMLElement>('[role="menuitem"]:not([aria-disabled="true"])')
      ?.focus();
  }, [open]);

  useEffect(() => {
    if (!open) return;
    const away = (e: PointerEvent): void => {
      if (!ref.current?.contains(e.target as Node)) contextMenu.close();
    };
    window.addEventListener('pointerdown', away, true);
    window.addEventListener('blur', contextMenu.close);
    return () => {
      window.removeEventListener('pointerdown', away, true);
      window.removeEventListener('blur', contextMenu.close);
    };
  }, [open]);

  if (!open) return null;
  const run = (item: MenuItem): void => {
    if (item.disabled || !item.run) return;
    contextMenu.close();
    item.run();
  };
  const onKeyDown = (e: React.KeyboardEvent): void => {
    const items = [
      ...(ref.current?.querySelectorAll<HTMLElement>(
        '[role="menuitem"]:not([aria-disabled="true"])',
      ) ?? []),
    ];
    const at = items.indexOf(document.activeElement as HTMLElement);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const step = e.key === 'ArrowDown' ? 1 : -1;
      items[(at + step + items.length) % items.length]?.focus();
    } else if (e.key === 'Escape' || e.key === 'Tab') {
      e.preventDefault();
      contextMenu.close();
    }
  };
  return (
    <div
      ref={ref}
      className="context-menu"
      role="menu"
      aria-label={open.title ?? 'Actions'}
      data-testid="context-menu"
      style={
        pos ? { left: pos.left, top: pos.top } : { left: open.x, top: open.y, visibility: 'hidden' }
      }
      onKeyDown={onKeyDown}
      onContextMenu={(e) => e.preventDefault()}
    >
      {open.title && <div className="cm-title">{open.title}</div>}
      {open.entries.map((entry, k) =>
        entry === 'separator' ? (
          <div key={k} className="cm-sep" role="separator" />
        ) : (
          <div
            key={k}
            role="menuitem"
            tabIndex={-1}
            className="cm-item"
            aria-disabled={entry.disabled ? true : undefined}
            title={entry.disabled}
            data-testid={entry.testId}
            onClick={() => run(entry)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                run(entry);
              }
            }}
          >
            <span>{entry.label}</span>
            {entry.shortcut && <span className="cm-key">{entry.shortcut}</span>}
          </div>
        ),
      )}
    </div>
  );
}
