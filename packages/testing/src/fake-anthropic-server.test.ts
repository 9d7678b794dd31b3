import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeAnthropicServer, startFakeAnthropic } from './fake-anthropic-server';

// Wire-level checks with plain fetch; the adapter tests drive it with the real @anthropic-ai/sdk.

let server: FakeAnthropicServer;
const body = { model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };

function post(payload: unknown, headers: Record<string, string> = { 'x-api-key': 'k' }): Promise<Response> {
  return fetch(`${server.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(payload),
  });
}

beforeAll(async () => {
  server = await startFakeAnthropic();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

describe('startFakeAnthropic', () => {
  it('answers a Message with Anthropic usage (input_tokens excludes cache counts)', async () => {
    server.enqueue({ usage: { input: 5, output: 7, cacheRead: 3, cacheWrite: 4, cacheWrite1h: 1 } });
    const response = await post(body);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    const message = await response.json();
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-haiku-4-5',
      stop_reason: 'end_turn',
      content: [{ type: 'text', text: 'Hello from the fake Anthropic server.' }],
      usage: {
        input_tokens: 5,
        output_tokens: 7,
        cache_read_input_tokens: 3,
        cache_creation_input_tokens: 4,
        cache_creation: { ephemeral_5m_input_tokens: 3, ephemeral_1h_input_tokens: 1 },
      },
    });
    expect(server.requests[0]?.body).toEqual(body);
  });

  it('streams named SSE events in the Messages order', async () => {
    const response = await post({ ...body, stream: true }, { authorization: 'Bearer k' });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    const names = [...text.matchAll(/^event: (\S+)$/gm)].map((match) => match[1]);
    expect(names[0]).toBe('message_start');
    expect(names).toContain('content_block_start');
    expect(names).toContain('content_block_delta');
    expect(names).toContain('content_block_stop');
    expect(names.slice(-2)).toEqual(['message_delta', 'message_stop']);
  });

  it('answers errors as {type: "error", error: {type, message}}, and 401 without a key', async () => {
    server.enqueue({ status: 429, error: { message: 'slow down' } });
    const limited = await post(body);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({
      type: 'error',
      error: { type: 'rate_limit_error', message: 'slow down' },
    });
    const unauthorized = await post(body, {});
    expect(unauthorized.status).toBe(401);
    expect((await unauthorized.json()).error.type).toBe('authentication_error');
  });
});
