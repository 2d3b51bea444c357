// `npm start`: build, then launch Electron if its binary is there. The binary is fetched only
// here (never at install time), once; when that fails, web mode starts instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './build-cli.mjs';

const electronDir = join(root, 'node_modules/electron');

function electronBinary() {
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

const built = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
if (built.status !== 0) {
  console.error('kdscope: build failed; not starting');
  process.exit(built.status ?? 1);
}

// A Linux machine without a display server cannot show a window: web mode, say why.
const headless =
  process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;

let binary = electronBinary();
let why = headless ? 'no display server: DISPLAY is not set' : '';
if (!binary && !headless && existsSync(join(electronDir, 'install.js'))) {
  console.log('kdscope: fetching the Electron binary (once)...');
  const fetched = spawnSync(process.execPath, [join(electronDir, 'install.js')], {
    cwd: electronDir,
    encoding: 'utf8',
    timeout: 180_000,
  });
  binary = electronBinary();
  // install.js prints a stack trace on failure; its first line says what went wrong.
  const firstLine = `${fetched.stderr ?? ''}${fetched.stdout ?? ''}`
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  why = `its binary could not be fetched${firstLine ? `: ${firstLine}` : ''}`;
}

const child =
  binary && !headless
    ? spawn(binary, [root], { stdio: 'inherit' })
    : (console.log(`kdscope: not starting Electron (${why}); starting web mode instead`),
      spawn(process.execPath, [join(root, 'bin/kdscope.mjs'), 'serve'], { stdio: 'inherit' }));

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
