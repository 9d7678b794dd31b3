import { libraryConfig } from '@genops/tsconfig/tsup';
import { defineConfig } from 'tsup';

export default defineConfig(
  libraryConfig({
    entry: [
      'src/index.ts',
      'src/langfuse.ts',
      'src/openinference.ts',
      'src/posthog.ts',
      'src/promptlayer.ts',
      'src/raindrop.ts',
      'src/traceloop.ts',
      'src/weave.ts',
    ],
    external: ['@opentelemetry/api'],
  }),
);
