// Rows the view shows but no longer holds (older than its window on the tail, or skipped
// while it lagged): fetched from the engine by no. (packets.rows, read back from the session's
// capture) a page at a time when they come on screen, and kept in a small LRU so that memory
// stays bounded however far back the user scrolls.

import type { WorkbenchClient } from '../../electron/api/contract';
import { batchFromBytes, decodeRecord } from '../../protocol/records/columns';
import type { PacketRecord } from '../../protocol/session/record';

/** Rows per page: a screen or two; the engine decodes at most a few checkpoints for one. */
export const PAGE_ROWS = 256;
/** Pages held at most (about what a few screens around the visible rows need). */
export const MAX_PAGES = 32;

interface Page {
  readonly rows: readonly PacketRecord[];
  /** The engine's reason for rows of this page it does not have. */
  readonly missing?: string;
}

/** A row that is not here: being fetched, or why it cannot be shown. */
export type RowGap = { readonly loading: true } | { readonly missing: string };

export class RowPages {
  private readonly pages = new Map<number, Page>();
  private readonly loading = new Set<number>();
  private generation = 0;

  constructor(
    private readonly client: () => WorkbenchClient | null,
    /** A page arrived: the view redraws. */
    private readonly onLoaded: () => void,
  ) {}

  /** Row `no`, or what stands in its place (a fetch starts when it is not held). */
  get(no: number): PacketRecord | RowGap {
    const key = Math.floor((no - 1) / PAGE_ROWS);
    const page = this.pages.get(key);
    if (!page) {
      this.fetch(key);
      return { loading: true };
    }
    // Most recently used last: the first in the map is the one to drop.
    this.pages.delete(key);
    this.pages.set(key, page);
    const row = page.rows[no - 1 - key * PAGE_ROWS];
    if (row && row.no === no) return row;
    return { missing: page.missing ?? `packet ${no} is not in the capture` };
  }

  /** Row `no` if a page holds it now (no fetch). */
  peek(no: number): PacketRecord | undefined {
    const key = Math.floor((no - 1) / PAGE_ROWS);
    const row = this.pages.get(key)?.rows[no - 1 - key * PAGE_ROWS];
    return row?.no === no ? row : undefined;
  }

  /** Rows held (the bound tests check). */
  get size(): number {
    let n = 0;
    for (const page of this.pages.values()) n += page.rows.length;
    return n;
  }

  /** A new session or a new engine: what was fetched belongs to another. */
  clear(): void {
    this.pages.clear();
    this.loading.clear();
    this.generation++;
  }

  private fetch(key: number): void {
    const client = this.client();
    if (!client || this.loading.has(key)) return;
    this.loading.add(key);
    const generation = this.generation;
    const from = key * PAGE_ROWS + 1;
    const done = (page: Page): void => {
      if (generation !== this.generation) return;
      this.loading.delete(key);
      this.pages.set(key, page);
      while (this.pages.size > MAX_PAGES) this.pages.delete(this.pages.keys().next().value!);
      this.onLoaded();
    };
    client.invoke('packets.rows', { from, count: PAGE_ROWS }).then(
      (got) => {
        const batch = batchFromBytes(got.batch);
        const rows: PacketRecord[] = [];
        for (let i = 0; i < batch.count; i++) rows.push(decodeRecord(batch, i));
        done({ rows, ...(got.missing === undefined ? {} : { missing: got.missing }) });
      },
      (error: unknown) => done({ rows: [], missing: (error as Error).message }),
    );
  }
}
