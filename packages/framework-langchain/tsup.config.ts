import { libraryConfig } from '@genops/tsconfig/tsup';
import { defineConfig } from 'tsup';

export default defineConfig(
  libraryConfig({ external: ['@langchain/core', 'langchain', '@genops/core', '@opentelemetry/api'] }),
);
