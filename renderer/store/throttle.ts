// Publishing summaries at a human pace: listeners accumulate per batch (up to hundreds a
// second at flood rates); the panes re-render at most every `ms`.

export function throttled(ms: number, run: () => void): { (): void; cancel(): void; now(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const schedule = (): void => {
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      run();
    }, ms);
  };
  schedule.cancel = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  /** Runs at once (news that must not wait, like the end of a session); nothing stays pending. */
  schedule.now = (): void => {
    schedule.cancel();
    run();
  };
  return schedule;
}
