// Bundles the console (console/src, Preact) into dist/console with esbuild, beside its static
// files. Part of `npm run build`: the bundle is built, never committed.
import { copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

mkdirSync('dist/console', { recursive: true });
await build({ entryPoints: ['console/src/main.ts'], bundle: true, format: 'esm', target: 'es2022', minify: true, outfile: 'dist/console/app.js', legalComments: 'none' });
for (const file of ['index.html', 'app.css']) copyFileSync(`console/${file}`, `dist/console/${file}`);
