import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { betaAgentToolset20260401 } from '@anthropic-ai/sdk/tools/agent-toolset/node';
import { type FakeAnthropicServer, startFakeAnthropic } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

// A Managed Agents self-hosted worker (the SDK's `EnvironmentWorker`) serving one claimed work item: the
// agent's `bash` (an `echo`) and custom `current_time` run here, and each tool result the worker posts
// resumes the agent's turn on Anthropic's side: a governed unit, with the adapter (the patched
// `beta.sessions.events.send`) and with egress alone. The work queue's calls (ack, heartbeat, stop) are free.

const harness = createAdapterHarness({ server: startFakeAnthropic });
const MODEL = 'claude-haiku-4-5';
let fake: FakeAnthropicServer;
let workdir: string;

beforeAll(async () => {
  // Its agent calls the tools a message names, and the toolset's bash in a self-hosted session.
  fake = await startFakeAnthropic({ answerTools: true });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  logged = [];
  workdir = mkdtempSync(join(tmpdir(), 'genops-worker-'));
});
afterEach(() => rmSync(workdir, { recursive: true, force: true }));

const currentTime: BetaRunnableTool<Record<string, never>> = {
  type: 'custom',
  name: 'current_time',
  description: 'Get the current time in ISO 8601 format.',
  input_schema: { type: 'object', properties: {} },
  parse: (input) => input as Record<string, never>,
  run: async () => new Date().toISOString(),
};

/** What the SDK logged at `warn` and above while serving (its runner says when it retries a post). */
let logged: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
const log =
  (level: string) =>
  (message: string, ...rest: unknown[]): void => {
    logged.push({ level, message, fields: (rest[0] ?? {}) as Record<string, unknown> });
  };
const logger = { error: log('error'), warn: log('warn'), info: () => {}, debug: () => {} };

/** Serves a work item claimed elsewhere with the SDK's worker, as `managed-agents-worker-dispatch.ts` does. */
async function serveClaimedItem(): Promise<void> {
  const item = fake.claimedWorkItem('What is the current time?', [
    { type: 'agent_toolset_20260401' },
    { type: 'custom', name: 'current_time', input_schema: { type: 'object', properties: {} } },
  ]);
  const client = new Anthropic({
    apiKey: 'test-key',
    baseURL: fake.url,
    maxRetries: 0,
    openTelemetry: false,
    logLevel: 'warn',
    logger,
  });
  await client.beta.environments.work
    .worker({ workdir, tools: (ctx) => [...betaAgentToolset20260401(ctx), currentTime] })
    .handleItem(item);
}

function governedSpans() {
  return harness.spans().filter((span) => span.attributes['genops.spec.version'] !== undefined);
}

function costOf(input: number, output: number): number {
  const price = harness.priceOf('anthropic', MODEL);
  return (input * price.input + output * price.output) / 1e6;
}

const toolResults = () =>
  fake.requests
    .filter((request) => request.method === 'POST' && request.path.endsWith('/events'))
    .map((request) => request.body.events[0].type);

describe('a self-hosted worker', () => {
  for (const path of ['adapter', 'egress alone'] as const)
    it(`each tool result it posts is a governed turn, settled from the worker's stream (${path})`, async () => {
      harness.init(path === 'adapter' ? {} : { autoInstrument: false, egress: { hosts: [fake.url] } });
      await serveClaimedItem();
      expect(toolResults()).toEqual(['user.tool_result', 'user.custom_tool_result']);
      // The work queue's calls reached the fake untouched.
      expect(fake.requests.some((request) => request.path.endsWith('/heartbeat'))).toBe(true);
      expect(fake.requests.some((request) => request.path.endsWith('/stop'))).toBe(true);
      const spans = governedSpans();
      expect(spans).toHaveLength(2);
      for (const span of spans) {
        expect(span.attributes['gen_ai.request.model']).toBe(MODEL);
        expect(span.attributes['genops.managed_agents.requests']).toBe(1);
        expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
        expect(span.attributes['genops.accounting.actual']).toBeCloseTo(costOf(20, 10), 12);
      }
      expect(spans.map((span) => span.attributes['gen_ai.response.finish_reasons'])).toEqual([
        ['requires_action'],
        ['end_turn'],
      ]);
    });

  for (const path of ['adapter', 'egress alone'] as const)
    it(`under a budget that cannot hold a turn, a refused tool result is posted once, not retried (${path})`, async () => {
      const budgets = [{ name: 'tiny', limit: 0.000001, window: 'day' as const, action: 'block' as const }];
      harness.init(
        path === 'adapter' ? { budgets } : { budgets, autoInstrument: false, egress: { hosts: [fake.url] } },
      );
      await serveClaimedItem();
      expect(toolResults()).toEqual([]);
      // The runner's `isFatal4xx` saw the SDK's own 402 error: it gave up on the first attempt instead of
      // retrying the denial for its whole retry window (each retry one more BLOCKED decision).
      expect(logged.filter((entry) => entry.message === 'tool result send failed; retrying')).toEqual([]);
      const failures = logged.filter((entry) => entry.message === 'failed to send tool result');
      expect(failures).toHaveLength(1);
      expect(failures[0]!.fields.attempts).toBe(1);
      const blocked = governedSpans().filter((span) => span.attributes['genops.policy.result'] === 'BLOCKED');
      expect(blocked).toHaveLength(1);
      expect(blocked[0]!.attributes['genops.policy.reason_code']).toBe('BUDGET_EXCEEDED');
      expect(governedSpans().filter((span) => span.attributes['genops.accounting.actual'] !== undefined)).toEqual([]);
    }, 30_000);
});
