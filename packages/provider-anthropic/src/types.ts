import type { APIPromiseClass } from '@genops/core/adapter';

/** One loaded copy of `@anthropic-ai/sdk`: its CJS build or its ESM build (each has its own classes). */
export interface AnthropicModule {
  Anthropic: any;
  APIPromise: APIPromiseClass;
}

/** The SDK methods GenOps governs (each `stream()`, `parse()`, thread and tool-runner turn goes through one). */
export type AnthropicMethod = 'messages.create' | 'beta.messages.create';
