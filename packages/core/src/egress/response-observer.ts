// Reads a provider response as its bytes pass to the caller, without holding them up or changing them:
// a copy of each chunk is decompressed (when the response is), split into SSE events or NDJSON lines,
// or kept for a JSON body, and handed to the wire's usage reader. Memory is bounded: of a JSON body over
// `maxBodyBytes` only its last 64 KiB are kept, where every wire GenOps reads puts its usage object (a
// large embeddings response); a stream line over `maxLineBytes` is skipped. What cannot be read settles
// at the reservation, flagged incomplete.
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { CallOutcome } from '../pipeline/types';
import type { Wire } from './endpoints';
import { WireUsageReader } from './wire-usage-reader';

export interface ObserverLimits {
  /** Largest JSON response body read for usage (bytes, after decompression). */
  maxBodyBytes: number;
  /** Largest SSE or NDJSON line read for usage. */
  maxLineBytes: number;
  /** Sees every JSON event of an `anthropic-agents` response (see WireUsageReader). */
  onEvent?: (event: Record<string, unknown>) => void;
}

type Framing = 'json' | 'sse' | 'ndjson';

export class ResponseObserver {
  private readonly reader: WireUsageReader;
  private framing: Framing = 'json';
  /** Made on the first chunk that ends inside a UTF-8 sequence (or starts with a BOM); most responses need none. */
  private decoder: TextDecoder | undefined;
  private body: string[] = [];
  private bodyBytes = 0;
  /** A line of a stream not ended yet. */
  private pending = '';
  /** The current line is over `maxLineBytes`: skip to its end. */
  private skipping = false;
  private overflow = false;
  /** Of a JSON body over the limit: its last {@link TAIL_CHARS} characters. */
  private tail: string | undefined;
  private inflater: Transform | undefined;
  private inflaterDone: Promise<void> | undefined;
  status = 0;

  constructor(
    wire: Wire,
    embeddings: boolean,
    private readonly limits: ObserverLimits,
  ) {
    this.reader = new WireUsageReader(wire, embeddings, limits.onEvent);
  }

  /** The response status and headers (lower-case names). */
  start(status: number, headers: Record<string, string | string[] | undefined>): void {
    this.status = status;
    const type = String(headers['content-type'] ?? '').toLowerCase();
    this.framing = type.includes('text/event-stream')
      ? 'sse'
      : type.includes('ndjson') || type.includes('jsonl')
        ? 'ndjson'
        : 'json';
    this.reader.onHeaders(headers);
    const encoding = String(headers['content-encoding'] ?? '')
      .trim()
      .toLowerCase();
    const inflater =
      encoding === 'gzip' || encoding === 'x-gzip'
        ? createGunzip()
        : encoding === 'deflate'
          ? createInflate()
          : encoding === 'br'
            ? createBrotliDecompress()
            : undefined;
    if (inflater) {
      this.inflater = inflater;
      inflater.on('data', (chunk: Buffer) => this.text(chunk));
      this.inflaterDone = new Promise((resolve) => {
        inflater.once('end', resolve);
        // A body GenOps cannot decompress is not read; the caller still gets its bytes.
        inflater.once('error', () => {
          this.overflow = true;
          resolve();
        });
      });
    } else if (encoding !== '' && encoding !== 'identity') {
      this.overflow = true;
    }
  }

  /** A chunk of the response body as it passes to the caller. */
  data(chunk: Uint8Array): void {
    if (this.overflow) return;
    if (this.inflater) this.inflater.write(chunk);
    else this.text(chunk);
  }

  /** The body ended: what was read (a promise only while a compressed body is being inflated). */
  end(): CallOutcome | Promise<CallOutcome> {
    if (this.inflater && !this.overflow) {
      this.inflater.end();
      return (this.inflaterDone ?? Promise.resolve()).then(() => this.result());
    }
    return this.result();
  }

  private result(): CallOutcome {
    this.flush();
    const outcome = this.reader.outcome();
    return this.overflow || outcome.usage === undefined ? { ...outcome, incomplete: true } : outcome;
  }

  /** What was read so far (a stream the caller abandoned). */
  partial(): CallOutcome {
    return { ...this.reader.outcome(), incomplete: true };
  }

