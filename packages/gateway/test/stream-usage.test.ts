// The usage-chunk filter on SSE text cut at every possible place: the usage-only event (and its blank
// line) goes, every other byte passes in order.
import { describe, expect, it } from 'vitest';
import { askStreamUsage, UsageChunkFilter } from '../src/stream-usage';

const content = (text: string) =>
  `data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"${text}"}}],"usage":null}\n\n`;
const usage =
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2}}\n\n';
const STREAM = `${content('Hé')}${content('llo')}${usage}data: [DONE]\n\n`;
const EXPECTED = `${content('Hé')}${content('llo')}data: [DONE]\n\n`;

function filtered(pieces: Uint8Array[]): string {
  const filter = new UsageChunkFilter();
  const out = pieces.map((piece) => Buffer.from(filter.push(piece)).toString('utf8')).join('');
  return out + Buffer.from(filter.end()).toString('utf8');
}

describe('UsageChunkFilter', () => {
  it('drops the usage-only event wherever the stream is cut (multi-byte characters included)', () => {
    const bytes = Buffer.from(STREAM, 'utf8');
    for (let cut = 0; cut <= bytes.byteLength; cut++)
      expect(filtered([bytes.subarray(0, cut), bytes.subarray(cut)])).toBe(EXPECTED);
    expect(filtered([...bytes].map((byte) => Uint8Array.of(byte)))).toBe(EXPECTED);
  });

  it('keeps CRLF streams and chunks that carry usage beside their choices', () => {
    const crlf = `${content('a').replace(/\n/g, '\r\n')}${usage.replace(/\n/g, '\r\n')}`;
    expect(filtered([Buffer.from(crlf)])).toBe(content('a').replace(/\n/g, '\r\n'));
    const both = 'data: {"choices":[{"index":0,"delta":{}}],"usage":{"prompt_tokens":1}}\n\n';
    expect(filtered([Buffer.from(both)])).toBe(both);
  });
});

describe('askStreamUsage', () => {
  it('asks a stream that did not say; leaves streams that did, and non-streams, alone', () => {
    expect(askStreamUsage({ stream: true, model: 'm' })).toEqual({
      json: { stream: true, model: 'm', stream_options: { include_usage: true } },
    });
    expect(askStreamUsage({ stream: true, stream_options: { include_obfuscation: false } })).toEqual({
      json: { stream: true, stream_options: { include_obfuscation: false, include_usage: true } },
    });
    expect(askStreamUsage({ stream: true, stream_options: { include_usage: false } })).toBeUndefined();
    expect(askStreamUsage({ stream: false })).toBeUndefined();
    expect(askStreamUsage({ model: 'm' })).toBeUndefined();
  });
});

describe('askStreamUsage on the bytes', () => {
  it("inserts stream_options into the client's bytes, which stay as they were written", () => {
    const text = ' \n{ "model": "m",\n  "stream": true, "note": "é \\"x\\"", "n": 1.50 }';
    const bytes = Buffer.from(text, 'utf8');
    const rewritten = askStreamUsage(JSON.parse(text), bytes);
    expect(rewritten?.json).toEqual({ ...JSON.parse(text), stream_options: { include_usage: true } });
    const sent = rewritten?.bytes?.toString('utf8') as string;
    expect(JSON.parse(sent)).toEqual(rewritten?.json);
    // Everything after the opening brace is the client's text, byte for byte (`1.50` stays `1.50`).
    expect(sent).toBe(`{"stream_options":{"include_usage":true},${text.slice(text.indexOf('{') + 1)}`);
  });

  it('serialises again when stream_options is there already (no key twice)', () => {
    const text = '{"stream":true,"stream_options":{"include_obfuscation":false}}';
    const rewritten = askStreamUsage(JSON.parse(text), Buffer.from(text));
    expect(rewritten?.bytes).toBeUndefined();
    expect(rewritten?.json.stream_options).toEqual({ include_obfuscation: false, include_usage: true });
  });
});

describe('UsageChunkFilter on the bytes', () => {
  it('passes a chunk without a usage-only event through as the same bytes', () => {
    const filter = new UsageChunkFilter();
    const chunk = Buffer.from(`${content('a')}${content('b')}`);
    const out = filter.push(chunk);
    expect(Buffer.from(out).equals(chunk)).toBe(true);
    expect(filter.end().byteLength).toBe(0);
  });

  it('finds the usage-only event after lines that mention "usage", in one chunk or cut anywhere', () => {
    const mentions = (text: string) => `data: {"choices":[{"index":0,"delta":{"content":"${text}"}}],"usage":null}\n\n`;
    const stream = `${mentions('\\"usage\\": {')}${mentions('usage')}: comment "usage"\n${usage}${content('after')}`;
    const expected = `${mentions('\\"usage\\": {')}${mentions('usage')}: comment "usage"\n${content('after')}`;
    const bytes = Buffer.from(stream, 'utf8');
    expect(filtered([bytes])).toBe(expected);
    for (let cut = 0; cut <= bytes.byteLength; cut++)
      expect(filtered([bytes.subarray(0, cut), bytes.subarray(cut)])).toBe(expected);
  });

  it('keeps a content chunk whose text mentions "usage": {', () => {
    const tricky = 'data: {"choices":[],"delta":"\\"usage\\": {","usage":null}\n\n';
    expect(filtered([Buffer.from(tricky)])).toBe(tricky);
  });
});
