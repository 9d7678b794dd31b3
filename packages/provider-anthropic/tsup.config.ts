import { libraryConfig } from '@genops/tsconfig/tsup';
import { defineConfig } from 'tsup';

export default defineConfig(libraryConfig({ external: ['@anthropic-ai/sdk', '@genops/core', '@opentelemetry/api'] }));
