// Windows side of the VMBus channel: vmbuspiper.dll offers windbg-uefi's pipe channel to a VM
// and hands back a handle read and written with ReadFile/WriteFile (overlapped).
//
// Where the signatures come from (vmbuspiper.dll is undocumented):
// - windbg-uefi's host tool (cbwang505, WiresharkSender.cs / its article): DllImport of
//   `SafeFileHandle VmbusPipeServerOfferChannel(IntPtr Offer, uint OpenMode, uint PipeMode)`
//   called with (offer, 0x40000000 = FILE_FLAG_OVERLAPPED, 0), and
//   `bool VmbusPipeServerConnectPipe(IntPtr PipeHandle, IntPtr Overlapped)`; its packed
//   VMBUS_PIPE_SERVER_OFFER { Guid VmGuid; u32 InterruptLatencyInMilliseconds; Guid
//   InterfaceType; Guid InterfaceInstance; u32 InterfaceRevision; u16 MmioMegabytes; u16 Flags;
//   byte UserDefined[112] } and the interface type/instance GUIDs below.
// - Mile.HyperV (MouriNaruto, Mile.HyperV.Windows.VMBusPipe.h): the same fields with the VM
//   GUID in a union with a HANDLE, `HANDLE WINAPI VmbusPipeServerOfferChannel(
//   PVMBUS_PIPE_SERVER_OFFER, DWORD OpenMode, DWORD PipeMode)` and `BOOL WINAPI
//   VmbusPipeServerConnectPipe(HANDLE, LPOVERLAPPED)`; the union makes sizeof 0xB0, the size
//   awakecoding/VMBusPipe's reverse engineering passes to the VMBus ioctl. Field offsets are
//   the same either way (0x00, 0x10, 0x14, 0x24, 0x34, 0x38, 0x3A, 0x3C).
// - A vmbecho.sys write-up: the offer returns INVALID_HANDLE_VALUE with ERROR_ACCESS_DENIED
//   without a full administrator token, and a synchronous ConnectPipe waiting in another
//   thread makes CloseHandle block, hence overlapped handles throughout.
//
// Nothing here loads a DLL until loadVmbusApi() runs (Windows only); declaring the types and
// prototypes works anywhere, so tests check them on Linux.

import type KoffiModule from 'koffi';
import { TransportError } from '../transports/types';
import type { PipeTransport, PipeTransportHandlers } from './pipe-transport';

type Koffi = typeof KoffiModule;
type KoffiFunction = ReturnType<ReturnType<Koffi['load']>['func']>;

/** windbg-uefi's channel: interface type and instance. */
export const KD_INTERFACE_TYPE = '{A67DFBAE-7897-42AD-9D10-D96156B36958}';
export const KD_INTERFACE_INSTANCE = '{9C7FE450-67FC-41AA-9732-8D4C3ED93DB4}';

export const FILE_FLAG_OVERLAPPED = 0x40000000;
const INFINITE = 0xffffffff;
const WAIT_OBJECT_0 = 0;

export const OFFER_SIZE = 0xb0;
export const OfferOffset = {
  vmGuid: 0x00,
  interruptLatency: 0x10,
  interfaceType: 0x14,
  interfaceInstance: 0x24,
  interfaceRevision: 0x34,
  mmioMegabytes: 0x38,
  flags: 0x3a,
  userDefined: 0x3c,
} as const;
export const USER_DEFINED_SIZE = 112;

export const Win32 = {
  FILE_NOT_FOUND: 2,
  PATH_NOT_FOUND: 3,
  ACCESS_DENIED: 5,
  INVALID_HANDLE: 6,
  NOT_SUPPORTED: 50,
  INVALID_PARAMETER: 87,
  BROKEN_PIPE: 109,
  MOD_NOT_FOUND: 126,
  PROC_NOT_FOUND: 127,
  BAD_EXE_FORMAT: 193,
  PIPE_BUSY: 231,
  NO_DATA: 232,
  PIPE_NOT_CONNECTED: 233,
  MORE_DATA: 234,
  PIPE_CONNECTED: 535,
  OPERATION_ABORTED: 995,
  IO_PENDING: 997,
  NOT_FOUND: 1168,
  DEVICE_NOT_CONNECTED: 1167,
} as const;

const GUID_TEXT = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i;

