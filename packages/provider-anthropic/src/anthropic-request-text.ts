import type { RequestEdits } from '@genops/core/adapter';

type Body = Record<string, unknown>;

/**
 * Returns a copy of a Messages request body with every text sent to the model replaced by
 * `map(text)`: `system` (a string or text blocks) and `messages[].content` (a string, `text` blocks,
 * and the text inside `tool_result` blocks). Objects on the path are copied; the caller's body is
 * never changed.
 */
export function mapAnthropicRequestText(body: Body, map: (text: string) => string): Body {
  const out: Body = { ...body };
  if (body.system !== undefined) out.system = mapContent(body.system, map);
  if (Array.isArray(body.messages)) {
    out.messages = body.messages.map((message) => {
      if (!message || typeof message !== 'object') return message;
      const record = message as Body;
      return { ...record, content: mapContent(record.content, map) };
    });
  }
  return out;
}

/** The text parts of a request, in the order {@link mapAnthropicRequestText} visits them. */
export function anthropicRequestTexts(body: Body): string[] {
  const texts: string[] = [];
  mapAnthropicRequestText(body, (text) => {
    texts.push(text);
    return text;
  });
  return texts;
}

/** The body to send after governance: the downgraded model and redacted text, when asked for. */
export function applyAnthropicEdits(body: Body, edits: RequestEdits): Body {
  let out = edits.text ? mapAnthropicRequestText(body, edits.text) : body;
  if (edits.model !== undefined) out = { ...out, model: edits.model };
  return out;
}

function mapContent(content: unknown, map: (text: string) => string): unknown {
  if (typeof content === 'string') return map(content);
  if (!Array.isArray(content)) return content;
  return content.map((block) => {
    if (!block || typeof block !== 'object') return block;
    const record = block as Body;
    if (record.type === 'text' && typeof record.text === 'string') return { ...record, text: map(record.text) };
    if (record.type === 'tool_result' && record.content !== undefined)
      return { ...record, content: mapContent(record.content, map) };
    return block;
  });
}
