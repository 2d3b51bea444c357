// Wiring of the stores that summarise the packet rows, in one place (explicit set-up at start,
// no registration as an import side effect); the returned disposer undoes all of it.

import { setupCallDialog } from './call-dialog';
import { setupEngineLog } from './engine-log';
import { setupLinkGraphs } from './link-graphs';
import { setupMarks } from './marks';
import { setupStats } from './stats';
import { setupTerminal } from './terminal';
import { setupViewCounters } from './view-counters';

export function setupPanes(): () => void {
  const disposers = [
    setupViewCounters(),
    setupMarks(),
    setupCallDialog(),
    setupStats(),
    setupTerminal(),
    setupEngineLog(),
    setupLinkGraphs(),
  ];
  return () => {
    for (const d of disposers.reverse()) d();
  };
}
