import { libraryConfig } from '@genops/tsconfig/tsup';
import { defineConfig } from 'tsup';

export default defineConfig(
  libraryConfig({ external: ['ai', '@ai-sdk/provider', '@genops/core', '@opentelemetry/api'] }),
);
