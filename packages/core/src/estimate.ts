/**
 * An upper bound of the tokens in a request's input, for the worst-case reservation.
 *
 * Every token a tokenizer emits covers at least one byte of the text, so the UTF-8 length of the
 * request's JSON (text plus the keys and punctuation that stand in for per-message framing tokens)
 * bounds the input tokens from above. It over-estimates ordinary English about 4×; the difference
 * is released when the call settles with real usage.
 */
export function estimateInputTokens(input: unknown): number {
  if (input === undefined || input === null) return 0;
  if (typeof input === 'string') return Buffer.byteLength(input, 'utf8') + 8;
  let json: string | undefined;
  try {
    json = JSON.stringify(input);
  } catch {
    json = undefined;
  }
  return json === undefined ? 0 : Buffer.byteLength(json, 'utf8') + 8;
}
