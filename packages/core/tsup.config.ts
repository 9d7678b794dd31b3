import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { libraryConfig } from '@genops/tsconfig/tsup';
import { defineConfig, type Options } from 'tsup';

// Three entry points (the app API, the adapter kit, the internals) over one set of modules, whose
// module-level state (the governor's AsyncLocalStorage, the error classes) must exist once per build
// however a module is reached (src/entries.test.ts checks it under `import` and `require`):
// - ESM: code splitting puts every module two entries share in one chunk.
// - CommonJS: one bundle (src/commonjs-bundle.ts) and three one-line entries that re-export a namespace
//   of it. (tsup's experimental CommonJS splitting renames classes to `_class`, which would change
//   `error.type`.)
const ENTRIES = { index: 'app', 'adapter/index': 'adapter', 'internal/index': 'internal' } as const;

// `yaml` is bundled into core, from its ES module build: its Node build is CommonJS that calls
// `require('process')`, which an esbuild ESM bundle of an app turns into `Dynamic require of "process"
// is not supported` at start-up. The ES module build is the same parser (warnings go to console.warn).
const yamlEsm = join(dirname(createRequire(import.meta.url).resolve('yaml/package.json')), 'browser/index.js');
const bundleYaml: Pick<Options, 'noExternal' | 'esbuildPlugins'> = {
  noExternal: ['yaml'],
  esbuildPlugins: [
    {
      name: 'yaml-esm',
      setup(build) {
        build.onResolve({ filter: /^yaml$/ }, () => ({ path: yamlEsm }));
      },
    },
  ],
};

export default defineConfig([
  libraryConfig({
    entry: {
      index: 'src/index.ts',
      'adapter/index': 'src/adapter/index.ts',
      'internal/index': 'src/internal/index.ts',
      register: 'src/register.ts',
    },
    format: ['esm'],
    ...bundleYaml,
    splitting: true,
    clean: false,
  }),
  libraryConfig({
    entry: { core: 'src/commonjs-bundle.ts' },
    format: ['cjs'],
    dts: false,
    ...bundleYaml,
    clean: false,
    async onSuccess() {
      for (const [entry, namespace] of Object.entries(ENTRIES)) {
        const depth = entry.split('/').length - 1;
        const bundle = depth === 0 ? './core.cjs' : `${'../'.repeat(depth)}core.cjs`;
        mkdirSync(`dist/${entry.split('/').slice(0, -1).join('/') || '.'}`, { recursive: true });
        writeFileSync(`dist/${entry}.cjs`, `'use strict';\nmodule.exports = require('${bundle}').${namespace};\n`);
      }
      // `node -r @genops/core/register`: the same start-up as the ES module entry, from the one bundle.
      writeFileSync('dist/register.cjs', `'use strict';\nrequire('./core.cjs').register.registerFromEnvironment();\n`);
    },
  }),
]);
