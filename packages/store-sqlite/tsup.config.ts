import { libraryConfig } from '@genops/tsconfig/tsup';
import { defineConfig } from 'tsup';

// `node:sqlite` exists only with its `node:` prefix: keep the prefix tsup would strip.
export default defineConfig(libraryConfig({ external: ['@genops/core'], removeNodeProtocol: false }));
