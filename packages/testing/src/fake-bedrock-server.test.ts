import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bedrockFamilyOf, type FakeBedrockServer, startFakeBedrock } from './fake-bedrock-server';

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

/** The decoded `chunk.bytes` JSON of an invoke-with-response-stream body. */
async function invokeChunks(response: Response): Promise<any[]> {
  return decodeAll(new Uint8Array(await response.arrayBuffer())).map((event) =>
    JSON.parse(Buffer.from(event.body.bytes, 'base64').toString('utf8')),
  );
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

  it('picks the InvokeModel family from the model id, ignoring a cross-region prefix', () => {
    expect(bedrockFamilyOf('us.meta.llama3-1-70b-instruct-v1:0')).toBe('meta');
    expect(bedrockFamilyOf('mistral.mistral-large-2407-v1:0')).toBe('mistral');
    expect(bedrockFamilyOf('eu.amazon.nova-pro-v1:0')).toBe('nova');
    expect(bedrockFamilyOf('cohere.command-r-plus-v1:0')).toBe('cohere');
    expect(bedrockFamilyOf('global.anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe('anthropic');
    expect(bedrockFamilyOf('unknown')).toBe('anthropic');
  });

  it.each([
    [
      'meta.llama3-1-70b-instruct-v1:0',
      { generation: 'Hi', prompt_token_count: 5, generation_token_count: 7, stop_reason: 'stop' },
    ],
    ['mistral.mistral-large-2407-v1:0', { outputs: [{ text: 'Hi', stop_reason: 'stop' }] }],
    [
      'amazon.nova-pro-v1:0',
      {
        output: { message: { role: 'assistant', content: [{ text: 'Hi' }] } },
        stopReason: 'end_turn',
        usage: { inputTokens: 5, outputTokens: 7, cacheReadInputTokenCount: 0, cacheWriteInputTokenCount: 0 },
      },
    ],
    ['cohere.command-r-plus-v1:0', { text: 'Hi', finish_reason: 'COMPLETE', generation_id: 'fake-generation-id' }],
  ])('answers InvokeModel for %s in its native body, with the token-count headers', async (modelId, expected) => {
    server.enqueue({ content: 'Hi', usage: { input: 5, output: 7 } });
    const response = await post(`/model/${encodeURIComponent(modelId)}/invoke`, {});
    expect(await response.json()).toMatchObject(expected);
    expect(response.headers.get('x-amzn-bedrock-input-token-count')).toBe('5');
    expect(response.headers.get('x-amzn-bedrock-output-token-count')).toBe('7');
  });

  it('leaves the token-count headers out when asked', async () => {
    server.enqueue({ tokenCountHeaders: false });
    const response = await post('/model/mistral.mistral-large-2407-v1%3A0/invoke', {});
    expect(response.headers.get('x-amzn-bedrock-input-token-count')).toBeNull();
  });

  it('streams Llama chunks with cumulative counts and the invocation metrics last', async () => {
    server.enqueue({ content: 'abcdef', usage: { input: 9, output: 26 } });
    const chunks = await invokeChunks(
      await post('/model/us.meta.llama3-1-70b-instruct-v1%3A0/invoke-with-response-stream', {}),
    );
    expect(chunks[0]).toEqual({
      generation: 'ab',
      prompt_token_count: 9,
      generation_token_count: 1,
      stop_reason: null,
    });
    expect(chunks.map((chunk) => chunk.generation).join('')).toBe('abcdef');
    expect(chunks.at(-1)).toEqual({
      generation: '',
      prompt_token_count: null,
      generation_token_count: 26,
      stop_reason: 'stop',
      'amazon-bedrock-invocationMetrics': {
        inputTokenCount: 9,
        outputTokenCount: 26,
        invocationLatency: 20,
        firstByteLatency: 5,
      },
    });
  });

  it('streams Mistral, Nova and Cohere chunks in their own shapes', async () => {
    server.enqueue(
      { content: 'abc' },
      { content: 'abc', usage: { input: 4, output: 2, cacheRead: 3 } },
      { content: 'abc' },
    );
    const mistral = await invokeChunks(
      await post('/model/mistral.mistral-large-2407-v1%3A0/invoke-with-response-stream', {}),
    );
    expect(mistral[0]).toEqual({ outputs: [{ text: 'a', stop_reason: null }] });
    expect(mistral.at(-1)).toMatchObject({
      outputs: [{ text: '', stop_reason: 'stop' }],
      'amazon-bedrock-invocationMetrics': { inputTokenCount: 20, outputTokenCount: 10 },
    });
    const nova = await invokeChunks(await post('/model/amazon.nova-pro-v1%3A0/invoke-with-response-stream', {}));
    expect(nova.map((chunk) => Object.keys(chunk)[0])).toEqual([
      'messageStart',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    expect(nova.at(-1)).toMatchObject({
      metadata: { usage: { inputTokens: 4, outputTokens: 2, cacheReadInputTokenCount: 3 } },
      'amazon-bedrock-invocationMetrics': { inputTokenCount: 4, outputTokenCount: 2, cacheReadInputTokenCount: 3 },
    });
    const cohere = await invokeChunks(await post('/model/cohere.command-r-v1%3A0/invoke-with-response-stream', {}));
    expect(cohere.map((chunk) => chunk.event_type)).toEqual([
      'stream-start',
      'text-generation',
      'text-generation',
      'text-generation',
      'stream-end',
    ]);
    expect(cohere.at(-1)).toMatchObject({
      is_finished: true,
      finish_reason: 'COMPLETE',
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
