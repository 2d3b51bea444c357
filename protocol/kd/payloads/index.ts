// KD payload decoders, builders, one-line summaries and details trees.

export { ntStatusName, ntStatusText, isNtError } from './ntstatus';
export { ansiBytes, ansiText, utf16Bytes, utf16Text, hex, hexBig } from './bytes';
export type { FieldValue, Values, Layout, FieldSpec } from './layout';
export type { LooseFields, RawFields, UnionMember } from './family';
export {
  MANIPULATE_SIZE,
  ManipulateStructs,
  buildManipulate,
  decodeManipulate,
  manipulateFields,
  manipulateMember,
  machineName,
  majorVersionText,
  versionFlagsText,
} from './manipulate';
export type {
  DecodedManipulate,
  ManipulateFieldsFor,
  ManipulateHeader,
  ManipulateInput,
} from './manipulate';
export {
  STATE_CHANGE64_SIZE,
  STATE_CHANGE32_SIZE,
  StateChangeStructs,
  buildStateChange64,
  commandString,
  decodeStateChange64,
  decodeStateChange32,
  stateChangeFields,
  stateChangeMember,
} from './state-change';
export type {
  ControlReport,
  DecodedStateChange32,
  DecodedStateChange64,
  ExceptionFields,
  LoadSymbolsFields,
  StateChange64Input,
  StateChangeFieldsFor,
  StateChangeHeader,
} from './state-change';
export {
  DEBUG_IO_SIZE,
  buildDebugIo,
  buildGetString,
  buildPrintString,
  debugIoMember,
  decodeDebugIo,
} from './debug-io';
export type { DebugIoFieldsFor, DebugIoInput, DecodedDebugIo } from './debug-io';
export { FILE_IO_SIZE, buildFileIo, decodeFileIo, fileIoMember, fileNameBytes } from './file-io';
export type { DecodedFileIo, FileIoFieldsFor, FileIoInput } from './file-io';
export { describePacket } from './describe';
export type { DescribeOptions } from './describe';
export { dissectPacket } from './dissect';
export {
  CONTROL_REQUEST_SIZE,
  TRACE_IO_SIZE,
  controlRequestApiName,
  traceIoApiName,
} from './trace-io';
