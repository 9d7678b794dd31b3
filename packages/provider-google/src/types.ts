/** One loaded copy of `@google/genai`: its CJS build or its ESM build (each has its own `Models` class). */
export interface GoogleGenAIModule {
  GoogleGenAI: any;
  Models: any;
}

/** One loaded copy of the legacy `@google/generative-ai` (CJS `index.js` or ESM `index.mjs`). */
export interface GenerativeAIModule {
  GenerativeModel: any;
  ChatSession: any;
}

/** What the adapter reads from a `@google/genai` API client: the mode and the endpoint. */
export interface GoogleClientInfo {
  vertexai?: boolean;
  baseUrl?: string;
  location?: string;
}

/** The kind of `@google/genai` request a governed method sends. */
export type GoogleRequestKind = 'generate' | 'stream' | 'embed';

/** Where a legacy `@google/generative-ai` method lives: `GenerativeModel` or `ChatSession`. */
export type LegacyKind = 'model' | 'chat';
