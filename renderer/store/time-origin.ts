// What the Time column and `time` in a display filter count from: the time reference when the
// user set one, else the session's start (else the first row in memory).

import { useMarks } from './marks';
import { table, useWorkbench } from './workbench';

export function timeOrigin(): number {
  const ref = useMarks.getState().timeRef;
  if (ref) return ref.time;
  const start = useWorkbench.getState().session.info?.startedAt;
  if (start) return start;
  return table.length > 0 ? table.value('time', 0) : 0;
}

/** For compiled filters: asked at every evaluation, so moving the reference moves `time`. */
export const filterTimeOrigin = (): number => timeOrigin();
