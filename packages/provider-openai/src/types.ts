import type { APIPromiseClass } from '@genops/core/adapter';

/** The OpenAI SDK methods GenOps governs, by wire format (`beta.responses.create` is `responses.create`). */
export type OpenAIMethod = 'chat.completions.create' | 'responses.create' | 'embeddings.create' | 'completions.create';

/** Every patched SDK method: the wire formats, and the beta mirrors that send the same bodies. */
export type OpenAIPatchedMethod = OpenAIMethod | 'beta.responses.create';

/** Options of `instrumentOpenAI`. */
export interface InstrumentOpenAIOptions {
  /**
   * `gen_ai.provider.name` for this client's calls, and the price file they are priced from, instead
   * of the provider read from the client's `baseURL` (e.g. `'together'` behind your own gateway).
   */
  provider?: string;
}

/** One loaded copy of the `openai` module: its CJS build or its ESM build (each has its own classes). */
export interface OpenAIModule {
  OpenAI: any;
  APIPromise: APIPromiseClass;
}
