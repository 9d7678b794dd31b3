import { libraryConfig } from '@genops/tsconfig/tsup';
import { defineConfig } from 'tsup';

// The server side only; the browser app (ui/) is bundled by scripts/build-ui.mjs into dist/ui/.
export default defineConfig(libraryConfig({ external: ['@genops/core', 'fastify'] }));
