import type { LanguageModelV4, LanguageModelV4CallOptions, LanguageModelV4Prompt } from '@ai-sdk/provider';
import type { RequestEdits } from '@genops/core/adapter';
import type { VercelLanguageModel } from './types';

type Rewrite = (text: string) => string;

/**
 * Every text of a V4 prompt, in order: the system message, text parts, reasoning, inline text files,
 * tool-call inputs and tool results (text, JSON strings, text content parts). Content rules read these.
 */
export function vercelPromptTexts(prompt: LanguageModelV4Prompt): string[] {
  const texts: string[] = [];
  mapPromptText(prompt, (text) => {
    texts.push(text);
    return text;
  });
  return texts;
}

/**
 * A copy of `prompt` with every text {@link vercelPromptTexts} reads rewritten by `rewrite` (redaction):
 * the same texts, so a finding in any of them is gone from what is sent. The caller's prompt is not changed.
 */
export function mapPromptText(prompt: LanguageModelV4Prompt, rewrite: Rewrite): LanguageModelV4Prompt {
  return prompt.map((message) => {
    if (message.role === 'system') return { ...message, content: rewrite(message.content) };
    return { ...message, content: message.content.map((part) => mapPart(part, rewrite)) } as typeof message;
  });
}

function mapPart<T extends { type: string }>(part: T, rewrite: Rewrite): T {
  const value = part as unknown as Record<string, any>;
  switch (part.type) {
    case 'text':
    case 'reasoning':
      return typeof value.text === 'string' ? ({ ...part, text: rewrite(value.text) } as T) : part;
    case 'file':
      // Only inline text documents carry text; bytes, URLs and provider references are left as they are.
      return value.data?.type === 'text' && typeof value.data.text === 'string'
        ? ({ ...part, data: { ...value.data, text: rewrite(value.data.text) } } as T)
        : part;
    case 'tool-call':
      return { ...part, input: mapStrings(value.input, rewrite) } as T;
    case 'tool-result':
      return { ...part, output: mapToolOutput(value.output, rewrite) } as T;
    default:
      return part;
  }
}

function mapToolOutput(output: any, rewrite: Rewrite): unknown {
  if (!output || typeof output !== 'object') return output;
  switch (output.type) {
    case 'text':
    case 'error-text':
      return typeof output.value === 'string' ? { ...output, value: rewrite(output.value) } : output;
    case 'json':
    case 'error-json':
      return { ...output, value: mapStrings(output.value, rewrite) };
    case 'content':
      return Array.isArray(output.value)
        ? {
            ...output,
            value: output.value.map((item: any) =>
              item?.type === 'text' && typeof item.text === 'string' ? { ...item, text: rewrite(item.text) } : item,
            ),
          }
        : output;
    default:
      return output;
  }
}

/** Every string in a JSON-like value (tool inputs and JSON results). */
function mapStrings(value: unknown, rewrite: Rewrite): unknown {
  if (typeof value === 'string') return rewrite(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, rewrite));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) out[key] = mapStrings(member, rewrite);
    return out;
  }
  return value;
}

/** One language-model call as the middleware sends it: the model (the next layer) and its params. */
export interface VercelModelCall {
  model: LanguageModelV4;
  params: LanguageModelV4CallOptions;
}

/**
 * What to call instead when the core asked for changes: the same model (or the downgraded one from
 * `modelFor`) with the redacted prompt. Returns `input` itself when the request goes out as written.
 * @throws Error when the call was downgraded and `modelFor` returns no model for the cheaper id.
 */
export function applyVercelEdits(
  input: VercelModelCall,
  edits: RequestEdits,
  modelFor: ((modelId: string) => VercelLanguageModel | undefined) | undefined,
): VercelModelCall {
  if (!edits.text && !edits.model) return input;
  let target = input.model;
  if (edits.model && edits.model !== input.model.modelId) {
    const downgraded = modelFor?.(edits.model);
    if (!downgraded)
      throw new Error(
        `genops: the call was downgraded to "${edits.model}", but modelFor() returned no model for it. Return a model for every budget's downgradeTo id.`,
      );
    target = downgraded as LanguageModelV4;
  }
  const rewrite = edits.text;
  const params = rewrite ? { ...input.params, prompt: mapPromptText(input.params.prompt, rewrite) } : input.params;
  return { model: target, params };
}

/** The embedding values with redaction applied (`edits.text`); `values` itself when nothing is rewritten. */
export function applyVercelEmbeddingEdits<Params extends { values: unknown }>(
  params: Params,
  edits: RequestEdits,
): Params {
  const rewrite = edits.text;
  if (!rewrite) return params;
  const values = Array.isArray(params.values) ? (params.values as string[]) : [];
  return { ...params, values: values.map(rewrite) };
}
