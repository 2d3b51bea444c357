// The renderer's only way to the engine: the preload bridge inside Electron, a WebSocket to
// the page's own origin (token in the path) in web mode. Both yield the same typed client.

import type { Disposer, WorkbenchClient } from '../../electron/api/contract';
import { createClient, type ClientTransport } from '../../electron/api/contract-client';
import { decodeFrame, encodeFrame, type ClientMessage } from '../../electron/api/contract-wire';

/** What electron/preload.ts exposes as window.kdscope (structured-clone messages). */
export interface PreloadBridge {
  send(message: ClientMessage): void;
  onMessage(listener: (message: unknown) => void): Disposer;
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

function socketTransport(ws: WebSocket): ClientTransport {
  const opened = new Promise<void>((resolve, reject) => {
    if (ws.readyState === WebSocket.OPEN) resolve();
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('close', () => reject(new Error('socket closed')), { once: true });
  });
  opened.catch(() => undefined);
  return {
    send: (m) => {
      const frame = encodeFrame(m);
      if (ws.readyState === WebSocket.OPEN) ws.send(frame);
      else opened.then(() => ws.send(frame)).catch(() => undefined);
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

export function connectEngine(): { client: WorkbenchClient; kind: 'electron' | 'web' } {
  if (window.kdscope)
    return { client: createClient(preloadTransport(window.kdscope)), kind: 'electron' };
  const url = new URL('ws', window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  return { client: createClient(socketTransport(ws)), kind: 'web' };
}
