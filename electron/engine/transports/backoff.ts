// Capped exponential backoff for reconnecting to a target that went away.

export interface BackoffOptions {
  /** First delay, ms (default 100). */
  readonly initialMs?: number;
  /** Cap, ms (default 5000). */
  readonly maxMs?: number;
}

export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private next: number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 100;
    this.maxMs = Math.max(this.initialMs, options.maxMs ?? 5000);
    this.next = this.initialMs;
  }

  /** The delay to wait now; doubles the next one up to the cap. */
  delay(): number {
    const now = this.next;
    this.next = Math.min(this.maxMs, this.next * 2);
    return now;
  }

  reset(): void {
    this.next = this.initialMs;
  }
}

/** Resolves after ms, or at once (resolving false) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve(false);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
