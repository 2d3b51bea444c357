// e2e harness: web mode in-process (engine + built renderer), a real Chromium via
// playwright-core with a fresh profile, screenshots under test/e2e/screenshots/.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterEach } from 'vitest';
import { ProfileStore } from '../../electron/engine/profiles/profile-store';
import { Workbench, type WorkbenchOptions } from '../../electron/engine/workbench/workbench';
import { startWebServer, type WebServer } from '../../electron/web/server';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = process.env.KDSCOPE_CHROMIUM ?? '/usr/bin/chromium';
export const screenshotDir = join(root, 'test/e2e/screenshots');
const rendererDir = join(root, 'dist/renderer');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds dist/renderer with Vite when it is missing or older than renderer/ or protocol/. */
export async function ensureRendererBuilt(): Promise<void> {
  const index = join(rendererDir, 'index.html');
  const sources = Math.max(
    newest(join(root, 'renderer')),
    newest(join(root, 'protocol')),
    newest(join(root, 'electron/api')),
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const { build } = await import('vite');
  await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
}

export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `e2e needs Chromium at ${CHROMIUM} (apt-get install chromium, or set KDSCOPE_CHROMIUM)`,
    );
  }
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The text of the element with `testId` ('' when it has none). */
export const testIdText = async (page: Page, testId: string): Promise<string> =>
  (await page.getByTestId(testId).textContent()) ?? '';

/**
 * Clicks a packet row and waits for the details pane to show that packet: the tree of the
 * packet shown before keeps its own text and focus until then. Returns the row's number.
 */
export async function showPacket(page: Page, row: Locator): Promise<number> {
  const no = Number(await row.getAttribute('data-no'));
  await row.click();
  await page.getByTestId('details').getByText(`Packet ${no} ·`).waitFor();
  return no;
}

/** The status bar's "Displayed: N of M" as numbers (-1 each while it does not say). */
export async function displayedRows(page: Page): Promise<{ shown: number; total: number }> {
  const m = /Displayed: ([\d,]+)(?: of ([\d,]+))?/.exec(await testIdText(page, 'displayed'));
  const num = (s: string | undefined): number => (s ? Number(s.replace(/,/g, '')) : -1);
  return m ? { shown: num(m[1]), total: num(m[2]) } : { shown: -1, total: -1 };
}

/**
 * After each failed test of this file, a screenshot of the page as it was then:
 * test/e2e/screenshots/failed-PREFIXNAME.png.
 */
export function screenshotFailures(harness: () => Harness | undefined, prefix = ''): void {
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    const name = `${prefix}${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}`;
    await harness()?.page.screenshot({ path: join(screenshotDir, `failed-${name}.png`) });
  });
}

export interface Harness {
  /** The web server now (a new one after restartServer()). */
  readonly server: WebServer;
  readonly workbench: Workbench;
  /** Where the sessions record (a temp folder removed by close(), unless options gave one). */
  readonly capturesDir: string;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors and page errors seen so far (a clean UI has none). */
  readonly errors: string[];
  /** Where the attach page saves profiles (a temp file, never the user's config). */
  readonly profilesPath: string;
  shot(name: string): Promise<string>;
  /** Closes the web server (the engine stays): the page loses its connection. */
  stopServer(): Promise<void>;
  /**
   * A new web server for the same engine on the same port and token, or another token (a new
   * run of kdscope: the page's link is no longer valid).
   */
  startServer(options?: { token?: string }): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(
  options: {
    workbench?: WorkbenchOptions;
    viewport?: { width: number; height: number };
    extraArgs?: string[];
  } = {},
): Promise<Harness> {
  requireChromium();
  await ensureRendererBuilt();
  mkdirSync(screenshotDir, { recursive: true });
  const ownCaptures = options.workbench?.capturesDir === undefined;
  const capturesDir =
    options.workbench?.capturesDir ?? mkdtempSync(join(tmpdir(), 'kdscope-e2e-captures-'));
  const removeCaptures = (): void => {
    if (ownCaptures) rmSync(capturesDir, { recursive: true, force: true });
  };
  const profile = mkdtempSync(join(tmpdir(), 'kdscope-e2e-profile-'));
  const profilesPath = join(profile, 'kdscope-profiles.json');
  const workbench = new Workbench({
    profiles: new ProfileStore(profilesPath),
    ...options.workbench,
    capturesDir,
  });
  let server: WebServer | null = await startWebServer({ workbench, staticDir: rendererDir });
  const { port, token } = server;
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS, ...(options.extraArgs ?? [])],
      viewport: options.viewport ?? { width: 1440, height: 900 },
      timeout: 20_000,
    });
  } catch (error) {
    await server.close();
    await workbench.dispose();
    rmSync(profile, { recursive: true, force: true });
    removeCaptures();
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return {
    get server(): WebServer {
      if (!server) throw new Error('the web server is stopped');
      return server;
    },
    workbench,
    capturesDir,
    context,
    page,
    errors,
    profilesPath,
    async shot(name) {
      const path = join(screenshotDir, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
    async stopServer() {
      await server?.close();
      server = null;
    },
    async startServer(options = {}) {
      server ??= await startWebServer({
        workbench,
        staticDir: rendererDir,
        port,
        token: options.token ?? token,
      });
    },
    async close() {
      await context.close().catch(() => undefined);
      await server?.close();
      await workbench.dispose();
      rmSync(profile, { recursive: true, force: true });
      removeCaptures();
    },
  };
}
