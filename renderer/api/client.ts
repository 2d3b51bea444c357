// The renderer's only way to the engine: the preload bridge inside Electron, a WebSocket to
// the page's own origin (token in the path) in web mode. Both yield the same typed client.
// In web mode the engine can go away (the server stopped or restarted): the page is told at
// once, and a new socket is tried until the server is back, which yields a new client.

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

export interface EngineHandlers {
  /** A (new) client is connected: the first one, and one after every reconnect. */
  onClient(client: WorkbenchClient): void;
  /** The connection went away (web mode); a reconnect is under way. */
  onLost(reason: string): void;
}

export interface EngineConnection {
  readonly kind: 'electron' | 'web';
  dispose(): void;
}

/** Retry delays after the engine went away: quick at first, then every 2 s. */
const RETRY_MS = [100, 250, 500, 1000, 2000];

export function connectEngine(handlers: EngineHandlers): EngineConnection {
  const bridge = window.kdscope;
  if (bridge) {
    const client = createClient(preloadTransport(bridge));
    handlers.onClient(client);
    return { kind: 'electron', dispose: () => client.dispose() };
  }
  const url = new URL('ws', window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  let disposed = false;
  let attempt = 0;
  let current: { ws: WebSocket; client?: WorkbenchClient } | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const open = (): void => {
    timer = undefined;
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    const entry: { ws: WebSocket; client?: WorkbenchClient } = { ws };
    current = entry;
    ws.addEventListener('open', () => {
      attempt = 0;
      entry.client = createClient(socketTransport(ws));
      handlers.onClient(entry.client);
    });
    ws.addEventListener('close', (e) => {
      if (disposed || current !== entry) return;
      // Said once per outage: a socket that never opened is the same outage going on.
      if (entry.client || attempt === 0) handlers.onLost(e.reason || 'the engine went away');
      current = null;
      timer = setTimeout(open, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]);
      attempt++;
    });
  };
  open();
  return {
    kind: 'web',
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
