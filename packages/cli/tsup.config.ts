import { libraryConfig } from '@genops/tsconfig/tsup';
import { defineConfig } from 'tsup';

export default defineConfig([
  // Both builds run in parallel into dist/: the library leaves the CLI's files alone.
  libraryConfig({ clean: ['!cli.js', '!cli.js.map'] }),
  // The CLI is a single ESM file (the package is "type": "module"), run through the `bin` entry.
  libraryConfig({
    entry: ['src/cli.ts'],
    format: ['esm'],
    dts: false,
    clean: false,
    banner: { js: '#!/usr/bin/env node' },
  }),
]);
