// Maps raw socket/pipe/serial errors to one plain line naming the endpoint and a likely cause.

import { formatEndpoint, type Endpoint } from '../endpoint';
import { TransportError } from './types';

interface ErrorLike {
  readonly code?: unknown;
  readonly message?: unknown;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as ErrorLike | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  const message = (error as ErrorLike | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

/** Windows reports a pipe whose every instance is taken as EBUSY or in words, by API. */
function isPipeBusy(code: string | undefined, message: string): boolean {
  return code === 'EBUSY' || /all pipe instances are busy/i.test(message);
}

export function describeTransportError(
  error: unknown,
  endpoint: Endpoint,
  role: 'connect' | 'listen' | 'io',
): TransportError {
  if (error instanceof TransportError) return error;
  const code = codeOf(error);
  const message = messageOf(error).split('\n')[0] ?? '';
  const where = endpoint.kind === 'pipe' ? `pipe ${endpoint.path}` : formatEndpoint(endpoint);
  const say = (text: string): TransportError => new TransportError(`${where}: ${text}`, code);
  if (endpoint.kind === 'pipe' && isPipeBusy(code, message)) {
    return say(
      role === 'listen'
        ? 'every instance is busy: another program already serves this pipe'
        : 'busy: another client (a second WinDbg or bridge?) holds the pipe; close it and retry',
    );
  }
  switch (code) {
    case 'ENOENT':
      if (endpoint.kind === 'pipe')
        return say('no such pipe: is the VM running with its COM port on it?');
      if (endpoint.kind === 'serial') return say('no such serial device');
      return say(
        role === 'listen' ? 'directory does not exist' : 'nobody listens there (no such socket)',
      );
    case 'ECONNREFUSED':
      return say('connection refused: nothing listens there (is the VM or simulator running?)');
    case 'EADDRINUSE':
      return say('address already in use: another program (or a stale socket) holds it');
    case 'EACCES':
    case 'EPERM':
      return say('permission denied');
    case 'ECONNRESET':
      return say('connection reset by the peer');
    case 'EPIPE':
      return say('the peer closed the connection');
    case 'ETIMEDOUT':
      return say('timed out');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return say('unknown host');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return say('host unreachable');
    default:
      return say(message === '' ? (code ?? 'unknown error') : message);
  }
}
