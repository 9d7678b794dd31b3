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
  /**
   * The example records from a microphone with `ffmpeg` (openai's `recordAudio()`): the run puts a stand-in
   * `ffmpeg` on PATH (src/fake-ffmpeg.mjs) that "records" one second of a tone until it is stopped.
   */
  microphone?: boolean;
  /** The example redraws stdout with terminal cursor methods: runs with the stdout shim (src/terminal-stdout.mjs). */
  terminal?: boolean;
  /**
   * The example loops until a fixed deadline of its own (`AbortSignal.timeout(ms)`): every run takes that
   * long whatever it does. Every run of it (plain, governed, tiny budget) gets the shim in
   * src/short-deadline.mjs, which shortens any `AbortSignal.timeout()` longer than this many ms to it: the
   * same loop, ended sooner, so the outputs still compare.
   */
  deadlineMs?: number;
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
   * `false` for a program that makes no billable request (counting tokens, reading results of a batch made
   * elsewhere): the suite checks it passes untouched (same output, no unit) in every mode.
   */
  billable?: false;
  /**
   * Variables the example reads for its configuration (all three runs): `{openai}` and `{anthropic}` in a
   * value become the fake servers' base URLs, `{openai-origin}` the fake OpenAI server's origin (an Azure
   * endpoint), `{entra}` the fake Entra ID server's (an Azure authority host). An empty value removes the
   * variable the runner would set (e.g. `OPENAI_BASE_URL`, which Azure's clients refuse beside an endpoint).
   */
  env?: Record<string, string>;
  /**
   * A Managed Agents self-hosted worker (`client.beta.environments.work.worker()`): each run gets a new
   * self-hosted environment of the fake Anthropic server (`ANTHROPIC_ENVIRONMENT_ID`,
   * `ANTHROPIC_ENVIRONMENT_KEY`), and `ANTHROPIC_WORKDIR`, a folder of the run's own temporary working
   * directory (the agent toolset's tools run there; removed with it). With `claimed`, also a work item
   * claimed elsewhere (`ANTHROPIC_WORK_ID`, `ANTHROPIC_SESSION_ID`), as `ant worker poll --on-work` hands
   * one over: a session of an agent with `tools`, `prompt` sent, its first turn waiting for a tool result.
   */
  selfHosted?: { claimed?: { prompt: string; tools: Array<Record<string, unknown>> } };
  /** How long one run may take (default: a minute), for an example that runs longer by design. */
  timeoutMs?: number;
}

/** A vendored example the suite does not run, and why. */
export interface SkippedExample {
  file: string;
  reason: string;
}

const OPENAI = 'openai-node/examples';

/**
 * `@azure/identity`'s DefaultAzureCredential, signed in with a client secret (its EnvironmentCredential) at
 * the fake Entra ID server of @genops/testing (TLS; its CA trusted through `NODE_EXTRA_CA_CERTS`), with no
 * `OPENAI_BASE_URL` (an Azure app has none; the AzureOpenAI client refuses it beside an endpoint). The tenant
 * is `adfs`: for an AD FS authority MSAL skips Entra's instance discovery, which would go to
 * login.microsoftonline.com whatever the authority host. `AZURE_OPENAI_ENDPOINT` is the fake OpenAI server;
 * the deployment is a model GenOps prices.
 */
const AZURE_ENTRA: Record<string, string> = {
  OPENAI_BASE_URL: '',
  AZURE_TENANT_ID: 'adfs',
  AZURE_CLIENT_ID: 'genops-test-client',
  AZURE_CLIENT_SECRET: 'fake-client-secret',
  AZURE_AUTHORITY_HOST: '{entra}',
  AZURE_OPENAI_ENDPOINT: '{openai-origin}',
  AZURE_OPENAI_DEPLOYMENT: 'gpt-4o',
};
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
  // Azure OpenAI: `chat.ts` and `responses.ts` use the OpenAI client on Azure's v1 base URL with a bearer token
  // that `@azure/identity`'s DefaultAzureCredential gets from the fake Entra ID server (AZURE_ENTRA);
  // `assistants.ts` uses the AzureOpenAI client with an API key and Azure's resource-scoped URLs.
  ...['chat', 'responses'].map(
    (name): ExampleProgram => ({ sdk: 'openai-node', file: `${OPENAI}/azure/${name}.ts`, env: AZURE_ENTRA }),
  ),
  {
    sdk: 'openai-node',
    file: `${OPENAI}/azure/assistants.ts`,
    env: {
      OPENAI_BASE_URL: '',
      AZURE_OPENAI_ENDPOINT: '{openai-origin}',
      AZURE_OPENAI_API_KEY: 'fake-azure-api-key',
      AZURE_OPENAI_DEPLOYMENT: 'gpt-4o',
      OPENAI_API_VERSION: '2024-10-01-preview',
    },
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
  // Records 5 s from "the microphone" (a stand-in ffmpeg), then `audio.transcriptions.create` with whisper-1.
  { sdk: 'openai-node', file: `${OPENAI}/audio/speech-to-text.ts`, microphone: true },
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
  {
    sdk: 'anthropic-sdk-typescript',
    file: `${ANTHROPIC}/managed-agents-self-hosted-sandbox-worker.ts`,
    // Creates its agent and session, sends the prompt, then runs the worker's poll loop until its own
    // 60 s deadline (`run(AbortSignal.timeout(60_000))`), shortened to 12 s (three runs of a minute made
    // this the suite's longest test): the fake's agent runs `bash` (an `echo`) and the custom
    // `current_time` on the worker, three turns and three billable sends, done in a second or two.
    selfHosted: {},
    deadlineMs: 12_000,
  },
  {
    sdk: 'anthropic-sdk-typescript',
    file: `${ANTHROPIC}/managed-agents-worker-dispatch.ts`,
    // `handleItem()` serves one work item claimed elsewhere: the two tool results it posts are its
    // billable requests; it returns once the fake's heartbeat says the item is stopping (the turn ended).
    selfHosted: {
      claimed: {
        prompt: 'What is the current time? Also run `pwd` to show me the working directory.',
        tools: [
          { type: 'agent_toolset_20260401' },
          {
            type: 'custom',
            name: 'current_time',
            description: 'Get the current time in ISO 8601 format.',
            input_schema: { type: 'object', properties: {} },
          },
        ],
      },
    },
  },
  { sdk: 'anthropic-sdk-typescript', file: `${ANTHROPIC}/count-tokens.ts`, billable: false },
  {
    sdk: 'anthropic-sdk-typescript',
    file: `${ANTHROPIC}/batch-results.ts`,
    // Reads a batch another process created (the fake has it from the start): nothing to settle here.
    args: [FAKE_ANTHROPIC_EXAMPLE_BATCH_ID],
    billable: false,
  },
  { sdk: 'vercel-ai', file: `${VERCEL}/generate-text/openai/basic.ts`, tsx: true },
  ...[
    'generate-text/anthropic/basic',
    'stream-text/openai/basic',
    'stream-text/anthropic/basic',
    'embed/openai/basic',
  ].map((name): ExampleProgram => ({ sdk: 'vercel-ai', file: `${VERCEL}/${name}.ts` })),
];

