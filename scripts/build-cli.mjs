// Bundles the CLI (and the Electron main/preload) with esbuild: fast to build, fast to start.
//
// The CLI is one CommonJS bundle per command plus a small entry (main and the command table),
// each self-contained, so `kdscope decode` reads and compiles two files. bin/kdscope.mjs runs
// them through vm.Script with a V8 code cache (ES modules cannot use one on Node 20), which
// skips most of the parsing and compiling a short command's start-up is made of.
//
// Builds are atomic: every file is named by its content hash and written whole (temporary
// file, then rename), and dist/cli/manifest.json, written last the same way, says which
// files make up the current build and which sources each was built from. A process that
// read the previous manifest still finds its files: the two latest builds are kept.
import { build } from 'esbuild';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Native and Electron packages stay outside the bundle; everything else is inlined.
const external = ['electron', 'serialport', '@serialport/*', 'koffi', 'playwright-core'];

const cliDir = join(root, 'dist/cli');

/** What bin/kdscope.mjs reads to find and check the current build. */
export const cliManifestFile = join(cliDir, 'manifest.json');

/** A file of a build: NAME-HASH.cjs, its source map, its code caches (NAME-HASH.cjs.*). */
const BUILT_FILE = /^[\w-]+-[A-Z0-9]{8}\.cjs(\..+)?$/;

const commandsSource = join(root, 'electron/cli/commands.ts');

/** The commands commands.ts loads lazily: `import('./NAME')`, one bundle each. */
function commandModules() {
  const text = readFileSync(commandsSource, 'utf8');
  return [...new Set([...text.matchAll(/import\(\s*'\.\/([\w-]+)'\s*\)/g)].map((m) => m[1]))];
}

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  external,
  logLevel: 'warning',
  metafile: true,
  write: false,
  outdir: cliDir,
  entryNames: '[name]-[hash]',
  outExtension: { '.js': '.cjs' },
  // import() becomes require(): a vm.Script has no loader for ES modules.
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__kdImportMetaUrl' },
  banner: { js: "var __kdImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
};

/** Sources (relative to the root) an output was built from; esbuild's paths are cwd-relative. */
function sourcesOf(metafile, outputPath) {
  const cwd = process.cwd();
  const output = Object.entries(metafile.outputs).find(([path]) => join(cwd, path) === outputPath);
  return Object.keys(output?.[1].inputs ?? {})
    .map((p) => join(cwd, p))
    .filter((p) => p.startsWith(root) && !p.includes('/node_modules/'))
    .map((p) => p.slice(root.length + 1));
}

/** Writes a file whole or not at all; a file named by its hash that exists is that file. */
function writeAtomic(path, contents, { skipIfExists = false } = {}) {
  if (skipIfExists && existsSync(path)) return;
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

function readManifest() {
  try {
    return JSON.parse(readFileSync(cliManifestFile, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Removes files of builds older than the previous one, and the ES-module layout before it. */
function removeOldBuilds(current, previous) {
  const keep = new Set(
    [current, previous]
      .filter((m) => m && typeof m.bundles === 'object')
      .flatMap((m) => Object.values(m.bundles).map((b) => b.file)),
  );
  for (const name of readdirSync(cliDir)) {
    const path = join(cliDir, name);
    let remove;
    if (name.endsWith('.tmp')) {
      // Being written by someone, unless it is old (its writer died).
      const age = Date.now() - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? Infinity);
      remove = age > 600_000;
    } else {
      const legacy = /\.mjs(\.map)?$/.test(name) || name === 'inputs.json';
      remove = legacy || (BUILT_FILE.test(name) && !keep.has(name.replace(/(\.cjs)\..*$/, '$1')));
    }
    if (remove) rmSync(path, { force: true });
  }
}

/**
 * Modules of electron/cli/ that the entry and the commands share, built once and required by
 * both: a copy in each bundle would make two UsageError classes, and main's `instanceof`
 * would miss the one a command throws.
 */
const SHARED = ['command'];

/** Resolves `./NAME` of electron/cli/ to the bundle built for it (shared or command). */
function bundleImports(targets) {
  const cli = join(root, 'electron/cli');
  return {
    name: 'bundle-imports',
    setup(b) {
      b.onResolve({ filter: /^\.\/[\w-]+$/ }, (args) => {
        const name = args.path.slice(2);
        const shared = SHARED.includes(name) && args.resolveDir === cli;
        const command = args.importer === commandsSource && args.kind === 'dynamic-import';
        if (!(shared || command) || !targets[name]) return undefined;
        return { path: `./${targets[name].file}`, external: true };
      });
    },
  };
}

/** Runs one esbuild pass over `entryPoints` (name -> source) and lists its bundles. */
async function buildBundles(entryPoints, targets) {
  const result = await build({ ...common, entryPoints, plugins: [bundleImports(targets)] });
  const bundles = {};
  for (const file of result.outputFiles) {
    if (!file.path.endsWith('.cjs')) continue;
    const name = basename(file.path).replace(/-[A-Z0-9]{8}\.cjs$/, '');
    bundles[name] = { file: basename(file.path), inputs: sourcesOf(result.metafile, file.path) };
  }
  return { bundles, files: result.outputFiles };
}

const cliSource = (name) => join(root, `electron/cli/${name}.ts`);

/**
 * Builds every CLI bundle and publishes them with a new manifest; returns the manifest:
 * { builtAt, entry, bundles: { NAME: { file, inputs } } } (entry is a key of bundles).
 * Three passes, each requiring the bundles of the one before by file name: the shared
 * modules, the commands, the entry (main and the command table).
 */
export async function buildCli() {
  // Sources changed after this instant make the build stale (bin/kdscope.mjs compares).
  const builtAt = Date.now();
  mkdirSync(cliDir, { recursive: true });
  const passes = [
    Object.fromEntries(SHARED.map((n) => [n, cliSource(n)])),
    Object.fromEntries(commandModules().map((n) => [n, cliSource(n)])),
    { entry: cliSource('entry') },
  ];
  const bundles = {};
  const files = [];
  for (const entryPoints of passes) {
    const pass = await buildBundles(entryPoints, bundles);
    Object.assign(bundles, pass.bundles);
    files.push(...pass.files);
  }
  for (const file of files) writeAtomic(file.path, file.contents, { skipIfExists: true });
  const manifest = { builtAt, entry: 'entry', shared: SHARED, bundles };
  const previous = readManifest();
  writeAtomic(cliManifestFile, JSON.stringify(manifest));
  removeOldBuilds(manifest, previous);
  return manifest;
}

export async function buildElectronMain() {
  const entries = ['main', 'preload'].filter((n) => existsSync(join(root, `electron/${n}.ts`)));
  for (const name of entries) {
    await build({
      entryPoints: [join(root, `electron/${name}.ts`)],
      outfile: join(root, `dist/electron/${name}.cjs`),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'linked',
      external,
      logLevel: 'warning',
    });
  }
}
