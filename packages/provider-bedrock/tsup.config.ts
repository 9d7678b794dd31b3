import { libraryConfig } from '@genops/tsconfig/tsup';
import { defineConfig } from 'tsup';

export default defineConfig(
  libraryConfig({ external: ['@aws-sdk/client-bedrock-runtime', '@genops/core', '@opentelemetry/api'] }),
);
