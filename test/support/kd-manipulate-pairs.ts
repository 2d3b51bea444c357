// Real manipulate requests and replies: GetVersion and ReadVirtualMemory are the bytes of
// test/fixtures/windbg-uncut.pcapng.gz (key 8.8.8.8; `kdscope decode` packets #8/#10 and
// #12/#14), where WinDbg left stack garbage in what the target fills (ReturnStatus, the
// GetVersion union, ActualBytesRead). The capture has no WriteVirtualMemory: that pair is laid
// out by hand from ReactOS windbgkd.h. Payloads only (DBGKD_MANIPULATE_STATE64 + data).

/** Bytes from hex text; spaces, newlines and `|` are ignored. */
export function hx(text: string): Uint8Array {
  const clean = text.replace(/[\s|]/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

export const getVersionRequest = hx(`
  46 31 00 00 | ff ff | ff ff | 03 01 00 00 | 25 00 00 00
  f0 c6 3f 25 01 7f 00 00 e8 f5 c7 d2 00 00 00 00 68 f6 c7 d2 25 00 00 00
  90 93 3a 25 f7 7f 00 00 00 00 00 00 00 00 00 00`);
export const getVersionReply = hx(`
  46 31 00 00 | ff ff | ff ff | 00 00 00 00 | 25 00 00 00
  0f 04 | 5a 29 | 06 | 02 | 02 00 | 64 86 | 0c | 32 | 59 | 00 | 00 00
  00 f0 96 00 00 00 00 00 | 60 5e ad 00 00 00 00 00 | 00 00 00 00 00 00 00 00`);
export const readRequest = hx(`
  30 31 00 00 | 25 00 | 00 00 | 4e 00 00 00 | 00 00 00 00
  60 5e ad 00 00 00 00 00 | 10 00 00 00 | f7 7f 00 00
  a6 01 00 00 00 00 00 00 d0 eb c7 d2 25 00 00 00 11 02 00 13 fe 7f 00 00`);
export const readReply = hx(`
  30 31 00 00 | 25 00 | 00 00 | 00 00 00 00 | 00 00 00 00
  60 5e ad 00 00 00 00 00 | 10 00 00 00 | 10 00 00 00
  a6 01 00 00 00 00 00 00 d0 eb c7 d2 25 00 00 00 11 02 00 13 fe 7f 00 00
  30 9e c4 7b 01 f8 ff ff 50 86 c5 7b 01 f8 ff ff`);
// WriteMemory { TargetBaseAddress 0xfffff80012340000, TransferCount 8, ActualBytesWritten }:
// the request carries the 8 bytes to write (and garbage where the count written goes), the
// reply the count and no data (KdpWriteVirtualMemory sends no data back).
export const writeRequest = hx(`
  31 31 00 00 | 00 00 | 00 00 | 03 01 00 00 | 00 00 00 00
  00 00 34 12 00 f8 ff ff | 08 00 00 00 | ef be ad de
  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
  90 90 90 90 cc cc cc cc`);
export const writeReply = hx(`
  31 31 00 00 | 00 00 | 00 00 | 00 00 00 00 | 00 00 00 00
  00 00 34 12 00 f8 ff ff | 08 00 00 00 | 08 00 00 00
  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00`);
