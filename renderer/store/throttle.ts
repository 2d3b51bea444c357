// Publishing summaries at a human pace: listeners accumulate per batch (up to hundreds a
// second at flood rates); the panes re-render at most every `ms`.

export function throttled(ms: number, run: () => void): { (): void; cancel(): void } {
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
  return schedule;
}
