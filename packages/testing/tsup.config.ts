import { libraryConfig } from '@genops/tsconfig/tsup';
import { defineConfig } from 'tsup';

// The store contract suite and the adapter harness import vitest, so each has its own entry:
// `@genops/testing/store-contract`, `@genops/testing/adapter-harness`.
export default defineConfig(
  libraryConfig({ entry: ['src/index.ts', 'src/store-contract.ts', 'src/adapter-harness.ts'] }),
);
