// Web mode: the engine and the built renderer over HTTP + WebSocket, on 127.0.0.1 only.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { decodeFrame, encodeFrame } from '../api/contract-wire';
import { serveConnection } from '../api/server';
import type { Workbench } from '../engine/workbench/workbench';
import { fileRoutes } from './file-routes';
import { isCaptureFileName } from '../engine/workbench/captures-dir';
import {
  appUrl,
  contentSecurityPolicy,
  isAllowedHost,
  isAllowedOrigin,
  newToken,
  pathUnderToken,
} from './web-security';

const CAPTURES_PREFIX = '/captures/';
/**
 * A page that lost its engine asks here whether an engine is back and takes its token: a
 * refused WebSocket handshake tells a browser nothing, this answers 200 (reconnect) or 403
 * (another run of kdscope, with another token: this page's link is no longer valid).
 */
export const ALIVE_PATH = '/alive';

export interface WebServerOptions {
  readonly workbench: Workbench;
  /** The built renderer (dist/renderer). */
  readonly staticDir: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly token?: string;
  /**
   * One line (no newline) per client dropped for breaking the WebSocket protocol, and per
   * server error; default: stderr.
   */
  readonly log?: (line: string) => void;
  /** Largest capture the page may upload (default DEFAULT_UPLOAD_LIMIT). */
  readonly uploadLimitBytes?: number;
  /** Where the uploads folder is made (default: the OS temp folder). */
  readonly uploadsBase?: string;
}

export interface WebServer {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** The page a request without the token gets: every way of starting web mode prints the URL. */
export const NO_TOKEN_TEXT =
  'forbidden: open the URL with its token that kdscope printed when it started ' +
  '(kdscope serve, npm run web, or npm start when it falls back to the browser)';

/** Client -> engine messages are small; anything big is hostile. */
const MAX_CLIENT_MESSAGE = 64 * 1024;
/** Close a socket whose unsent data grows past this (a stalled browser that ignores the window). */
const MAX_BUFFERED = 64 * 1024 * 1024;

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const token = options.token ?? newToken();
  const root = normalize(options.staticDir);
  const log = options.log ?? ((line: string) => process.stderr.write(`kdscope web: ${line}\n`));
  let port = 0;
  // Uploads (open a capture) and export downloads: their own module, their own checks.
  const files = fileRoutes({
    port: () => port,
    exportFile: (id) => options.workbench.exportFile(id),
    ...(options.uploadLimitBytes !== undefined
      ? { uploadLimitBytes: options.uploadLimitBytes }
      : {}),
    ...(options.uploadsBase !== undefined ? { uploadsBase: options.uploadsBase } : {}),
  });

  const deny = (res: ServerResponse, status: number, text: string): void => {
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
    });
    res.end(`${text}\n`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!isAllowedHost(req.headers.host, port)) return deny(res, 403, 'forbidden host');
    const path = pathUnderToken(req.url, token);
    if (path === null) return deny(res, 403, NO_TOKEN_TEXT);
    if (path === ALIVE_PATH) return answerAlive(req, res);
    if (await files.handle(req, res, path)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'method not allowed');
    if (path.startsWith(CAPTURES_PREFIX)) return serveCapture(req, res, path);
    let rel: string;
    try {
      rel = decodeURIComponent(path === '/' ? '/index.html' : path);
    } catch {
      return deny(res, 400, 'bad path');
    }
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep) || rel.includes('\0')) return deny(res, 403, 'forbidden path');
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return deny(res, 404, 'not found');
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': contentSecurityPolicy(port),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  /**
   * The socket's rules (Host, token: checked above; Origin): POST, because a browser sends
   * Origin on a same-origin request only when it is not a GET or HEAD.
   */
  const answerAlive = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'POST') return deny(res, 405, 'method not allowed');
    if (!isAllowedOrigin(req.headers.origin, port)) return deny(res, 403, 'forbidden origin');
    res.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
    });
    res.end('kdscope\n');
  };

  /** A recorded session as a download (Content-Disposition: attachment), by plain file name. */
  const serveCapture = async (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
  ): Promise<void> => {
    let name: string;
    try {
      name = decodeURIComponent(path.slice(CAPTURES_PREFIX.length));
    } catch {
      return deny(res, 400, 'bad capture name');
    }
    if (!isCaptureFileName(name)) return deny(res, 404, 'no such capture');
    const dir = normalize(options.workbench.capturesFolder);
    const file = join(dir, name);
    if (dirname(file) !== dir) return deny(res, 404, 'no such capture');
    let size: number;
    try {
      // lstat: a link in the folder may point anywhere; only plain files are served.
      const info = await lstat(file);
      if (!info.isFile()) return deny(res, 404, 'no such capture');
      size = info.size;
    } catch {
      return deny(res, 404, 'no such capture');
    }
    res.writeHead(200, {
      'content-type': name.endsWith('.gz') ? 'application/gzip' : 'application/vnd.tcpdump.pcap',
      // A capture still being recorded grows: send what is there now.
      'content-length': String(size),
      'content-disposition': `attachment; filename="${name}"`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    if (req.method === 'HEAD' || size === 0) return void res.end();
    const stream = createReadStream(file, { start: 0, end: size - 1 });
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };

  const http = createServer((req, res) => {
    handle(req, res).catch(() => deny(res, 500, 'internal error'));
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE });
  // An 'error' event without a listener ends the process: no client may cause one.
  wss.on('error', (error) => log(`WebSocket server error: ${error.message}`));

  http.on('upgrade', (req, socket, head) => {
    // After the upgrade event the HTTP server no longer listens for errors on this socket: a
    // client that resets it while we answer would otherwise end the process. A vanished peer
    // is ordinary; the socket is just dropped.
    socket.on('error', () => socket.destroy());
    const path = pathUnderToken(req.url, token);
    if (
      !isAllowedHost(req.headers.host, port) ||
      path !== '/ws' ||
      !isAllowedOrigin(req.headers.origin, port)
    ) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const peer = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, peer));
  });

  const attach = (ws: WebSocket, peer: string): void => {
    // A protocol error (an oversized message, reserved bits, an unmasked frame): ws emits it
    // once per socket. The client is dropped at once rather than waiting for a close
    // handshake it will not complete.
    ws.on('error', (error) => {
      log(`dropped client ${peer}: ${error.message}`);
      ws.terminate();
    });
    serveConnection(
      {
        send: (message) => {
          if (ws.readyState !== ws.OPEN) return;
          if (ws.bufferedAmount > MAX_BUFFERED) {
            ws.close(1013, 'client too slow');
            return;
          }
          ws.send(encodeFrame(message));
        },
        onMessage: (listener) => {
          const on = (data: RawData, isBinary: boolean): void => {
            if (!isBinary) {
              ws.close(1003, 'binary frames only');
              return;
            }
            const bytes = Array.isArray(data)
              ? Buffer.concat(data)
              : Buffer.from(data as ArrayBuffer);
            let message: unknown;
            try {
              message = decodeFrame(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
            } catch (error) {
              ws.close(1008, (error as Error).message.slice(0, 100));
              return;
            }
            listener(message);
          };
          ws.on('message', on);
          return () => ws.off('message', on);
        },
        onClose: (listener) => {
          ws.on('close', listener);
          return () => ws.off('close', listener);
        },
        close: (reason) => ws.close(1008, reason.slice(0, 100)),
      },
      (emit) => options.workbench.connect(emit),
    );
  };

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  port = (http.address() as AddressInfo).port;
  http.on('error', (error) => log(`HTTP server error: ${error.message}`));

  return {
    url: appUrl(port, token),
    port,
    token,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      files.close();
    },
  };
}
