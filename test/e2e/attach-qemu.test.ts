// (b) A real QEMU guest on the attach page: listed by its own -name through the QEMU provider,
// attached with one click (its COM1 socket as the target, a debugger socket by default), and
// the KD packets its COM1 sends seen in the packet view.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PacketType } from '../../protocol/kd/constants';
import { encodeDataPacket } from '../../protocol/kd/encoder';
import { buildPrintString } from '../../protocol/kd/payloads';
import { kdBootSector, startQemuGuest, type QemuGuest } from '../support/qemu-kd-guest';
import { startHarness, type Harness } from './harness';

let h: Harness;
let guest: QemuGuest;
const dir = mkdtempSync(join(tmpdir(), 'kdscope-e2e-qemu-'));
const name = `kdscope-e2e-${process.pid}`;
const com1 = join(dir, 'com1.sock');

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

/** Starts the guest (after the page is open, so only the periodic refresh can list it). */
async function startGuest(): Promise<void> {
  // The guest repeats a DbgPrint until a debugger answers: packets for as long as it runs.
  const greeting = encodeDataPacket(
    PacketType.DEBUG_IO,
    0x80800800,
    buildPrintString('guest up, waiting for a debugger\n'),
  );
  guest = startQemuGuest(
    join(dir, 'boot.img'),
    kdBootSector(new Uint8Array([0x62]), 1, greeting),
    com1,
    name,
  );
  await guest.ready;
}

afterAll(async () => {
  await h?.close();
  guest?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(cond: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('(b) a QEMU guest from the attach page', () => {
  it('lists it by name, attaches with a click, and shows its packets', async () => {
    const { page } = h;
    await page.goto(h.server.url);
    await page.locator('[data-testid=vm-row][data-vm=simulated]').first().waitFor();
    await startGuest();
    // Listed by the page's periodic refresh (every 5 s), no click needed.
    const row = page.locator(`[data-testid=vm-row][data-vm="${name}"]`);
    await row.waitFor({ timeout: 20_000 });
    expect(await row.textContent()).toContain('qemu');
    expect(await row.textContent()).toContain('COM1');
    expect(await row.textContent()).toContain(`unix:${com1}`);
    await row.click();
    expect(await row.getAttribute('aria-selected')).toBe('true');
    expect(await page.getByTestId('target-endpoint').inputValue()).toBe(`unix:${com1}`);
    // The bridge's debugger endpoint for this VM: a socket named after it in the temp folder
    // (kdscope-<vm>, where this VM's name already starts with kdscope-).
    expect(await page.getByTestId('debugger-endpoint').inputValue()).toBe(
      `unix:${join(tmpdir(), `${name}.sock`)}`,
    );
    expect(await page.getByTestId('debugger-kind-endpoint').isChecked()).toBe(true);
    await page.getByTestId('debugger-command').first().waitFor();
    await h.shot('21-attach-qemu');
    await page.getByTestId('start').click();
    await page.getByTestId('timeline').waitFor();
    const printed = page.locator('.tl-row', { hasText: 'guest up, waiting for a debugger' });
    await printed.first().waitFor({ timeout: 30_000 });
    expect(await printed.first().textContent()).toContain('DEBUG_IO');
    expect(h.workbench.status().info).toMatchObject({ target: `unix:${com1}`, mode: 'com' });
    await waitFor(
      async () => (await page.getByTestId('peer-target').textContent()) === 'Target: talking',
      'the target talking',
    );
    expect(await page.getByTestId('peer-debugger').textContent()).toBe('Debugger: waiting');
    await h.shot('22-qemu-packets');
    await page.getByTestId('stop').click();
    expect(h.errors).toEqual([]);
  });
});
