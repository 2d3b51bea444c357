// electron/main.ts against a fake `electron` module: the window it opens, the policy it wires
// on every web contents, and IPC accepted only from the app page's main frame.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WEB_PREFERENCES, IPC_CHANNEL, SHOW_CAPTURE_CHANNEL } from '../../electron/main-security';

// The app's captures folder is under $HOME: a temp home, so the test never touches the user's.
const home = await vi.hoisted(async () => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(`${tmpdir()}/kdscope-main-home-`);
  process.env.HOME = dir;
  return dir;
});

type Listener = (...args: unknown[]) => void;

const fake = vi.hoisted(() => {
  const appEvents = new Map<string, (...a: unknown[]) => void>();
  const windows: FakeWindow[] = [];
  interface FakeWindow {
    options: Record<string, unknown>;
    url: string;
    webContents: {
      events: Map<string, (...a: unknown[]) => void>;
      sent: unknown[];
      reloads: number;
      mainFrame: { url: string };
    };
    closed?: () => void;
  }
  return {
    appEvents,
    windows,
    permission: null as null | ((...a: unknown[]) => void),
    ipc: null as unknown,
    shown: [] as string[],
  };
});

vi.mock('electron', () => {
  const ipcMain = new EventEmitter();
  fake.ipc = ipcMain;
  class BrowserWindow {
    static getAllWindows = (): unknown[] => fake.windows;
    webContents: Record<string, unknown>;
    constructor(readonly options: Record<string, unknown>) {
      const events = new Map<string, Listener>();
      const wc = {
        events,
        sent: [] as unknown[],
        reloads: 0,
        mainFrame: { url: '' },
        on: (name: string, l: Listener) => events.set(name, l),
        send: (_channel: string, m: unknown) => wc.sent.push(m),
        reload: () => wc.reloads++,
      };
      this.webContents = wc;
      fake.windows.push(this as never);
    }
    url = '';
    once(): void {}
    on(name: string, l: () => void): void {
      if (name === 'closed') (this as unknown as { closed: () => void }).closed = l;
    }
    isDestroyed(): boolean {
      return false;
    }
    loadURL(url: string): Promise<void> {
      this.url = url;
      (this.webContents.mainFrame as { url: string }).url = url;
      return Promise.resolve();
    }
    show(): void {}
  }
  return {
    app: {
      enableSandbox: vi.fn(),
      whenReady: () => Promise.resolve(),
      on: (name: string, l: Listener) => fake.appEvents.set(name, l),
      quit: vi.fn(),
      exit: vi.fn(),
    },
    BrowserWindow,
    ipcMain,
    shell: { showItemInFolder: (path: string) => fake.shown.push(path) },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: Listener) => (fake.permission = h),
        setPermissionCheckHandler: vi.fn(),
        webRequest: { onHeadersReceived: vi.fn() },
      },
    },
  };
});

await import('../../electron/main');
await new Promise((r) => setTimeout(r, 10));
const win = fake.windows[0] as unknown as {
  options: { webPreferences: Record<string, unknown> };
  url: string;
  closed: () => void;
  webContents: {
    events: Map<string, Listener>;
    sent: { t: string; id?: number; error?: { name: string } }[];
    reloads: number;
    mainFrame: { url: string };
  };
};
const ipc = fake.ipc as EventEmitter;

afterAll(() => {
  win.closed();
  (fake.appEvents.get('window-all-closed') as () => void)();
  rmSync(home, { recursive: true, force: true });
});

function sendFrom(
  frame: { url: string },
  message: unknown,
  sender: unknown = win.webContents,
): void {
  ipc.emit(IPC_CHANNEL, { sender, senderFrame: frame }, message);
}
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 10));

