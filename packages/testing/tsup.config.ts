import { libraryConfig } from '@genops/tsconfig/tsup';
import { defineConfig } from 'tsup';

// The store contract suite imports vitest, so it has its own entry: `@genops/testing/store-contract`.
export default defineConfig(libraryConfig({ entry: ['src/index.ts', 'src/store-contract.ts'] }));
