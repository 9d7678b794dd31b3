import { costNanos, PRICE_FILES } from '@genops/core/internal';
import { MockLLM } from '@llamaindex/core/llms/mock';
import { OpenAI } from '@llamaindex/openai';
import { describe, expect, it } from 'vitest';
import {
  convertAnthropicUsage,
  convertGeminiUsage,
  convertOpenAIChatUsage,
  convertOpenAIResponsesUsage,
  providerOfLLM,
  StreamUsageReader,
  usageFromRaw,
} from './index';
import { readLlamaIndexResponse } from './read-llamaindex-response';

// The usage extractors are keyed on the shape of LlamaIndex's `raw` (the provider's own response or
// stream event), so each provider's wire shape is a fixture here.

const openAIChat = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o-2024-08-06',
  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'hi' } }],
  usage: {
    prompt_tokens: 1000,
    completion_tokens: 300,
    total_tokens: 1300,
    prompt_tokens_details: { cached_tokens: 400 },
    completion_tokens_details: { reasoning_tokens: 120 },
  },
};

const anthropicMessage = {
  id: 'msg_1',
  type: 'message',
  model: 'claude-sonnet-4-5',
  stop_reason: 'end_turn',
  usage: {
    input_tokens: 100,
    cache_read_input_tokens: 2000,
    cache_creation_input_tokens: 400,
    cache_creation: { ephemeral_5m_input_tokens: 300, ephemeral_1h_input_tokens: 100 },
    output_tokens: 500,
  },
};

const geminiResponse = {
  responseId: 'resp-1',
  modelVersion: 'gemini-2.5-flash',
  candidates: [{ finishReason: 'STOP' }],
  usageMetadata: {
    promptTokenCount: 900,
    cachedContentTokenCount: 300,
    candidatesTokenCount: 200,
    thoughtsTokenCount: 50,
  },
};

const responsesApi = {
  id: 'resp_1',
  object: 'response',
  model: 'gpt-4o',
  status: 'completed',
  usage: {
    input_tokens: 800,
    input_tokens_details: { cached_tokens: 200 },
    output_tokens: 90,
    output_tokens_details: { reasoning_tokens: 30 },
    total_tokens: 890,
  },
};

describe('usage from LlamaIndex raw responses', () => {
  it('OpenAI Chat Completions: prompt and completion counts already include cached and reasoning tokens', () => {
    expect(usageFromRaw(openAIChat)).toEqual({
      inputTokens: 1000,
      outputTokens: 300,
      cacheReadInputTokens: 400,
      reasoningOutputTokens: 120,
      raw: openAIChat.usage,
    });
    expect(convertOpenAIChatUsage(openAIChat.usage)?.inputTokens).toBe(1000);
    const gpt4o = PRICE_FILES.find((file) => file.provider === 'openai')!.models['gpt-4o']!;
    expect(costNanos(gpt4o, usageFromRaw(openAIChat)!)).toBe(5_000_000);
  });

  it('OpenAI Responses: input_tokens includes the cache (unlike Anthropic’s)', () => {
    expect(usageFromRaw(responsesApi)).toEqual({
      inputTokens: 800,
      outputTokens: 90,
      cacheReadInputTokens: 200,
      reasoningOutputTokens: 30,
      raw: responsesApi.usage,
    });
    expect(convertOpenAIResponsesUsage({ input_tokens: 5, output_tokens: 1 })).toBeUndefined();
  });

  it('Anthropic: input_tokens excludes cache reads and writes, so they are added; 1-hour writes kept apart', () => {
    expect(usageFromRaw(anthropicMessage)).toEqual({
      inputTokens: 2500,
      outputTokens: 500,
      cacheReadInputTokens: 2000,
      cacheWriteInputTokens: 400,
      cacheWrite1hInputTokens: 100,
      raw: anthropicMessage.usage,
    });
    expect(convertAnthropicUsage({ output_tokens: 3 })).toBeUndefined();
  });

  it('Gemini: candidates exclude thoughts, so output is their sum; cached content is part of the prompt', () => {
    expect(usageFromRaw(geminiResponse)).toEqual({
      inputTokens: 900,
      outputTokens: 250,
      cacheReadInputTokens: 300,
      reasoningOutputTokens: 50,
      raw: geminiResponse.usageMetadata,
    });
    expect(convertGeminiUsage({ candidatesTokenCount: 3 })).toBeUndefined();
  });

  it('no usage: MockLLM’s empty raw, null, and unknown shapes', () => {
    expect(usageFromRaw({})).toBeUndefined();
    expect(usageFromRaw(null)).toBeUndefined();
    expect(usageFromRaw({ usage: { tokens: 5 } })).toBeUndefined();
  });
});

