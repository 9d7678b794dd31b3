import { expectGenOpsCompliant } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import { AIMessage } from '@langchain/core/messages';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { fakeModel } from '@langchain/core/testing';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GenOpsCallbackHandler, registerGenOpsHandler, unregisterGenOpsHandler } from './index';

// registerGenOpsHandler() goes through LangChain's own registerConfigureHook + setContextVariable, so
// every run started afterwards gets the handler without `callbacks`.

const harness = createAdapterHarness({
  defaults: { team: 'platform', project: 'langchain-tests', environment: 'test' },
});
const { telemetry } = harness;

function governed(): ReadableSpan[] {
  return harness.spans().filter((span) => span.attributes['genops.spec.version'] !== undefined);
}

function answer(): AIMessage {
  return new AIMessage({ content: 'ok', usage_metadata: { input_tokens: 10, output_tokens: 2, total_tokens: 12 } });
}

beforeEach(() => {
  harness.init();
});
afterEach(() => {
  unregisterGenOpsHandler();
});

describe('registerGenOpsHandler', () => {
  it('governs every LangChain run without passing callbacks', async () => {
    const handler = registerGenOpsHandler({
      provider: 'openai',
      model: 'gpt-4o',
      tracerProvider: telemetry.tracerProvider,
    });
    expect(handler).toBeInstanceOf(GenOpsCallbackHandler);
    const chain = ChatPromptTemplate.fromMessages([['human', '{question}']]).pipe(fakeModel().respond(answer()));
    await chain.invoke({ question: 'Hello?' });
    const spans = governed();
    expect(spans.map((span) => span.name)).toEqual(['chat gpt-4o']);
    expect(spans[0]!.attributes['gen_ai.usage.input_tokens']).toBe(10);
    expect(harness.spans().map((span) => span.name)).toContain('invoke_workflow RunnableSequence');
    expectGenOpsCompliant(spans);
  });

  it('runs the handler once when it is also passed explicitly', async () => {
    const handler = registerGenOpsHandler({
      provider: 'openai',
      model: 'gpt-4o',
      tracerProvider: telemetry.tracerProvider,
    });
    await fakeModel()
      .respond(answer())
      .invoke('Hello?', { callbacks: [handler] });
    await fakeModel()
      .respond(answer())
      .invoke('Hello again?', { callbacks: [new GenOpsCallbackHandler({ provider: 'openai', model: 'gpt-4o' })] });
    expect(governed()).toHaveLength(2);
  });

  it('stops attaching the handler after unregisterGenOpsHandler()', async () => {
    registerGenOpsHandler({ provider: 'openai', model: 'gpt-4o' });
    unregisterGenOpsHandler();
    await fakeModel().respond(answer()).invoke('Hello?');
    expect(governed()).toHaveLength(0);
  });

  it('is awaited even with LANGCHAIN_CALLBACKS_BACKGROUND=true: a denial still stops the call', async () => {
    const previous = process.env.LANGCHAIN_CALLBACKS_BACKGROUND;
    process.env.LANGCHAIN_CALLBACKS_BACKGROUND = 'true';
    try {
      await harness.shutdown();
      harness.init({
        policy: { version: 1, rules: [{ name: 'no-gpt-4o', type: 'model', deny: ['gpt-4o'] }] },
      });
      registerGenOpsHandler({ provider: 'openai', model: 'gpt-4o' });
      const model = fakeModel().respond(answer());
      await expect(model.invoke('Hello?')).rejects.toThrow(/no-gpt-4o/);
      expect(model.callCount).toBe(0);
    } finally {
      if (previous === undefined) delete process.env.LANGCHAIN_CALLBACKS_BACKGROUND;
      else process.env.LANGCHAIN_CALLBACKS_BACKGROUND = previous;
    }
  });
});
