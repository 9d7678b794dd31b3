import type { RequestEdits } from '@genops/core/adapter';
import type { OpenAIMethod } from './types';

type Body = Record<string, unknown>;

/**
 * Visits every text part of a request body that is sent to the model, returning a copy of the body
 * with each text replaced by `map(text)`. Objects and arrays on the path to a text are copied; the
 * caller's body is never changed. Covered: Chat Completions `messages[].content` (string or text
 * parts), Responses `input` (string, messages, `input_text` parts) and `instructions`, legacy
 * Completions `prompt`, and Embeddings `input` (strings; token-id arrays are not text).
 */
export function mapOpenAIRequestText(method: OpenAIMethod, body: Body, map: (text: string) => string): Body {
  switch (method) {
    case 'chat.completions.create':
      return Array.isArray(body.messages) ? { ...body, messages: body.messages.map((m) => mapMessage(m, map)) } : body;
    case 'responses.create': {
      const out: Body = { ...body };
      if (typeof body.instructions === 'string') out.instructions = map(body.instructions);
      if (typeof body.input === 'string') out.input = map(body.input);
      else if (Array.isArray(body.input)) out.input = body.input.map((item) => mapMessage(item, map));
      return out;
    }
    case 'completions.create':
      return { ...body, prompt: mapStrings(body.prompt, map) };
    case 'embeddings.create':
      return { ...body, input: mapStrings(body.input, map) };
  }
}

/** The text parts of a request, in the order {@link mapOpenAIRequestText} visits them. */
export function openAIRequestTexts(method: OpenAIMethod, body: Body): string[] {
  const texts: string[] = [];
  mapOpenAIRequestText(method, body, (text) => {
    texts.push(text);
    return text;
  });
  return texts;
}

/** The body to send after governance: the downgraded model and redacted text, when asked for. */
export function applyOpenAIEdits(method: OpenAIMethod, body: Body, edits: RequestEdits): Body {
  let out = edits.text ? mapOpenAIRequestText(method, body, edits.text) : body;
  if (edits.model !== undefined) out = { ...out, model: edits.model };
  return out;
}

function mapStrings(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' ? map(item) : item));
  return value;
}

function mapMessage(message: unknown, map: (text: string) => string): unknown {
  if (!message || typeof message !== 'object') return message;
  const record = message as Body;
  if (typeof record.content === 'string') return { ...record, content: map(record.content) };
  if (Array.isArray(record.content)) return { ...record, content: record.content.map((part) => mapPart(part, map)) };
  // Responses API items without `content`: function-call outputs carry text in `output`.
  if (record.type === 'function_call_output' && typeof record.output === 'string')
    return { ...record, output: map(record.output) };
  return message;
}

function mapPart(part: unknown, map: (text: string) => string): unknown {
  if (!part || typeof part !== 'object') return part;
  const record = part as Body;
  if (typeof record.text === 'string' && (record.type === 'text' || record.type === 'input_text'))
    return { ...record, text: map(record.text) };
  return part;
}
