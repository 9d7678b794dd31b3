/**
 * An upper bound of the tokens in a request's input, for the worst-case reservation.
 *
 * Every token a tokenizer emits covers at least one byte of the text, so the UTF-8 length of the
 * request's JSON (text plus the keys and punctuation that stand in for per-message framing tokens)
 * bounds the input tokens from above. It over-estimates ordinary English about 4×; the difference
 * is released when the call settles with real usage.
 *
 * The length is counted without building the JSON (a walk over the value and a char-code loop over
 * its strings, no allocation per character): for strings, numbers, booleans, `null`, arrays and plain
 * objects it is exactly `Buffer.byteLength(JSON.stringify(input)) + 8`. Anything else (an object with
 * `toJSON`, a class instance, a boxed primitive, a BigInt, a structure deeper than 64 levels or with a
 * cycle) is measured through `JSON.stringify` itself, as before.
 */
export function estimateInputTokens(input: unknown): number {
  if (input === undefined || input === null) return 0;
  if (typeof input === 'string') return Buffer.byteLength(input, 'utf8') + 8;
  let bytes: number;
  try {
    bytes = jsonBytes(input, 0);
  } catch {
    // A getter threw: JSON.stringify would throw too (and the estimate is 0, as it always was).
    bytes = UNMEASURED;
  }
  return bytes === UNMEASURED ? stringifiedBytes(input) : bytes === SKIPPED ? 0 : bytes + 8;
}

/** The value has no JSON form of its own (`undefined`, a function, a symbol): JSON.stringify leaves it out. */
const SKIPPED = -1;
/** The walk cannot count this value exactly: measure it through JSON.stringify. */
const UNMEASURED = -2;
/** Nesting the walk follows before it hands the value to JSON.stringify (which also detects cycles). */
const MAX_DEPTH = 64;

function stringifiedBytes(input: unknown): number {
  let json: string | undefined;
  try {
    json = JSON.stringify(input);
  } catch {
    json = undefined;
  }
  return json === undefined ? 0 : Buffer.byteLength(json, 'utf8') + 8;
}

/** UTF-8 bytes of `JSON.stringify(value)`, {@link SKIPPED} or {@link UNMEASURED}. */
function jsonBytes(value: unknown, depth: number): number {
  switch (typeof value) {
    case 'string':
      return quotedBytes(value);
    case 'number':
      return Number.isFinite(value) ? numberBytes(value as number) : 4; // `null`
    case 'boolean':
      return value ? 4 : 5;
    case 'undefined':
    case 'function':
    case 'symbol':
      return SKIPPED;
    case 'bigint':
      return UNMEASURED;
  }
  if (value === null) return 4;
  if (depth >= MAX_DEPTH) return UNMEASURED;
  const object = value as Record<string, unknown>;
  if (Array.isArray(object)) {
    if (Object.getPrototypeOf(object) !== Array.prototype) return UNMEASURED;
    const array = object as unknown[];
    // `[` `]` and a comma between elements; a skipped element is `null`.
    let total = array.length > 0 ? array.length + 1 : 2;
    for (let index = 0; index < array.length; index++) {
      const bytes = jsonBytes(array[index], depth + 1);
      if (bytes === UNMEASURED) return UNMEASURED;
      total += bytes === SKIPPED ? 4 : bytes;
    }
    return total;
  }
  const prototype = Object.getPrototypeOf(object);
  if ((prototype !== Object.prototype && prototype !== null) || typeof object.toJSON === 'function') return UNMEASURED;
  // `{` `}`, and per member its quoted key, `:` and a comma between members.
  let total = 2;
  let members = 0;
  for (const key in object) {
    // A property inherited from Object.prototype (set by someone) is counted though JSON.stringify skips
    // it: the bound may then be higher, never lower.
    const bytes = jsonBytes(object[key], depth + 1);
    if (bytes === UNMEASURED) return UNMEASURED;
    if (bytes === SKIPPED) continue;
    total += quotedBytes(key) + 1 + bytes;
    members++;
  }
  return members > 1 ? total + members - 1 : total;
}

/** UTF-8 bytes of `JSON.stringify(text)`: quotes, escapes, and lone surrogates as `\uXXXX`. */
function quotedBytes(text: string): number {
  let total = 2;
  const length = text.length;
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) {
      if (code >= 0x20) total += code === 0x22 || code === 0x5c ? 2 : 1;
      // \b \t \n \f \r are two bytes; other control characters are `\u00XX`.
      else total += code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d ? 2 : 6;
    } else if (code < 0x800) total += 2;
    else if (code >= 0xd800 && code <= 0xdfff) {
      const next = code <= 0xdbff && index + 1 < length ? text.charCodeAt(index + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        total += 4;
        index++;
      } else total += 6; // a lone surrogate: JSON.stringify writes `\udXXX`
    } else total += 3;
  }
  return total;
}

function numberBytes(value: number): number {
  // Small integers (most numbers in a request: token caps, indexes) without building their text.
  if (Number.isInteger(value) && value > -1e9 && value < 1e9) {
    if (value === 0) return 1; // -0 is written `0`
    let digits = value < 0 ? 1 : 0;
    for (let rest = Math.abs(value); rest >= 1; rest = Math.floor(rest / 10)) digits++;
    return digits;
  }
  return String(value).length;
}
