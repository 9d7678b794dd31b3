import { libraryConfig } from '@genops/tsconfig/tsup';
import { defineConfig } from 'tsup';

export default defineConfig(
  libraryConfig({ external: ['@google/genai', '@google/generative-ai', '@genops/core', '@opentelemetry/api'] }),
);
