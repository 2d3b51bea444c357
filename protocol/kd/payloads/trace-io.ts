// DBGKD_TRACE_IO (64 bytes: ApiNumber, ProcessorLevel, Processor, a 56-byte union; WPP trace
// data follows) and DBGKD_CONTROL_REQUEST (12 bytes: ApiNumber, an 8-byte union), from
// ReactOS windbgkd.h. Both are rare; they are decoded for display only.

import { ControlRequestApi, controlRequestApiName, TraceIoApi, traceIoApiName } from '../constants';
import type { FamilySpec, UnionMember } from './family';
import { u16, u32 } from './layout';
import { hexDec } from './bytes';

export const TRACE_IO_SIZE = 64;
export const CONTROL_REQUEST_SIZE = 12;

const PRINT_TRACE_API = TraceIoApi.PrintTrace;
const REQUEST_HARDWARE_BP = ControlRequestApi.RequestHardwareBp;
const RELEASE_HARDWARE_BP = ControlRequestApi.ReleaseHardwareBp;

export { traceIoApiName, controlRequestApiName };

export const traceIoSpec: FamilySpec = {
  type: 'DBGKD_TRACE_IO',
  header: {
    apiNumber: u32(0, { show: (v) => `0x${v.toString(16)} (${traceIoApiName(v)})` }),
    processorLevel: u16(4),
    processor: u16(6),
  },
  selector: 'apiNumber',
  unionAt: 8,
  unionSize: 56,
  members: new Map<number, UnionMember>([
    [
      PRINT_TRACE_API,
      {
        type: 'DBGKD_PRINT_TRACE',
        member: 'PrintTrace',
        layout: { lengthOfData: u32(0, { show: hexDec }) },
      },
    ],
  ]),
  dataAt: TRACE_IO_SIZE,
};

export const controlRequestSpec: FamilySpec = {
  type: 'DBGKD_CONTROL_REQUEST',
  header: {
    apiNumber: u32(0, { show: (v) => `0x${v.toString(16)} (${controlRequestApiName(v)})` }),
  },
  selector: 'apiNumber',
  unionAt: 4,
  unionSize: 8,
  members: new Map<number, UnionMember>([
    [
      REQUEST_HARDWARE_BP,
      {
        type: 'DBGKD_REQUEST_BREAKPOINT',
        member: 'RequestBreakpoint',
        layout: { hardwareBreakPointNumber: u32(0), available: u32(4) },
      },
    ],
    [
      RELEASE_HARDWARE_BP,
      {
        type: 'DBGKD_RELEASE_BREAKPOINT',
        member: 'ReleaseBreakpoint',
        layout: { hardwareBreakPointNumber: u32(0), released: u32(4) },
      },
    ],
  ]),
  dataAt: CONTROL_REQUEST_SIZE,
};
