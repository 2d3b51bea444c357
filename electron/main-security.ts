// The Electron window's security policy as plain data and pure checks, so unit tests assert it
// without Electron (electron/main.ts applies it; see STYLE.md "Security of windows").

/** One IPC channel each way; every message on it is a tagged API message (electron/api). */
export const IPC_CHANNEL = 'kdscope:api';
/** Renderer -> main only: show a recorded capture (a plain file name) in the file manager. */
export const SHOW_CAPTURE_CHANNEL = 'kdscope:show-capture';

export const WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
  spellcheck: false,
} as const;

/** The desktop app needs no network: the engine is reached over IPC only. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

function withoutFragment(url: string): string | null {
  try {
    const u = new URL(url);
    u.hash = '';
    u.search = '';
    return u.href;
  } catch {
    return null;
  }
}

/** IPC is accepted only from the app's own top-level page (not an iframe, not another URL). */
export function isAllowedSender(
  frameUrl: string | undefined,
  appUrl: string,
  isMainFrame: boolean,
): boolean {
  if (!isMainFrame || frameUrl === undefined) return false;
  const a = withoutFragment(frameUrl);
  return a !== null && a === withoutFragment(appUrl);
}

/** Navigation away from the app is never allowed (links, drops, redirects, window.location). */
export function isAllowedNavigation(url: string, appUrl: string): boolean {
  const a = withoutFragment(url);
  return a !== null && a === withoutFragment(appUrl);
}

/** Every permission request (camera, notifications, clipboard, ...) is refused. */
export const ALLOWED_PERMISSIONS: readonly string[] = [];
