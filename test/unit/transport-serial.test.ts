// Serial transport over a real pty pair made by socat (the Linux stand-in for a null modem).
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { parseEndpoint } from '../../electron/engine/endpoint';
import { createAcceptor, createDialer, type ByteChannel } from '../../electron/engine/transports';

const hasSocat = spawnSync('socat', ['-V']).status === 0;
let socat: ChildProcess | undefined;

afterEach(() => {
  socat?.kill('SIGTERM');
  socat = undefined;
});

/** Starts `socat -d -d pty,raw,echo=0 pty,raw,echo=0` and returns the two pty paths. */
async function ptyPair(): Promise<[string, string]> {
  if (!hasSocat)
    throw new Error('socat is not installed (apt-get install socat): needed for the serial test');
  const child = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  socat = child;
  let text = '';
  const paths: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socat gave no ptys: ${text}`)), 5000);
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      paths.splice(0, paths.length, ...[...text.matchAll(/PTY is (\S+)/g)].map((m) => m[1]!));
      if (paths.length >= 2 && /starting data transfer loop/.test(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return [paths[0]!, paths[1]!];
}

async function readExactly(channel: ByteChannel, count: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  while (total < count) {
    const [chunk] = (await once(channel, 'data')) as [Buffer];
    parts.push(chunk);
    total += chunk.length;
  }
  return Buffer.concat(parts);
}

describe('serial transport', () => {
  it('fails with a clear line when socat is missing, otherwise relays over a pty pair', async () => {
    if (!hasSocat) {
      await expect(ptyPair()).rejects.toThrow(/socat is not installed/);
      return;
    }
    const [a, b] = await ptyPair();
    const left = await createDialer(parseEndpoint(`serial:${a},115200`)).dial();
    const acceptor = await createAcceptor(parseEndpoint(`serial:${b}`));
    try {
      const right = await new Promise<ByteChannel>((resolve) => acceptor.onConnection(resolve));
      const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff));
      left.write(bytes);
      expect(Buffer.compare(await readExactly(right, bytes.length), bytes)).toBe(0);
      right.write(Buffer.from('bbbb'));
      expect((await readExactly(left, 4)).toString()).toBe('bbbb');
    } finally {
      left.destroy();
      await acceptor.close();
    }
  });

  it('says which device is missing', async () => {
    await expect(
      createDialer(parseEndpoint('serial:/dev/kdscope-no-such-tty')).dial(),
    ).rejects.toThrow(/serial:\/dev\/kdscope-no-such-tty,115200: no such serial device/);
  });
});
