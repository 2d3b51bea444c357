// The main-side handler registry: one per connection (an Electron window or a WebSocket).
// Messages are checked before use: the envelope (tag, id, allowlisted operation name), then the
// argument shape by the operation's validator. A malformed envelope closes the connection; a
// bad argument or a failing handler answers an error {name, message}.

import type { Disposer, EventName, OpName, WorkbenchApi, WorkbenchEvents } from './contract';
import { parseClientMessage, type ServerMessage } from './contract-wire';
import { validateArgs } from './contract-validators';

export interface ServerTransport {
  send(message: ServerMessage): void;
  onMessage(listener: (message: unknown) => void): Disposer;
  onClose(listener: () => void): Disposer;
  close(reason: string): void;
}

export type Emit = <E extends EventName>(name: E, data: WorkbenchEvents[E]) => void;

/** The operations for one connection, plus what to release when it goes away. */
export type ConnectionHandlers = WorkbenchApi & { dispose(): void };

export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgument';
}

/** Errors that carry a name worth showing; anything else is reported as a plain Error. */
const errorName = (error: Error): string =>
  error.name && error.name !== 'Error' ? error.name : 'Error';

export function serveConnection(
  transport: ServerTransport,
  makeHandlers: (emit: Emit) => ConnectionHandlers,
): Disposer {
  let open = true;
  const emit: Emit = (name, data) => {
    if (open) transport.send({ t: 'evt', name, data });
  };
  const handlers = makeHandlers(emit);
  const reply = (message: ServerMessage): void => {
    if (open) transport.send(message);
  };

  const dispose = (): void => {
    if (!open) return;
    open = false;
    offMessage();
    offClose();
    handlers.dispose();
  };

  const offMessage = transport.onMessage((raw) => {
    let request;
    try {
      request = parseClientMessage(raw);
    } catch (error) {
      dispose();
      transport.close((error as Error).message);
      return;
    }
    const { id, op } = request;
    const args = request.arg === undefined ? [] : [request.arg];
    if (!validateArgs(op, args)) {
      reply({
        t: 'err',
        id,
        error: { name: 'InvalidArgument', message: `invalid argument for ${op}` },
      });
      return;
    }
    let result: Promise<unknown>;
    try {
      result = (handlers[op] as (...a: unknown[]) => Promise<unknown>)(...args);
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      (value) => reply({ t: 'res', id, value: value ?? null }),
      (error: unknown) => {
        const e = error instanceof Error ? error : new Error(String(error));
        reply({ t: 'err', id, error: { name: errorName(e), message: e.message } });
      },
    );
  });
  const offClose = transport.onClose(dispose);
  return dispose;
}

export type { OpName };
