// Errors a caller can print as one line: what went wrong and where (file, byte offset, frame).

/** A capture that cannot be read (any further): unknown format, truncated, corrupt. */
export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  constructor(
    message: string,
    /** Byte offset in the (decompressed) capture where reading stopped. */
    readonly offset?: number,
    /** 1-based frame being read when it stopped. */
    readonly frame?: number,
  ) {
    super(message);
  }
}

/**
 * How the CLI and the app name an unreadable capture: one line with the file first, then what
 * went wrong and where (byte offset, frame), whichever of those the reader's message leaves out.
 */
export function captureErrorLine(label: string, error: CaptureError): string {
  const where: string[] = [];
  if (error.offset !== undefined && !/\bbyte \d/.test(error.message))
    where.push(`byte offset ${error.offset}`);
  if (error.frame !== undefined && !/\bframe \d/.test(error.message))
    where.push(`frame ${error.frame}`);
  const message = error.message.includes(label) ? error.message : `${label}: ${error.message}`;
  return where.length > 0 ? `${message} (${where.join(', ')})` : message;
}

/** Writing a capture failed (disk full, vanished directory, closed pipe). */
export class CaptureWriteError extends Error {
  override readonly name = 'CaptureWriteError';
  constructor(
    message: string,
    /** errno code from Node (ENOSPC, ENOENT, EPIPE...), when there is one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
