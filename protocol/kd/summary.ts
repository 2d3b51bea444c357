// Shapes shared by the payload decoders, the session tracker, the CLI and the UI.

/** The few payload fields every view shows (timeline columns, NDJSON). */
export interface PacketSummary {
  /** ApiNumber of STATE_MANIPULATE, DEBUG_IO and FILE_IO packets. */
  readonly api?: number;
  readonly apiName?: string;
  /** NTSTATUS ReturnStatus of STATE_MANIPULATE (in requests whatever the debugger left there:
   *  WinDbg sends STATUS_PENDING or stack garbage). */
  readonly returnStatus?: number;
  /** NewState of STATE_CHANGE64/32. */
  readonly newState?: number;
  readonly newStateName?: string;
  /** DEBUG_IO text, a LoadSymbols path, a FILE_IO file name. */
  readonly text?: string;
  /** One line for the timeline's info column, e.g. "ReadVirtualMemory 0xfffff800`12340000 len 0x100". */
  readonly info?: string;
  /** The payload was shorter than its structure or otherwise malformed; what is shown is partial. */
  readonly malformed?: string;
}

/**
 * One node of the details tree. offset/length locate the field's bytes within the whole
 * packet as on the wire (offset 0 = first leader byte), so the hex view can highlight them.
 */
export interface FieldNode {
  readonly name: string;
  /** Display value, e.g. "0x3130 (ReadVirtualMemory)". */
  readonly value: string;
  readonly offset: number;
  readonly length: number;
  readonly children?: readonly FieldNode[];
  /** Set on fields that are wrong on the wire (bad checksum, bad trailer, truncated). */
  readonly error?: string;
}
