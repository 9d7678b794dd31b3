import { libraryConfig } from '@genops/tsconfig/tsup';
import { defineConfig } from 'tsup';

export default defineConfig(libraryConfig({ external: ['@genops/core', 'fastify', 'undici'] }));
