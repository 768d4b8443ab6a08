import { readFileSync } from 'node:fs';

// dist/src/version.js → the package root.
const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const version = manifest.version;
