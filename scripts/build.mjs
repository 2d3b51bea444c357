// `npm run build`: CLI + Electron main/preload (esbuild) and the renderer (Vite).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildCli, buildElectronMain, root } from './build-cli.mjs';
import { buildRenderer } from './build-renderer.mjs';

await buildCli();
await buildElectronMain();
if (existsSync(join(root, 'renderer/index.html'))) await buildRenderer();