/** A GUID in memory as Windows lays it out: Data1 u32, Data2 u16, Data3 u16 little-endian, Data4 as written. */
export function guidBytes(text: string): Uint8Array {
  const m = GUID_TEXT.exec(text.trim());
  if (!m) throw new RangeError(`'${text}' is not a GUID`);
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  view.setUint32(0, parseInt(m[1]!, 16), true);
  view.setUint16(4, parseInt(m[2]!, 16), true);
  view.setUint16(6, parseInt(m[3]!, 16), true);
  const tail = m[4]! + m[5]!;
  for (let i = 0; i < 8; i++) out[8 + i] = parseInt(tail.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function formatGuid(bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  const hex = (n: number, w: number): string => n.toString(16).toUpperCase().padStart(w, '0');
  const tail = [...bytes.subarray(8, 16)].map((b) => hex(b, 2)).join('');
  return `{${hex(view.getUint32(0, true), 8)}-${hex(view.getUint16(4, true), 4)}-${hex(view.getUint16(6, true), 4)}-${tail.slice(0, 4)}-${tail.slice(4)}}`;
}

/** The offer for windbg-uefi's channel in the VM with this GUID (all else zero). */
export function encodeOffer(vmId: string): Uint8Array {
  const offer = new Uint8Array(OFFER_SIZE);
  offer.set(guidBytes(vmId), OfferOffset.vmGuid);
  offer.set(guidBytes(KD_INTERFACE_TYPE), OfferOffset.interfaceType);
  offer.set(guidBytes(KD_INTERFACE_INSTANCE), OfferOffset.interfaceInstance);
  return offer;
}

/** A Win32 error code as one line with a hint. */
export function describeWin32Error(code: number, where: string, doing: string): TransportError {
  const say = (text: string): TransportError =>
    new TransportError(`${where}: ${doing}: ${text}`, `WIN32_${code}`);
  switch (code) {
    case Win32.ACCESS_DENIED:
      return say('access denied: run kdscope elevated (as Administrator)');
    case Win32.FILE_NOT_FOUND:
    case Win32.PATH_NOT_FOUND:
    case Win32.NOT_FOUND:
    case Win32.DEVICE_NOT_CONNECTED:
      return say('the VM is not running or has no VMBus (start it; it must be a generation 2 VM)');
    case Win32.PIPE_BUSY:
      return say(
        'busy: another program (a second kdscope or the seed tool?) has offered this channel',
      );
    case Win32.BROKEN_PIPE:
    case Win32.NO_DATA:
    case Win32.PIPE_NOT_CONNECTED:
      return say('the VM closed the channel (it restarted or shut down)');
    case Win32.OPERATION_ABORTED:
      return say('cancelled');
    case Win32.INVALID_PARAMETER:
    case Win32.NOT_SUPPORTED:
      return say(
        `rejected by the VMBus driver (Win32 error ${code}): this Windows may not support pipe offers`,
      );
    default:
      return say(`Win32 error ${code}`);
  }
}

/** Why loading vmbuspiper.dll failed, in one line. */
export function describeLoadError(error: unknown, dll: string): TransportError {
  const message = error instanceof Error ? error.message : String(error);
  if (/not find|cannot open|No such file|126|specified module/i.test(message)) {
    return new TransportError(
      `vmbuspiper.dll not found: ${dll} (it comes with Hyper-V: enable the Hyper-V platform on this host)`,
    );
  }
  if (/193|not a valid Win32|wrong ELF|architecture/i.test(message)) {
    return new TransportError(
      `vmbuspiper.dll could not be loaded: ${dll} is for another architecture`,
    );
  }
  return new TransportError(`vmbuspiper.dll could not be loaded: ${message.split('\n')[0]}`);
}

let koffiModule: Koffi | undefined;

/**
 * koffi loads a native addon: only when the VMBus channel is used, not at every CLI start.
 * A dynamic import works in the ESM CLI bundle, the CJS Electron bundle and under vitest.
 */
async function loadKoffi(): Promise<Koffi> {
  if (!koffiModule) {
    const loaded = (await import('koffi')) as unknown as { default?: Koffi } & Koffi;
    koffiModule = loaded.default ?? loaded;
  }
  return koffiModule;
}

export interface VmbusTypes {
  readonly koffi: Koffi;
  readonly offer: ReturnType<Koffi['struct']>;
  readonly overlapped: ReturnType<Koffi['struct']>;
  readonly prototypes: Readonly<Record<string, ReturnType<Koffi['proto']>>>;
}

/** The prototypes, as koffi.proto parses them (a DLL binds them by name later). */
export const PROTOTYPES = {
  VmbusPipeServerOfferChannel:
    'HANDLE __stdcall VmbusPipeServerOfferChannel(const VMBUS_PIPE_SERVER_OFFER *Offer, uint32_t OpenMode, uint32_t PipeMode)',
  VmbusPipeServerConnectPipe:
    'bool __stdcall VmbusPipeServerConnectPipe(HANDLE PipeHandle, void *Overlapped)',
  CreateEventW:
    'HANDLE __stdcall CreateEventW(void *lpEventAttributes, bool bManualReset, bool bInitialState, const char16_t *lpName)',
  ReadFile:
    'bool __stdcall ReadFile(HANDLE hFile, void *lpBuffer, uint32_t nNumberOfBytesToRead, void *lpNumberOfBytesRead, void *lpOverlapped)',
  WriteFile:
    'bool __stdcall WriteFile(HANDLE hFile, void *lpBuffer, uint32_t nNumberOfBytesToWrite, void *lpNumberOfBytesWritten, void *lpOverlapped)',
  GetOverlappedResult:
    'bool __stdcall GetOverlappedResult(HANDLE hFile, void *lpOverlapped, _Out_ uint32_t *lpNumberOfBytesTransferred, bool bWait)',
  WaitForSingleObject:
    'uint32_t __stdcall WaitForSingleObject(HANDLE hHandle, uint32_t dwMilliseconds)',
  CancelIoEx: 'bool __stdcall CancelIoEx(HANDLE hFile, void *lpOverlapped)',
  CloseHandle: 'bool __stdcall CloseHandle(HANDLE hObject)',
  GetLastError: 'uint32_t __stdcall GetLastError()',
} as const;

let typesMemo: VmbusTypes | undefined;

/** Declares the structs and prototypes once per process (koffi's type names are global). */
export async function vmbusTypes(): Promise<VmbusTypes> {
  if (typesMemo) return typesMemo;
  const k = await loadKoffi();
  if (typesMemo) return typesMemo;
  k.alias('HANDLE', k.pointer('KDSCOPE_HANDLE_', k.opaque()));
  const guid = k.struct('KDSCOPE_GUID', {
    Data1: 'uint32_t',
    Data2: 'uint16_t',
    Data3: 'uint16_t',
    Data4: k.array('uint8_t', 8),
  });
  const vm = k.union('KDSCOPE_VMBUS_VM', { VmGuid: guid, VmbusHandle: 'HANDLE' });
  const offer = k.struct('VMBUS_PIPE_SERVER_OFFER', {
    Vm: vm,
    InterruptLatencyInMilliseconds: 'uint32_t',
    InterfaceType: guid,
    InterfaceInstance: guid,
    InterfaceRevision: 'uint32_t',
    MmioMegabytes: 'uint16_t',
    Flags: 'uint16_t',
    UserDefined: k.array('uint8_t', USER_DEFINED_SIZE),
  });
  const overlapped = k.struct('KDSCOPE_OVERLAPPED', {
    Internal: 'uintptr_t',
    InternalHigh: 'uintptr_t',
    Offset: 'uint32_t',
    OffsetHigh: 'uint32_t',
    hEvent: 'HANDLE',
  });
  const prototypes: Record<string, ReturnType<Koffi['proto']>> = {};
  for (const [name, text] of Object.entries(PROTOTYPES)) prototypes[name] = k.proto(text);
  typesMemo = { koffi: k, offer, overlapped, prototypes };
  return typesMemo;
}

type Handle = unknown;

interface VmbusApi {
  readonly koffi: Koffi;
  readonly overlappedType: VmbusTypes['overlapped'];
  readonly f: Record<keyof typeof PROTOTYPES, KoffiFunction>;
}

let apiMemo: VmbusApi | undefined;

/** Loads vmbuspiper.dll and kernel32 (Windows only); throws a one-line TransportError. */
export async function loadVmbusApi(dll = 'vmbuspiper.dll'): Promise<VmbusApi> {
  if (apiMemo) return apiMemo;
  const types = await vmbusTypes();
  const k = types.koffi;
  let piper;
  let kernel32;
  try {
    piper = k.load(dll);
  } catch (error) {
    throw describeLoadError(error, dll);
  }
  try {
    kernel32 = k.load('kernel32.dll');
  } catch (error) {
    throw new TransportError(`kernel32.dll could not be loaded: ${(error as Error).message}`);
  }
  const f = {} as Record<keyof typeof PROTOTYPES, KoffiFunction>;
  for (const name of Object.keys(PROTOTYPES) as (keyof typeof PROTOTYPES)[]) {
    const lib = name.startsWith('Vmbus') ? piper : kernel32;
    try {
      f[name] = lib.func(PROTOTYPES[name]);
    } catch {
      throw new TransportError(
        `${name} is missing from ${name.startsWith('Vmbus') ? dll : 'kernel32.dll'}: this Windows build lacks it`,
      );
    }
  }
  apiMemo = { koffi: k, overlappedType: types.overlapped, f };
  return apiMemo;
}

/** An OVERLAPPED in native memory with its own manual-reset event (fixed address while I/O runs). */
class Overlapped {
  readonly ptr: unknown;
  readonly event: Handle;
  constructor(private readonly api: VmbusApi) {
    this.event = api.f.CreateEventW(null, true, false, null);
    if (isInvalid(this.event))
      throw new TransportError(`CreateEventW failed: Win32 error ${api.f.GetLastError()}`);
    this.ptr = api.koffi.alloc(api.overlappedType, 1);
    this.reset();
  }
  reset(): void {
    this.api.koffi.encode(this.ptr, this.api.overlappedType, {
      Internal: 0,
      InternalHigh: 0,
      Offset: 0,
      OffsetHigh: 0,
      hEvent: this.event,
    });
  }
  /** Waits on a koffi worker thread, so the event loop keeps running. */
  wait(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.api.f.WaitForSingleObject.async(
        this.event,
        INFINITE,
        (error: unknown, result: number) => {
          if (error) reject(error instanceof Error ? error : new Error(String(error)));
          else if (result !== WAIT_OBJECT_0)
            reject(new Error(`WaitForSingleObject returned ${result}`));
          else resolve();
        },
      );
    });
  }
  /** After the wait: bytes moved, or the Win32 error. */
  result(handle: Handle): { ok: true; bytes: number } | { ok: false; code: number } {
    const count = [0];
    const ok = this.api.f.GetOverlappedResult(handle, this.ptr, count, false) as boolean;
    if (ok) return { ok: true, bytes: count[0]! };
    const code = this.api.f.GetLastError() as number;
    return code === Win32.MORE_DATA ? { ok: true, bytes: count[0]! } : { ok: false, code };
  }
  free(): void {
    this.api.f.CloseHandle(this.event);
    this.api.koffi.free(this.ptr);
  }
}

