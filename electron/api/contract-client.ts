// The invoke client of the workbench API over any transport: the renderer uses it over the
// preload bridge or a WebSocket, tests over an in-memory pair.

import type {
  Disposer,
  EventName,
  OpArgs,
  OpName,
  OpResult,
  WorkbenchClient,
  WorkbenchEvents,
} from './contract';
import { parseServerMessage, type ClientMessage } from './contract-wire';

export interface ClientTransport {
  send(message: ClientMessage): void;
  /** Delivers decoded message objects (not yet validated). */
  onMessage(listener: (message: unknown) => void): Disposer;
  onClose(listener: (reason: string) => void): Disposer;
  close(): void;
}

/** The error a call rejects with: the engine's error name and message, nothing else. */
export class RemoteError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export function createClient(transport: ClientTransport): WorkbenchClient {
  let nextId = 1;
  let closed: string | null = null;
  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<(data: never) => void>>();

  const failAll = (reason: string): void => {
    closed ??= reason;
    for (const p of pending.values()) p.reject(new RemoteError('Disconnected', reason));
    pending.clear();
  };

  const offMessage = transport.onMessage((raw) => {
    let message;
    try {
      message = parseServerMessage(raw);
    } catch (error) {
      failAll(`bad message from the engine: ${(error as Error).message}`);
      transport.close();
      return;
    }
    if (message.t === 'evt') {
      for (const listener of listeners.get(message.name) ?? []) {
        (listener as (data: unknown) => void)(message.data);
      }
      return;
    }
    const call = pending.get(message.id);
    if (!call) return;
    pending.delete(message.id);
    if (message.t === 'res') call.resolve(message.value);
    else call.reject(new RemoteError(message.error.name, message.error.message));
  });
  const offClose = transport.onClose((reason) => failAll(reason || 'connection closed'));

  return {
    invoke<K extends OpName>(op: K, ...args: OpArgs<K>): Promise<OpResult<K>> {
      if (closed !== null) return Promise.reject(new RemoteError('Disconnected', closed));
      const id = nextId++;
      return new Promise<OpResult<K>>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        const message: ClientMessage =
          args.length === 0 ? { t: 'req', id, op } : { t: 'req', id, op, arg: args[0] };
        try {
          transport.send(message);
        } catch (error) {
          pending.delete(id);
          reject(new RemoteError('Disconnected', (error as Error).message));
        }
      });
    },
    on<E extends EventName>(name: E, listener: (data: WorkbenchEvents[E]) => void): Disposer {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener as (data: never) => void);
      return () => set.delete(listener as (data: never) => void);
    },
    dispose(): void {
      offMessage();
      offClose();
      failAll('client disposed');
      transport.close();
    },
  };
}
