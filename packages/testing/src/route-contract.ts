import { usdToNanos } from '@genops/core';
import type { Usage } from '@genops/core/adapter';
import { costNanos } from '@genops/core/internal';
import { describe, expect, it } from 'vitest';
import { type AdapterHarness, createAdapterHarness, type HarnessServer } from './adapter-harness';
import type { FakeAnthropicServer, FakeAnthropicUsage } from './fake-anthropic-server';
import type { FakeBedrockServer, FakeBedrockUsage } from './fake-bedrock-server';
import type { FakeGeminiServer, FakeGeminiUsage } from './fake-google-server';
import type { FakeOpenAIServer, FakeUsage } from './types';

/**
 * One wire usage of the route contract: what the fake server reports (`wire`), and the normalized usage
 * every route must record (`usage`). `wire: 'malformed'` answers 2xx with a body that cannot be parsed:
 * the call settles at its reservation, flagged `genops.accounting.incomplete`.
 */
export interface RouteScenario<Wire> {
  name: string;
  /** The model the routes request (its shipped price prices the call). */
  model: string;
  wire: Wire | 'malformed';
  /** The normalized usage the wire usage means (input includes cache, output includes reasoning). */
  usage?: Usage;
}

/** One way an adapter reaches the provider: a small driver making one call against the fake server. */
export interface Route<Server> {
  name: string;
  /** A streamed route (the malformed scenario runs on non-streamed routes only). */
  stream: boolean;
  /** Makes the call (consuming a stream to its end). A malformed reply may throw: the contract ignores it. */
  call(server: Server, model: string): PromiseLike<unknown>;
}

/** A wire format's scenario table and how its fake server is told the usage. */
export interface WireFormat<Server extends HarnessServer, Wire> {
  name: string;
  provider: string;
  server: () => Promise<Server>;
  enqueue(server: Server, wire: Wire | 'malformed'): void;
  scenarios: ReadonlyArray<RouteScenario<Wire>>;
}

const ANTHROPIC_MODEL = 'claude-sonnet-4-5';

/** Anthropic Messages: `input_tokens` excludes cache reads and writes; writes split by TTL. */
export const ANTHROPIC_MESSAGES: WireFormat<FakeAnthropicServer, FakeAnthropicUsage> = {
  name: 'Anthropic Messages',
  provider: 'anthropic',
  server: async () => (await import('./fake-anthropic-server')).startFakeAnthropic(),
  enqueue: (server, wire) => server.enqueue(wire === 'malformed' ? { malformed: true } : { usage: wire }),
  scenarios: [
    {
      name: 'plain',
      model: ANTHROPIC_MODEL,
      wire: { input: 1000, output: 500 },
      usage: { inputTokens: 1000, outputTokens: 500 },
    },
    {
      name: 'cache read',
      model: ANTHROPIC_MODEL,
      wire: { input: 1000, output: 500, cacheRead: 2000 },
      usage: { inputTokens: 3000, outputTokens: 500, cacheReadInputTokens: 2000 },
    },
    {
      name: '5-minute cache write',
      model: ANTHROPIC_MODEL,
      wire: { input: 1000, output: 500, cacheWrite: 400 },
      usage: { inputTokens: 1400, outputTokens: 500, cacheWriteInputTokens: 400 },
    },
    {
      name: '1-hour cache write',
      model: ANTHROPIC_MODEL,
      wire: { input: 1000, output: 500, cacheRead: 2000, cacheWrite: 400, cacheWrite1h: 100 },
      usage: {
        inputTokens: 3400,
        outputTokens: 500,
        cacheReadInputTokens: 2000,
        cacheWriteInputTokens: 400,
        cacheWrite1hInputTokens: 100,
      },
    },
    {
      name: 'long context (above the 200k tier)',
      model: ANTHROPIC_MODEL,
      wire: { input: 190_000, output: 500, cacheRead: 20_000, cacheWrite: 1000, cacheWrite1h: 1000 },
      usage: {
        inputTokens: 211_000,
        outputTokens: 500,
        cacheReadInputTokens: 20_000,
        cacheWriteInputTokens: 1000,
        cacheWrite1hInputTokens: 1000,
      },
    },
    { name: 'malformed 2xx', model: ANTHROPIC_MODEL, wire: 'malformed' },
  ],
};

