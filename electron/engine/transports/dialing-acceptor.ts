// An Acceptor for endpoints that are simply "there" (a serial port, an in-process simulator):
// it opens the channel, hands it over, and when it closes opens it again, with backoff.

import { Backoff, sleep } from './backoff';
import type { Acceptor, ByteChannel, Dialer } from './types';

export interface DialingAcceptorOptions {
  readonly initialMs?: number;
  readonly maxMs?: number;
  /** Told about each failed open (one line); the acceptor keeps trying. */
  readonly onError?: (error: Error) => void;
}

export function dialingAcceptor(dialer: Dialer, options: DialingAcceptorOptions = {}): Acceptor {
  const listeners = new Set<(channel: ByteChannel) => void>();
  const stop = new AbortController();
  let current: ByteChannel | undefined;
  let started = false;

  const loop = async (): Promise<void> => {
    const backoff = new Backoff(options);
    while (!stop.signal.aborted) {
      let channel: ByteChannel;
      try {
        channel = await dialer.dial(stop.signal);
      } catch (error) {
        if (stop.signal.aborted) return;
        options.onError?.(error as Error);
        await sleep(backoff.delay(), stop.signal);
        continue;
      }
      if (stop.signal.aborted) {
        channel.destroy();
        return;
      }
      backoff.reset();
      current = channel;
      const closed = new Promise<void>((resolve) => channel.once('close', () => resolve()));
      for (const listener of listeners) listener(channel);
      await closed;
      current = undefined;
      await sleep(backoff.delay(), stop.signal);
    }
  };

  return {
    description: dialer.description,
    onConnection(listener) {
      listeners.add(listener);
      if (!started) {
        started = true;
        void loop();
      }
      return () => listeners.delete(listener);
    },
    close() {
      stop.abort();
      current?.destroy();
      return Promise.resolve();
    },
  };
}
