// A real VM for tests: a 512-byte x86 boot sector that, once QEMU boots it, writes a fixed
// KD byte stream to COM1 (0x3F8) and halts. It lets the bridge attach to a real QEMU serial
// port (a unix socket) and decode what a guest sent, without Windows.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { readUntil } from './socket-read';
import { requireTool } from './tools';
import { untilWithin } from './until';

const ORIGIN = 0x7c00;

/**
 * Sends `length` bytes at SI to COM1, each once the transmitter holds none (LSR bit 5): QEMU's
 * UART drops a byte written while the previous one still waits for the socket.
 */
function sendLoop(length: number): number[] {
  // prettier-ignore
  return [
    0xbe, 0, 0,       // mov si, bytes (patched)
    0xb9, length & 0xff, length >> 8, // mov cx, length
    0xba, 0xfd, 0x03, // next: mov dx, 0x3fd (line status)
    0xec,             // wait: in al, dx
    0xa8, 0x20,       // test al, 0x20 (transmitter empty)
    0x74, 0xfb,       // jz wait
    0xba, 0xf8, 0x03, // mov dx, 0x3f8
    0xac,             // lodsb
    0xee,             // out dx, al
    0xe2, 0xf1,       // loop next
  ];
}

/**
 * The boot sector. DS=0; with a `greeting`, it writes it to COM1 again and again (as a KD
 * target repeats an unacknowledged packet) until a byte arrives: a test that sees it knows the
 * guest is up and past the BIOS, which may read the port while it boots, and that the bridge
 * carries both ways. Then, when `replyAfter` > 0, it reads that many bytes from COM1 (polling
 * the line status register), so it answers the debugger rather than talking first; then it
 * writes `stream` and halts.
 */
export function kdBootSector(
  stream: Uint8Array,
  replyAfter = 0,
  greeting: Uint8Array = new Uint8Array(0),
): Uint8Array {
  // prettier-ignore
  const code = [
    0xfa,             // cli
    0xfc,             // cld
    0x31, 0xc0,       // xor ax, ax
    0x8e, 0xd8,       // mov ds, ax
  ];
  const patches: [number, Uint8Array][] = [];
  if (greeting.length > 0) {
    patches.push([code.length + 1, greeting]);
    code.push(...sendLoop(greeting.length));
    // prettier-ignore
    code.push(
      0xb9, 0xff, 0xff, // mov cx, 0xffff (polls before greeting again)
      0xba, 0xfd, 0x03, // mov dx, 0x3fd (line status)
      0xec,             // poll: in al, dx
      0xa8, 0x01,       // test al, 1 (data ready)
      0x75, 0x04,       // jnz +4 (past the next two jumps: a byte came)
      0xe2, 0xf9,       // loop poll
      0xeb, 0xdc,       // jmp -36 (back to the greeting's mov si)
    );
  }
  if (replyAfter > 0) {
    // prettier-ignore
    code.push(
      0xbb, replyAfter & 0xff, replyAfter >> 8, // mov bx, count
      0xba, 0xfd, 0x03, // wait: mov dx, 0x3fd (line status)
      0xec,             // poll: in al, dx
      0xa8, 0x01,       // test al, 1 (data ready)
      0x74, 0xfb,       // jz poll
      0xba, 0xf8, 0x03, // mov dx, 0x3f8
      0xec,             // in al, dx
      0x4b,             // dec bx
      0x75, 0xf1,       // jnz wait
    );
  }
  patches.push([code.length + 1, stream]);
  code.push(...sendLoop(stream.length));
  // prettier-ignore
  code.push(
    0xf4,             // hlt
    0xeb, 0xfd,       // jmp -3 (back to hlt)
  );
  const sector = new Uint8Array(512);
  let at = code.length;
  for (const [patchAt, bytes] of patches) {
    const address = ORIGIN + at;
    code[patchAt] = address & 0xff;
    code[patchAt + 1] = address >> 8;
    if (at + bytes.length > 510) {
      throw new RangeError(`a boot sector holds at most ${510 - code.length} bytes of KD stream`);
    }
    sector.set(bytes, at);
    at += bytes.length;
  }
  sector.set(code);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

export interface QemuGuest {
  readonly process: ChildProcess;
  /** Resolves once QEMU listens on the serial socket; rejects if QEMU exits first. */
  readonly ready: Promise<void>;
  stop(): void;
}

async function waitForSocket(
  path: string,
  child: ChildProcess,
  stderr: () => string,
): Promise<void> {
  await untilWithin(15_000)(() => {
    if (child.exitCode !== null)
      throw new Error(`qemu exited (${child.exitCode}): ${stderr().trim()}`);
    return existsSync(path);
  }, `qemu to create ${path}`);
}

/**
 * Boots the sector in QEMU (TCG, no display) with COM1 as a unix-socket server that waits for
 * its client before the VM starts, so no byte is lost.
 */
export function startQemuGuest(
  imagePath: string,
  sector: Uint8Array,
  socketPath: string,
  name = 'kdscope-test-guest',
): QemuGuest {
  const qemu = requireTool('qemu-system-x86_64', 'qemu-system-x86');
  writeFileSync(imagePath, sector);
  const child = spawn(
    qemu,
    [
      '-name',
      name,
      '-machine',
      'pc,accel=tcg',
      '-m',
      '16',
      '-display',
      'none',
      '-monitor',
      'none',
      '-no-reboot',
      '-drive',
      `format=raw,file=${imagePath},if=floppy`,
      '-boot',
      'a',
      '-serial',
      `unix:${socketPath},server=on,wait=on`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return {
    process: child,
    ready: waitForSocket(socketPath, child, () => stderr),
    stop: () => {
      child.kill('SIGKILL');
    },
  };
}

export function qemuVersion(): string {
  const qemu = requireTool('qemu-system-x86_64', 'qemu-system-x86');
  return execFileSync(qemu, ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? '';
}

/**
 * The debugger's side of a guest built with a greeting: waits for a greeting to arrive (the
 * guest repeats it until it hears from us), sends `request`, and resolves once `answer` has
 * come, checking that only whole greetings came before it. Returns every byte received.
 */
export async function exchangeWithGuest(
  socket: Socket,
  guest: { greeting: Uint8Array; answer: Uint8Array },
  request: Uint8Array,
  why: () => string,
): Promise<Buffer> {
  const greeting = Buffer.from(guest.greeting);
  const answer = Buffer.from(guest.answer);
  const greeted = await readUntil(socket, (b) => b.includes(greeting), 20_000, why);
  const tail = readUntil(socket, (b) => b.subarray(-answer.length).equals(answer), 20_000, why);
  socket.write(request);
  // A copy of the greeting may still be on its way when the request goes out.
  const rest = await tail;
  const all = Buffer.concat([greeted, rest]);
  const before = all.subarray(0, all.length - answer.length);
  for (let at = 0; at < before.length; at += greeting.length) {
    if (!before.subarray(at, at + greeting.length).equals(greeting)) {
      throw new Error(
        `the guest sent something other than its greeting before the answer, at ${at}`,
      );
    }
  }
  return all;
}
