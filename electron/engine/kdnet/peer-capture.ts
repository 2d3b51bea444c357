// A simulated KDNET peer's own capture (`simulate ... --kdnet --pcap FILE`): every datagram it
// sent or received, with the real addresses of its socket, so a test (or a user) can compare
// what one end sent with what the other received, datagram for datagram.

import type { KdnetRole } from '../../../protocol/kdnet/peer';
import { UdpDatagramWriter } from '../../capture/udp-datagram-writer';
import type { KdnetDatagramLog } from '../simulators/kdnet-peers';
import { ipBytes, localAddressFor } from './addresses';

export interface PeerCapture {
  readonly log: KdnetDatagramLog;
  readonly frames: () => number;
  close(): void;
}

/** Opens `path` (pcapng when it ends so, else pcap); throws CaptureWriteError with one line. */
export function openPeerCapture(path: string, role: KdnetRole): PeerCapture {
  const writer = UdpDatagramWriter.open(path, /\.pcapng$/i.test(path) ? 'pcapng' : 'pcap');
  let failed = false;
  const log: KdnetDatagramLog = (datagram, sent, channel) => {
    const remote = channel.remote;
    if (failed || !remote) return;
    const own = channel.local;
    const ownIp = ipBytes(localAddressFor(own.address, remote.address));
    const peerIp = ipBytes(remote.address);
    if (!ownIp || !peerIp || ownIp.length !== peerIp.length) return;
    const me = { ip: ownIp, port: own.port };
    const them = { ip: peerIp, port: remote.port };
    const fromDebugger = (role === 'debugger') === sent;
    try {
      writer.write({
        timeUs: Math.round((performance.timeOrigin + performance.now()) * 1000),
        dir: fromDebugger ? 'debugger->target' : 'target->debugger',
        src: sent ? me : them,
        dst: sent ? them : me,
        payload: datagram,
      });
    } catch {
      // A full disk stops the log, not the simulator; the file is valid to its last frame.
      failed = true;
    }
  };
  return {
    log,
    frames: () => writer.framesWritten,
    close: () => writer.close(),
  };
}
