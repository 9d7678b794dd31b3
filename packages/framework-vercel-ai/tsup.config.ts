import { libraryConfig } from '@genops/tsconfig/tsup';
import { defineConfig } from 'tsup';

// ai 7 is ESM-only, so this package is too.
export default defineConfig(
  libraryConfig({ format: ['esm'], external: ['ai', '@ai-sdk/provider', '@genops/core', '@opentelemetry/api'] }),
);
