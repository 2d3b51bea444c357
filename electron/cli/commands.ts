// Every sub-command, wired explicitly (no registration as an import side effect). Each is
// loaded only when it runs: `kdscope decode` need not parse the bridge, the web server or the
// simulators, and start-up is a large share of a short command's time.

import type { Command } from './command';

export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  {
    name: 'decode',
    summary: 'decode a capture or two raw streams to NDJSON or a packet table',
    load: async () => (await import('./decode')).decodeCommand,
  },
  {
    name: 'stats',
    summary: 'service response time per API and expert information of a capture',
    load: async () => (await import('./stats')).statsCommand,
  },
  {
    name: 'export',
    summary: 'write a capture as pcap or pcapng, optionally only what a filter matches',
    load: async () => (await import('./export')).exportCommand,
  },
  {
    name: 'bridge',
    summary: 'relay WinDbg <-> target, record and decode live',
    load: async () => (await import('./bridge')).bridgeCommand,
  },
  {
    name: 'simulate',
    summary: 'run a simulated KD target or a scripted KD debugger',
    load: async () => (await import('./simulate')).simulateCommand,
  },
  {
    name: 'replay',
    summary: 'send one side of a capture to an endpoint, at its recorded pace or flat out',
    load: async () => (await import('./replay')).replayCommand,
  },
  {
    name: 'vms',
    summary:
      'list VMs (Hyper-V, QEMU, libvirt, VirtualBox, VMware, simulated) and their KD channels',
    load: async () => (await import('./vms')).vmsCommand,
  },
  {
    name: 'serve',
    summary: 'web mode: the workbench UI in a browser, on 127.0.0.1',
    load: async () => (await import('./serve')).serveCommand,
  },
  {
    name: 'bench',
    summary: 'run the benchmarks (ratios against baselines measured in the same run)',
    load: async () => (await import('./bench')).benchCommand,
  },
];
