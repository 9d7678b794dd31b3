import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeGeminiServer, startFakeGemini } from './fake-google-server';

let server: FakeGeminiServer;

beforeAll(async () => {
  server = await startFakeGemini();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

function post(path: string, body: unknown, headers: Record<string, string> = { 'x-goog-api-key': 'k' }) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

const contents = [{ role: 'user', parts: [{ text: 'Hi' }] }];

describe('startFakeGemini', () => {
  it('answers generateContent with candidates and usageMetadata (thoughts apart, cached inside prompt)', async () => {
    server.enqueue({ usage: { prompt: 100, cached: 40, candidates: 10, thoughts: 5 }, modelVersion: 'gemini-x-001' });
    const response = await post('/v1beta/models/gemini-2.5-flash:generateContent', { contents });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      candidates: [
        { content: { role: 'model', parts: [{ text: 'Hello from the fake Gemini server.' }] }, finishReason: 'STOP' },
      ],
      usageMetadata: {
        promptTokenCount: 100,
        cachedContentTokenCount: 40,
        candidatesTokenCount: 10,
        thoughtsTokenCount: 5,
        totalTokenCount: 115,
      },
      modelVersion: 'gemini-x-001',
    });
    expect(server.requests[0]).toMatchObject({ path: '/v1beta/models/gemini-2.5-flash:generateContent' });
  });

  it('streams SSE `data:` chunks; the last one has the finishReason and the final usage', async () => {
    server.enqueue({ chunks: 2, usage: { prompt: 7, candidates: 9 } });
    const response = await post('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', { contents });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = (await response.text())
      .split('\r\n\r\n')
      .filter(Boolean)
      .map((event) => JSON.parse(event.replace(/^data: /, '')));
    expect(events).toHaveLength(2);
    expect(events[0].candidates[0].finishReason).toBeUndefined();
    expect(events[1]).toMatchObject({
      candidates: [{ finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 9 },
    });
    expect(server.requests[0]!.query).toEqual({ alt: 'sse' });
  });

  it('answers batchEmbedContents with one embedding per request', async () => {
    const response = await post('/v1beta/models/gemini-embedding-001:batchEmbedContents', {
      requests: [{ content: contents[0] }, { content: contents[0] }],
    });
    const body = await response.json();
    expect(body.embeddings).toHaveLength(2);
    expect(body.usageMetadata.promptTokenCount).toBe(20);
  });

  it('sends errors as {error:{code, message, status}} and 401 without a key', async () => {
    server.enqueue({ status: 429, error: { message: 'quota' } });
    const limited = await post('/v1beta/models/m:generateContent', { contents });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({ error: { code: 429, message: 'quota', status: 'RESOURCE_EXHAUSTED' } });
    const unauthorized = await post('/v1beta/models/m:generateContent', { contents }, {});
    expect(unauthorized.status).toBe(401);
    expect((await post('/v1beta/nothing', {})).status).toBe(404);
  });
});
