import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The build every @genops package shares: ESM + CJS + types for Node 22+, with the package version
 * injected as `__PACKAGE_VERSION__`. tsup runs in the package directory.
 * @param {import('tsup').Options} overrides
 * @returns {import('tsup').Options}
 */
export function libraryConfig(overrides = {}) {
  const { version } = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8'));
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    shims: true,
    target: 'node22',
    define: { __PACKAGE_VERSION__: JSON.stringify(version) },
    ...overrides,
  };
}
