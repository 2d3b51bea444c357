// electron-builder cannot run here (no Electron binary), so check what its config points at.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '../..');
const config = readFileSync(join(root, 'electron-builder.yml'), 'utf8');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  main: string;
  dependencies: Record<string, string>;
};

describe('electron-builder.yml', () => {
  it('ships the built app that package.json names as main', () => {
    expect(config).toMatch(/^files:\n(?:\s+- .*\n)*\s+- dist\/\*\*\/\*$/m);
    expect(pkg.main.startsWith('dist/')).toBe(true);
    // electron/main.ts is what scripts/build.mjs bundles to package.json's main.
    expect(pkg.main).toBe('dist/electron/main.cjs');
    expect(existsSync(join(root, 'electron/main.ts'))).toBe(true);
  });

  it('copies resources that exist, and unpacks the native add-ons the app depends on', () => {
    const froms = [...config.matchAll(/- from: (\S+)/g)].map((m) => m[1]!);
    expect(froms).toEqual(['resources/wireshark', 'resources/extcap']);
    for (const from of froms) expect(existsSync(join(root, from))).toBe(true);
    for (const native of ['koffi', 'serialport']) expect(pkg.dependencies[native]).toBeDefined();
    expect(config).toContain('node_modules/koffi/**');
    expect(config).toContain('node_modules/@serialport/bindings-cpp/**');
  });

  it('gives the app its icon: a 512x512 PNG rendered from the SVG source', () => {
    expect(config).toMatch(/^icon: resources\/icons\/512x512\.png$/m);
    expect(config).toMatch(/^linux:\n(?:\s+.*\n)*?\s+icon: resources\/icons$/m);
    const png = readFileSync(join(root, 'resources/icons/512x512.png'));
    // PNG signature, then the IHDR chunk: width and height (big-endian), RGBA.
    expect(png.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([512, 512]);
    expect(png[25]).toBe(6);
    expect(readFileSync(join(root, 'resources/icons/kdscope.svg'), 'utf8')).toMatch(
      /^<svg [^>]*viewBox="0 0 512 512"/,
    );
  });
});
