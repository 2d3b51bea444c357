// The display-filter language: parseFilter -> compileFilter -> matchRecord / filterTable,
// formatFilter to print a tree back, completeFilter for the filter bar, FilteredRows to keep
// a view's rows current.
//
//   type == STATE_MANIPULATE && api == ReadVirtualMemory     !checksumOk     rtt > 5
//   dir == target->debugger (or t2d, D->T)     len > 100     time > 2.5 (s since the start)
//   kd.api_name == "GetVersion" (our Wireshark dissector's names)     text contains "hello"     info matches "^Read.*len"
//   api == 0x3130 || newState == Exception     api in {GetVersion, Continue2}     not retransmit
//
// Fields are FIELDS (fields.ts); enum names come from protocol/kd/constants.ts. Operators
// == != < <= > >= contains (case-insensitive) matches (regex, case-insensitive) in {..};
// && || ! or and or not; parentheses. A bare boolean field tests its value, any other bare
// field tests that the row has it. Tests on a field a row lacks are "unknown" (compile.ts).

import type { FilterError } from './ast';
import { compileFilter } from './compile';
import type { CompiledFilter, CompileOptions } from './compile';
import { parseFilter } from './parser';

export type { CompareOp, FilterError, FilterNode, FilterValue, ParseResult } from './ast';
export { COMPARE_OPS } from './ast';
export { compileFilter, filterTable } from './compile';
export type { CompiledFilter, CompileOptions } from './compile';
export { completeFilter } from './complete';
export type { Completion, CompletionResult, CompletionValues } from './complete';
export { FIELDS, FIELD_ALIASES, lookupField } from './fields';
export type { FieldDef, FieldKind } from './fields';
export { formatFilter } from './format';
export { MAX_FILTER_DEPTH, parseFilter } from './parser';

/** Parse and compile in one step (the CLI's --filter, the engine). */
export function createFilter(
  src: string,
  options: CompileOptions = {},
): { ok: true; filter: CompiledFilter } | { ok: false; error: FilterError } {
  const parsed = parseFilter(src);
  return parsed.ok ? { ok: true, filter: compileFilter(parsed.ast, options) } : parsed;
}
export { FilteredRows } from './view';