/** Vendored examples the suite does not run, with the reason. Every other vendored file is in EXAMPLES. */
export const SKIPPED: readonly SkippedExample[] = [
  ...['bun', 'deno'].map((name) => ({
    file: `${OPENAI}/mtls/${name}.mjs`,
    reason:
      `needs the ${name === 'bun' ? 'Bun' : 'Deno'} runtime, which the test machines do not have (GenOps runs on Node); ` +
      'its only call, models.list(), is free; the same mTLS call through Node is run: mtls/node.mjs (test/mtls-examples.test.ts)',
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
  // Azure: `OpenAIRealtimeWS.azure()` / `OpenAIRealtimeWebSocket.azure()` on an AzureOpenAI client whose
  // Entra ID token comes from the fake Entra server; the endpoint is the fake Realtime server.
  ...['ws', 'websocket'].map(
    (name): ExampleProgram => ({ sdk: 'openai-node', file: `${OPENAI}/azure/realtime/${name}.ts`, env: AZURE_ENTRA }),
  ),
];

/**
 * Mutual TLS: `mtls/node.mjs` lists models (free) through the npm undici package's `fetch` and an `Agent`
 * holding a client certificate, against the fake OpenAI server behind a TLS front that requires client
 * certificates signed by a test CA (test/mtls-examples.test.ts). Run as it is (`node node.mjs`: plain
 * JavaScript, nothing to compile).
 */
export const MTLS_EXAMPLES: readonly ExampleProgram[] = [{ sdk: 'openai-node', file: `${OPENAI}/mtls/node.mjs` }];

/** A server example: started, sent the request its header comment documents, read, then stopped (SIGTERM). */
export interface ServerExample extends ExampleProgram {
  /** Who sends the request: a vendored client program (a path under vendor/), or the test itself (`fetch`). */
  client: string | { fetch: { headers: Record<string, string>; body: string } };
  /**
   * `edge`: the file is a Next.js Edge route (a module whose default export takes a `Request` and returns a
   * `Response`), served on 127.0.0.1:3000 by src/edge-host.mjs, which calls it as Next's Edge runtime does.
   */
  host?: 'edge';
}

/** The bearer secret `stream-to-client-next.ts` requires (at least 32 characters). */
export const EXAMPLE_AUTH_TOKEN = 'genops-test-example-secret-0123456789abcdef';

/**
 * The chat-completions stream-to-client servers (test/server-examples.test.ts). They listen on 127.0.0.1:3000,
 * a fixed port: the test runs them one at a time. `stream-to-client-browser.ts` is the client of the express
 * one (its header: run with Node, "simulating use in the browser"), so it runs as that server's client.
 */
export const SERVER_EXAMPLES: readonly ServerExample[] = [
  {
    sdk: 'openai-node',
    file: `${OPENAI}/chat-completions/stream-to-client-express.ts`,
    client: `${OPENAI}/chat-completions/stream-to-client-browser.ts`,
  },
  {
    sdk: 'openai-node',
    file: `${OPENAI}/chat-completions/stream-to-client-raw.ts`,
    // Its header comment's curl.
    client: {
      fetch: { headers: { 'Content-Type': 'text/plain' }, body: 'Can you explain why dogs are better than cats?' },
    },
  },
  {
    sdk: 'openai-node',
    file: `${OPENAI}/chat-completions/stream-to-client-next.ts`,
    host: 'edge',
    env: { OPENAI_EXAMPLE_AUTH_TOKEN: EXAMPLE_AUTH_TOKEN },
    // Its header comment's curl, with the bearer secret.
    client: {
      fetch: {
        headers: { Authorization: `Bearer ${EXAMPLE_AUTH_TOKEN}`, 'Content-Type': 'text/plain' },
        body: 'Can you explain why dogs are better than cats?',
      },
    },
  },
];
