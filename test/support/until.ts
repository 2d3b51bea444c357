// Polling for a condition in an integration test, with a deadline that says what was awaited.

export type Until = (check: () => boolean, what: string, ms?: number) => Promise<void>;

/** An `until` that checks every `pollMs` until a deadline of `defaultMs` (or the call's own). */
export function untilWithin(defaultMs: number, pollMs = 20): Until {
  return async (check, what, ms = defaultMs) => {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };
}