describe('response facts from raw', () => {
  it('reads id, model and finish reasons of each provider’s shape', () => {
    const facts = (raw: unknown) => {
      const { response } = readLlamaIndexResponse(raw, () => undefined);
      return { id: response?.id, model: response?.model, finishReasons: response?.finishReasons };
    };
    expect(facts(openAIChat)).toEqual({ id: 'chatcmpl-1', model: 'gpt-4o-2024-08-06', finishReasons: ['stop'] });
    expect(facts(anthropicMessage)).toEqual({ id: 'msg_1', model: 'claude-sonnet-4-5', finishReasons: ['end_turn'] });
    expect(facts(geminiResponse)).toEqual({ id: 'resp-1', model: 'gemini-2.5-flash', finishReasons: ['STOP'] });
    expect(facts(responsesApi)).toEqual({ id: 'resp_1', model: 'gpt-4o', finishReasons: ['completed'] });
    expect(facts({})).toEqual({ id: undefined, model: undefined, finishReasons: undefined });
  });
});

describe('StreamUsageReader', () => {
  it('OpenAI: the final usage chunk (choices: []) gives the stream’s usage', () => {
    const reader = new StreamUsageReader();
    reader.push({ id: 'c', choices: [{ delta: { content: 'hi' } }] });
    expect(reader.usage).toBeUndefined();
    reader.push({ id: 'c', choices: [], usage: openAIChat.usage });
    expect(reader.usage?.inputTokens).toBe(1000);
    expect(reader.usage?.reasoningOutputTokens).toBe(120);
  });

  it('Anthropic: message_start input counts merged with cumulative message_delta counts (overwritten, not added)', () => {
    const reader = new StreamUsageReader();
    reader.push({
      type: 'message_start',
      message: { id: 'msg_1', usage: { input_tokens: 100, cache_read_input_tokens: 50, output_tokens: 1 } },
    });
    reader.push({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'x' } });
    reader.push({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 40 } });
    reader.push({ type: 'message_delta', delta: {}, usage: { input_tokens: null, output_tokens: 75 } });
    expect(reader.usage).toMatchObject({ inputTokens: 150, outputTokens: 75, cacheReadInputTokens: 50 });
  });

  it('Gemini: running totals, the last one wins; OpenAI Responses: response.completed', () => {
    const gemini = new StreamUsageReader();
    gemini.push({ usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 1 } });
    gemini.push({ usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 7 } });
    expect(gemini.usage).toMatchObject({ inputTokens: 10, outputTokens: 7 });
    const responses = new StreamUsageReader();
    responses.push({ type: 'response.output_text.delta', delta: 'x' });
    responses.push({ type: 'response.completed', response: responsesApi });
    expect(responses.usage).toMatchObject({ inputTokens: 800, cacheReadInputTokens: 200 });
  });
});

describe('providerOfLLM', () => {
  it('maps LlamaIndex classes to gen_ai.provider.name, the most specific class first', () => {
    expect(providerOfLLM(new OpenAI({ apiKey: 'x' }))).toBe('openai');
    expect(providerOfLLM(new MockLLM())).toBe('llamaindex.mock');
    class Groq extends OpenAI {}
    expect(providerOfLLM(new Groq({ apiKey: 'x' }))).toBe('groq');
    class MyCompanyLLM extends MockLLM {}
    expect(providerOfLLM(new MyCompanyLLM())).toBe('llamaindex.mock');
    expect(providerOfLLM({})).toBe('llamaindex');
    class Anthropic {}
    expect(providerOfLLM(new Anthropic())).toBe('anthropic');
    class Custom {}
    expect(providerOfLLM(new Custom())).toBe('custom');
  });
});
