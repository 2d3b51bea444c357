// One context menu at a time, opened by a right-click (or the menu key) anywhere in the app.

import { create } from 'zustand';

export interface MenuItem {
  readonly label: string;
  readonly run?: () => void;
  /** Why it is disabled (shown as its tooltip). */
  readonly disabled?: string;
  readonly shortcut?: string;
  readonly testId?: string;
}
export type MenuEntry = MenuItem | 'separator';

export interface ContextMenuState {
  open: { x: number; y: number; title?: string; entries: readonly MenuEntry[] } | null;
}

export const useContextMenu = create<ContextMenuState>(() => ({ open: null }));

export const contextMenu = {
  show(x: number, y: number, entries: readonly MenuEntry[], title?: string): void {
    useContextMenu.setState({ open: { x, y, entries, ...(title ? { title } : {}) } });
  },
  close(): void {
    useContextMenu.setState({ open: null });
  },
};
