import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import { describe, expect, it } from 'vitest';
import { convertLangChainUsage, describeLangChainRequest, providerOf } from './index';

const run = (
  className: string,
  extra: { params?: Record<string, unknown>; metadata?: Record<string, unknown> } = {},
) => ({
  llm: { id: ['langchain', 'chat_models', 'x', className] },
  invocationParams: extra.params,
  metadata: extra.metadata,
});

describe('providerOf', () => {
  it.each([
    ['ChatOpenAI', 'openai'],
    ['AzureChatOpenAI', 'azure.ai.openai'],
    ['ChatAnthropic', 'anthropic'],
    ['ChatGoogleGenerativeAI', 'gcp.gemini'],
    ['ChatVertexAI', 'gcp.vertex_ai'],
    ['ChatBedrockConverse', 'aws.bedrock'],
    ['ChatGroq', 'groq'],
    ['ChatMistralAI', 'mistral_ai'],
    ['ChatDeepSeek', 'deepseek'],
    ['ChatXAI', 'x_ai'],
    ['FakeBuiltModel', 'fakebuiltmodel'],
  ])('maps %s to %s', (className, provider) => {
    expect(providerOf(run(className))).toBe(provider);
  });

  it('falls back to ls_provider, then invocation_params._type', () => {
    expect(providerOf(run('MyChat', { metadata: { ls_provider: 'google_genai' } }))).toBe('gcp.gemini');
    expect(providerOf(run('MyChat', { params: { _type: 'Ollama' } }))).toBe('ollama');
  });
});

describe('describeLangChainRequest', () => {
  it('reads model, output cap, tools and sampling parameters, and makes nothing editable', () => {
    const request = describeLangChainRequest({
      ...run('ChatOpenAI', {
        params: {
          model: 'gpt-4o',
          max_tokens: 256,
          temperature: 0.2,
          stop: ['END'],
          tools: [{ type: 'function', function: { name: 'search' } }, { name: 'calculator' }],
        },
      }),
      messages: [new SystemMessage('Be brief.'), new HumanMessage('Hi there')],
    });
    expect(request).toMatchObject({
      provider: 'openai',
      operation: 'chat',
      model: 'gpt-4o',
      maxOutputTokens: 256,
      tools: ['search', 'calculator'],
      editable: { model: false, text: false },
      requestAttributes: {
        'gen_ai.request.temperature': 0.2,
        'gen_ai.request.max_tokens': 256,
        'gen_ai.request.stop_sequences': ['END'],
      },
    });
    expect(request.text?.()).toEqual(['Be brief.', 'Hi there']);
    expect(request.estimatedInputTokens).toBeGreaterThan('Be brief.Hi there'.length);
  });
});

describe('convertLangChainUsage', () => {
  it('keeps LangChain’s inclusive counts and the cache and reasoning parts', () => {
    const raw = {
      input_tokens: 100,
      output_tokens: 40,
      total_tokens: 140,
      input_token_details: { cache_read: 60, cache_creation: 10 },
      output_token_details: { reasoning: 25 },
    };
    expect(convertLangChainUsage(raw)).toEqual({
      inputTokens: 100,
      outputTokens: 40,
      cacheReadInputTokens: 60,
      cacheWriteInputTokens: 10,
      reasoningOutputTokens: 25,
      raw,
    });
  });
});
