// The renderer's only door to the main process: a narrow facade (send a tagged message, listen
// for replies and events) on one channel. No sendSync, no ipcRenderer handed out, no Node.

import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_CHANNEL, SHOW_CAPTURE_CHANNEL } from './main-security';

contextBridge.exposeInMainWorld('kdscope', {
  send(message: unknown): void {
    ipcRenderer.send(IPC_CHANNEL, message);
  },
  onMessage(listener: (message: unknown) => void): () => void {
    const on = (_event: IpcRendererEvent, message: unknown): void => listener(message);
    ipcRenderer.on(IPC_CHANNEL, on);
    return () => {
      ipcRenderer.off(IPC_CHANNEL, on);
    };
  },
  /** Shows a capture of the captures folder in the file manager (a plain file name). */
  showCapture(name: string): void {
    if (typeof name === 'string') ipcRenderer.send(SHOW_CAPTURE_CHANNEL, name);
  },
});
