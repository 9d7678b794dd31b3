// Chat Completions streams report usage only when the request sets `stream_options.include_usage`.
// Without it the gateway could only settle a stream at its reservation (the worst case), so it asks
// for usage, and — since the client did not — drops the usage-only chunk (`choices: []`) before it
// reaches the client: many clients read `chunk.choices[0]` on every chunk. The other chunks pass
// untouched (with `usage: null`, which OpenAI adds to them and clients ignore).

/** The body to send instead: a chat stream that does not say whether it wants usage asks for it. */
export function askStreamUsage(json: Record<string, unknown>): Record<string, unknown> | undefined {
  if (json.stream !== true) return undefined;
  const options = json.stream_options;
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options)))
    return undefined;
  if ((options as Record<string, unknown> | undefined)?.include_usage !== undefined) return undefined;
  return { ...json, stream_options: { ...(options as Record<string, unknown> | undefined), include_usage: true } };
}

/** The longest SSE line held while looking for the usage chunk; a longer one passes unfiltered. */
const MAX_LINE_CHARS = 1024 * 1024;

/**
 * Removes the usage-only event from an SSE stream as it passes, holding back at most one partial line.
 * Each `push` returns what to send now; `end` what is left.
 */
export class UsageChunkFilter {
  private readonly decoder = new TextDecoder();
  private pending = '';
  private dropBlank = false;
  private passthrough = false;

  push(chunk: Uint8Array): Uint8Array {
    if (this.passthrough) return chunk;
    const text = this.pending + this.decoder.decode(chunk, { stream: true });
    let out = '';
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline < 0) break;
      out += this.line(text.slice(start, newline + 1));
      start = newline + 1;
    }
    this.pending = text.slice(start);
    if (this.pending.length > MAX_LINE_CHARS) {
      // Not an SSE stream as expected: stop filtering, pass everything on.
      out += this.pending;
      this.pending = '';
      this.passthrough = true;
    }
    return Buffer.from(out, 'utf8');
  }

  end(): Uint8Array {
    const rest = this.pending + this.decoder.decode();
    this.pending = '';
    return Buffer.from(rest, 'utf8');
  }

  /** A line with its `\n`: itself, or '' when it belongs to the usage-only event. */
  private line(line: string): string {
    if (this.dropBlank) {
      this.dropBlank = false;
      if (line === '\n' || line === '\r\n') return '';
    }
    if (line.startsWith('data:') && isUsageOnly(line)) {
      this.dropBlank = true;
      return '';
    }
    return line;
  }
}

/** A `data:` line whose chunk carries usage and no choices. */
function isUsageOnly(line: string): boolean {
  if (!line.includes('"usage"') || !line.includes('"choices"')) return false;
  try {
    const chunk = JSON.parse(line.slice(5)) as { choices?: unknown; usage?: unknown };
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
