import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { type Socket } from 'node:net';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { parseEndpoint, type Endpoint } from '../../electron/engine/endpoint';
import {
  TransportError,
  createAcceptor,
  createDialer,
  describeTransportError,
  netAcceptor,
  netAddress,
  netDialer,
  type AcceptorNotice,
  type ByteChannel,
  type NetAcceptor,
} from '../../electron/engine/transports';
import { untilWithin } from '../support/until';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdscope-transport-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function roundTrip(endpoint: Endpoint): Promise<void> {
  if (endpoint.kind !== 'unix' && endpoint.kind !== 'tcp') throw new Error('test needs unix/tcp');
  const acceptor = await netAcceptor(endpoint);
  const dialTo =
    endpoint.kind === 'tcp' ? { ...endpoint, port: acceptor.port ?? endpoint.port } : endpoint;
  try {
    const accepted = new Promise<ByteChannel>((resolve) => acceptor.onConnection(resolve));
    const client = await netDialer(dialTo).dial();
    const server = await accepted;
    const payload = Buffer.from([0x30, 0x30, 0x30, 0x30, 1, 2, 3, 0xaa]);
    client.write(payload);
    const [got] = (await once(server, 'data')) as [Buffer];
    expect(Buffer.compare(got, payload)).toBe(0);
    server.write(Buffer.from('iiii'));
    const [back] = (await once(client, 'data')) as [Buffer];
    expect(back.toString()).toBe('iiii');
    client.destroy();
    await once(server, 'close');
  } finally {
    await acceptor.close();
  }
}

describe('net transports', () => {
  it('unix socket: accept, dial, bytes both ways, close unlinks the socket', async () => {
    const path = join(dir, 'kd.sock');
    await roundTrip(parseEndpoint(`unix:${path}`));
    expect(existsSync(path)).toBe(false);
  });

  it('tcp on loopback (v4 and v6)', async () => {
    await roundTrip({ kind: 'tcp', host: '127.0.0.1', port: 0 });
    await roundTrip({ kind: 'tcp', host: '::1', port: 0 });
  });

  it('replaces a stale unix socket file but not a live one', async () => {
    const path = join(dir, 'stale.sock');
    // A socket file nobody listens on, as a crashed run leaves it (bound, never listening).
    const made = spawnSync('python3', [
      '-c',
      'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
      path,
    ]);
    expect(made.status).toBe(0);
    expect(existsSync(path)).toBe(true);
    const acceptor = await netAcceptor({ kind: 'unix', path });
    await acceptor.close();

    const live = await netAcceptor({ kind: 'unix', path });
    try {
      await expect(netAcceptor({ kind: 'unix', path })).rejects.toThrow(/address already in use/);
    } finally {
      await live.close();
    }
  });

  it('never replaces a path that is not a socket: one line, the file kept', async () => {
    const file = join(dir, 'important.txt');
    writeFileSync(file, 'precious\n');
    const refused = await netAcceptor({ kind: 'unix', path: file }).catch((error: Error) => error);
    expect(refused).toBeInstanceOf(TransportError);
    expect((refused as Error).message).toBe(`${file} exists and is not a socket`);
    expect(readFileSync(file, 'utf8')).toBe('precious\n');
    const folder = join(dir, 'folder');
    mkdirSync(folder);
    await expect(createAcceptor(parseEndpoint(`unix:${folder}`))).rejects.toThrow(
      /folder exists and is not a socket$/,
    );
    expect(statSync(folder).isDirectory()).toBe(true);
  });

  it('says clearly when nothing listens', async () => {
    const path = join(dir, 'nobody.sock');
    await expect(createDialer(parseEndpoint(`unix:${path}`)).dial()).rejects.toThrow(
      /unix:.*nobody\.sock: nobody listens there/,
    );
    writeFileSync(join(dir, 'plain'), 'x');
    await expect(createDialer(parseEndpoint(`unix:${join(dir, 'plain')}`)).dial()).rejects.toThrow(
      /connection refused/,
    );
  });

  it('closes connections it accepted when closed', async () => {
    const path = join(dir, 'c.sock');
    const acceptor = await createAcceptor(parseEndpoint(`unix:${path}`));
    const accepted = new Promise<ByteChannel>((resolve) => acceptor.onConnection(resolve));
    const client = (await createDialer(parseEndpoint(`unix:${path}`)).dial()) as Socket;
    await accepted;
    const closed = once(client, 'close');
    await acceptor.close();
    await closed;
  });

  it('a dial can be cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      createDialer(parseEndpoint(`unix:${join(dir, 'x.sock')}`)).dial(controller.signal),
    ).rejects.toThrow(/cancelled/);
  });
});

