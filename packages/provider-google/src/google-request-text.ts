import type { RequestEdits } from '@genops/core/adapter';

type Params = Record<string, any>;

/**
 * Returns a copy of `generateContent` / `embedContent` parameters with every text sent to the model
 * replaced by `map(text)`: `contents` in each shape the SDK accepts (a string, a `Part`, a `Content`
 * `{role, parts}`, or an array of those) and `config.systemInstruction`. Objects on the path are
 * copied; the caller's parameters are never changed. Non-text parts (inline data, files, function
 * calls) pass through.
 */
export function mapGoogleRequestText(params: Params, map: (text: string) => string): Params {
  const out: Params = { ...params };
  if (params.contents !== undefined) out.contents = mapContents(params.contents, map);
  if (params.content !== undefined) out.content = mapContents(params.content, map);
  if (params.config && typeof params.config === 'object' && params.config.systemInstruction !== undefined) {
    out.config = { ...params.config, systemInstruction: mapContents(params.config.systemInstruction, map) };
  }
  return out;
}

/** The text parts of a request, in the order {@link mapGoogleRequestText} visits them. */
export function googleRequestTexts(params: Params): string[] {
  const texts: string[] = [];
  mapGoogleRequestText(params, (text) => {
    texts.push(text);
    return text;
  });
  return texts;
}

/** The parameters to send after governance: the downgraded model and redacted text, when asked for. */
export function applyGoogleEdits(params: Params, edits: RequestEdits): Params {
  let out = edits.text ? mapGoogleRequestText(params, edits.text) : params;
  if (edits.model !== undefined) out = { ...out, model: edits.model };
  return out;
}

function mapContents(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item) => mapContents(item, map));
  if (!value || typeof value !== 'object') return value;
  const record = value as Params;
  // A `Content`: `{ role?, parts: Part[] }`.
  if (Array.isArray(record.parts)) return { ...record, parts: record.parts.map((part) => mapContents(part, map)) };
  // A text `Part` (a thought summary the caller sends back is text too).
  if (typeof record.text === 'string') return { ...record, text: map(record.text) };
  return value;
}
