// Gemini Live usage (`usageMetadata` of a Live turn) to billable usage: the Gemini API's and Vertex's wire
// names, modalities priced at their rates, cached parts left to the cache rate; and how a client message's
// kind is read without parsing it. The session behaviour with
// the real SDK: provider-google's live-egress.test.ts.
import { describe, expect, it } from 'vitest';
import { usageFromGeminiLive } from './gemini-live-governor';
import { firstKey } from './google-session';

describe('usageFromGeminiLive', () => {
  it('maps the Gemini API wire: audio in and out by modality, cached text inside the prompt', () => {
    const usage = usageFromGeminiLive({
      promptTokenCount: 300,
      cachedContentTokenCount: 100,
      responseTokenCount: 250,
      totalTokenCount: 550,
      promptTokensDetails: [
        { modality: 'TEXT', tokenCount: 150 },
        { modality: 'AUDIO', tokenCount: 120 },
        { modality: 'VIDEO', tokenCount: 30 },
      ],
      cacheTokensDetails: [
        { modality: 'TEXT', tokenCount: 80 },
        { modality: 'AUDIO', tokenCount: 20 },
      ],
      responseTokensDetails: [
        { modality: 'TEXT', tokenCount: 10 },
        { modality: 'AUDIO', tokenCount: 240 },
      ],
    });
    expect(usage).toMatchObject({
      inputTokens: 300,
      outputTokens: 250,
      cacheReadInputTokens: 100,
      audioInputTokens: 100,
      imageInputTokens: 30,
      audioOutputTokens: 240,
    });
  });

  it("maps Vertex's wire names (candidatesTokenCount, candidatesTokensDetails) and adds thoughts to the output", () => {
    const usage = usageFromGeminiLive({
      promptTokenCount: 40,
      candidatesTokenCount: 60,
      thoughtsTokenCount: 12,
      candidatesTokensDetails: [{ modality: 'AUDIO', tokenCount: 60 }],
    });
    expect(usage).toMatchObject({
      inputTokens: 40,
      outputTokens: 72,
      reasoningOutputTokens: 12,
      audioOutputTokens: 60,
    });
    expect(usage?.audioInputTokens).toBeUndefined();
  });

  it('is undefined without a prompt count (not a usage block)', () => {
    expect(usageFromGeminiLive({ responseTokenCount: 3 })).toBeUndefined();
    expect(usageFromGeminiLive(null)).toBeUndefined();
    expect(usageFromGeminiLive('usage')).toBeUndefined();
  });
});

describe('firstKey', () => {
  it('reads the first key of a JSON object text, whitespace allowed', () => {
    expect(firstKey('{"realtimeInput":{"audio":{}}}')).toBe('realtimeInput');
    expect(firstKey(' \n{ "clientContent": {"turnComplete": true}}')).toBe('clientContent');
  });

  it('is undefined for anything else: not an object, no key, a runaway key', () => {
    expect(firstKey('not JSON')).toBeUndefined();
    expect(firstKey('["setup"]')).toBeUndefined();
    expect(firstKey('{}')).toBeUndefined();
    expect(firstKey('{"unterminated')).toBeUndefined();
    expect(firstKey(`{"${'k'.repeat(100)}":1}`)).toBeUndefined();
    expect(firstKey(`${' '.repeat(100)}{"setup":{}}`)).toBeUndefined();
  });
});
