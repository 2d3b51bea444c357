// The Electron shell: one hardened window over the workbench engine. Thin by design: the policy
// is in main-security.ts, the API in electron/api, the engine in electron/engine.

import { app, BrowserWindow, ipcMain, session, shell, type IpcMainEvent } from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { serveConnection } from './api/server';
import { Workbench } from './engine/workbench/workbench';
import { defaultCapturesDir, isCaptureFileName } from './engine/workbench/captures-dir';
import {
  CONTENT_SECURITY_POLICY,
  IPC_CHANNEL,
  SHOW_CAPTURE_CHANNEL,
  WEB_PREFERENCES,
  isAllowedNavigation,
  isAllowedSender,
} from './main-security';

const appUrl = pathToFileURL(join(__dirname, '../renderer/index.html')).href;

function secureAllWebContents(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAllowedNavigation(url, appUrl)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAllowedNavigation(url, appUrl)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) =>
    callback(false),
  );
  session.defaultSession.setPermissionCheckHandler(() => false);
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
      },
    });
  });
}

function openWindow(workbench: Workbench): void {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 900,
    minHeight: 560,
    backgroundColor: '#15171c',
    title: 'kdscope',
    show: false,
    webPreferences: { ...WEB_PREFERENCES, preload: join(__dirname, 'preload.cjs') },
  });
  win.once('ready-to-show', () => win.show());

  // One API connection per page load: a reload starts a fresh view and stream.
  let listeners = new Set<(message: unknown) => void>();
  let closeConnection: (() => void) | null = null;
  const fromApp = (event: IpcMainEvent): boolean => {
    if (event.sender !== win.webContents) return false;
    const frame = event.senderFrame;
    return !!frame && isAllowedSender(frame.url, appUrl, frame === win.webContents.mainFrame);
  };
  const onIpc = (event: IpcMainEvent, message: unknown): void => {
    if (!fromApp(event)) return;
    for (const listener of listeners) listener(message);
  };
  ipcMain.on(IPC_CHANNEL, onIpc);
  // Only a plain file name of the captures folder: the renderer never names a path.
  const onShowCapture = (event: IpcMainEvent, name: unknown): void => {
    if (!fromApp(event) || typeof name !== 'string' || !isCaptureFileName(name)) return;
    const file = join(workbench.capturesFolder, name);
    if (existsSync(file)) shell.showItemInFolder(file);
  };
  ipcMain.on(SHOW_CAPTURE_CHANNEL, onShowCapture);

  const connect = (): void => {
    closeConnection?.();
    const mine = new Set<(message: unknown) => void>();
    listeners = mine;
    const closeListeners = new Set<() => void>();
    closeConnection = serveConnection(
      {
        send: (message) => {
          if (!win.isDestroyed()) win.webContents.send(IPC_CHANNEL, message);
        },
        onMessage: (listener) => {
          mine.add(listener);
          return () => mine.delete(listener);
        },
        onClose: (listener) => {
          closeListeners.add(listener);
          return () => closeListeners.delete(listener);
        },
        close: (reason) => {
          console.error(`kdscope: renderer sent a bad message (${reason}); reloading it`);
          if (!win.isDestroyed()) win.webContents.reload();
        },
      },
      (emit) => workbench.connect(emit),
    );
  };
  win.webContents.on('did-start-loading', connect);
  win.on('closed', () => {
    ipcMain.off(IPC_CHANNEL, onIpc);
    ipcMain.off(SHOW_CAPTURE_CHANNEL, onShowCapture);
    closeConnection?.();
    closeConnection = null;
  });
  void win.loadURL(appUrl);
}

app.enableSandbox();
app.whenReady().then(
  () => {
    secureAllWebContents();
    const workbench = new Workbench({ capturesDir: defaultCapturesDir() });
    openWindow(workbench);
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) openWindow(workbench);
    });
    app.on('window-all-closed', () => {
      // The capture is closed cleanly before the app goes.
      void workbench.dispose().finally(() => app.quit());
    });
  },
  (error: unknown) => {
    console.error(`kdscope: cannot start: ${(error as Error).message}`);
    app.exit(1);
  },
);
