// QEMU VMs started by hand or by scripts: found among the running processes (Linux /proc).
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseQemuCommandLine } from './qemu-args';
import type { ProviderResult, VmInfo, VmProvider } from './types';

export function qemuProvider(procRoot = '/proc'): VmProvider {
  return {
    name: 'qemu',
    async list(): Promise<ProviderResult> {
      let entries: string[];
      try {
        entries = await readdir(procRoot);
      } catch {
        return {
          vms: [],
          problem: `cannot read ${procRoot}: QEMU processes are listed on Linux only`,
        };
      }
      const vms: VmInfo[] = [];
      for (const pid of entries) {
        if (!/^\d+$/.test(pid)) continue;
        let raw: string;
        try {
          raw = await readFile(join(procRoot, pid, 'cmdline'), 'latin1');
        } catch {
          continue; // The process ended while we looked.
        }
        const argv = raw.split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
        if (!argv[0] || !basename(argv[0]).startsWith('qemu-system-')) continue;
        const parsed = parseQemuCommandLine(argv);
        vms.push({
          provider: 'qemu',
          name: parsed.name ?? `qemu pid ${pid}`,
          state: 'running',
          id: pid,
          channels: parsed.channels,
        });
      }
      return { vms };
    },
  };
}
