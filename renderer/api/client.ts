// The renderer's only way to the engine: the preload bridge inside Electron, a WebSocket to
// the page's own origin (token in the path) in web mode. Both yield the same typed client.
// In web mode the engine can go away (the server stopped or restarted): the page is told at
// once, and asks until the server is back (a new socket, a new client), or until a server there
// refuses this page (kdscope restarted with a new token): then it says so and stops asking.

import type { Disposer, WorkbenchClient } from '../../electron/api/contract';
import { createClient, type ClientTransport } from '../../electron/api/contract-client';
import { decodeFrame, encodeFrame, type ClientMessage } from '../../electron/api/contract-wire';

/** What electron/preload.ts exposes as window.kdscope (structured-clone messages). */
export interface PreloadBridge {
  send(message: ClientMessage): void;
  onMessage(listener: (message: unknown) => void): Disposer;
  /** Shows a capture of the captures folder (a plain file name) in the file manager. */
  showCapture?(name: string): void;
}

declare global {
  interface Window {
    kdscope?: PreloadBridge;
  }
}

function preloadTransport(bridge: PreloadBridge): ClientTransport {
  return {
    send: (m) => bridge.send(m),
    onMessage: (l) => bridge.onMessage(l),
    onClose: () => () => undefined,
    close: () => undefined,
  };
}

/** A transport over a socket that is already open. */
function socketTransport(ws: WebSocket): ClientTransport {
  return {
    send: (m) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(encodeFrame(m));
      else throw new Error('the engine connection is closed');
    },
    onMessage: (listener) => {
      const on = (e: MessageEvent<ArrayBuffer>): void => {
        let message: unknown;
        try {
          message = decodeFrame(new Uint8Array(e.data));
        } catch {
          ws.close(1008, 'bad frame from engine');
          return;
        }
        listener(message);
      };
      ws.addEventListener('message', on);
      return () => ws.removeEventListener('message', on);
    },
    onClose: (listener) => {
      const on = (e: CloseEvent): void => listener(e.reason || `connection closed (${e.code})`);
      ws.addEventListener('close', on);
      return () => ws.removeEventListener('close', on);
    },
    close: () => ws.close(),
  };
}

/**
 * Why a server at the page's address will not take the page (web mode): kdscope that does not
 * know this page's token (it was restarted: a new run prints a new link; or another run took
 * the port), or something that is not kdscope at all.
 */
export type EngineRefusal = 'token' | 'not-kdscope';

export interface EngineHandlers {
  /** A (new) client is connected: the first one, and one after every reconnect. */
  onClient(client: WorkbenchClient): void;
  /** The connection went away (web mode); a reconnect is under way. */
  onLost(reason: string): void;
  /**
   * Web mode: a server answers at the page's address but will not take this page; asking again
   * will not change that, so the page stops until retry().
   */
  onRefused(refusal: EngineRefusal): void;
}

export interface EngineConnection {
  readonly kind: 'electron' | 'web';
  /** After onRefused: asks the server again now (a no-op otherwise). */
  retry(): void;
  dispose(): void;
}

/** Retry delays after the engine went away: quick at first, then every 2 s. */
const RETRY_MS = [100, 250, 500, 1000, 2000];
/** A server that takes the connection but does not answer is as good as none. */
const CHECK_TIMEOUT_MS = 5000;

type CheckAnswer = 'up' | 'down' | EngineRefusal;

/**
 * Asks the server at the page's address whether the engine is there and takes the page's token
 * (electron/web/server.ts, ALIVE_PATH): a refused WebSocket handshake tells a page nothing, so
 * while the engine is away the page asks this, and opens a socket once it says yes.
 */
async function checkEngine(url: URL): Promise<CheckAnswer> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      cache: 'no-store',
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
    // kdscope names itself in both answers; anything else at this address is not it.
    const isKdscope = (await res.text()).includes('kdscope');
    if (res.status === 200 && isKdscope) return 'up';
    return res.status === 403 && isKdscope ? 'token' : 'not-kdscope';
  } catch {
    return 'down';
  }
}

export function connectEngine(handlers: EngineHandlers): EngineConnection {
  const bridge = window.kdscope;
  if (bridge) {
    const client = createClient(preloadTransport(bridge));
    handlers.onClient(client);
    return { kind: 'electron', retry: () => undefined, dispose: () => client.dispose() };
  }
  const url = new URL('ws', window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const aliveUrl = new URL('alive', window.location.href);
  let disposed = false;
  let attempt = 0;
  let current: { ws: WebSocket; client?: WorkbenchClient } | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let checking = false;
  // What the page was told of the outage going on (null: connected, or not told yet).
  let told: 'lost' | EngineRefusal | null = null;

  const tellLost = (reason: string): void => {
    if (told === 'lost') return;
    told = 'lost';
    handlers.onLost(reason);
  };

  const checkLater = (): void => {
    timer = setTimeout(() => void check(), RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]);
    attempt++;
  };

  const check = async (): Promise<void> => {
    timer = undefined;
    checking = true;
    const answer = await checkEngine(aliveUrl);
    checking = false;
    if (disposed) return;
    if (answer === 'up') return open();
    if (answer === 'down') {
      tellLost('the engine went away');
      return checkLater();
    }
    told = answer;
    handlers.onRefused(answer);
  };

  const open = (): void => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    const entry: { ws: WebSocket; client?: WorkbenchClient } = { ws };
    current = entry;
    ws.addEventListener('open', () => {
      attempt = 0;
      told = null;
      entry.client = createClient(socketTransport(ws));
      handlers.onClient(entry.client);
    });
    ws.addEventListener('close', (e) => {
      if (disposed || current !== entry) return;
      current = null;
      // Said once per outage: a socket that never opened is the same outage going on.
      tellLost(e.reason || 'the engine went away');
      checkLater();
    });
  };
  open();
  return {
    kind: 'web',
    retry: () => {
      if (disposed || checking || timer || current || told === null || told === 'lost') return;
      attempt = 0;
      void check();
    },
    dispose: () => {
      disposed = true;
      if (timer) clearTimeout(timer);
      current?.client?.dispose();
      current?.ws.close();
    },
  };
}

/** Electron only: shows a recorded capture in the file manager; false when not available. */
export function showCaptureInFolder(name: string): boolean {
  if (!window.kdscope?.showCapture) return false;
  window.kdscope.showCapture(name);
  return true;
}
