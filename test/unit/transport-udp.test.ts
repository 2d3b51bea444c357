// The UDP transports (real loopback sockets): one write is one datagram and one 'data' one
// datagram; the bound side "connects" when its peer first speaks and answers whoever spoke
// last; nobody listening is counted, never fatal; a taken port is one line.
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { parseEndpoint } from '../../electron/engine/endpoint';
import {
  createAcceptor,
  createDialer,
  type ByteChannel,
  type UdpFlow,
} from '../../electron/engine/transports';
import { DatagramChannel, bindUdpChannel } from '../../electron/engine/transports/udp';
import { collectUdp, freeUdpPort } from '../support/udp';
import { untilWithin } from '../support/until';

const until = untilWithin(5_000, 5);

describe('UDP transports', () => {
  it('the bound dialer resolves on the first datagram, delivers it, and answers its sender', async () => {
    const port = await freeUdpPort();
    const flows: UdpFlow[] = [];
    const dialer = createDialer(parseEndpoint(`udp:127.0.0.1:${port}`), {
      onUdpFlow: (flow, socket) => socket === 'bound' && flows.push(flow),
    });
    const dialed = dialer.dial();
    const peer = await collectUdp();
    try {
      const big = new Uint8Array(9000).fill(7);
      peer.socket.send(Uint8Array.of(1, 2, 3), port, '127.0.0.1');
      const channel = await dialed;
      peer.socket.send(big, port, '127.0.0.1');
      const got: Buffer[] = [];
      channel.on('data', (d: Buffer) => got.push(d));
      await until(() => got.length === 2, 'two datagrams');
      expect(got.map((d) => d.length)).toEqual([3, 9000]);
      expect(flows[0]).toEqual({
        local: { address: '127.0.0.1', port },
        remote: { address: '127.0.0.1', port: peer.port },
      });
      // Two writes, two datagrams, each whole, to whoever sent last.
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
    for (let i = 0; i < 3; i++) {
      udp.write(Buffer.from('anyone?'));
      await new Promise((r) => setTimeout(r, 10));
    }
    await until(() => udp.stats.refused > 0, 'ICMP port unreachable');
    expect(udp.destroyed).toBe(false);
    // Now someone listens there: the same channel reaches it.
    const listener = await collectUdp(port);
    try {
      udp.write(Buffer.from('hello'));
      await until(() => listener.received.length === 1, 'the datagram');
      expect(listener.received[0]!.bytes.toString()).toBe('hello');
      listener.socket.send(Buffer.from('back'), listener.received[0]!.from.port, '127.0.0.1');
      const [reply] = (await once(udp, 'data')) as [Buffer];
      expect(reply.toString()).toBe('back');
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
    await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    await expect(dialed).rejects.toThrow(/cancelled/);
    // The port is free again.
    const again = await collectUdp(port);
    again.close();
  });
});
