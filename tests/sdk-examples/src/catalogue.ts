/** One vendored example program the suite runs. */
export interface ExampleProgram {
  sdk: 'openai-node' | 'anthropic-sdk-typescript' | 'vercel-ai';
  /** Path under vendor/. */
  file: string;
  /** Command-line arguments, when the example takes some. */
  args?: string[];
  /**
   * Set when this version lets the example's billable requests leave without a governed unit: what is
   * missing. The suite then checks that the gap is still there, so that closing it fails the test until
   * this field is removed and the full checks apply.
   */
  knownGap?: string;
  /** The example redraws stdout with terminal cursor methods: runs with the stdout shim (src/terminal-stdout.mjs). */
  terminal?: boolean;
  /**
   * Run with `node --import tsx`, as a developer runs an example, instead of compiled once (src/compile.ts):
   * keeps the path where tsx's `require()` loads a second copy of the SDK under test.
   */
  tsx?: boolean;
  /**
   * A prices file the governed runs get (`GENOPS_PRICES`): for an example that calls a model on purpose
   * that GenOps has no price for (GenOps refuses an unpriced model by default, `unknownModel: 'deny'`).
   */
  prices?: Record<string, Record<string, { input: number; output: number }>>;
  /**
   * Files of the SDK's checkout the example reads by a path relative to the working directory (it is run
   * from the checkout's root): copied from `vendor/<sdk>/` into the run's working directory, same path.
   */
  cwdFiles?: string[];
  /**
   * Variables the example reads for its configuration (all three runs): `{openai}` and `{anthropic}` in a
   * value become the fake servers' base URLs.
   */
  env?: Record<string, string>;
}

/** A vendored example the suite does not run, and why. */
export interface SkippedExample {
  file: string;
  reason: string;
}

const OPENAI = 'openai-node/examples';
const ANTHROPIC = 'anthropic-sdk-typescript/examples';
const VERCEL = 'vercel-ai/examples/ai-functions/src';

/** The examples the suite runs (a few at a time, three times each: plain, governed, tiny budget). */
export const EXAMPLES: readonly ExampleProgram[] = [
  // Amazon Bedrock: the SDK's `bedrock()` provider reads its base URL (AWS_BEDROCK_BASE_URL) and credentials
  // (a bearer token, or AWS keys for SigV4) from the environment, so it is pointed at the fake. Its host is
  // not Bedrock's, so GenOps sees provider `openai`, where these Bedrock model ids have no price: the run's
  // prices file gives them one.
  {
    sdk: 'openai-node',
    file: `${OPENAI}/bedrock/responses.ts`,
    env: { AWS_BEARER_TOKEN_BEDROCK: 'fake-bedrock-token', AWS_BEDROCK_BASE_URL: '{openai}' },
    prices: { openai: { 'openai.gpt-5.4': { input: 2.5, output: 15 } } },
  },
  {
    sdk: 'openai-node',
    file: `${OPENAI}/bedrock/runtime-chat.ts`,
    env: {
      BEDROCK_STREAM: '1',
      AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE',
      AWS_SECRET_ACCESS_KEY: 'fake-secret-access-key',
      AWS_BEDROCK_BASE_URL: '{openai}',
    },
    prices: { openai: { 'us.openai.gpt-5.6-sol': { input: 2.5, output: 15 } } },
  },
  { sdk: 'openai-node', file: `${OPENAI}/chat-completions/demo.ts`, tsx: true },
  { sdk: 'openai-node', file: `${OPENAI}/chat-completions/stream.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/chat-completions/function-call.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/chat-completions/logprobs.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/chat-completions/tool-call-helpers.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/chat-completions/tool-call-helpers-zod.ts` },
  ...['parsing', 'parsing-run-tools', 'parsing-stream', 'parsing-tools', 'parsing-tools-stream', 'ui-generation'].map(
    (name): ExampleProgram => ({ sdk: 'openai-node', file: `${OPENAI}/chat-completions/${name}.ts` }),
  ),
  ...['function-call-stream', 'function-call-stream-raw', 'tool-calls-stream'].map(
    (name): ExampleProgram => ({ sdk: 'openai-node', file: `${OPENAI}/chat-completions/${name}.ts`, terminal: true }),
  ),
  { sdk: 'openai-node', file: `${OPENAI}/chat-completions/types.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/chat-completions/chat-params-types.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/chat-completions/function-call-diy.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/client/raw-response.ts` },
  {
    // Calls model "unknown-model" to show the API's 404. Priced by the run's prices file, the call is sent,
    // and the SDK's NotFoundError reaches the example unchanged (an unpriced model is refused before it is sent).
    sdk: 'openai-node',
    file: `${OPENAI}/client/errors.ts`,
    prices: { openai: { 'unknown-model': { input: 1, output: 4 } } },
  },
  ...['assistants', 'assistant-stream', 'assistant-stream-raw'].map(
    (name): ExampleProgram => ({ sdk: 'openai-node', file: `${OPENAI}/assistants/${name}.ts` }),
  ),
  { sdk: 'openai-node', file: `${OPENAI}/audio/text-to-speech.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/audio/audio.ts` },
  {
    sdk: 'openai-node',
    file: `${OPENAI}/fine-tuning/fine-tuning.ts`,
    cwdFiles: ['examples/fine-tuning/fine-tuning-data.jsonl'],
  },
  { sdk: 'openai-node', file: `${OPENAI}/images/image-stream.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/images/picture.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/responses/stream.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/responses/streaming-tools.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/responses/manual-conversation-state.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/responses/stream_background.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/responses/structured-outputs.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/responses/structured-outputs-tools.ts` },
  // `beta.responses.create` with multi_agent: the fake answers as the coordinator alone (no handoffs).
  { sdk: 'openai-node', file: `${OPENAI}/responses/multi-agent-streaming.ts` },
  { sdk: 'anthropic-sdk-typescript', file: `${ANTHROPIC}/demo.ts` },
  { sdk: 'anthropic-sdk-typescript', file: `${ANTHROPIC}/streaming.ts` },
  { sdk: 'anthropic-sdk-typescript', file: `${ANTHROPIC}/raw-streaming.ts` },
  { sdk: 'anthropic-sdk-typescript', file: `${ANTHROPIC}/thinking.ts` },
  { sdk: 'anthropic-sdk-typescript', file: `${ANTHROPIC}/thinking-stream.ts` },
  { sdk: 'anthropic-sdk-typescript', file: `${ANTHROPIC}/tools-streaming.ts` },
  { sdk: 'anthropic-sdk-typescript', file: `${ANTHROPIC}/fallbacks.ts` },
  { sdk: 'anthropic-sdk-typescript', file: `${ANTHROPIC}/tools-helpers-zod.ts` },
  { sdk: 'anthropic-sdk-typescript', file: `${ANTHROPIC}/cancellation.ts` },
  { sdk: 'anthropic-sdk-typescript', file: `${ANTHROPIC}/middleware.ts` },
  { sdk: 'anthropic-sdk-typescript', file: `${ANTHROPIC}/web-search.ts` },
  { sdk: 'vercel-ai', file: `${VERCEL}/generate-text/openai/basic.ts`, tsx: true },
  ...[
    'generate-text/anthropic/basic',
    'stream-text/openai/basic',
    'stream-text/anthropic/basic',
    'embed/openai/basic',
  ].map((name): ExampleProgram => ({ sdk: 'vercel-ai', file: `${VERCEL}/${name}.ts` })),
];

