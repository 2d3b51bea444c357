// The bridge with its target on a serial port: a socat pty pair stands in for the null modem
// between the bridge and a target machine.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Bridge } from '../../electron/engine/bridge/bridge';
import { parseEndpoint } from '../../electron/engine/endpoint';
import { createDialer, type ByteChannel } from '../../electron/engine/transports';
import { concatBytes, encodeAck, encodeReset } from '../../protocol/kd/encoder';
import { untilWithin } from '../support/until';

const hasSocat = spawnSync('socat', ['-V']).status === 0;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function ptyPair(): Promise<[string, string]> {
  if (!hasSocat)
    throw new Error('socat is not installed (apt-get install socat): needed for the serial test');
  const child: ChildProcess = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  cleanups.push(() => void child.kill('SIGTERM'));
  let text = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socat gave no ptys: ${text}`)), 5000);
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (/starting data transfer loop/.test(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const paths = [...text.matchAll(/PTY is (\S+)/g)].map((m) => m[1]!);
  return [paths[0]!, paths[1]!];
}

function receive(channel: ByteChannel, count: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let total = 0;
    const timer = setTimeout(
      () => reject(new Error(`received ${total} of ${count} bytes`)),
      15_000,
    );
    const onData = (chunk: Buffer): void => {
      parts.push(chunk);
      total += chunk.length;
      if (total >= count) {
        clearTimeout(timer);
        channel.off('data', onData);
        resolve(Buffer.concat(parts));
      }
    };
    channel.on('data', onData);
  });
}

describe('bridge to a serial target', () => {
  it('relays byte-exact both ways over a pty pair', async () => {
    const [bridgeSide, targetSide] = await ptyPair();
    const dir = mkdtempSync(join(tmpdir(), 'kdscope-serial-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const target = await createDialer(parseEndpoint(`serial:${targetSide},115200`)).dial();
    cleanups.push(() => void target.destroy());
    const bridge = await Bridge.start({
      debugger: parseEndpoint(`unix:${join(dir, 'd.sock')}`),
      target: parseEndpoint(`serial:${bridgeSide},115200`),
    });
    cleanups.push(() => bridge.close());
    const dbg = connect({ path: join(dir, 'd.sock') });
    await once(dbg, 'connect');
    cleanups.push(() => void dbg.destroy());
    await untilWithin(10_000, 5)(
      () => bridge.connected('debugger') && bridge.connected('target'),
      'the bridge to connect both sides',
    );

    const toTarget = concatBytes([encodeReset(), randomBytes(20_000), encodeAck(0x80800000)]);
    const toDebugger = concatBytes([encodeReset(), randomBytes(30_000)]);
    const gotByTarget = receive(target, toTarget.length);
    const gotByDebugger = receive(dbg, toDebugger.length);
    dbg.write(toTarget);
    target.write(toDebugger);
    const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
    expect(sha(await gotByTarget)).toBe(sha(toTarget));
    expect(sha(await gotByDebugger)).toBe(sha(toDebugger));
    expect(bridge.counters().errors).toBe(0);
  });
});
