import { libraryConfig } from '@genops/tsconfig/tsup';
import { defineConfig } from 'tsup';

export default defineConfig(
  libraryConfig({ external: ['@modelcontextprotocol/sdk', '@genops/core', '@opentelemetry/api'] }),
);