  /**
   * The chunk's text. A chunk whose last byte is ASCII ends no UTF-8 sequence half-way, so it decodes on
   * its own (no decoder object, no state); from the first one that does (or a leading BOM, which a
   * decoder drops), a streaming TextDecoder carries the partial sequence to the next chunk.
   */
  private decode(chunk: Uint8Array): string {
    if (this.decoder === undefined) {
      const length = chunk.byteLength;
      const startsWithBom = this.bodyBytes === 0 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf;
      if (length === 0 || ((chunk[length - 1] as number) < 0x80 && !startsWithBom))
        return (Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, length)).toString('utf8');
      this.decoder = new TextDecoder();
    }
    return this.decoder.decode(chunk, STREAM);
  }

  private text(chunk: Uint8Array): void {
    if (this.framing === 'json') {
      const text = this.decode(chunk);
      this.bodyBytes += chunk.byteLength;
      if (this.tail !== undefined) {
        this.tail = keepTail(this.tail + text);
        return;
      }
      if (this.bodyBytes > this.limits.maxBodyBytes) {
        this.tail = keepTail(this.body.join('') + text);
        this.body = [];
        return;
      }
      this.body.push(text);
      return;
    }
    const text = this.decode(chunk);
    this.bodyBytes += chunk.byteLength;
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline < 0) break;
      const piece = text.slice(start, newline);
      if (!this.skipping) this.line(this.pending + piece);
      this.pending = '';
      this.skipping = false;
      start = newline + 1;
    }
    if (this.skipping) return;
    this.pending += text.slice(start);
    if (this.pending.length > this.limits.maxLineBytes) {
      this.pending = '';
      this.skipping = true;
    }
  }

  private flush(): void {
    if (this.framing === 'json') {
      if (this.overflow) return;
      const rest = this.decoder?.decode() ?? '';
      if (this.tail !== undefined) {
        this.fromTail(this.tail + rest);
        this.tail = undefined;
        return;
      }
      const text = this.body.length === 1 && rest === '' ? (this.body[0] as string) : this.body.join('') + rest;
      this.body = [];
      this.parse(text);
      return;
    }
    if (!this.skipping && this.pending) this.line(this.pending);
    this.pending = '';
  }

  private line(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (this.framing === 'ndjson') {
      this.parse(line);
      return;
    }
    // SSE: only `data:` lines carry payloads; every wire GenOps reads has one JSON object per event.
    if (!line.startsWith('data:')) return;
    const payload = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    if (payload === '[DONE]' || !this.reader.wants(payload)) return;
    this.parse(payload);
  }

  /** The usage object at the end of a body too large to parse whole, handed to the reader as `{ key: usage }`. */
  private fromTail(tail: string): void {
    for (const key of USAGE_KEYS) {
      const at = tail.lastIndexOf(`"${key}"`);
      if (at < 0) continue;
      const object = objectAfter(tail, at + key.length + 2);
      if (object === undefined) continue;
      try {
        // Shaped as a whole response (`type: 'message'` is what the Anthropic reader reads a message by).
        this.reader.onEvent({ type: 'message', [key]: JSON.parse(object) });
        return;
      } catch {
        // Not a JSON object after all: try the next key.
      }
    }
  }

  private parse(text: string): void {
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return;
    }
    this.reader.onEvent(value);
  }
}

/** TextDecoder's streaming option (one object for every call). */
const STREAM: TextDecodeOptions = { stream: true };

/** How much of a JSON body over the limit is kept: enough for any provider's usage object. */
const TAIL_CHARS = 64 * 1024;

/** The keys a usage object sits under, by wire format. */
const USAGE_KEYS = ['usage', 'usageMetadata', 'meta'];

function keepTail(text: string): string {
  return text.length > TAIL_CHARS ? text.slice(text.length - TAIL_CHARS) : text;
}

/**
 * The JSON object text that starts after `from` (past the `:`), found by counting braces outside
 * strings: one pass, no backtracking. `undefined` when there is none or it is cut off.
 */
export function objectAfter(text: string, from: number): string | undefined {
  let index = from;
  while (
    index < text.length &&
    (text[index] === ' ' || text[index] === ':' || text[index] === '\n' || text[index] === '\r' || text[index] === '\t')
  )
    index++;
  if (text[index] !== '{') return undefined;
  let depth = 0;
  let inString = false;
  for (let position = index; position < text.length; position++) {
    const char = text.charCodeAt(position);
    if (inString) {
      if (char === 92)
        position++; // backslash: skip the escaped character
      else if (char === 34) inString = false;
    } else if (char === 34) inString = true;
    else if (char === 123) depth++;
    else if (char === 125 && --depth === 0) return text.slice(index, position + 1);
  }
  return undefined;
}
