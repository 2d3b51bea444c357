// Renders resources/icons/kdscope.svg to the 512x512 PNG electron-builder makes every platform's
// icon from (resources/icons/512x512.png), with the Chromium the e2e tests use. The PNG is
// committed; run this (`node scripts/icon.mjs`) after editing the SVG.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { root } from './build-cli.mjs';

const svg = readFileSync(join(root, 'resources/icons/kdscope.svg'), 'utf8');
const out = join(root, 'resources/icons/512x512.png');
const browser = await chromium.launch({
  executablePath: process.env.KDSCOPE_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 512, height: 512 } });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.locator('svg').screenshot({ path: out, omitBackground: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
