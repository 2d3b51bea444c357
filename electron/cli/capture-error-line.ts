// How every command names an unreadable capture: one line with the file first, then what went
// wrong and where (byte offset, frame), whichever of those the reader's message leaves out.

import type { CaptureError } from '../capture/capture-error';

export function captureErrorLine(label: string, error: CaptureError): string {
  const where: string[] = [];
  if (error.offset !== undefined && !/\bbyte \d/.test(error.message))
    where.push(`byte offset ${error.offset}`);
  if (error.frame !== undefined && !/\bframe \d/.test(error.message))
    where.push(`frame ${error.frame}`);
  const message = error.message.includes(label) ? error.message : `${label}: ${error.message}`;
  return where.length > 0 ? `${message} (${where.join(', ')})` : message;
}