describe('electron/main.ts', () => {
  it('opens one hardened window on the built renderer with the preload', () => {
    expect(fake.windows.length).toBe(1);
    expect(win.options.webPreferences).toMatchObject(WEB_PREFERENCES);
    expect(String(win.options.webPreferences.preload)).toMatch(/preload\.cjs$/);
    expect(win.url).toMatch(/^file:\/\/.*\/renderer\/index\.html$/);
  });

  it('denies window.open, webviews, navigation and permissions on every web contents', () => {
    const events = new Map<string, Listener>();
    let openHandler: (() => unknown) | undefined;
    const contents = {
      on: (name: string, l: Listener) => events.set(name, l),
      setWindowOpenHandler: (h: () => unknown) => (openHandler = h),
    };
    (fake.appEvents.get('web-contents-created') as Listener)({}, contents);
    expect(openHandler?.()).toEqual({ action: 'deny' });
    for (const [name, url] of [
      ['will-navigate', 'https://evil.example/'],
      ['will-redirect', 'file:///etc/passwd'],
      ['will-attach-webview', undefined],
    ] as const) {
      const event = { preventDefault: vi.fn() };
      events.get(name)?.(event, url);
      expect(event.preventDefault, name).toHaveBeenCalled();
    }
    const callback = vi.fn();
    fake.permission?.({}, 'media', callback);
    expect(callback).toHaveBeenCalledWith(false);
  });

  it('answers IPC from the app page and ignores every other sender or frame', async () => {
    win.webContents.events.get('did-start-loading')?.();
    const request = (id: number) => ({ t: 'req', id, op: 'session.status' });
    sendFrom({ url: 'https://evil.example/' }, request(1));
    sendFrom({ url: win.url }, request(2), { other: true });
    sendFrom({ url: win.url }, request(3)); // not the main frame object
    await settle();
    expect(win.webContents.sent).toEqual([]);
    sendFrom(win.webContents.mainFrame, request(4));
    await settle();
    expect(win.webContents.sent).toMatchObject([{ t: 'res', id: 4 }]);
    sendFrom(win.webContents.mainFrame, { t: 'req', id: 5, op: 'packets.bytes', arg: 'x' });
    await settle();
    expect(win.webContents.sent.at(-1)).toMatchObject({
      t: 'err',
      id: 5,
      error: { name: 'InvalidArgument' },
    });
  });

  it('reloads the page after a malformed message and starts a fresh connection', async () => {
    sendFrom(win.webContents.mainFrame, { t: 'req', id: 6, op: 'shell.openExternal' });
    await settle();
    expect(win.webContents.reloads).toBe(1);
    const before = win.webContents.sent.length;
    sendFrom(win.webContents.mainFrame, { t: 'req', id: 7, op: 'session.status' });
    await settle();
    expect(win.webContents.sent.length).toBe(before);
    win.webContents.events.get('did-start-loading')?.();
    sendFrom(win.webContents.mainFrame, { t: 'req', id: 8, op: 'session.status' });
    await settle();
    expect(win.webContents.sent.at(-1)).toMatchObject({ t: 'res', id: 8 });
  });

  it('shows a capture of the captures folder in the file manager, by plain name only', () => {
    const captures = join(home, '.kdscope', 'captures');
    mkdirSync(captures, { recursive: true });
    writeFileSync(join(captures, 'kdscope-2026-01-01-00-00-00.pcap'), 'x');
    writeFileSync(join(home, 'secret.pcap'), 'x');
    const show = (
      name: unknown,
      frame = win.webContents.mainFrame,
      sender: unknown = win.webContents,
    ) => ipc.emit(SHOW_CAPTURE_CHANNEL, { sender, senderFrame: frame }, name);
    for (const name of [
      '../secret.pcap',
      join(home, 'secret.pcap'),
      'notes.txt',
      'missing.pcap',
      42,
    ])
      show(name);
    show('kdscope-2026-01-01-00-00-00.pcap', { url: 'https://evil.example/' });
    show('kdscope-2026-01-01-00-00-00.pcap', win.webContents.mainFrame, { other: true });
    expect(fake.shown).toEqual([]);
    show('kdscope-2026-01-01-00-00-00.pcap');
    expect(fake.shown).toEqual([join(captures, 'kdscope-2026-01-01-00-00-00.pcap')]);
  });
});
