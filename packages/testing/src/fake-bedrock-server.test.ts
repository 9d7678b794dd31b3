import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeBedrockServer, startFakeBedrock } from './fake-bedrock-server';

// Wire-level checks over HTTP/1.1 with plain fetch; the adapter tests drive it over HTTP/2 with the real
// @aws-sdk/client-bedrock-runtime.

let server: FakeBedrockServer;
const codec = new EventStreamCodec(toUtf8, fromUtf8);

function post(path: string, payload: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
}

/** Splits an AWS event-stream body into decoded messages (each prelude starts with the total length). */
function decodeAll(bytes: Uint8Array) {
  const messages = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset < bytes.byteLength; ) {
    const length = view.getUint32(offset);
    const message = codec.decode(bytes.subarray(offset, offset + length));
    messages.push({
      type: message.headers[':event-type']?.value,
      messageType: message.headers[':message-type']?.value,
      body: JSON.parse(toUtf8(message.body)),
    });
    offset += length;
  }
  return messages;
}

beforeAll(async () => {
  server = await startFakeBedrock();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

describe('startFakeBedrock', () => {
  it('answers Converse with Bedrock usage (inputTokens excludes cache counts) and records the request', async () => {
    server.enqueue({ usage: { input: 5, output: 7, cacheRead: 3, cacheWrite: 4 } });
    const response = await post('/model/us.anthropic.claude-x-v1%3A0/converse', { messages: [] });
    expect(await response.json()).toMatchObject({
      stopReason: 'end_turn',
      usage: { inputTokens: 5, outputTokens: 7, totalTokens: 19, cacheReadInputTokens: 3, cacheWriteInputTokens: 4 },
    });
    expect(server.requests[0]).toMatchObject({ modelId: 'us.anthropic.claude-x-v1:0', operation: 'converse' });
  });

  it('frames ConverseStream as AWS event-stream messages ending with metadata', async () => {
    const response = await post('/model/m/converse-stream', { messages: [] });
    expect(response.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
    const events = decodeAll(new Uint8Array(await response.arrayBuffer()));
    expect(events.map((event) => event.type)).toEqual([
      'messageStart',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    expect(events.every((event) => event.messageType === 'event')).toBe(true);
    expect(events.at(-1)?.body).toMatchObject({ usage: { inputTokens: 20, outputTokens: 10 } });
  });

  it('puts amazon-bedrock-invocationMetrics in the last invoke-with-response-stream chunk', async () => {
    const response = await post('/model/anthropic.claude-x/invoke-with-response-stream', {});
    const chunks = decodeAll(new Uint8Array(await response.arrayBuffer())).map((event) =>
      JSON.parse(Buffer.from(event.body.bytes, 'base64').toString('utf8')),
    );
    expect(chunks[0]).toMatchObject({ type: 'message_start' });
    expect(chunks.at(-1)).toMatchObject({
      type: 'message_stop',
      'amazon-bedrock-invocationMetrics': { inputTokenCount: 20, outputTokenCount: 10 },
    });
  });

  it('sends errors with x-amzn-errortype and 404 for unknown routes', async () => {
    server.enqueue({ status: 429, error: { message: 'slow down' } });
    const throttled = await post('/model/m/converse', {});
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('x-amzn-errortype')).toBe('ThrottlingException');
    expect(await throttled.json()).toEqual({ message: 'slow down' });
    expect((await post('/nope', {})).status).toBe(404);
  });
});
