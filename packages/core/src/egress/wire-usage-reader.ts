// Usage and response info from a provider's response, by wire format: one reader per unit, fed each
// parsed JSON event (a whole JSON body, an SSE `data:` payload, an NDJSON line). Provider quirks are
// those of the core's converters (usage/wire-usage.ts); what is specific to a wire is noted here.
import type { CallOutcome } from '../pipeline/types';
import type { ResponseInfo, Usage } from '../types';
import {
  type AnthropicUsageWire,
  mergeAnthropicUsage,
  usageFromAnthropic,
  usageFromGemini,
  usageFromGeminiEmbedding,
  usageFromOpenAIChat,
  usageFromOpenAIResponses,
} from '../usage/wire-usage';
import { isObject, type Wire } from './endpoints';

export class WireUsageReader {
  private usage: Usage | undefined;
  private anthropic: AnthropicUsageWire | undefined;
  private readonly response: ResponseInfo = {};
  private readonly finishReasons: string[] = [];

  /** The reader of each wire format (an `unknown` endpoint has none). */
  private static readonly readers: Partial<
    Record<Wire, (this: WireUsageReader, event: Record<string, unknown>) => void>
  > = {
    'openai-chat': WireUsageReader.prototype.openAIChat,
    'openai-responses': WireUsageReader.prototype.openAIResponses,
    anthropic: WireUsageReader.prototype.anthropicEvent,
    gemini: WireUsageReader.prototype.gemini,
    ollama: WireUsageReader.prototype.ollama,
    'cohere-v2': WireUsageReader.prototype.cohere,
    'cohere-v1': WireUsageReader.prototype.cohere,
    'bedrock-converse': WireUsageReader.prototype.bedrock,
    'bedrock-invoke': WireUsageReader.prototype.bedrock,
    'anthropic-agents': WireUsageReader.prototype.anthropicAgents,
  };

  constructor(
    private readonly wire: Wire,
    private readonly embeddings: boolean,
    /** Sees every JSON event of an `anthropic-agents` response (a session object, session events). */
    private readonly listener?: (event: Record<string, unknown>) => void,
  ) {}

  /** One parsed JSON event of the response. A shape it does not know is ignored. */
  onEvent(event: unknown): void {
    if (Array.isArray(event)) {
      // Gemini's streamGenerateContent without `alt=sse` answers one JSON array of chunks.
      for (const item of event) this.onEvent(item);
      return;
    }
    if (!isObject(event)) return;
    WireUsageReader.readers[this.wire]?.call(this, event);
  }

  /**
   * Whether a stream event's JSON text can change what this reader read, by a scan of the text (no
   * parse): `false` lets the caller skip parsing it. Chat Completions streams send one chunk per few
   * tokens, and after the first (its id and model) only the chunk with a `finish_reason` and the one
   * with `usage` (or Groq's `x_groq.usage`) count: a chunk whose `"finish_reason"` is `null` and
   * whose `"usage"` (if any) is not an object is skipped. Inside a JSON string a quote is escaped, so
   * those key-colon sequences occur only as keys (a key spelled with `\u` escapes would be missed: no
   * provider sends one, and the unit would then settle at its reservation). Other wires: always `true`.
   */
  wants(text: string): boolean {
    if (this.wire !== 'openai-chat' || this.response.id === undefined || this.response.model === undefined) return true;
    return valueOpens(text, '"finish_reason"', 34 /* '"' */) || valueOpens(text, '"usage"', 123 /* '{' */);
  }

  /** Bedrock reports the token counts of `invoke` in response headers (any body format). */
  onHeaders(headers: Record<string, string | string[] | undefined>): void {
    if (this.wire !== 'bedrock-invoke' && this.wire !== 'bedrock-converse') return;
    const input = headerCount(headers['x-amzn-bedrock-input-token-count']);
    const output = headerCount(headers['x-amzn-bedrock-output-token-count']);
    if (input !== undefined && this.usage === undefined)
      this.usage = { inputTokens: input, outputTokens: output ?? 0, raw: { input, output } };
  }