describe('a unix socket file removed or replaced while listening', () => {
  const until = untilWithin(10_000);

  async function served(
    path: string,
  ): Promise<{ acceptor: NetAcceptor; notices: AcceptorNotice[] }> {
    const acceptor = await netAcceptor({ kind: 'unix', path }, undefined, { watchMs: 50 });
    const notices: AcceptorNotice[] = [];
    acceptor.onNotice?.((notice) => notices.push(notice));
    acceptor.onConnection(() => undefined);
    return { acceptor, notices };
  }

  it('listens at the path again, says so once, and keeps connections it had', async () => {
    const path = join(dir, 'gone.sock');
    const { acceptor, notices } = await served(path);
    const accepted: ByteChannel[] = [];
    acceptor.onConnection((channel) => accepted.push(channel));
    try {
      const before = await netDialer({ kind: 'unix', path }).dial();
      await until(() => accepted.length === 1, 'the first connection');
      unlinkSync(path);
      await until(() => notices.length === 1, 'the notice');
      expect(notices[0]).toEqual({
        level: 'warn',
        message: `${path}: the socket file was removed; listening there again`,
      });
      expect(statSync(path).isSocket()).toBe(true);
      const after = await netDialer({ kind: 'unix', path }).dial();
      await until(() => accepted.length === 2, 'a connection at the path again');
      // The connection accepted before still carries bytes.
      before.write('still');
      const [got] = (await once(accepted[0]!, 'data')) as [Buffer];
      expect(got.toString()).toBe('still');
      // A second removal is said again.
      unlinkSync(path);
      await until(() => notices.length === 2, 'the second notice');
      before.destroy();
      after.destroy();
    } finally {
      await acceptor.close();
    }
    expect(existsSync(path)).toBe(false);
  });

  it('takes a dead socket put in its place, but never a file or a live socket', async () => {
    const path = join(dir, 'swap.sock');
    const { acceptor, notices } = await served(path);
    try {
      unlinkSync(path);
      writeFileSync(path, 'precious\n');
      await until(() => notices.length === 1, 'the notice');
      expect(notices[0]!.level).toBe('error');
      expect(notices[0]!.message).toMatch(
        /swap\.sock was replaced by something that is not a socket/,
      );
      expect(readFileSync(path, 'utf8')).toBe('precious\n');
      unlinkSync(path);
      const made = spawnSync('python3', [
        '-c',
        'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
        path,
      ]);
      expect(made.status).toBe(0);
      await until(() => notices.length === 2, 'listening again');
      expect(notices[1]!.message).toBe(
        `${path}: the socket file was replaced by a dead socket; listening there again`,
      );
      (await netDialer({ kind: 'unix', path }).dial()).destroy();
      unlinkSync(path);
      const other = await netAcceptor({ kind: 'unix', path });
      try {
        await until(() => notices.length === 3, 'the live socket noticed');
        expect(notices[2]!.message).toMatch(/taken over by another program's socket/);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(notices).toHaveLength(3);
      } finally {
        await other.close();
      }
    } finally {
      await acceptor.close();
    }
  });

  it('says so when it cannot listen there again, and retries', async () => {
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    const path = join(sub, 'kd.sock');
    const { acceptor, notices } = await served(path);
    try {
      rmSync(sub, { recursive: true });
      await until(() => notices.length === 1, 'the notice');
      expect(notices[0]!.level).toBe('error');
      expect(notices[0]!.message).toMatch(
        /kd\.sock: .+ \(the socket file was removed; retrying\)$/,
      );
      mkdirSync(sub);
      await until(() => notices.length === 2, 'listening again');
      expect(statSync(path).isSocket()).toBe(true);
    } finally {
      await acceptor.close();
    }
    expect(existsSync(path)).toBe(false);
  });
});

describe('named pipe mapping (Windows seams)', () => {
  it('maps pipe:NAME to \\\\.\\pipe\\NAME on Windows and refuses it elsewhere', () => {
    const ep = parseEndpoint('pipe:kd_com1');
    if (ep.kind !== 'pipe') throw new Error('unreachable');
    expect(netAddress(ep, 'win32')).toEqual({ path: '\\\\.\\pipe\\kd_com1' });
    expect(() => netAddress(ep, 'linux')).toThrow(TransportError);
    expect(() => netAddress(ep, 'linux')).toThrow(/only on Windows; use unix:PATH/);
  });

  it('maps EBUSY and "All pipe instances are busy" to one line', () => {
    const ep = parseEndpoint('pipe:kd');
    const busy = Object.assign(new Error('connect EBUSY \\\\.\\pipe\\kd'), { code: 'EBUSY' });
    expect(describeTransportError(busy, ep, 'connect').message).toBe(
      'pipe \\\\.\\pipe\\kd: busy: another client (a second WinDbg or bridge?) holds the pipe; close it and retry',
    );
    const words = new Error('All pipe instances are busy.');
    expect(describeTransportError(words, ep, 'connect').message).toMatch(/busy: another client/);
    expect(describeTransportError(words, ep, 'listen').message).toMatch(
      /another program already serves/,
    );
    const missing = Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' });
    expect(describeTransportError(missing, ep, 'connect').message).toMatch(
      /no such pipe: is the VM running/,
    );
  });

  it('maps other errors to one line and keeps unknown messages', () => {
    const tcp = parseEndpoint('tcp:10.1.1.1:9');
    const refused = Object.assign(new Error('x'), { code: 'ECONNREFUSED' });
    expect(describeTransportError(refused, tcp, 'connect').message).toBe(
      'tcp:10.1.1.1:9: connection refused: nothing listens there (is the VM or simulator running?)',
    );
    const odd = new Error('something odd\nsecond line');
    expect(describeTransportError(odd, tcp, 'io').message).toBe('tcp:10.1.1.1:9: something odd');
  });

  it('names the unsupported kinds', async () => {
    expect(() => createDialer(parseEndpoint('sim'))).toThrow(/simulated target is not available/);
    await expect(createAcceptor(parseEndpoint('sim'))).rejects.toThrow(
      /the built-in scripted debugger is not available here/,
    );
    await expect(createAcceptor(parseEndpoint('sim:vmbus'))).rejects.toThrow(
      /sim:vmbus is a target/,
    );
    await expect(createAcceptor(parseEndpoint('vmbus:x'))).rejects.toThrow(
      /vmbus:x: a VM is a target; the debugger side needs a pipe, socket or port/,
    );
    await expect(createAcceptor(parseEndpoint('vm:x'))).rejects.toThrow(/vm:x: a VM is a target/);
  });
});
