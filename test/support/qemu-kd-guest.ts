// A real VM for tests: a 512-byte x86 boot sector that, once QEMU boots it, writes a fixed
// KD byte stream to COM1 (0x3F8) and halts. It lets the bridge attach to a real QEMU serial
// port (a unix socket) and decode what a guest sent, without Windows.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { requireTool } from './tools';

const ORIGIN = 0x7c00;

/**
 * The boot sector. DS=0; then, when `replyAfter` > 0, it first reads that many bytes from COM1
 * (polling the line status register), so the guest answers the debugger rather than talking
 * first; then SI=message, CX=length, DX=COM1: lodsb; out dx,al; loop; hlt.
 */
export function kdBootSector(stream: Uint8Array, replyAfter = 0): Uint8Array {
  // prettier-ignore
  const code = [
    0xfa,             // cli
    0xfc,             // cld
    0x31, 0xc0,       // xor ax, ax
    0x8e, 0xd8,       // mov ds, ax
  ];
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
  const patchAt = code.length + 1;
  // prettier-ignore
  code.push(
    0xbe, 0, 0,       // mov si, message (patched below)
    0xb9, stream.length & 0xff, stream.length >> 8, // mov cx, length
    0xba, 0xf8, 0x03, // mov dx, 0x3f8
    0xac,             // lodsb
    0xee,             // out dx, al
    0xe2, 0xfc,       // loop -4 (back to lodsb)
    0xf4,             // hlt
    0xeb, 0xfd,       // jmp -3 (back to hlt)
  );
  const messageAt = ORIGIN + code.length;
  code[patchAt] = messageAt & 0xff;
  code[patchAt + 1] = messageAt >> 8;
  if (code.length + stream.length > 510) {
    throw new RangeError(`a boot sector holds at most ${510 - code.length} bytes of KD stream`);
  }
  const sector = new Uint8Array(512);
  sector.set(code);
  sector.set(stream, code.length);
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
  const deadline = Date.now() + 15_000;
  while (!existsSync(path)) {
    if (child.exitCode !== null)
      throw new Error(`qemu exited (${child.exitCode}): ${stderr().trim()}`);
    if (Date.now() > deadline) throw new Error(`qemu did not create ${path} within 15 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
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
