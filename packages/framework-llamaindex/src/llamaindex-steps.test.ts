import { PolicyViolationError } from '@genops/core';
import { expectGenOpsCompliant, startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { CallbackManager, Settings } from '@llamaindex/core/global';
import { type QueryBundle, RetrieverQueryEngine } from '@llamaindex/core/query-engine';
import { getResponseSynthesizer } from '@llamaindex/core/response-synthesizers';
import { BaseRetriever } from '@llamaindex/core/retriever';
import { type NodeWithScore, TextNode } from '@llamaindex/core/schema';
import { OpenAI } from '@llamaindex/openai';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { governLLM, traceLlamaIndexSteps } from './index';

// A real LlamaIndex RetrieverQueryEngine (retriever → compact response synthesizer → LLM), offline: the
// retriever returns fixed nodes (no embeddings) and the LLM is @llamaindex/openai against the fake
// OpenAI server. Step spans come from Settings.callbackManager events (query-*, retrieve-*), which
// importing './index' turns on with GenOps.init().

class FixedRetriever extends BaseRetriever {
  constructor(private readonly texts: string[]) {
    super();
  }
  async _retrieve(_query: QueryBundle): Promise<NodeWithScore[]> {
    return this.texts.map((text, index) => ({
      node: new TextNode({ text, id_: `node-${index}` }),
      score: 1 - index / 10,
    }));
  }
}

const harness = createAdapterHarness({
  server: startFakeOpenAI,
  defaults: { team: 'platform', project: 'llamaindex-tests', environment: 'test' },
});
const { init, spans, telemetry } = harness;

function engine(): RetrieverQueryEngine {
  const llm = governLLM(
    new OpenAI({ baseURL: harness.server.url, apiKey: 'test-key', model: 'gpt-4o', maxRetries: 0 }),
  );
  return new RetrieverQueryEngine(
    new FixedRetriever(['Paris is the capital of France.', 'Berlin is the capital of Germany.']),
    getResponseSynthesizer('compact', { llm }),
  );
}

const byName = (name: string): ReadableSpan => {
  const found = spans().find((span) => span.name === name);
  if (!found)
    throw new Error(
      `no span "${name}" in ${spans()
        .map((span) => span.name)
        .join(', ')}`,
    );
  return found;
};
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
/** query-end is dispatched in a microtask after query() returns: let it run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});

describe('LlamaIndex query and retrieval steps', () => {
  it('a query is an invoke_workflow span with a retrieval child, and the governed chat is the query’s child', async () => {
    init();
    const response = await engine().query({ query: 'What is the capital of France?' });
    await settle();
    expect(response.message.content).toBe('Hello from the fake OpenAI server.');
    // The retrieved nodes reached the LLM through the synthesizer's prompt.
    expect(JSON.stringify(harness.server.requests[0]!.body.messages)).toContain('Paris is the capital of France.');

    const query = byName('invoke_workflow RetrieverQueryEngine');
    const retrieval = byName('retrieval');
    const chat = byName('chat gpt-4o');
    expect(query.kind).toBe(SpanKind.INTERNAL);
    expect(query.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_workflow',
      'gen_ai.workflow.name': 'RetrieverQueryEngine',
    });
    expect(retrieval.kind).toBe(SpanKind.INTERNAL);
    expect(retrieval.attributes).toMatchObject({
      'gen_ai.operation.name': 'retrieval',
      'llamaindex.retrieval.node_count': 2,
    });
    expect(chat.kind).toBe(SpanKind.CLIENT);
    expect(parentOf(retrieval)).toBe(query.spanContext().spanId);
    expect(parentOf(chat)).toBe(query.spanContext().spanId);
    expect(chat.spanContext().traceId).toBe(query.spanContext().traceId);
    // Only the governed unit is an AI Workload Unit; the step spans carry no genops.* attributes.
    expect(expectGenOpsCompliant(spans()).checked).toBe(1);
  });

  it('the query span is a child of the app’s own span around query()', async () => {
    init();
    const tracer = telemetry.tracerProvider.getTracer('app');
    await tracer.startActiveSpan('handle-request', async (span) => {
      await engine().query({ query: 'Capital of Germany?' });
      span.end();
    });
    await settle();
    const app = byName('handle-request');
    const query = byName('invoke_workflow RetrieverQueryEngine');
    expect(parentOf(query)).toBe(app.spanContext().spanId);
    expect(parentOf(byName('chat gpt-4o'))).toBe(query.spanContext().spanId);
  });

  it('a denied chat inside a query throws the typed error from query(); its BLOCKED span is the query’s child', async () => {
    init({ policy: { version: 1, rules: [{ type: 'model', name: 'no-gpt-4o', deny: ['gpt-4o'] }] } });
    const query = engine().query({ query: 'What is the capital of France?' });
    await expect(query).rejects.toBeInstanceOf(PolicyViolationError);
    await settle();
    expect(harness.server.requests).toHaveLength(0);
    const chat = byName('chat gpt-4o');
    expect(chat.attributes['genops.policy.result']).toBe('BLOCKED');
    // LlamaIndex dispatches no query-end when a query throws: the query span is still open, but the
    // blocked unit already names it as its parent.
    expect(spans().some((span) => span.name.startsWith('invoke_workflow'))).toBe(false);
    expect(parentOf(chat)).toBeDefined();
    expect(parentOf(chat)).toBe(byName('retrieval').parentSpanContext?.spanId);
  });

  it('without GenOps running, and after shutdown, no step spans are recorded', async () => {
    await engine().query({ query: 'What is the capital of France?' });
    init();
    await harness.shutdown();
    await engine().query({ query: 'What is the capital of France?' });
    await settle();
    expect(spans()).toHaveLength(0);
  });

  it('handlers never throw on malformed events (they run where a throw would be uncaught)', async () => {
    init();
    const manager = Settings.callbackManager;
    expect(() => {
      manager.dispatchEvent('query-start', {} as never, true);
      manager.dispatchEvent('query-end', { id: 42 } as never, true);
      manager.dispatchEvent('retrieve-end', { id: 'never-started' } as never, true);
    }).not.toThrow();
    expect(spans()).toHaveLength(0);
  });

  it('traceLlamaIndexSteps() traces a callback manager scoped with Settings.withCallbackManager', async () => {
    init();
    const scoped = new CallbackManager();
    const stop = traceLlamaIndexSteps({ callbackManager: scoped });
    expect(traceLlamaIndexSteps({ callbackManager: scoped })).toBe(stop);
    try {
      await Settings.withCallbackManager(scoped, () => engine().query({ query: 'Capital?' }));
      await settle();
      const query = byName('invoke_workflow RetrieverQueryEngine');
      expect(parentOf(byName('chat gpt-4o'))).toBe(query.spanContext().spanId);
    } finally {
      stop();
    }
    telemetry.resetSpans();
    await Settings.withCallbackManager(scoped, () => engine().query({ query: 'Capital?' }));
    await settle();
    expect(spans().map((span) => span.name)).toEqual(['chat gpt-4o']);
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
