// Streams the capture live to Wireshark: pcap header, then one record per relayed chunk.
// On Unix through a FIFO (`wireshark -k -i FIFO`), on Windows through a named pipe server
// (`wireshark -k -i \\.\pipe\NAME`). Wireshark may start late or quit: the sink waits for a
// reader, starts each new one with the pcap header, and never holds up or stops the bridge.

import { constants, lstatSync, openSync, unlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { Socket, createServer, type Server } from 'node:net';
import { pcapFileHeader, pcapRecords } from '../../capture';
import type { StreamChunk } from '../../capture/chunk';
import type { BridgeTap, TapHost } from './types';
import { pipePath } from '../endpoint';

export interface LiveSinkOptions {
  /** How often to look for a FIFO reader (default 200 ms). */
  readonly retryMs?: number;
  /** Bytes queued for a slow reader before frames are dropped for it (default 8 MiB). */
  readonly maxQueuedBytes?: number;
  readonly platform?: NodeJS.Platform;
}

export interface LiveSink extends BridgeTap {
  /** Where Wireshark reads from (the FIFO path or the pipe path). */
  readonly path: string;
  /** Readers currently streaming. */
  readonly readers: number;
  /** Frames not sent to a reader that fell too far behind. */
  readonly droppedFrames: number;
}

/** A FIFO path on Unix; on Windows a pipe name or `\\.\pipe\NAME`. */
export function createLiveSink(target: string, options: LiveSinkOptions = {}): LiveSink {
  const platform = options.platform ?? process.platform;
  if (platform === 'win32') {
    const path = target.startsWith('\\\\.\\pipe\\') ? target : pipePath(target);
    return new StreamServerSink(path, options);
  }
  return new FifoSink(target, options);
}

abstract class PcapStreamSink implements LiveSink {
  readonly name = 'wireshark';
  droppedFrames = 0;
  protected report: (message: string) => void = () => undefined;
  protected readonly maxQueued: number;
  private ipId = 1;

  constructor(
    readonly path: string,
    options: LiveSinkOptions,
  ) {
    this.maxQueued = options.maxQueuedBytes ?? 8 * 1024 * 1024;
  }

  abstract get readers(): number;
  protected abstract streams(): Iterable<Socket>;
  abstract close(): void;

  bind(host: TapHost): void {
    this.report = (message) => host.report(message);
  }

  write(batch: readonly StreamChunk[]): void {
    if (this.readers === 0) return;
    for (const chunk of batch) {
      const records = pcapRecords(chunk, this.ipId);
      this.ipId = (this.ipId + 1) & 0xffff;
      for (const stream of this.streams()) {
        // A reader that cannot keep up loses whole frames, never parts of one.
        if (stream.writableLength > this.maxQueued) this.droppedFrames++;
        else stream.write(records);
      }
    }
  }

  /** A new reader starts with the file header. */
  protected greet(stream: Socket): void {
    stream.write(pcapFileHeader());
  }
}

class FifoSink extends PcapStreamSink {
  private stream: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly madeFifo: boolean;
  private readonly retryMs: number;

  constructor(path: string, options: LiveSinkOptions) {
    super(path, options);
    this.retryMs = options.retryMs ?? 200;
    this.madeFifo = ensureFifo(path);
    this.tryOpen();
  }

  get readers(): number {
    return this.stream ? 1 : 0;
  }

  protected *streams(): Iterable<Socket> {
    if (this.stream) yield this.stream;
  }

  private tryOpen(): void {
    this.timer = undefined;
    if (this.closed) return;
    let fd: number;
    try {
      // Non-blocking: without a reader this fails at once (ENXIO) instead of hanging.
      fd = openSync(this.path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENXIO') {
        this.report(`wireshark FIFO ${this.path}: ${(error as Error).message}; live view stopped`);
        return;
      }
      this.timer = setTimeout(() => this.tryOpen(), this.retryMs);
      this.timer.unref();
      return;
    }
    const stream = new Socket({ fd, readable: false, writable: true });
    this.stream = stream;
    stream.on('error', () => stream.destroy());
    stream.once('close', () => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      // Wireshark quit (EPIPE): wait for the next one, who gets a fresh header.
      if (!this.closed) this.timer = setTimeout(() => this.tryOpen(), this.retryMs);
      this.timer?.unref();
    });
    this.greet(stream);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.stream?.end();
    this.stream = undefined;
    if (this.madeFifo) {
      try {
        unlinkSync(this.path);
      } catch {
        // Someone else removed it; nothing to clean.
      }
    }
  }
}

/** Makes the FIFO unless it exists; true when we made it (and so remove it at the end). */
function ensureFifo(path: string): boolean {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    stat = undefined;
  }
  if (stat) {
    if (!stat.isFIFO()) throw new Error(`wireshark: ${path} exists and is not a FIFO`);
    return false;
  }
  try {
    execFileSync('mkfifo', ['-m', '600', path], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`wireshark: cannot make FIFO ${path}: ${stderr || (error as Error).message}`, {
      cause: error,
    });
  }
  return true;
}

/** A pipe (or socket) server: every client gets the header, then the frames from then on. */
class StreamServerSink extends PcapStreamSink {
  private readonly server: Server;
  private readonly clients = new Set<Socket>();
  private closed = false;

  constructor(path: string, options: LiveSinkOptions) {
    super(path, options);
    this.server = createServer((client) => {
      if (this.closed) {
        client.destroy();
        return;
      }
      this.clients.add(client);
      client.on('error', () => client.destroy());
      client.once('close', () => this.clients.delete(client));
      // Wireshark sends nothing; discard anything that arrives.
      client.resume();
      this.greet(client);
    });
    this.server.on('error', (error) => {
      this.report(`wireshark pipe ${this.path}: ${error.message}; live view stopped`);
    });
    this.server.listen(path);
  }

  get readers(): number {
    return this.clients.size;
  }

  protected streams(): Iterable<Socket> {
    return this.clients;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const client of this.clients) client.end();
    this.server.close();
  }
}

/** Exposed for tests on Unix: the same server sink, listening on a unix socket path. */
export function createStreamServerSink(path: string, options: LiveSinkOptions = {}): LiveSink {
  return new StreamServerSink(path, options);
}