/** OpenAI Chat Completions and Responses: input includes cached, output includes reasoning. */
export const OPENAI_CHAT: WireFormat<FakeOpenAIServer, FakeUsage> = {
  name: 'OpenAI',
  provider: 'openai',
  server: async () => (await import('./fake-openai-server')).startFakeOpenAI(),
  enqueue: (server, wire) => server.enqueue(wire === 'malformed' ? { malformed: true } : { usage: wire }),
  scenarios: [
    {
      name: 'plain',
      model: 'gpt-4o',
      wire: { input: 1200, output: 300 },
      usage: { inputTokens: 1200, outputTokens: 300 },
    },
    {
      name: 'cache read',
      model: 'gpt-4o',
      wire: { input: 1200, output: 300, cachedInput: 200 },
      usage: { inputTokens: 1200, outputTokens: 300, cacheReadInputTokens: 200 },
    },
    {
      name: 'reasoning',
      model: 'o3-mini',
      wire: { input: 1200, output: 300, cachedInput: 200, reasoning: 100 },
      usage: { inputTokens: 1200, outputTokens: 300, cacheReadInputTokens: 200, reasoningOutputTokens: 100 },
    },
    { name: 'malformed 2xx', model: 'gpt-4o', wire: 'malformed' },
  ],
};

/**
 * Gemini `usageMetadata`: `promptTokenCount` includes cached content; thoughts are reported apart from
 * `candidatesTokenCount` and billed as output; above 200k prompt tokens the whole call is at the higher tier.
 */
export const GEMINI: WireFormat<FakeGeminiServer, FakeGeminiUsage> = {
  name: 'Gemini',
  provider: 'gcp.gemini',
  server: async () => (await import('./fake-google-server')).startFakeGemini(),
  enqueue: (server, wire) => server.enqueue(wire === 'malformed' ? { malformed: true } : { usage: wire }),
  scenarios: [
    {
      name: 'plain',
      model: 'gemini-2.5-pro',
      wire: { prompt: 1200, candidates: 300 },
      usage: { inputTokens: 1200, outputTokens: 300 },
    },
    {
      name: 'cache read and reasoning',
      model: 'gemini-2.5-pro',
      wire: { prompt: 1200, candidates: 200, cached: 400, thoughts: 100 },
      usage: { inputTokens: 1200, outputTokens: 300, cacheReadInputTokens: 400, reasoningOutputTokens: 100 },
    },
    {
      name: 'long context (above the 200k tier)',
      model: 'gemini-2.5-pro',
      wire: { prompt: 250_000, candidates: 200, cached: 50_000, thoughts: 100 },
      usage: { inputTokens: 250_000, outputTokens: 300, cacheReadInputTokens: 50_000, reasoningOutputTokens: 100 },
    },
    { name: 'malformed 2xx', model: 'gemini-2.5-pro', wire: 'malformed' },
  ],
};

const BEDROCK_MODEL = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

/**
 * Bedrock Converse usage (and, for InvokeModel of an Anthropic model, Anthropic's usage in the body):
 * `inputTokens` excludes cache reads and writes.
 */
export const BEDROCK: WireFormat<FakeBedrockServer, FakeBedrockUsage> = {
  name: 'Bedrock',
  provider: 'aws.bedrock',
  server: async () => (await import('./fake-bedrock-server')).startFakeBedrock(),
  enqueue: (server, wire) => server.enqueue(wire === 'malformed' ? { malformed: true } : { usage: wire }),
  scenarios: [
    {
      name: 'plain',
      model: BEDROCK_MODEL,
      wire: { input: 1000, output: 500 },
      usage: { inputTokens: 1000, outputTokens: 500 },
    },
    {
      name: 'cache read and write',
      model: BEDROCK_MODEL,
      wire: { input: 1000, output: 500, cacheRead: 2000, cacheWrite: 400 },
      usage: { inputTokens: 3400, outputTokens: 500, cacheReadInputTokens: 2000, cacheWriteInputTokens: 400 },
    },
    { name: 'malformed 2xx', model: BEDROCK_MODEL, wire: 'malformed' },
  ],
};

