import { FAKE_ANTHROPIC_EXAMPLE_BATCH_ID } from '@genops/testing';

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
   * `false` for a program that makes no billable request (counting tokens, reading results of a batch made
   * elsewhere): the suite checks it passes untouched (same output, no unit) in every mode.
   */
  billable?: false;
  /** Environment variables the example requires (placeholders: the fake servers accept anything). */
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

/** The examples the suite runs (sequentially, three times each: plain, governed, tiny budget). */
export const EXAMPLES: readonly ExampleProgram[] = [
  { sdk: 'openai-node', file: `${OPENAI}/chat-completions/demo.ts` },
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
  { sdk: 'openai-node', file: `${OPENAI}/client/raw-response.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/audio/text-to-speech.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/audio/audio.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/images/image-stream.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/responses/stream.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/responses/streaming-tools.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/responses/manual-conversation-state.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/responses/stream_background.ts` },
  { sdk: 'openai-node', file: `${OPENAI}/responses/structured-outputs.ts` },
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
  ...[
    'autoCompaction',
    'mcp',
    'structured-outputs-json-schema',
    'structured-outputs-raw',
    'structured-outputs-streaming',
    'structured-outputs-zod',
    'tools',
    'tools-helpers-advanced',
    'tools-helpers-advanced-streaming',
    'tools-helpers-json-schema',
    'tools-helpers-memory',
    'web-search-stream',
    // Managed agents: each user event sent to a session is one governed agent turn.
    'agents',
    'agents-with-files',
    'managed-agents-streaming-deltas-manual',
  ].map((name): ExampleProgram => ({ sdk: 'anthropic-sdk-typescript', file: `${ANTHROPIC}/${name}.ts` })),
  {
    sdk: 'anthropic-sdk-typescript',
    file: `${ANTHROPIC}/agents-comprehensive.ts`,
    // Stored in a vault and sent to the fake only; the fake never calls the MCP server.
    env: { GITHUB_TOKEN: 'github_pat_placeholder' },
  },
  {
    sdk: 'anthropic-sdk-typescript',
    file: `${ANTHROPIC}/managed-agents-observe-tool-calls.ts`,
    // Its main() creates the session in this environment (on the fake, any id); the key is for the
    // self-hosted scenario it does not run. The fake's agent calls `current_time`, which the prompt names.
    env: { ANTHROPIC_ENVIRONMENT_ID: 'env_placeholder' },
  },
  { sdk: 'anthropic-sdk-typescript', file: `${ANTHROPIC}/count-tokens.ts`, billable: false },
  {
    sdk: 'anthropic-sdk-typescript',
    file: `${ANTHROPIC}/batch-results.ts`,
    // Reads a batch another process created (the fake has it from the start): nothing to settle here.
    args: [FAKE_ANTHROPIC_EXAMPLE_BATCH_ID],
    billable: false,
  },
  { sdk: 'vercel-ai', file: `${VERCEL}/generate-text/openai/basic.ts` },
];

const WEBSOCKET = 'Realtime / Responses over a WebSocket: the fake servers speak HTTP only';
const SERVER = 'starts a web server or runs in a browser / Next.js route, not a program that ends';
const SELF_HOSTED =
  'Managed Agents self-hosted environment: needs a provisioned environment id and key (ANTHROPIC_ENVIRONMENT_ID/_KEY) ' +
  "and runs the agent toolset's bash and file tools on this host; the turns it posts go through " +
  'beta.sessions.events.send, governed (packages/provider-anthropic/src/managed-agents.test.ts)';
const ASSISTANTS = 'Assistants API (threads, runs with polling): no fake routes';

/** Vendored examples the suite does not run, with the reason. Every other vendored file is in EXAMPLES. */
export const SKIPPED: readonly SkippedExample[] = [
  ...['assistant-stream-raw', 'assistant-stream', 'assistants'].map((name) => ({
    file: `${OPENAI}/assistants/${name}.ts`,
    reason: ASSISTANTS,
  })),
  { file: `${OPENAI}/audio/speech-to-text.ts`, reason: 'records from a microphone (`sox`) before transcribing' },
  ...['assistants', 'chat', 'responses', 'realtime/websocket', 'realtime/ws'].map((name) => ({
    file: `${OPENAI}/azure/${name}.ts`,
    reason: 'AzureOpenAI with Entra ID credentials (@azure/identity) and Azure deployment URLs',
  })),
  ...['responses', 'runtime-chat'].map((name) => ({
    file: `${OPENAI}/bedrock/${name}.ts`,
    reason: 'OpenAI client against Amazon Bedrock with AWS credentials',
  })),
  { file: `${OPENAI}/chat-completions/chat-params-types.ts`, reason: 'time budget of the suite (runs like types.ts)' },
  {
    file: `${OPENAI}/chat-completions/function-call-diy.ts`,
    reason: 'time budget of the suite (like function-call.ts)',
  },
  ...['stream-to-client-browser', 'stream-to-client-express', 'stream-to-client-next', 'stream-to-client-raw'].map(
    (name) => ({ file: `${OPENAI}/chat-completions/${name}.ts`, reason: SERVER }),
  ),
  {
    file: `${OPENAI}/client/errors.ts`,
    reason:
      'calls model "unknown-model" to show the API\'s 404; GenOps refuses an unpriced model before it is sent ' +
      '(unknownModel: deny, by design), so the output differs',
  },
  {
    file: `${OPENAI}/fine-tuning/fine-tuning.ts`,
    reason: 'uploads a training file and polls the job for minutes; exits with a connection error against the fake',
  },
  { file: `${OPENAI}/images/picture.ts`, reason: 'time budget of the suite (images.generate runs in image-stream.ts)' },
  ...['bun', 'deno', 'node'].map((name) => ({
    file: `${OPENAI}/mtls/${name}.mjs`,
    reason: 'mutual TLS with client certificates',
  })),
  ...['websocket', 'ws'].map((name) => ({ file: `${OPENAI}/realtime/${name}.ts`, reason: WEBSOCKET })),
  { file: `${OPENAI}/responses/multi-agent-websocket.ts`, reason: WEBSOCKET },
  { file: `${OPENAI}/responses/websocket.ts`, reason: WEBSOCKET },
  {
    file: `${OPENAI}/responses/structured-outputs-tools.ts`,
    reason: 'throws unless the model calls its tool; the fake answers text (or JSON for a requested schema)',
  },
  {
    file: `${OPENAI}/responses/multi-agent-streaming.ts`,
    reason: 'client.beta.responses with agent handoffs the fake cannot script',
  },
  ...['managed-agents-self-hosted-sandbox-worker', 'managed-agents-worker-dispatch'].map((name) => ({
    file: `${ANTHROPIC}/${name}.ts`,
    reason: SELF_HOSTED,
  })),
  ...[
    'generate-text/anthropic/basic',
    'stream-text/openai/basic',
    'stream-text/anthropic/basic',
    'embed/openai/basic',
  ].map((name) => ({
    file: `${VERCEL}/${name}.ts`,
    reason: 'not run: time budget of the suite (generate-text/openai/basic.ts stands for the fetch path)',
  })),
];
