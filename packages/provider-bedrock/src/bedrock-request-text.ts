import type { RequestEdits } from '@genops/core/adapter';
import type { BedrockCommand } from './types';

type Input = Record<string, any>;

/**
 * Applies a downgrade (`modelId`) and a text rewrite (Converse `messages` and `system` blocks, or the
 * text fields of an InvokeModel body) to a copy of the input.
 */
export function applyBedrockEdits(command: BedrockCommand, input: Input, edits: RequestEdits): Input {
  const edited: Input = { ...input };
  if (edits.model) edited.modelId = edits.model;
  const rewrite = edits.text;
  if (rewrite && command.invoke) {
    const body = parseBody(input.body);
    if (body) {
      const text = JSON.stringify(rewriteInvokeBody(body, rewrite));
      // Keep the type the caller sent: a string stays a string, bytes stay bytes.
      edited.body = typeof input.body === 'string' ? text : new TextEncoder().encode(text);
    }
  } else if (rewrite) {
    const blocks = (content: unknown) =>
      Array.isArray(content)
        ? content.map((block) => (typeof block?.text === 'string' ? { ...block, text: rewrite(block.text) } : block))
        : content;
    if (Array.isArray(input.messages)) {
      edited.messages = input.messages.map((message: any) => ({ ...message, content: blocks(message?.content) }));
    }
    if (Array.isArray(input.system)) edited.system = blocks(input.system);
  }
  return edited;
}

/** Decodes an InvokeModel body (string or bytes) as JSON, or `undefined`. */
export function parseBody(body: unknown): Record<string, any> | undefined {
  try {
    const text =
      typeof body === 'string'
        ? body
        : body instanceof Uint8Array
          ? new TextDecoder().decode(body)
          : typeof (body as { transformToString?: unknown })?.transformToString === 'function'
            ? (body as { transformToString(): string }).transformToString()
            : undefined;
    if (text === undefined) return undefined;
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, any>) : undefined;
  } catch {
    return undefined;
  }
}

/** The text of a Converse input (`messages[].content[].text`, `system[].text`), for content rules. */
export function converseTexts(input: Input): string[] {
  const texts: string[] = [];
  const collect = (content: unknown) => {
    if (!Array.isArray(content)) return;
    for (const block of content) if (typeof block?.text === 'string') texts.push(block.text);
  };
  for (const message of Array.isArray(input.messages) ? input.messages : []) collect(message?.content);
  collect(input.system);
  return texts;
}

/**
 * The request text of an InvokeModel body, for content rules: `messages` (string content or `text`
 * blocks: Anthropic, Nova, Mistral chat, OpenAI-style), `system` (string or blocks), `prompt` (Llama,
 * Mistral, Cohere Command), `inputText` (Titan), Cohere Command R `message`, `chat_history[].message`
 * and `preamble`.
 */
export function invokeTexts(body: Record<string, any>): string[] {
  const texts: string[] = [];
  rewriteInvokeBody(body, (text) => {
    texts.push(text);
    return text;
  });
  return texts;
}

/**
 * A copy of an InvokeModel body with every text field `invokeTexts` reads passed through `rewrite`
 * (redaction). Fields GenOps does not read (tool schemas, documents, images) are kept as they are.
 */
export function rewriteInvokeBody(body: Record<string, any>, rewrite: (text: string) => string): Record<string, any> {
  const content = (value: unknown): unknown => {
    if (typeof value === 'string') return rewrite(value);
    if (!Array.isArray(value)) return value;
    return value.map((block) => {
      if (typeof block?.text === 'string') return { ...block, text: rewrite(block.text) };
      if (typeof block?.content === 'string' || Array.isArray(block?.content)) {
        return { ...block, content: content(block.content) };
      }
      return block;
    });
  };
  const edited: Record<string, any> = { ...body };
  if (Array.isArray(body.messages)) {
    edited.messages = body.messages.map((message: any) =>
      message && typeof message === 'object' ? { ...message, content: content(message.content) } : message,
    );
  }
  for (const key of ['system', 'prompt', 'inputText', 'message', 'preamble'] as const) {
    if (body[key] !== undefined) edited[key] = content(body[key]);
  }
  if (Array.isArray(body.chat_history)) {
    edited.chat_history = body.chat_history.map((turn: any) =>
      typeof turn?.message === 'string' ? { ...turn, message: rewrite(turn.message) } : turn,
    );
  }
  return edited;
}
