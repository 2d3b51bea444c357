// NTSTATUS values met on the KD wire (ReturnStatus, ContinueStatus, exception codes,
// FILE_IO Status). Values are unsigned 32-bit, as written on the wire.

const names = new Map<number, string>([
  [0x00000000, 'STATUS_SUCCESS'],
  [0x00000001, 'STATUS_WAIT_1'],
  [0x00000080, 'STATUS_ABANDONED'],
  [0x000000c0, 'STATUS_USER_APC'],
  [0x00000101, 'STATUS_ALERTED'],
  [0x00000102, 'STATUS_TIMEOUT'],
  [0x00000103, 'STATUS_PENDING'],
  [0x00010001, 'DBG_EXCEPTION_HANDLED'],
  [0x00010002, 'DBG_CONTINUE'],
  [0x40000015, 'STATUS_FATAL_APP_EXIT'],
  [0x4000001e, 'STATUS_WX86_SINGLE_STEP'],
  [0x4000001f, 'STATUS_WX86_BREAKPOINT'],
  [0x40010001, 'DBG_REPLY_LATER'],
  [0x40010003, 'DBG_TERMINATE_THREAD'],
  [0x40010004, 'DBG_TERMINATE_PROCESS'],
  [0x40010005, 'DBG_CONTROL_C'],
  [0x40010006, 'DBG_PRINTEXCEPTION_C'],
  [0x40010007, 'DBG_RIPEXCEPTION'],
  [0x40010008, 'DBG_CONTROL_BREAK'],
  [0x40010009, 'DBG_COMMAND_EXCEPTION'],
  [0x4001000a, 'DBG_PRINTEXCEPTION_WIDE_C'],
  [0x80000001, 'STATUS_GUARD_PAGE_VIOLATION'],
  [0x80000002, 'STATUS_DATATYPE_MISALIGNMENT'],
  [0x80000003, 'STATUS_BREAKPOINT'],
  [0x80000004, 'STATUS_SINGLE_STEP'],
  [0x80000005, 'STATUS_BUFFER_OVERFLOW'],
  [0x80000006, 'STATUS_NO_MORE_FILES'],
  [0x8000001a, 'STATUS_NO_MORE_ENTRIES'],
  [0x80000026, 'STATUS_LONGJUMP'],
  [0x80000029, 'STATUS_UNWIND_CONSOLIDATE'],
  [0x80010001, 'DBG_EXCEPTION_NOT_HANDLED'],
  [0xc0000001, 'STATUS_UNSUCCESSFUL'],
  [0xc0000002, 'STATUS_NOT_IMPLEMENTED'],
  [0xc0000005, 'STATUS_ACCESS_VIOLATION'],
  [0xc0000006, 'STATUS_IN_PAGE_ERROR'],
  [0xc0000008, 'STATUS_INVALID_HANDLE'],
  [0xc000000d, 'STATUS_INVALID_PARAMETER'],
  [0xc000000f, 'STATUS_NO_SUCH_FILE'],
  [0xc0000010, 'STATUS_INVALID_DEVICE_REQUEST'],
  [0xc0000011, 'STATUS_END_OF_FILE'],
  [0xc000001d, 'STATUS_ILLEGAL_INSTRUCTION'],
  [0xc000001e, 'STATUS_INVALID_LOCK_SEQUENCE'],
  [0xc0000022, 'STATUS_ACCESS_DENIED'],
  [0xc0000023, 'STATUS_BUFFER_TOO_SMALL'],
  [0xc0000025, 'STATUS_NONCONTINUABLE_EXCEPTION'],
  [0xc0000026, 'STATUS_INVALID_DISPOSITION'],
  [0xc0000027, 'STATUS_UNWIND'],
  [0xc0000028, 'STATUS_BAD_STACK'],
  [0xc0000029, 'STATUS_INVALID_UNWIND_TARGET'],
  [0xc0000034, 'STATUS_OBJECT_NAME_NOT_FOUND'],
  [0xc000003a, 'STATUS_OBJECT_PATH_NOT_FOUND'],
  [0xc000008c, 'STATUS_ARRAY_BOUNDS_EXCEEDED'],
  [0xc000008d, 'STATUS_FLOAT_DENORMAL_OPERAND'],
  [0xc000008e, 'STATUS_FLOAT_DIVIDE_BY_ZERO'],
  [0xc000008f, 'STATUS_FLOAT_INEXACT_RESULT'],
  [0xc0000090, 'STATUS_FLOAT_INVALID_OPERATION'],
  [0xc0000091, 'STATUS_FLOAT_OVERFLOW'],
  [0xc0000092, 'STATUS_FLOAT_STACK_CHECK'],
  [0xc0000093, 'STATUS_FLOAT_UNDERFLOW'],
  [0xc0000094, 'STATUS_INTEGER_DIVIDE_BY_ZERO'],
  [0xc0000095, 'STATUS_INTEGER_OVERFLOW'],
  [0xc0000096, 'STATUS_PRIVILEGED_INSTRUCTION'],
  [0xc00000bb, 'STATUS_NOT_SUPPORTED'],
  [0xc00000fd, 'STATUS_STACK_OVERFLOW'],
  [0xc0000120, 'STATUS_CANCELLED'],
  [0xc0000135, 'STATUS_DLL_NOT_FOUND'],
  [0xc000013a, 'STATUS_CONTROL_C_EXIT'],
  [0xc0000142, 'STATUS_DLL_INIT_FAILED'],
  [0xc0000144, 'STATUS_UNHANDLED_EXCEPTION'],
  [0xc0000194, 'STATUS_POSSIBLE_DEADLOCK'],
  [0xc0000225, 'STATUS_NOT_FOUND'],
  [0xc00002b4, 'STATUS_FLOAT_MULTIPLE_FAULTS'],
  [0xc00002b5, 'STATUS_FLOAT_MULTIPLE_TRAPS'],
  [0xc00002c5, 'STATUS_DATATYPE_MISALIGNMENT_ERROR'],
  [0xc0000374, 'STATUS_HEAP_CORRUPTION'],
  [0xc0000409, 'STATUS_STACK_BUFFER_OVERRUN'],
  [0xc0000417, 'STATUS_INVALID_CRUNTIME_PARAMETER'],
  [0xc0000420, 'STATUS_ASSERTION_FAILURE'],
  [0xc0000602, 'STATUS_FAIL_FAST_EXCEPTION'],
]);

