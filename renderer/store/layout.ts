// Pane sizes, column widths and the open bottom tab: what the user arranged, kept across
// reloads (localStorage; the desktop app's renderer has one too).

import { create } from 'zustand';

export type BottomTab = 'terminal' | 'log' | 'srt' | 'expert' | 'link';
export const BOTTOM_TABS: readonly BottomTab[] = ['terminal', 'log', 'srt', 'expert', 'link'];

/** Timeline columns, in order; widths in px (the last one takes what is left). */
export const TIMELINE_COLUMNS = [
  'no',
  'time',
  'dir',
  'type',
  'id',
  'api',
  'status',
  'len',
  'rtt',
  'flags',
  'info',
] as const;
export type TimelineColumn = (typeof TIMELINE_COLUMNS)[number];

export const DEFAULT_WIDTHS: Readonly<Record<TimelineColumn, number>> = {
  no: 64,
  time: 104,
  dir: 46,
  type: 138,
  id: 72,
  api: 170,
  status: 86,
  len: 48,
  rtt: 70,
  flags: 84,
  info: 240,
};
export const MIN_WIDTH = 28;

export interface LayoutState {
  /** Share of the panes' height the packet list takes (the rest: details + hex). */
  listShare: number;
  /** Share of the lower area's width the details tree takes (the rest: hex). */
  detailsShare: number;
  /** Height of the bottom panel in px; 0 when collapsed. */
  bottomHeight: number;
  bottomTab: BottomTab;
  widths: Record<TimelineColumn, number>;
}

const STORAGE_KEY = 'kdscope.layout.v1';

const DEFAULTS: LayoutState = {
  listShare: 0.55,
  detailsShare: 0.55,
  bottomHeight: 190,
  bottomTab: 'terminal',
  widths: { ...DEFAULT_WIDTHS },
};

function load(): LayoutState {
  try {
    const raw = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (!raw) return { ...DEFAULTS, widths: { ...DEFAULT_WIDTHS } };
    const saved = JSON.parse(raw) as Partial<LayoutState>;
    const widths = { ...DEFAULT_WIDTHS };
    for (const c of TIMELINE_COLUMNS) {
      const w = saved.widths?.[c];
      if (typeof w === 'number' && w >= MIN_WIDTH && w < 2000) widths[c] = w;
    }
    const share = (v: unknown, d: number): number =>
      typeof v === 'number' && v >= 0.1 && v <= 0.9 ? v : d;
    return {
      listShare: share(saved.listShare, DEFAULTS.listShare),
      detailsShare: share(saved.detailsShare, DEFAULTS.detailsShare),
      bottomHeight:
        typeof saved.bottomHeight === 'number' &&
        saved.bottomHeight >= 0 &&
        saved.bottomHeight < 4000
          ? saved.bottomHeight
          : DEFAULTS.bottomHeight,
      bottomTab: BOTTOM_TABS.includes(saved.bottomTab as BottomTab)
        ? (saved.bottomTab as BottomTab)
        : DEFAULTS.bottomTab,
      widths,
    };
  } catch {
    return { ...DEFAULTS, widths: { ...DEFAULT_WIDTHS } };
  }
}

export const useLayout = create<LayoutState>(() => load());

function save(): void {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(useLayout.getState()));
  } catch {
    // A full or disabled storage only costs the arrangement on reload.
  }
}

const clamp = (v: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, v));

export const layout = {
  setListShare(v: number): void {
    useLayout.setState({ listShare: clamp(v, 0.15, 0.85) });
    save();
  },
  setDetailsShare(v: number): void {
    useLayout.setState({ detailsShare: clamp(v, 0.15, 0.85) });
    save();
  },
  setBottomHeight(px: number): void {
    useLayout.setState({ bottomHeight: clamp(Math.round(px), 0, 2000) });
    save();
  },
  /** Opens a tab (a click on the open tab collapses the panel). */
  showTab(tab: BottomTab, toggle = false): void {
    const s = useLayout.getState();
    if (toggle && s.bottomTab === tab && s.bottomHeight > 0) {
      useLayout.setState({ bottomHeight: 0 });
    } else {
      useLayout.setState({ bottomTab: tab, bottomHeight: s.bottomHeight || DEFAULTS.bottomHeight });
    }
    save();
  },
  setWidth(column: TimelineColumn, px: number): void {
    const widths = {
      ...useLayout.getState().widths,
      [column]: clamp(Math.round(px), MIN_WIDTH, 1200),
    };
    useLayout.setState({ widths });
    save();
  },
  reset(): void {
    useLayout.setState({ ...DEFAULTS, widths: { ...DEFAULT_WIDTHS } });
    save();
  },
};
