// Web mode's two file routes, under the per-run token like everything else:
//  - POST upload?name=NAME: a capture the page opens (file chooser, drop) streamed to the
//    engine's uploads folder, size-limited, from the page's own origin only; answers the path
//    for captures.open.
//  - GET exports/ID: an export the page asked for, as a download.
// Names never become paths: an upload goes to a fresh folder under a name checked to be one
// file name, and a download is looked up by the export's id.

import { randomUUID } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
} from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isAllowedOrigin } from './web-security';
import { makeDirs } from '../engine/make-dirs';

/** Uploads larger than this are refused (a KD capture of a long session is well under it). */
export const DEFAULT_UPLOAD_LIMIT = 2 * 1024 ** 3;
const MAX_NAME = 200;
/** Bytes of a refused upload read and dropped before the connection is closed instead. */
const DRAIN_LIMIT = 1024 * 1024;
const EXPORT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface FileRoutes {
  /** Handles the request if it is one of these routes; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
  /** Removes the uploads folder. */
  close(): void;
}

export interface FileRoutesOptions {
  readonly port: () => number;
  /** A finished export by id (Workbench.exportFile). */
  readonly exportFile: (id: string) => { path: string; name: string } | undefined;
  readonly uploadLimitBytes?: number;
  /** Where the uploads folder is made (default: the OS temp folder). */
  readonly uploadsBase?: string;
}

/** One file name (no folder, no NUL or control character, not . or ..), or undefined. */
export function uploadName(raw: string | null): string | undefined {
  if (raw === null) return undefined;
  const name = raw.trim();
  if (name === '' || name.length > MAX_NAME || name === '.' || name === '..') return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[/\\\x00-\x1f\x7f]/.test(name)) return undefined;
  return name;
}

function reply(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    ...(status === 413 || status === 500 ? { connection: 'close' } : {}),
  });
  res.end(`${text}\n`);
}

class TooLarge extends Error {}

/**
 * Streams the request body into `path` (created, never overwritten); rejects with TooLarge past
 * `limit` bytes (the body is not read further), or with the I/O or connection error.
 */
function receive(req: IncomingMessage, path: string, limit: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(path, { flags: 'wx' });
    let bytes = 0;
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.pause();
      out.destroy();
      // The file is removed by the caller once the stream has let go of it.
      out.once('close', () => reject(error));
      if (out.closed) reject(error);
    };
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > limit) return fail(new TooLarge());
      if (!out.write(chunk)) {
        req.pause();
        out.once('drain', () => req.resume());
      }
    };
    req.on('data', onData);
    req.once('end', () => {
      if (settled) return;
      out.end(() => {
        settled = true;
        resolve(bytes);
      });
    });
    req.once('aborted', () => fail(new Error('the upload was aborted')));
    req.once('error', fail);
    out.once('error', fail);
  });
}

export function fileRoutes(options: FileRoutesOptions): FileRoutes {
  const limit = options.uploadLimitBytes ?? DEFAULT_UPLOAD_LIMIT;
  let uploads: string | undefined;
  const uploadsDir = (): string => {
    if (!uploads) {
      const base = options.uploadsBase ?? tmpdir();
      makeDirs(base);
      uploads = mkdtempSync(join(base, 'kdscope-uploads-'));
    }
    return uploads;
  };

  const upload = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // A body not read (refused, too large) is drained up to a point, so a browser gets the
    // answer rather than a reset; past that the connection goes.
    res.once('finish', () => {
      if (req.complete) return;
      let drained = 0;
      req.on('data', (chunk: Buffer) => {
        drained += chunk.length;
        if (drained > DRAIN_LIMIT) req.destroy();
      });
      req.resume();
    });
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return reply(res, 405, 'method not allowed');
    }
    // Like the WebSocket: only the page itself may send (a form elsewhere cannot).
    if (!isAllowedOrigin(req.headers.origin, options.port()))
      return reply(res, 403, 'forbidden origin');
    if ((req.headers['content-type'] ?? '').split(';')[0]!.trim() !== 'application/octet-stream')
      return reply(res, 415, 'send the file as application/octet-stream');
    const name = uploadName(new URL(req.url ?? '/', 'http://x').searchParams.get('name'));
    if (name === undefined) return reply(res, 400, 'bad file name');
    const announced = Number(req.headers['content-length'] ?? NaN);
    if (announced > limit)
      return reply(res, 413, `too large: uploads are limited to ${limit} bytes`);
    const dir = join(uploadsDir(), randomUUID());
    mkdirSync(dir);
    const path = join(dir, name);
    let bytes: number;
    try {
      bytes = await receive(req, path, limit);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      if (error instanceof TooLarge)
        return reply(res, 413, `too large: uploads are limited to ${limit} bytes`);
      // The page went away mid-upload, or the disk is full: nothing is kept.
      return reply(res, 500, `upload failed: ${(error as Error).message}`);
    }
    res.writeHead(201, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ path, name, bytes }));
  };

  const download = async (req: IncomingMessage, res: ServerResponse, id: string): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return reply(res, 405, 'method not allowed');
    }
    const file = EXPORT_ID.test(id) ? options.exportFile(id) : undefined;
    let size: number;
    try {
      if (!file) throw new Error('no such export');
      size = statSync(file.path).size;
    } catch {
      return reply(res, 404, 'no such export (it ended with the engine, or was cancelled)');
    }
    const ascii = file.name.replace(/[^\x20-\x7e]|["\\]/g, '_');
    res.writeHead(200, {
      'content-type': /\.pcapng$/i.test(file.name)
        ? 'application/x-pcapng'
        : 'application/vnd.tcpdump.pcap',
      'content-length': String(size),
      'content-disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.name)}`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') return void res.end();
    await pipeline(createReadStream(file.path), res).catch(() => res.destroy());
  };

  return {
    async handle(req, res, path) {
      if (path === '/upload') {
        await upload(req, res);
        return true;
      }
      if (path.startsWith('/exports/')) {
        await download(req, res, path.slice('/exports/'.length));
        return true;
      }
      return false;
    },
    close() {
      if (uploads) rmSync(uploads, { recursive: true, force: true });
      uploads = undefined;
    },
  };
}
