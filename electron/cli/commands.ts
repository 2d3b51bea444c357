// Every sub-command, wired explicitly (no registration as an import side effect).

import type { Command } from './command';
import { decodeCommand } from './decode';
import { exportCommand } from './export';
import { bridgeCommand } from './bridge';
import { simulateCommand } from './simulate';
import { serveCommand } from './serve';
import { vmsCommand } from './vms';
import { benchCommand } from './bench';

export const commands: readonly Command[] = [
  decodeCommand,
  exportCommand,
  bridgeCommand,
  simulateCommand,
  vmsCommand,
  serveCommand,
  benchCommand,
];