const SERVER = 'starts a web server or runs in a browser / Next.js route, not a program that ends';
const AGENTS = 'Anthropic managed agents (beta agents, environments, sessions, vaults, skills): no fake routes';

/** Vendored examples the suite does not run, with the reason. Every other vendored file is in EXAMPLES. */
export const SKIPPED: readonly SkippedExample[] = [
  { file: `${OPENAI}/audio/speech-to-text.ts`, reason: 'records from a microphone (`sox`) before transcribing' },
  ...['assistants', 'chat', 'responses', 'realtime/websocket', 'realtime/ws'].map((name) => ({
    file: `${OPENAI}/azure/${name}.ts`,
    reason: 'AzureOpenAI with Entra ID credentials (@azure/identity) and Azure deployment URLs',
  })),
  ...['stream-to-client-browser', 'stream-to-client-express', 'stream-to-client-next', 'stream-to-client-raw'].map(
    (name) => ({ file: `${OPENAI}/chat-completions/${name}.ts`, reason: SERVER }),
  ),
  ...['bun', 'deno', 'node'].map((name) => ({
    file: `${OPENAI}/mtls/${name}.mjs`,
    reason: 'mutual TLS with client certificates',
  })),
  ...['agents', 'agents-comprehensive', 'agents-with-files'].map((name) => ({
    file: `${ANTHROPIC}/${name}.ts`,
    reason: AGENTS,
  })),
  ...[
    'managed-agents-observe-tool-calls',
    'managed-agents-self-hosted-sandbox-worker',
    'managed-agents-streaming-deltas-manual',
    'managed-agents-worker-dispatch',
  ].map((name) => ({ file: `${ANTHROPIC}/${name}.ts`, reason: AGENTS })),
  { file: `${ANTHROPIC}/count-tokens.ts`, reason: 'makes no billable call (count_tokens is free)' },
  { file: `${ANTHROPIC}/mcp.ts`, reason: 'needs a remote MCP server (beta mcp_servers)' },
  { file: `${ANTHROPIC}/tools.ts`, reason: 'asserts the model called its tool; the fake answers text' },
  ...[
    'autoCompaction',
    'batch-results',
    'structured-outputs-json-schema',
    'structured-outputs-raw',
    'structured-outputs-streaming',
    'structured-outputs-zod',
    'tools-helpers-advanced',
    'tools-helpers-advanced-streaming',
    'tools-helpers-json-schema',
    'tools-helpers-memory',
    'web-search-stream',
  ].map((name) => ({
    file: `${ANTHROPIC}/${name}.ts`,
    reason:
      'not run: time budget of the suite on a 2-core machine (demo.ts and streaming.ts stand for the Messages API)',
  })),
];

/**
 * Realtime and Responses-over-WebSocket examples: run the same three ways against the fake Realtime server
 * (TLS: the SDK's Realtime clients connect with `wss:` only), each `response.create` a billable request
 * (test/websocket-examples.test.ts).
 */
export const WEBSOCKET_EXAMPLES: readonly ExampleProgram[] = [
  { sdk: 'openai-node', file: `${OPENAI}/realtime/ws.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/realtime/websocket.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/responses/websocket.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/responses/multi-agent-websocket.ts` },
];
