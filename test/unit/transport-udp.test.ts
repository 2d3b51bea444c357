// The UDP transports (real loopback sockets): one write is one datagram and one 'data' one
// datagram; the bound side "connects" when its peer first speaks and answers it, and follows
// a new sender only with a datagram its admission admits (others are strays, not read);
// nobody listening is counted and said ('refused'), never fatal; a taken port is one line.
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { parseEndpoint } from '../../electron/engine/endpoint';
import {
  createAcceptor,
  createDialer,
  type ByteChannel,
  type StrayDatagram,
  type UdpFlow,
} from '../../electron/engine/transports';
import {
  DatagramChannel,
  bindUdpChannel,
  type UdpEndpoint,
} from '../../electron/engine/transports/udp';
import { collectUdp, freeUdpPort, udpPortBound } from '../support/udp';
import { untilWithin } from '../support/until';

const until = untilWithin(5_000, 5);

/** "MDBG", version, channel, `blocks` AES blocks and a trailer: KDNET by its look. */
function kdnetLooking(blocks: number, fill = 0): Uint8Array {
  const bytes = new Uint8Array(6 + blocks * 16 + 16).fill(fill);
  bytes.set([0x4d, 0x44, 0x42, 0x47, 4, 0]);
  return bytes;
}

describe('UDP transports', () => {
  it('the bound dialer resolves on the first KDNET datagram, delivers it, and answers its sender', async () => {
    const port = await freeUdpPort();
    const flows: UdpFlow[] = [];
    const dialer = createDialer(parseEndpoint(`udp:127.0.0.1:${port}`), {
      onUdpFlow: (flow, socket) => socket === 'bound' && flows.push(flow),
    });
    const dialed = dialer.dial();
    const peer = await collectUdp();
    try {
      const big = new Uint8Array(9000).fill(7);
      peer.socket.send(kdnetLooking(1), port, '127.0.0.1');
      const channel = await dialed;
      peer.socket.send(kdnetLooking(560), port, '127.0.0.1');
      const got: Buffer[] = [];
      channel.on('data', (d: Buffer) => got.push(d));
      await until(() => got.length === 2, 'two datagrams');
      expect(got.map((d) => d.length)).toEqual([38, 8982]);
      expect(flows[0]).toEqual({
        local: { address: '127.0.0.1', port },
        remote: { address: '127.0.0.1', port: peer.port },
      });
      // Two writes, two datagrams, each whole, to the sender.
      channel.write(Buffer.from('ab'));
      channel.write(Buffer.from(big));
      await until(() => peer.received.length === 2, 'the answers');
      expect(peer.received.map((r) => r.bytes.length)).toEqual([2, 9000]);
      expect(peer.received[0]!.from.port).toBe(port);
      channel.destroy();
    } finally {
      peer.close();
    }
  });

  it('the bound dialer answers its target, not a stray sender; a new KDNET sender takes over', async () => {
    const port = await freeUdpPort();
    const dialed = createDialer(parseEndpoint(`udp:127.0.0.1:${port}`)).dial();
    const target = await collectUdp();
    const stray = await collectUdp();
    const rebooted = await collectUdp();
    try {
      target.socket.send(kdnetLooking(1), port, '127.0.0.1');
      const channel = (await dialed) as DatagramChannel;
      const got: Buffer[] = [];
      const strays: StrayDatagram[] = [];
      channel.on('data', (d: Buffer) => got.push(d));
      channel.on('stray', (s: StrayDatagram) => strays.push(s));
      // Garbage, empty, and something that is not KDNET: none takes the target's place.
      stray.socket.send(Buffer.from('garbage'), port, '127.0.0.1');
      stray.socket.send(Buffer.alloc(0), port, '127.0.0.1');
      stray.socket.send(Buffer.from('MDBG but short'), port, '127.0.0.1');
      await until(() => channel.stats.strays === 3, 'three strays');
      channel.write(Buffer.from('to the target'));
      await until(() => target.received.length === 1, 'the answer');
      expect(stray.received).toHaveLength(0);
      expect(got).toHaveLength(1);
      expect(strays.map((s) => [s.datagram.toString(), s.flow.remote.port, s.newSender])).toEqual([
        ['garbage', stray.port, true],
        ['', stray.port, false],
        ['MDBG but short', stray.port, false],
      ]);
      expect(strays[0]!.flow.local).toEqual({ address: '127.0.0.1', port });
      // The target rebooted: a new port, a KDNET datagram. It is the peer now.
      rebooted.socket.send(kdnetLooking(2, 9), port, '127.0.0.1');
      await until(() => got.length === 2, "the rebooted target's datagram");
      expect(channel.flowOf(got[1]!)?.remote.port).toBe(rebooted.port);
      expect(channel.flowOf(got[0]!)?.remote.port).toBe(target.port);
      channel.write(Buffer.from('to the rebooted target'));
      await until(() => rebooted.received.length === 1, 'the answer at the new port');
      expect(target.received).toHaveLength(1);
      channel.destroy();
    } finally {
      for (const s of [target, stray, rebooted]) s.close();
    }
  });

  it('a KDNET sender the admission refuses takes the place of a target quiet for peerQuietMs', async () => {
    // A target rebooted with another key than the bridge's: still the target, once the old one
    // has gone quiet; while the old one talks, the lookalike is a stray.
    const port = await freeUdpPort();
    const channel = await bindUdpChannel(parseEndpoint(`udp:127.0.0.1:${port}`) as UdpEndpoint, {
      admission: { admits: () => false },
      peerQuietMs: 1000,
    });
    const target = await collectUdp();
    const rekeyed = await collectUdp();
    try {
      channel.on('data', () => undefined);
      target.socket.send(kdnetLooking(1), port, '127.0.0.1');
      await until(() => channel.remote?.port === target.port, 'the first target (none before it)');
      rekeyed.socket.send(kdnetLooking(1), port, '127.0.0.1');
      await until(() => channel.stats.strays === 1, 'a stray while the target was just heard');
      expect(channel.remote?.port).toBe(target.port);
      await until(() => {
        // Not KDNET-looking: never takes the place, quiet target or not.
        rekeyed.socket.send(Buffer.from('garbage'), port, '127.0.0.1');
        rekeyed.socket.send(kdnetLooking(1), port, '127.0.0.1');
        return channel.remote?.port === rekeyed.port;
      }, 'the lookalike followed once the target was quiet');
      expect(channel.stats.strays).toBeGreaterThan(1);
    } finally {
      channel.destroy();
      target.close();
      rekeyed.close();
    }
  });

  it('a paused reader still gets one datagram per data event', async () => {
    const port = await freeUdpPort();
    const channel = await bindUdpChannel({ kind: 'udp', host: '127.0.0.1', port });
    const sender = createSocket('udp4');
    try {
      channel.pause();
      for (let i = 1; i <= 20; i++) sender.send(new Uint8Array(i), port, '127.0.0.1');
      await until(() => channel.stats.datagramsIn === 20, 'twenty datagrams');
      const sizes: number[] = [];
      channel.on('data', (d: Buffer) => sizes.push(d.length));
      channel.resume();
      await until(() => sizes.length === 20, 'twenty data events');
      expect(sizes).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    } finally {
      sender.close();
      channel.destroy();
    }
  });

  it('writes before any peer spoke are dropped and counted', async () => {
    const port = await freeUdpPort();
    const channel = await bindUdpChannel({ kind: 'udp', host: '127.0.0.1', port });
    channel.write(Buffer.from('lost'));
    await until(() => channel.stats.dropped === 1, 'the drop');
    expect(channel.stats.datagramsOut).toBe(0);
    channel.destroy();
  });

  it('the connect acceptor hands over a channel at once; nobody listening is counted, not fatal', async () => {
    const port = await freeUdpPort();
    const acceptor = await createAcceptor(parseEndpoint(`udp:${port}`));
    const channel = await new Promise<ByteChannel>((resolve) => acceptor.onConnection(resolve));
    expect(channel).toBeInstanceOf(DatagramChannel);
    const udp = channel as DatagramChannel;
    // udp:PORT names no host: WinDbg on this machine.
    expect(udp.remote).toEqual({ address: '127.0.0.1', port });
    // The kernel reports the ICMP answer to a datagram on a later send or receive: ask again
    // until it has.
    let refusedEvents = 0;
    let undelivered = 0;
    udp.on('refused', () => refusedEvents++);
    udp.on('undelivered', (bytes: number) => (undelivered += bytes));
    expect(udp.refusing).toBe(false);
    await until(() => {
      if (udp.stats.refused > 0) return true;
      udp.write(Buffer.from('anyone?'));
      return false;
    }, 'ICMP port unreachable');
    expect(udp.destroyed).toBe(false);
    expect(udp.refusing).toBe(true);
    expect(refusedEvents).toBe(1);
    // The refused datagrams were 7 bytes each (refusals that come together are told as one).
    expect(undelivered).toBeGreaterThan(0);
    expect(undelivered % 7).toBe(0);
    // Now someone listens there: the same channel reaches it.
    const listener = await collectUdp(port);
    try {
      udp.write(Buffer.from('hello'));
      await until(() => listener.received.length === 1, 'the datagram');
      expect(listener.received[0]!.bytes.toString()).toBe('hello');
      listener.socket.send(Buffer.from('back'), listener.received[0]!.from.port, '127.0.0.1');
      const [reply] = (await once(udp, 'data')) as [Buffer];
      expect(reply.toString()).toBe('back');
      // WinDbg spoke: nothing is refused now.
      expect(udp.refusing).toBe(false);
      expect(refusedEvents).toBe(1);
    } finally {
      listener.close();
      await acceptor.close();
    }
  });

  it('a port in use is one line naming the endpoint', async () => {
    const taken = await collectUdp();
    try {
      await expect(
        createDialer(parseEndpoint(`udp:127.0.0.1:${taken.port}`)).dial(),
      ).rejects.toThrow(
        `udp:127.0.0.1:${taken.port}: address already in use: another program (or a stale socket) holds it`,
      );
    } finally {
      taken.close();
    }
  });

  it('dialing is cancelled by its signal while no peer has spoken', async () => {
    const port = await freeUdpPort();
    const stop = new AbortController();
    const dialed = createDialer(parseEndpoint(`udp:127.0.0.1:${port}`)).dial(stop.signal);
    await until(() => udpPortBound(port), 'the dialer to bind its port');
    stop.abort();
    await expect(dialed).rejects.toThrow(/cancelled/);
    // The port is free again.
    const again = await collectUdp(port);
    again.close();
  });

  it('dialing is cancelled by its signal while it binds', async () => {
    const port = await freeUdpPort();
    const stop = new AbortController();
    const dialed = createDialer(parseEndpoint(`udp:127.0.0.1:${port}`)).dial(stop.signal);
    stop.abort();
    await expect(dialed).rejects.toThrow(/cancelled/);
    const again = await collectUdp(port);
    again.close();
  });
});
