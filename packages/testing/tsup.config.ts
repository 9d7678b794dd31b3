import { libraryConfig } from '@genops/tsconfig/tsup';
import { defineConfig } from 'tsup';

// The store contract suite and the adapter harness import vitest, so each has its own entry:
// `@genops/testing/store-contract`, `@genops/testing/adapter-harness`,
// `@genops/testing/route-contract`, `@genops/testing/abandon-contract`.
export default defineConfig(
  libraryConfig({
    entry: [
      'src/index.ts',
      'src/store-contract.ts',
      'src/adapter-harness.ts',
      'src/route-contract.ts',
      'src/abandon-contract.ts',
    ],
  }),
);
