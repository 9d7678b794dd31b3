import { libraryConfig } from '@genops/tsconfig/tsup';
import { defineConfig } from 'tsup';

export default defineConfig(libraryConfig({ external: ['openai', '@genops/core', '@opentelemetry/api'] }));