/** Reads a stream to its end (a route driver's streamed call). */
export async function consumeStream(stream: AsyncIterable<unknown> | undefined): Promise<void> {
  for await (const _item of stream ?? []) {
    // consume the stream
  }
}

/** The attributes the contract compares: tokens, cost, and the incomplete flag. */
export interface RouteRecord {
  tokens: Record<string, unknown>;
  /** `genops.accounting.actual` back in nano-USD (a span's USD number is the nearest double to the exact amount). */
  actualNanos: number;
  reservedNanos: number;
  incomplete: boolean;
}

const TOKEN_ATTRIBUTES = [
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.cache_creation.input_tokens',
  'gen_ai.usage.reasoning.output_tokens',
] as const;

/** The token attributes a normalized usage gives (absent counts stay absent; zero counts are allowed). */
export function expectedTokens(usage: Usage): Record<string, unknown> {
  return {
    'gen_ai.usage.input_tokens': usage.inputTokens,
    'gen_ai.usage.output_tokens': usage.outputTokens,
    'gen_ai.usage.cache_read.input_tokens': usage.cacheReadInputTokens,
    'gen_ai.usage.cache_creation.input_tokens': usage.cacheWriteInputTokens,
    'gen_ai.usage.reasoning.output_tokens': usage.reasoningOutputTokens,
  };
}

/** The token attributes of a span; a zero count a route reports and another leaves out is the same usage. */
function tokensOf(attributes: Record<string, unknown>): Record<string, unknown> {
  const tokens: Record<string, unknown> = {};
  for (const name of TOKEN_ATTRIBUTES) tokens[name] = attributes[name] === 0 ? undefined : attributes[name];
  return tokens;
}

function recordOf(attributes: Record<string, unknown>): RouteRecord {
  const nanos = (name: string) => usdToNanos(Number(attributes[name]));
  return {
    tokens: tokensOf(attributes),
    actualNanos: nanos('genops.accounting.actual'),
    reservedNanos: nanos('genops.accounting.reserved'),
    incomplete: attributes['genops.accounting.incomplete'] === true,
  };
}

/** The attributes of the last span GenOps settled (frameworks may add spans of their own). */
function governedSpanAttributes(harness: AdapterHarness<HarnessServer>): Record<string, unknown> {
  const settled = harness.spans().filter((span) => span.attributes['genops.accounting.actual'] !== undefined);
  expect(settled.length).toBeGreaterThan(0);
  return settled[settled.length - 1]!.attributes;
}

/**
 * The route contract: every scenario of `format` through every route gives the token attributes and
 * cost of ONE computation (the shipped price × the scenario's usage), to the nano-dollar. A malformed
 * 2xx settles at the reservation, flagged incomplete. Call it once at the top level of a test file.
 *
 * @example
 * runRouteContract(ANTHROPIC_MESSAGES, [
 *   { name: 'messages.create', stream: false, call: (server, model) => client(server).messages.create({ model, ... }) },
 * ]);
 */
export function runRouteContract<Server extends HarnessServer, Wire>(
  format: WireFormat<Server, Wire>,
  routes: ReadonlyArray<Route<Server>>,
): AdapterHarness<Server> {
  const harness = createAdapterHarness({ server: format.server });
  describe(`route contract: ${format.name}`, () => {
    for (const scenario of format.scenarios) {
      for (const route of routes) {
        if (scenario.wire === 'malformed' && route.stream) continue;
        it(`${scenario.name} through ${route.name}`, async () => {
          harness.init();
          format.enqueue(harness.server, scenario.wire);
          if (scenario.wire === 'malformed')
            await Promise.resolve(route.call(harness.server, scenario.model)).catch(() => undefined);
          else await route.call(harness.server, scenario.model);
          const record = recordOf(governedSpanAttributes(harness));
          if (!scenario.usage) {
            expect(record.incomplete).toBe(true);
            expect(record.actualNanos).toBe(record.reservedNanos);
            expect(record.actualNanos).toBeGreaterThan(0);
            return;
          }
          const expected = costNanos(harness.priceOf(format.provider, scenario.model), scenario.usage);
          expect(record).toMatchObject({
            tokens: tokensOf(expectedTokens(scenario.usage)),
            actualNanos: expected,
            incomplete: false,
          });
        });
      }
    }
  });
  return harness;
}
