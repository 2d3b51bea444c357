import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  CONTENT_SECURITY_POLICY,
  IPC_CHANNEL,
  WEB_PREFERENCES,
  isAllowedNavigation,
  isAllowedSender,
} from '../../electron/main-security';

const root = join(__dirname, '../..');
const read = (p: string): string => readFileSync(join(root, p), 'utf8');
const appUrl = 'file:///opt/kdscope/dist/renderer/index.html';

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(join(root, p)).isDirectory()) return sources(p);
    return /\.tsx?$/.test(name) ? [p] : [];
  });
}

describe('Electron window policy', () => {
  it('isolates and sandboxes the renderer', () => {
    expect(WEB_PREFERENCES).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('has a strict CSP: nothing inline, nothing remote, no eval', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-|\*|https?:/);
    const meta = /Content-Security-Policy"\s+content="([^"]+)"/.exec(read('renderer/index.html'));
    expect(meta?.[1]).toBeTruthy();
    expect(meta![1]).not.toMatch(/unsafe-/);
    expect(meta![1]).toContain("script-src 'self'");
  });

  it('accepts IPC only from the app page in the main frame', () => {
    expect(isAllowedSender(appUrl, appUrl, true)).toBe(true);
    expect(isAllowedSender(`${appUrl}#x`, appUrl, true)).toBe(true);
    expect(isAllowedSender(appUrl, appUrl, false)).toBe(false);
    expect(isAllowedSender('https://evil.example/', appUrl, true)).toBe(false);
    expect(isAllowedSender('file:///tmp/evil.html', appUrl, true)).toBe(false);
    expect(isAllowedSender(undefined, appUrl, true)).toBe(false);
    expect(isAllowedSender('not a url', appUrl, true)).toBe(false);
  });

  it('denies navigation away from the app', () => {
    expect(isAllowedNavigation('https://example.com/', appUrl)).toBe(false);
    expect(isAllowedNavigation('file:///etc/passwd', appUrl)).toBe(false);
    expect(isAllowedNavigation('javascript:alert(1)', appUrl)).toBe(false);
    expect(isAllowedNavigation(appUrl, appUrl)).toBe(true);
  });

  it('wires the policy in main.ts and keeps Electron out of everything else', () => {
    const main = read('electron/main.ts');
    expect(main).toMatch(/setWindowOpenHandler\(\(\) => \(\{ action: 'deny' \}\)\)/);
    expect(main).toMatch(/will-attach-webview[^\n]+preventDefault/);
    expect(main).toMatch(/will-navigate/);
    expect(main).toMatch(/isAllowedSender\(/);
    expect(main).toMatch(/\.\.\.WEB_PREFERENCES/);
    expect(main).toContain('setPermissionRequestHandler');
    const preload = read('electron/preload.ts');
    expect(preload).toContain(`IPC_CHANNEL`);
    expect(IPC_CHANNEL).toBe('kdscope:api');
    for (const file of [...sources('electron'), ...sources('renderer')]) {
      const text = read(file);
      expect(text, file).not.toMatch(/\.sendSync\(|\.invokeSync\(/);
      if (file !== join('electron', 'main.ts') && file !== join('electron', 'preload.ts')) {
        expect(text, file).not.toMatch(/from 'electron'/);
      }
    }
  });
});
