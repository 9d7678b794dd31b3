// The response observer's own reading of bytes: chunks cut inside a UTF-8 sequence, a BOM, and the scan
// that lets a Chat Completions stream skip parsing the chunks that cannot change what was read.
import { describe, expect, it } from 'vitest';
import type { Wire } from './endpoints';
import { ResponseObserver } from './response-observer';
import { WireUsageReader } from './wire-usage-reader';

const LIMITS = { maxBodyBytes: 1024 * 1024, maxLineBytes: 64 * 1024 };

/** Feeds `chunks` to an observer of `wire` (content type `type`) and returns its outcome. */
function observe(wire: Wire, type: string, chunks: Uint8Array[]) {
  return observeWith(new ResponseObserver(wire, false, LIMITS), type, chunks);
}

/** The JSON events an observer parsed from `chunks` (the Managed Agents wire hands each one to a listener). */
function eventsOf(type: string, chunks: Uint8Array[]): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  observeWith(
    new ResponseObserver('anthropic-agents', false, { ...LIMITS, onEvent: (event) => events.push(event) }),
    type,
    chunks,
  );
  return events;
}

function observeWith(observer: ResponseObserver, type: string, chunks: Uint8Array[]) {
  observer.start(200, { 'content-type': type });
  for (const chunk of chunks) observer.data(chunk);
  const outcome = observer.end();
  if (outcome instanceof Promise) throw new Error('an uncompressed body is read synchronously');
  return outcome;
}

/** `bytes` cut at each of `at` (byte offsets). */
function cut(bytes: Uint8Array, ...at: number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const end of [...at, bytes.byteLength]) {
    pieces.push(bytes.subarray(start, end));
    start = end;
  }
  return pieces;
}

const CHAT = {
  id: 'chatcmpl-1',
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Grüße, 世界 🌍' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
};

describe('ResponseObserver', () => {
  it('decodes a JSON body cut inside multi-byte UTF-8 sequences as if it came whole', () => {
    const bytes = new TextEncoder().encode(JSON.stringify(CHAT));
    const emoji = Buffer.from(bytes).indexOf(Buffer.from('🌍'));
    const kanji = Buffer.from(bytes).indexOf(Buffer.from('世'));
    // Cut one byte into the 3-byte kanji and two bytes into the 4-byte emoji (typed arrays, not Buffers).
    const chunks = cut(bytes, kanji + 1, emoji + 2);
    expect(eventsOf('application/json', chunks)).toEqual([CHAT]);
    const outcome = observe('openai-chat', 'application/json', chunks);
    expect(outcome.incomplete).toBeUndefined();
    expect(outcome.usage).toMatchObject({ inputTokens: 12, outputTokens: 7 });
    expect(outcome.response).toMatchObject({ id: 'chatcmpl-1', model: 'gpt-4o-mini', finishReasons: ['stop'] });
  });

  it('reads a JSON body that starts with a UTF-8 byte order mark', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(CHAT))]);
    expect(eventsOf('application/json', [bytes])).toEqual([CHAT]);
    const outcome = observe('openai-chat', 'application/json', [bytes]);
    expect(outcome.usage).toMatchObject({ inputTokens: 12, outputTokens: 7 });
  });

  it('decodes an SSE stream whose lines and characters are cut across chunks', () => {
    const events = [
      { id: 'c1', model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: 'Grüße ' }, finish_reason: null }] },
      { id: 'c1', model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: '世界' }, finish_reason: null }] },
      { id: 'c1', model: 'gpt-4o-mini', choices: [{ index: 0, delta: {}, finish_reason: 'length' }] },
      { id: 'c1', model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 5, completion_tokens: 3 } },
    ];
    const text = `${events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join('')}data: [DONE]\n\n`;
    const bytes = Buffer.from(text);
    const kanji = bytes.indexOf(Buffer.from('界'));
    const chunks = cut(bytes, 17, kanji + 2, kanji + 3, bytes.length - 9);
    expect(eventsOf('text/event-stream', chunks)).toEqual(events);
    const outcome = observe('openai-chat', 'text/event-stream', chunks);
    expect(outcome.usage).toMatchObject({ inputTokens: 5, outputTokens: 3 });
    expect(outcome.response).toMatchObject({ id: 'c1', model: 'gpt-4o-mini', finishReasons: ['length'] });
  });

  it('reads the finish reason and usage of a stream that writes its JSON with spaces', () => {
    const lines = [
      'data: {"id": "c2", "model": "m", "choices": [{"delta": {"content": "a"}, "finish_reason": null}], "usage": null}',
      'data: {"id": "c2", "model": "m", "choices": [{"delta": {}, "finish_reason" :  "stop"}], "usage": null}',
      'data: {"id": "c2", "model": "m", "choices": [], "usage" : {"prompt_tokens": 4, "completion_tokens": 2}}',
    ];
    const outcome = observe('openai-chat', 'text/event-stream', [Buffer.from(`${lines.join('\n\n')}\n\n`)]);
    expect(outcome.usage).toMatchObject({ inputTokens: 4, outputTokens: 2 });
    expect(outcome.response?.finishReasons).toEqual(['stop']);
  });
});

describe('WireUsageReader.wants', () => {
  const chunk = (fields: Record<string, unknown>) => JSON.stringify({ id: 'c1', model: 'gpt-4o-mini', ...fields });

  it('wants the first Chat Completions chunk (its id and model), then only chunks that can change the outcome', () => {
    const reader = new WireUsageReader('openai-chat', false);
    const first = chunk({ choices: [{ delta: { role: 'assistant' }, finish_reason: null }], usage: null });
    expect(reader.wants(first)).toBe(true);
    reader.onEvent(JSON.parse(first));
    // A content chunk, even one whose text quotes the keys GenOps looks for.
    const content = chunk({
      choices: [{ delta: { content: 'say "usage": {"x": 1} and "finish_reason": "stop"' }, finish_reason: null }],
      usage: null,
    });
    expect(reader.wants(content)).toBe(false);
    expect(reader.wants(chunk({ choices: [{ delta: {}, finish_reason: 'stop' }] }))).toBe(true);
    expect(reader.wants(chunk({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } }))).toBe(true);
    expect(reader.wants(chunk({ choices: [], x_groq: { usage: { prompt_tokens: 1, completion_tokens: 1 } } }))).toBe(
      true,
    );
  });

  it('wants every chunk until the id and model are known, and every event of other wires', () => {
    const reader = new WireUsageReader('openai-chat', false);
    reader.onEvent({ choices: [{ delta: { content: 'a' }, finish_reason: null }] });
    expect(reader.wants('{"choices":[{"delta":{"content":"b"},"finish_reason":null}]}')).toBe(true);
    const anthropic = new WireUsageReader('anthropic', false);
    anthropic.onEvent({ type: 'message_start', message: { id: 'm1', model: 'claude', usage: { input_tokens: 1 } } });
    expect(anthropic.wants('{"type":"content_block_delta","delta":{"text":"a"}}')).toBe(true);
  });
});
