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
 * Each `push` returns what to send now; `end` what is left. Works on the bytes: only a `data:` line
 * whose `"usage"` is an object (not the `null` of every other chunk) is decoded and parsed.
 */
export class UsageChunkFilter {
  private pending: Uint8Array = EMPTY;
  private dropBlank = false;
  private passthrough = false;

  push(chunk: Uint8Array): Uint8Array {
    if (this.passthrough) return chunk;
    const data =
      this.pending.byteLength > 0
        ? Buffer.concat([this.pending, chunk])
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const pieces: Uint8Array[] = [];
    let kept = 0; // Start of the bytes not yet added to `pieces`.
    let start = 0;
    for (;;) {
      const newline = data.indexOf(NEWLINE, start);
      if (newline < 0) break;
      const next = newline + 1;
      if (this.dropBlank) {
        this.dropBlank = false;
        if (isBlank(data, start, next)) {
          if (start > kept) pieces.push(data.subarray(kept, start));
          kept = next;
        }
      } else if (isUsageOnly(data, start, next)) {
        if (start > kept) pieces.push(data.subarray(kept, start));
        kept = next;
        this.dropBlank = true;
      }
      start = next;
    }
    if (start > kept) pieces.push(data.subarray(kept, start));
    // The partial line is kept (copied: the chunk belongs to the connection).
    this.pending = start < data.byteLength ? Buffer.from(data.subarray(start)) : EMPTY;
    if (this.pending.byteLength > MAX_LINE_BYTES) {
      // Not an SSE stream as expected: stop filtering, pass everything on.
      pieces.push(this.pending);
      this.pending = EMPTY;
      this.passthrough = true;
    }
    if (pieces.length === 0) return EMPTY;
    return pieces.length === 1 ? (pieces[0] as Uint8Array) : Buffer.concat(pieces);
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

/** A `data:` line (from `start` to after its `\n`) whose chunk carries usage and no choices. */
function isUsageOnly(data: Buffer, start: number, end: number): boolean {
  if (end - start < 20 || data.compare(DATA, 0, DATA.length, start, start + DATA.length) !== 0) return false;
  if (!hasUsageObject(data.subarray(start, end))) return false;
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

/** Whether `line` has `"usage": {` (an object; every other chunk has `"usage": null`, or no usage). */
function hasUsageObject(line: Buffer): boolean {
  let key = line.indexOf(USAGE_KEY);
  while (key >= 0) {
    let index = firstNonSpace(line, key + USAGE_KEY.length);
    if (line[index] === 0x3a) {
      index = firstNonSpace(line, index + 1);
      if (line[index] === 0x7b) return true;
    }
    key = line.indexOf(USAGE_KEY, key + USAGE_KEY.length);
  }
  return false;
}