function isInvalid(handle: Handle): boolean {
  if (handle === null || handle === undefined) return true;
  const address = koffiModule!.address(handle);
  return address === 0n || address === 0xffffffffffffffffn;
}

/**
 * Offers windbg-uefi's channel to the VM and waits (overlapped, cancellable) until its guest
 * opens it. The caller owns the handle.
 */
export async function offerAndConnect(
  api: VmbusApi,
  vmId: string,
  where: string,
  signal?: AbortSignal,
): Promise<Handle> {
  const offer = encodeOffer(vmId);
  const handle: Handle = api.f.VmbusPipeServerOfferChannel(offer, FILE_FLAG_OVERLAPPED, 0);
  // Read the error at once, before any other call on this thread can change it.
  if (isInvalid(handle))
    throw describeWin32Error(api.f.GetLastError() as number, where, 'offering the channel');
  const ov = new Overlapped(api);
  const onAbort = (): void => void api.f.CancelIoEx(handle, ov.ptr);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (!(api.f.VmbusPipeServerConnectPipe(handle, ov.ptr) as boolean)) {
      const code = api.f.GetLastError() as number;
      if (code === Win32.IO_PENDING) {
        await ov.wait();
        const result = ov.result(handle);
        if (!result.ok)
          throw describeWin32Error(result.code, where, 'waiting for the guest to open the channel');
      } else if (code !== Win32.PIPE_CONNECTED) {
        throw describeWin32Error(code, where, 'waiting for the guest to open the channel');
      }
    }
    return handle;
  } catch (error) {
    api.f.CloseHandle(handle);
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    ov.free();
  }
}

