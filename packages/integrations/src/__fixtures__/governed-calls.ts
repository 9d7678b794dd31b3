// The governed calls every integration test sends through its tool: a real `openai` client governed by
// GenOps against the fake OpenAI server, once allowed (with a full attribution) and once blocked by a
// model rule. Spans go to the processors under test and, for the ground truth, to memory.
import { GenOps, PolicyViolationError, withAttribution } from '@genops/core';
import '@genops/provider-openai';
import { startFakeOpenAI } from '@genops/testing';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';
import type { SpanProcessorLike } from '../types';

export const ATTRIBUTION = {
  team: 'support',
  project: 'helpdesk-bot',
  environment: 'Staging',
  customer: 'acme-corp',
  user: 'user-42',
  session: 'session-7',
  feature: 'triage',
};

/** The GenOps spans of the two calls (allowed, then blocked), as GenOps recorded them. */
export interface GovernedCalls {
  allowed: ReadableSpan;
  blocked: ReadableSpan;
  /** Every span that ended, GenOps' and other instrumentations', in order. */
  spans: ReadableSpan[];
}

/**
 * Runs the two calls with `processors` on the tracer provider, then flushes and shuts everything down
 * (so batching processors have exported by the time it returns).
 */
export async function runGovernedCalls(
  processors: SpanProcessorLike[],
  setup?: (tracerProvider: TracerProvider, openai: typeof OpenAI) => void,
): Promise<GovernedCalls> {
  const server = await startFakeOpenAI();
  const memory = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory }), ...(processors as never[])],
  });
  const genops = GenOps.init({
    tracerProvider,
    exporter: 'none',
    policy: { version: 1, rules: [{ name: 'no-o1', type: 'model', deny: ['o1*'] }] },
  });
  let spans: ReadableSpan[] = [];
  try {
    setup?.(tracerProvider, OpenAI);
    const client = new OpenAI({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 });
    await withAttribution(ATTRIBUTION, async () => {
      await client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Summarise ticket 1234' }],
        max_tokens: 50,
      });
      await client.chat.completions
        .create({ model: 'o1-preview', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50 })
        .then(
          () => {
            throw new Error('the o1 call was not blocked');
          },
          (error: unknown) => {
            if (!(error instanceof PolicyViolationError)) throw error;
          },
        );
    });
  } finally {
    await genops.shutdown();
    await tracerProvider.forceFlush();
    // Read before the shutdown: the in-memory exporter forgets its spans when it shuts down.
    spans = [...memory.getFinishedSpans()];
    await tracerProvider.shutdown();
    await server.close();
  }
  const byModel = (model: string) => {
    const span = spans.find(
      (candidate) =>
        candidate.attributes['genops.spec.version'] !== undefined && candidate.attributes['gen_ai.request.model'] === model,
    );
    if (!span) throw new Error(`no span for ${model}`);
    return span;
  };
  return { allowed: byModel('gpt-4o'), blocked: byModel('o1-preview'), spans };
}
