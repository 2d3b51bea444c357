// Polling for a condition in a test, with a deadline that says what was awaited. The check may
// be async (a page query, a call to the engine) and may throw to fail at once (a process that
// exited before printing what was awaited).

export type Until = (
  check: () => boolean | Promise<boolean>,
  /** What was awaited; a function is asked only on timeout (for output gathered meanwhile). */
  what: string | (() => string),
  ms?: number,
) => Promise<void>;

/** An `until` that checks every `pollMs` until a deadline of `defaultMs` (or the call's own). */
export function untilWithin(defaultMs: number, pollMs = 20): Until {
  return async (check, what, ms = defaultMs) => {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) {
        throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };
}