  outcome(): CallOutcome {
    if (this.finishReasons.length > 0) this.response.finishReasons = [...this.finishReasons];
    return { usage: this.usage, response: this.response };
  }

  private info(id: unknown, model: unknown): void {
    if (typeof id === 'string' && this.response.id === undefined) this.response.id = id;
    if (typeof model === 'string' && this.response.model === undefined) this.response.model = model;
  }

  private finish(reason: unknown): void {
    if (typeof reason === 'string' && reason.length > 0 && this.finishReasons.length < 16)
      this.finishReasons.push(reason);
  }

  // Chat Completions, legacy Completions and embeddings, and every OpenAI-compatible API (Mistral,
  // Groq, Together, Fireworks, OpenRouter, DeepSeek, xAI, Perplexity, Azure OpenAI, a LiteLLM proxy).
  // Streams carry usage on their last chunk only when the request set `stream_options.include_usage`
  // (egress does not add it: the caller would see the extra chunk); Groq puts it in `x_groq.usage`.
  private openAIChat(event: Record<string, unknown>): void {
    this.info(event.id, event.model);
    const usage = usageFromOpenAIChat(event.usage) ?? usageFromOpenAIChat((event.x_groq as { usage?: unknown })?.usage);
    if (usage) this.usage = usage;
    if (Array.isArray(event.choices))
      for (const choice of event.choices) if (isObject(choice)) this.finish(choice.finish_reason);
  }

  // Responses API: the object itself, or stream events whose final one (`response.completed`,
  // `.incomplete`, `.failed`) carries the whole response with its usage.
  private openAIResponses(event: Record<string, unknown>): void {
    const response = typeof event.type === 'string' && isObject(event.response) ? event.response : event;
    this.info(response.id, response.model);
    const usage = usageFromOpenAIResponses(response.usage);
    if (usage) this.usage = usage;
    if (typeof response.status === 'string' && usage) this.finish(response.status);
  }

  // Messages: the message (usage at the top), or `message_start` (input and cache counts) followed by
  // `message_delta` events whose usage is cumulative (merged, never added).
  private anthropicEvent(event: Record<string, unknown>): void {
    if (event.type === 'message_start' && isObject(event.message)) {
      this.info(event.message.id, event.message.model);
      this.anthropic = mergeAnthropicUsage(undefined, event.message.usage);
    } else if (event.type === 'message_delta') {
      this.anthropic = mergeAnthropicUsage(this.anthropic, event.usage);
      if (isObject(event.delta)) this.finish(event.delta.stop_reason);
    } else if (event.type === 'message') {
      this.info(event.id, event.model);
      this.anthropic = mergeAnthropicUsage(undefined, event.usage);
      this.finish(event.stop_reason);
    } else {
      return;
    }
    this.usage = usageFromAnthropic(this.anthropic) ?? this.usage;
  }

  // Anthropic Managed Agents: a session write answers the session (its id names the turn's session) or
  // the events sent; usage is not in the answer but on the session's event stream, which the listener
  // reads (managed-agents-wire.ts).
  private anthropicAgents(event: Record<string, unknown>): void {
    if (event.type === 'session') this.info(event.id, undefined);
    this.listener?.(event);
  }

  // Gemini API and Vertex AI: `usageMetadata` on the response, and on stream chunks as running totals
  // (the last one wins). Embeddings report usage only on Vertex.
  private gemini(event: Record<string, unknown>): void {
    this.info(event.responseId, event.modelVersion);
    const usage = this.embeddings ? usageFromGeminiEmbedding(event) : usageFromGemini(event.usageMetadata);
    if (usage) this.usage = usage;
    if (Array.isArray(event.candidates))
      for (const candidate of event.candidates) if (isObject(candidate)) this.finish(candidate.finishReason);
  }

