// LinkTimers on Node's event loop.

import type { LinkTimers } from '../../../protocol/kd/link';

export const nodeTimers: LinkTimers = {
  set(ms, fn) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};
