import { libraryConfig } from '@genops/tsconfig/tsup';
import { defineConfig } from 'tsup';

export default defineConfig(
  libraryConfig({ external: ['llamaindex', '@llamaindex/core', '@genops/core', '@opentelemetry/api'] }),
);
