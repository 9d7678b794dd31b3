import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    // Both configs build in parallel into dist/: leave the CLI's files to the second one.
    clean: ['!cli.js', '!cli.js.map'],
    target: 'node22',
    define: { __PACKAGE_VERSION__: JSON.stringify(version) },
  },
  {
    // The CLI is a single ESM file (the package is "type": "module"), run through the `bin` entry.
    entry: ['src/cli.ts'],
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node22',
    banner: { js: '#!/usr/bin/env node' },
    define: { __PACKAGE_VERSION__: JSON.stringify(version) },
  },
]);
