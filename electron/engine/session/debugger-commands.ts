// The command lines a user pastes to point a debugger at the bridge's debugger endpoint.
// WinDbg's kernel connection strings (`-k`): com:pipe,port=\\.\pipe\NAME for a named pipe,
// com:ipport=PORT,port=HOST for serial over TCP, com:port=COMn,baud=B for a real port, and
// net:port=P,key=K for KDNET. `resets=0` stops WinDbg from sending RESET bursts on connect and
// `reconnect` makes it follow the pipe when the bridge restarts (as the seed's README advises).

import type { DebuggerCommand, SessionMode } from '../../api/contract';
import { formatEndpoint, type Endpoint } from '../endpoint';

/** The scripted debugger as a separate process (what runs where WinDbg does not). */
export function scriptedDebuggerCommand(ep: Endpoint): string {
  return `kdscope simulate debugger --connect ${formatEndpoint(ep)}`;
}

export function debuggerCommands(ep: Endpoint, mode: SessionMode): DebuggerCommand[] {
  const windbg = (k: string): DebuggerCommand[] => [
    { label: 'WinDbg', command: `windbg -k ${k}` },
    { label: 'kd', command: `kd -k ${k}` },
  ];
  const scripted: DebuggerCommand = {
    label: 'kdscope scripted debugger',
    command: scriptedDebuggerCommand(ep),
  };
  switch (ep.kind) {
    case 'pipe':
      return [...windbg(`com:pipe,port=${ep.path},resets=0,reconnect`), scripted];
    case 'tcp':
      return [...windbg(`com:ipport=${ep.port},port=${ep.host},reconnect`), scripted];
    case 'serial':
      return [
        {
          label: 'WinDbg, on the machine at the other end of the null-modem cable',
          command: `windbg -k com:port=COM1,baud=${ep.baud},resets=0`,
        },
      ];
    case 'udp':
      return mode === 'kdnet'
        ? windbg(`net:port=${ep.port},key=<the session's KDNET key>`)
        : [scripted];
    case 'unix':
      // WinDbg speaks no Unix sockets; socat turns one into TCP for a WinDbg on another host.
      return [
        scripted,
        {
          label: 'WinDbg on another machine, through socat',
          command: `socat TCP-LISTEN:9000,reuseaddr UNIX-CONNECT:${ep.path}   then   windbg -k com:ipport=9000,port=<this host>,reconnect`,
        },
      ];
    case 'sim':
      return [{ label: 'built-in', command: 'the built-in scripted debugger (in process)' }];
    case 'vm':
    case 'vmbus':
      return [];
  }
}

/** The first command, for one-line places (status bar, CLI banner). */
export function primaryDebuggerCommand(ep: Endpoint, mode: SessionMode): string {
  return debuggerCommands(ep, mode)[0]?.command ?? formatEndpoint(ep);
}
