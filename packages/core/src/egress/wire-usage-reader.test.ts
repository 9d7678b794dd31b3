// The wire shapes the fake servers do not produce, read by the egress usage reader.
import { describe, expect, it } from 'vitest';
import { WireUsageReader } from './wire-usage-reader';

function read(wire: ConstructorParameters<typeof WireUsageReader>[0], ...events: unknown[]) {
  const reader = new WireUsageReader(wire, false);
  for (const event of events) reader.onEvent(event);
  return reader.outcome();
}

describe('WireUsageReader', () => {
  it("Gemini's streamGenerateContent without alt=sse: one JSON array of chunks, the last usage wins", () => {
    const outcome = read('gemini', [
      { usageMetadata: { promptTokenCount: 20, candidatesTokenCount: 1 } },
      { usageMetadata: { promptTokenCount: 20, candidatesTokenCount: 10 }, candidates: [{ finishReason: 'STOP' }] },
    ]);
    expect(outcome.usage).toMatchObject({ inputTokens: 20, outputTokens: 10 });
    expect(outcome.response?.finishReasons).toEqual(['STOP']);
  });

  it("Groq's stream usage in x_groq.usage", () => {
    const outcome = read(
      'openai-chat',
      { id: 'c1', model: 'llama', choices: [{ delta: { content: 'hi' } }] },
      {
        id: 'c1',
        choices: [{ delta: {}, finish_reason: 'stop' }],
        x_groq: { usage: { prompt_tokens: 7, completion_tokens: 3 } },
      },
    );
    expect(outcome.usage).toMatchObject({ inputTokens: 7, outputTokens: 3 });
    expect(outcome.response).toMatchObject({ id: 'c1', model: 'llama', finishReasons: ['stop'] });
  });

  it('the Responses API stream: the usage of response.completed', () => {
    const outcome = read(
      'openai-responses',
      { type: 'response.created', response: { id: 'r1', model: 'gpt-4o', usage: null } },
      {
        type: 'response.completed',
        response: { id: 'r1', status: 'completed', usage: { input_tokens: 5, output_tokens: 2 } },
      },
    );
    expect(outcome.usage).toMatchObject({ inputTokens: 5, outputTokens: 2 });
  });

  it("Cohere v1's stream-end and its billed units", () => {
    const outcome = read('cohere-v1', {
      event_type: 'stream-end',
      finish_reason: 'COMPLETE',
      response: { meta: { billed_units: { input_tokens: 9, output_tokens: 4 } } },
    });
    expect(outcome.usage).toMatchObject({ inputTokens: 9, outputTokens: 4 });
  });

  it('Bedrock Converse: uncached input plus cache reads and writes', () => {
    const outcome = read('bedrock-converse', {
      usage: { inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 100, cacheWriteInputTokens: 20 },
      stopReason: 'end_turn',
    });
    expect(outcome.usage).toMatchObject({
      inputTokens: 130,
      outputTokens: 5,
      cacheReadInputTokens: 100,
      cacheWriteInputTokens: 20,
    });
  });

  it('Bedrock InvokeModel: the token-count headers, for any model family', () => {
    const reader = new WireUsageReader('bedrock-invoke', false);
    reader.onHeaders({ 'x-amzn-bedrock-input-token-count': '12', 'x-amzn-bedrock-output-token-count': '8' });
    expect(reader.outcome().usage).toMatchObject({ inputTokens: 12, outputTokens: 8 });
  });

  it('ignores shapes it does not know, and an unknown endpoint reads nothing', () => {
    expect(read('anthropic', { type: 'ping' }, 'text', null, 42).usage).toBeUndefined();
    expect(read('unknown', { usage: { prompt_tokens: 1, completion_tokens: 1 } }).usage).toBeUndefined();
  });
});