/**
 * Exception codes that are not NTSTATUS values but reach a kernel debugger as first-chance
 * exceptions of user-mode code (winnt.h / the MSVC runtime).
 */
const exceptionOnly = new Map<number, string>([
  [0x406d1388, 'MS_VC_EXCEPTION (SetThreadName)'],
  [0xe06d7363, 'C++ exception (MSVC)'],
  [0xe0434352, 'CLR exception'],
]);

/** Every NTSTATUS name this table knows, with its value (for filters: `status != STATUS_PENDING`). */
export function ntStatusValues(): ReadonlyMap<string, number> {
  return new Map([...names].map(([value, name]) => [name, value]));
}

/** `STATUS_BREAKPOINT` for 0x80000003; `NTSTATUS(0x...)` for values not in the table. */
export function ntStatusName(status: number): string {
  const n = status >>> 0;
  return names.get(n) ?? `NTSTATUS(0x${n.toString(16).padStart(8, '0')})`;
}

/** The name of an ExceptionCode: an NTSTATUS, or one of the runtime's own codes. */
export function exceptionCodeName(code: number): string {
  const n = code >>> 0;
  return names.get(n) ?? exceptionOnly.get(n) ?? ntStatusName(n);
}

/** `0xc0000005 (STATUS_ACCESS_VIOLATION)` for an ExceptionCode. */
export function exceptionCodeText(code: number): string {
  return `0x${(code >>> 0).toString(16).padStart(8, '0')} (${exceptionCodeName(code)})`;
}

/** Severity of an NTSTATUS (its top two bits), as the dialog labels it. */
export function ntSeverity(status: number): 'success' | 'information' | 'warning' | 'error' {
  return (['success', 'information', 'warning', 'error'] as const)[status >>> 30] ?? 'error';
}

/** True for the error severity (0xC...), the only kind a manipulate reply fails with. */
export function isNtError(status: number): boolean {
  return status >>> 30 === 3;
}

/** `0x80000003 (STATUS_BREAKPOINT)`. */
export function ntStatusText(status: number): string {
  return `0x${(status >>> 0).toString(16).padStart(8, '0')} (${ntStatusName(status)})`;
}