const READ_BUFFER = 0x2000; // the seed's read size: larger than any message of windbg-uefi's rings
const MAX_WRITE_QUEUE = 32;

/**
 * ReadFile/WriteFile on the offered handle, one overlapped read and one overlapped write in
 * flight. Treated as a byte stream: the seed saw several messages in one read.
 */
export function handleTransport(api: VmbusApi, handle: Handle, description: string): PipeTransport {
  const k = api.koffi;
  const readOv = new Overlapped(api);
  const writeOv = new Overlapped(api);
  const readBuffer = k.alloc('uint8_t', READ_BUFFER);
  let handlers: PipeTransportHandlers | undefined;
  let paused = false;
  let reading = false;
  let writing = false;
  let closed = false;
  let released = false;
  const queue: Uint8Array[] = [];

  const release = (): void => {
    if (released || reading || writing) return;
    released = true;
    api.f.CloseHandle(handle);
    readOv.free();
    writeOv.free();
    k.free(readBuffer);
  };
  const fail = (code: number, doing: string): void => {
    if (!closed) {
      closed = true;
      api.f.CancelIoEx(handle, null);
      const gone =
        code === Win32.BROKEN_PIPE || code === Win32.PIPE_NOT_CONNECTED || code === Win32.NO_DATA;
      handlers?.close(gone ? undefined : describeWin32Error(code, description, doing));
    }
    // After close() the aborted I/O lands here too: the last loop out frees the handle.
    release();
  };

  const readLoop = async (): Promise<void> => {
    if (reading) return;
    reading = true;
    while (!closed && !paused) {
      readOv.reset();
      if (!(api.f.ReadFile(handle, readBuffer, READ_BUFFER, null, readOv.ptr) as boolean)) {
        const code = api.f.GetLastError() as number;
        if (code !== Win32.IO_PENDING && code !== Win32.MORE_DATA) {
          reading = false;
          fail(code, 'reading');
          return;
        }
      }
      await readOv.wait().catch(() => undefined);
      const result = readOv.result(handle);
      if (!result.ok) {
        reading = false;
        fail(result.code, 'reading');
        return;
      }
      if (result.bytes > 0 && !closed) {
        handlers?.data(Uint8Array.from(k.decode(readBuffer, 'uint8_t', result.bytes) as number[]));
      }
    }
    reading = false;
    if (closed) release();
  };

  const writeLoop = async (): Promise<void> => {
    if (writing) return;
    writing = true;
    while (!closed && queue.length > 0) {
      const message = queue.shift()!;
      const buffer = k.alloc('uint8_t', message.length);
      k.encode(buffer, k.array('uint8_t', message.length), [...message]);
      writeOv.reset();
      let failed: number | undefined;
      if (!(api.f.WriteFile(handle, buffer, message.length, null, writeOv.ptr) as boolean)) {
        const code = api.f.GetLastError() as number;
        if (code !== Win32.IO_PENDING) failed = code;
      }
      if (failed === undefined) {
        await writeOv.wait().catch(() => undefined);
        const result = writeOv.result(handle);
        if (!result.ok) failed = result.code;
      }
      k.free(buffer);
      if (failed !== undefined) {
        writing = false;
        fail(failed, 'writing');
        return;
      }
      if (queue.length === MAX_WRITE_QUEUE / 2) handlers?.drain();
    }
    writing = false;
    if (closed) release();
  };

  return {
    description,
    boundaries: 'stream',
    start(h) {
      handlers = h;
      void readLoop();
    },
    write(message) {
      if (closed) return true;
      queue.push(message);
      void writeLoop();
      return queue.length < MAX_WRITE_QUEUE;
    },
    pause() {
      paused = true;
    },
    resume() {
      if (!paused) return;
      paused = false;
      void readLoop();
    },
    close() {
      if (closed) return;
      closed = true;
      // Completes the reads and writes in flight (aborted); the loops then release the handle.
      api.f.CancelIoEx(handle, null);
      handlers?.close();
      release();
    },
  };
}