  // Ollama's native API: the final object (`done: true`, the last NDJSON line of a stream) counts the
  // prompt (`prompt_eval_count`) and the output (`eval_count`); /api/embed has the prompt count only.
  private ollama(event: Record<string, unknown>): void {
    this.info(undefined, event.model);
    const prompt = count(event.prompt_eval_count);
    if (event.done === true || (this.embeddings && prompt !== undefined)) {
      this.usage = { inputTokens: prompt ?? 0, outputTokens: count(event.eval_count) ?? 0, raw: pick(event) };
      this.finish(event.done_reason);
    }
  }

  // Cohere v2 `/v2/chat`: `usage.billed_units` on the response, on the `message-end` event's delta of
  // a stream; v1 `/v1/chat`: `meta.billed_units`, on `stream-end`'s response. Billed units are what
  // Cohere charges (`tokens` counts the prompt template too).
  private cohere(event: Record<string, unknown>): void {
    this.info(event.id, undefined);
    const source =
      event.type === 'message-end' && isObject(event.delta)
        ? event.delta
        : event.event_type === 'stream-end' && isObject(event.response)
          ? event.response
          : event;
    const usage = isObject(source.usage) ? source.usage : isObject(source.meta) ? source.meta : undefined;
    const billed = usage && isObject(usage.billed_units) ? usage.billed_units : undefined;
    const input = count(billed?.input_tokens);
    if (billed && input !== undefined)
      this.usage = { inputTokens: input, outputTokens: count(billed.output_tokens) ?? 0, raw: usage };
    this.finish(source.finish_reason);
  }

  // Bedrock Converse: `usage.inputTokens` is the uncached input; cache reads and writes are apart.
  // InvokeModel bodies are the model family's own (Anthropic's, here); headers count any family.
  private bedrock(event: Record<string, unknown>): void {
    const usage = event.usage;
    if (!isObject(usage)) return;
    if (typeof usage.inputTokens === 'number') {
      const read = count(usage.cacheReadInputTokens) ?? 0;
      const written = count(usage.cacheWriteInputTokens) ?? 0;
      const converted: Usage = {
        inputTokens: usage.inputTokens + read + written,
        outputTokens: count(usage.outputTokens) ?? 0,
        raw: usage,
      };
      if (read) converted.cacheReadInputTokens = read;
      if (written) converted.cacheWriteInputTokens = written;
      this.usage = converted;
      this.finish(event.stopReason);
      return;
    }
    const anthropic = usageFromAnthropic(usage);
    if (anthropic) this.usage = anthropic;
  }
}

/** Whether some `key` in `text` is followed (spaces aside) by `:` and a value whose first character is `opener`. */
function valueOpens(text: string, key: string, opener: number): boolean {
  for (let at = text.indexOf(key); at >= 0; at = text.indexOf(key, at + key.length)) {
    let index = skipSpaces(text, at + key.length);
    if (text.charCodeAt(index) !== 58 /* ':' */) continue;
    index = skipSpaces(text, index + 1);
    if (text.charCodeAt(index) === opener) return true;
  }
  return false;
}

function skipSpaces(text: string, from: number): number {
  let index = from;
  for (;;) {
    const char = text.charCodeAt(index);
    if (char !== 32 && char !== 10 && char !== 13 && char !== 9) return index;
    index++;
  }
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function headerCount(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text === '') return undefined;
  const parsed = Number(text);
  return Number.isInteger(parsed) && parsed >= 0 ? parsed : undefined;
}

/** Ollama's final object without the generated text (usage `raw` never carries content). */
function pick(event: Record<string, unknown>): Record<string, unknown> {
  const { prompt_eval_count, eval_count, total_duration, eval_duration, prompt_eval_duration } = event;
  return { prompt_eval_count, eval_count, total_duration, eval_duration, prompt_eval_duration };
}
