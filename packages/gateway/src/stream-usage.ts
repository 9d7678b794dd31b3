// Chat Completions streams report usage only when the request sets `stream_options.include_usage`.
// Without it the gateway could only settle a stream at its reservation (the worst case), so it asks
// for usage, and — since the client did not — drops the usage-only chunk (`choices: []`) before it
// reaches the client: many clients read `chunk.choices[0]` on every chunk. The other chunks pass
// untouched (with `usage: null`, which OpenAI adds to them and clients ignore).
import type { WireRewrite } from '@genops/core/internal';

const ASK_USAGE = Buffer.from('{"stream_options":{"include_usage":true},', 'utf8');

/**
 * The body to send instead: a chat stream that does not say whether it wants usage asks for it. When
 * the request has no `stream_options`, the field is inserted into its bytes (the rest is sent as the
 * client wrote it); otherwise the body is serialised again.
 */
export function askStreamUsage(json: Record<string, unknown>, bytes?: Buffer): WireRewrite | undefined {
  if (json.stream !== true) return undefined;
  const options = json.stream_options;
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options)))
    return undefined;
  if ((options as Record<string, unknown> | undefined)?.include_usage !== undefined) return undefined;
  const asked = {
    ...json,
    stream_options: { ...(options as Record<string, unknown> | undefined), include_usage: true },
  };
  if (options !== undefined || !bytes) return { json: asked };
  // `json` is an object with `stream`: its text is `{`, then its first member (whitespace aside).
  const open = firstNonSpace(bytes, 0);
  if (bytes[open] !== 0x7b || bytes[firstNonSpace(bytes, open + 1)] === 0x7d) return { json: asked };
  return { json: asked, bytes: Buffer.concat([ASK_USAGE, bytes.subarray(open + 1)]) };
}

function firstNonSpace(bytes: Uint8Array, from: number): number {
  let index = from;
  while (index < bytes.length) {
    const byte = bytes[index] as number;
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) break;
    index++;
  }
  return index;
}

/** The longest SSE line held while looking for the usage chunk; a longer one passes unfiltered. */
const MAX_LINE_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;
const USAGE_KEY = Buffer.from('"usage"', 'utf8');
const DATA = Buffer.from('data:', 'utf8');
const EMPTY = new Uint8Array(0);

/**
 * Removes the usage-only event from an SSE stream as it passes, holding back at most one partial line.
 * Each `push` returns what to send now (the chunk itself when it holds no usage-only event and ends
 * with a whole line); `end` what is left. Works on the bytes, one pass: only a `data:` line whose
 * `"usage"` is an object (not the `null` of every other chunk) is decoded and parsed.
 */
export class UsageChunkFilter {
  private pending: Uint8Array = EMPTY;
  private dropBlank = false;
  private passthrough = false;

  push(chunk: Uint8Array): Uint8Array {
    if (this.passthrough) return chunk;
    const held = this.pending.byteLength > 0;
    const data = held
      ? Buffer.concat([this.pending, chunk])
      : Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pieces: Uint8Array[] | undefined; // Set once a line is dropped.
    let kept = 0; // Start of the bytes not yet added to `pieces`.
    let start = 0;
    // The next `"usage"` at or after `start` (-1: none left): one scan of the chunk for all its lines.
    let usageAt = data.indexOf(USAGE_KEY);
    for (;;) {
      const newline = data.indexOf(NEWLINE, start);
      if (newline < 0) break;
      const next = newline + 1;
      if (usageAt >= 0 && usageAt < start) usageAt = data.indexOf(USAGE_KEY, start);
      let drop = false;
      if (this.dropBlank) {
        this.dropBlank = false;
        drop = isBlank(data, start, next);
      } else if (usageAt >= 0 && usageAt < next) {
        drop = isUsageOnly(data, start, next, usageAt);
        this.dropBlank = drop;
      }
      if (drop) {
        pieces ??= [];
        if (start > kept) pieces.push(data.subarray(kept, start));
        kept = next;
      }
      start = next;
    }
    // The partial line is kept (copied: the chunk belongs to the connection).
    this.pending = start < data.byteLength ? Buffer.from(data.subarray(start)) : EMPTY;
    let out: Uint8Array;
    if (pieces === undefined)
      out = !held && start === data.byteLength ? chunk : start > 0 ? data.subarray(0, start) : EMPTY;
    else {
      if (start > kept) pieces.push(data.subarray(kept, start));
      out = pieces.length === 0 ? EMPTY : pieces.length === 1 ? (pieces[0] as Uint8Array) : Buffer.concat(pieces);
    }
    if (this.pending.byteLength > MAX_LINE_BYTES) {
      // Not an SSE stream as expected: stop filtering, pass everything on.
      out = out.byteLength > 0 ? Buffer.concat([out, this.pending]) : this.pending;
      this.pending = EMPTY;
      this.passthrough = true;
    }
    return out;
  }

  end(): Uint8Array {
    const rest = this.pending;
    this.pending = EMPTY;
    return rest;
  }
}

/** `\n` or `\r\n` alone. */
function isBlank(data: Buffer, start: number, end: number): boolean {
  const length = end - start;
  return length === 1 || (length === 2 && data[start] === 0x0d);
}

/**
 * A `data:` line (from `start` to after its `\n`, its first `"usage"` at `usageAt`) whose chunk
 * carries usage and no choices.
 */
function isUsageOnly(data: Buffer, start: number, end: number, usageAt: number): boolean {
  if (end - start < 20 || data.compare(DATA, 0, DATA.length, start, start + DATA.length) !== 0) return false;
  if (!hasUsageObject(data, usageAt, end)) return false;
  try {
    const chunk = JSON.parse(data.toString('utf8', start + DATA.length, end)) as { choices?: unknown; usage?: unknown };
    return (
      Array.isArray(chunk.choices) &&
      chunk.choices.length === 0 &&
      typeof chunk.usage === 'object' &&
      chunk.usage !== null
    );
  } catch {
    return false;
  }
}

/** Whether a `"usage"` from `key` to `end` is followed by `: {` (an object; every other chunk has `"usage": null`, or no usage). */
function hasUsageObject(data: Buffer, key: number, end: number): boolean {
  let at = key;
  while (at >= 0 && at < end) {
    let index = firstNonSpace(data, at + USAGE_KEY.length);
    if (data[index] === 0x3a) {
      index = firstNonSpace(data, index + 1);
      if (data[index] === 0x7b) return true;
    }
    at = data.indexOf(USAGE_KEY, at + USAGE_KEY.length);
  }
  return false;
}
