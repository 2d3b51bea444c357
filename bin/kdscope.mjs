#!/usr/bin/env node
// Runs the bundled CLI, rebuilding it first when a source is newer (so a fresh clone works
// right after `npm install`, which runs no scripts; see .npmrc). The bundles are CommonJS
// scripts run through vm.Script with a V8 code cache kept beside them: most of what a short
// command spends before and after its work is compiling our code, and the cache skips it.

// getBuiltinModule, not `import`: each static import of a builtin costs an ES module of its
// own, ~1 ms apiece here, and this file runs before every command.
const { readFileSync, renameSync, statSync, writeFileSync } = process.getBuiltinModule('node:fs');
const { createRequire } = process.getBuiltinModule('node:module');
const { dirname, join } = process.getBuiltinModule('node:path');
const { fileURLToPath, pathToFileURL } = process.getBuiltinModule('node:url');
const { Script } = process.getBuiltinModule('node:vm');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cliDir = join(root, 'dist/cli');

function mtime(path) {
  return statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? -1;
}

function readManifest() {
  try {
    const manifest = JSON.parse(readFileSync(join(cliDir, 'manifest.json'), 'utf8'));
    const ok =
      typeof manifest?.bundles === 'object' && Object.hasOwn(manifest.bundles, manifest.entry);
    return ok ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the build is missing or older than a source of the entry, the shared modules or
 * the command about to run (one stat per source: the manifest lists them per bundle). A new
 * source is always imported by an edited one; a listed source that is gone means a rebuild
 * too. Other commands' bundles are checked when they run.
 */
function isStale(manifest, command) {
  if (!manifest || typeof manifest.builtAt !== 'number') return true;
  const names = [manifest.entry, ...(manifest.shared ?? []), command];
  const bundles = names.map((name) =>
    Object.hasOwn(manifest.bundles, name) ? manifest.bundles[name] : undefined,
  );
  for (const bundle of bundles) {
    if (bundle === undefined) continue;
    if (!Array.isArray(bundle.inputs) || mtime(join(cliDir, bundle.file)) < 0) return true;
    for (const input of bundle.inputs) {
      const time = mtime(join(root, input));
      if (time < 0 || time > manifest.builtAt) return true;
    }
  }
  return false;
}

// ---- code cache: KDCC, payload length, checksum (u32 each, little-endian), V8's cache data.
// V8 checks its version, flags and the source's length, but not its data: a damaged cache
// could crash the process. The checksum turns damage into a cache miss.

const CACHE_MAGIC = 0x4343444b;
const CACHE_HEADER = 12;

/** FNV-style over 32-bit words in four lanes (fast enough before the JIT has seen it). */
function checksum(bytes) {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : Uint8Array.from(bytes);
  const words = new Int32Array(aligned.buffer, aligned.byteOffset, aligned.length >>> 2);
  let a = 0x811c9dc5;
  let b = 1;
  let c = 2;
  let d = aligned.length;
  const whole = words.length & ~3;
  for (let i = 0; i < whole; i += 4) {
    a = Math.imul(a ^ words[i], 0x01000193);
    b = Math.imul(b ^ words[i + 1], 0x01000193);
    c = Math.imul(c ^ words[i + 2], 0x01000193);
    d = Math.imul(d ^ words[i + 3], 0x01000193);
  }
  for (let i = whole * 4; i < aligned.length; i++) a = Math.imul(a ^ aligned[i], 0x01000193);
  return (a ^ Math.imul(b, 3) ^ Math.imul(c, 5) ^ Math.imul(d, 7)) >>> 0;
}

function readCache(path) {
  let file;
  try {
    file = readFileSync(path);
  } catch {
    return undefined;
  }
  if (file.length < CACHE_HEADER) return undefined;
  const view = new DataView(file.buffer, file.byteOffset, file.length);
  const length = view.getUint32(4, true);
  if (view.getUint32(0, true) !== CACHE_MAGIC || length !== file.length - CACHE_HEADER)
    return undefined;
  const data = file.subarray(CACHE_HEADER);
  return checksum(data) === view.getUint32(8, true) ? data : undefined;
}

/** Written whole or not at all (temporary file, then rename); failing to write is no error. */
function writeCache(path, data) {
  const file = Buffer.allocUnsafe(CACHE_HEADER + data.length);
  file.writeUInt32LE(CACHE_MAGIC, 0);
  file.writeUInt32LE(data.length, 4);
  file.writeUInt32LE(checksum(data), 8);
  data.copy(file, CACHE_HEADER);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, file);
    renameSync(temporary, path);
  } catch {
    // A read-only checkout runs without a cache.
  }
}

/** Scripts that ran without a usable cache: theirs is written once the command is done. */
const uncached = [];

/** module.exports of the bundles loaded, by file: a shared bundle runs once. */
const loaded = new Map();

/**
 * Runs a bundle as CommonJS; its `./NAME-HASH.cjs` requires (the command table, the shared
 * modules) load the same way.
 */
function loadBundle(file) {
  const known = loaded.get(file);
  if (known !== undefined) return known.exports;
  const path = join(cliDir, file);
  const source = readFileSync(path, 'utf8');
  const cachePath = `${path}.${process.versions.v8}-${process.arch}.cache`;
  const cachedData = readCache(cachePath);
  const script = new Script(
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    { filename: path, cachedData },
  );
  if (cachedData === undefined || script.cachedDataRejected) uncached.push({ script, cachePath });
  const nodeRequire = createRequire(path);
  const require = Object.assign(
    (id) => (/^\.\/[\w-]+\.cjs$/.test(id) ? loadBundle(id.slice(2)) : nodeRequire(id)),
    { resolve: nodeRequire.resolve, cache: nodeRequire.cache, main: undefined },
  );
  const module = { exports: {}, filename: path, id: path };
  loaded.set(file, module);
  script.runInThisContext()(module.exports, require, module, path, cliDir);
  return module.exports;
}

let manifest = readManifest();
if (isStale(manifest, process.argv[2])) {
  const { buildCli } = await import(pathToFileURL(join(root, 'scripts/build-cli.mjs')).href);
  manifest = await buildCli();
}
const { main } = loadBundle(manifest.bundles[manifest.entry].file);
process.exitCode = await main(process.argv.slice(2));
// After the run, so the cache holds every function the command compiled, not only the top.
for (const { script, cachePath } of uncached) writeCache(cachePath, script.createCachedData());
