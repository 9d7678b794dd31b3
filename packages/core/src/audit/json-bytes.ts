// A JSON writer into one reused byte buffer, for the records every governed call writes (call-records.ts):
// the record body is written byte by byte (ASCII, the common case, without any call into the engine's
// serialiser or a string per member) and read back as ONE string, the text the store hashes and keeps. A
// record made of concatenated pieces allocates a string per piece and per join (more than twice its size);
// `JSON.stringify` of the record walks its members in C++ and costs several µs per record in a busy process.
import { Buffer } from 'node:buffer';

let bytes: Buffer = Buffer.allocUnsafeSlow(4_096);
let length = 0;
/** Whether every byte written since {@link startJson} is ASCII (the text is then read back as Latin-1). */
let ascii = true;

/** `Buffer#utf8Write` (what `write(text, offset, 'utf8')` ends in, without its argument checks) when present. */
const utf8Write: (buffer: Buffer, text: string, offset: number) => number =
  typeof (Buffer.prototype as { utf8Write?: unknown }).utf8Write === 'function'
    ? (buffer, text, offset) =>
        (buffer as unknown as { utf8Write(text: string, offset: number): number }).utf8Write(text, offset)
    : (buffer, text, offset) => buffer.write(text, offset, 'utf8');

type Slice = (buffer: Buffer, start: number, end: number) => string;
interface Slices {
  latin1Slice?: (start: number, end: number) => string;
  utf8Slice?: (start: number, end: number) => string;
}
/** `Buffer#latin1Slice` and `#utf8Slice` (what `toString(encoding, start, end)` ends in) when present. */
const latin1Slice: Slice =
  typeof (Buffer.prototype as Slices).latin1Slice === 'function'
    ? (buffer, start, end) => (buffer as unknown as Required<Slices>).latin1Slice(start, end)
    : (buffer, start, end) => buffer.toString('latin1', start, end);
const utf8Slice: Slice =
  typeof (Buffer.prototype as Slices).utf8Slice === 'function'
    ? (buffer, start, end) => (buffer as unknown as Required<Slices>).utf8Slice(start, end)
    : (buffer, start, end) => buffer.toString('utf8', start, end);

/** Room for `more` bytes after what is written. */
function reserve(more: number): void {
  if (length + more <= bytes.length) return;
  const grown = Buffer.allocUnsafeSlow(Math.max(length + more, bytes.length * 2));
  bytes.copy(grown, 0, 0, length);
  bytes = grown;
}

/** Starts a text (what was written before is dropped). Not re-entrant: one text at a time. */
export function startJson(): void {
  length = 0;
  ascii = true;
}

/** The text written since {@link startJson}, as one string. */
export function endJson(): string {
  return ascii ? latin1Slice(bytes, 0, length) : utf8Slice(bytes, 0, length);
}

/** Writes `text` as it is. Only for ASCII text that needs no escape in JSON (keys, punctuation, number text). */
export function writeRaw(text: string): void {
  reserve(text.length);
  const target = bytes;
  let at = length;
  for (let index = 0; index < text.length; index++) target[at++] = text.charCodeAt(index);
  length = at;
}

/** Writes `value` as a JSON string: the text in quotes, escaped exactly as `JSON.stringify` escapes it. */
export function writeString(value: string): void {
  reserve(value.length + 2);
  const target = bytes;
  const start = length;
  let at = start;
  target[at++] = 0x22;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code === 0x22 || code === 0x5c || code >= 0x7f) {
      // Escapes, or a character that is not ASCII: written as `JSON.stringify` writes it (lone surrogates
      // escaped, anything else UTF-8 encoded).
      length = start;
      const escaped = JSON.stringify(value);
      reserve(escaped.length * 3);
      length += utf8Write(bytes, escaped, length);
      ascii = false;
      return;
    }
    target[at++] = code;
  }
  target[at++] = 0x22;
  length = at;
}

/**
 * Writes a finite number as `JSON.stringify` writes it (`-0` as `0`). Safe integers (amounts in nano-USD,
 * token counts, timestamps, seqs) are written digit by digit, without making their text.
 */
export function writeNumber(value: number): void {
  if (!Number.isSafeInteger(value)) {
    writeRaw(`${value}`);
    return;
  }
  let rest = value;
  reserve(17);
  if (rest < 0) {
    bytes[length++] = 0x2d;
    rest = -rest;
  }
  let digits = 1;
  for (let power = 10; power <= rest; power *= 10) digits++;
  const target = bytes;
  let at = length + digits;
  length = at;
  do {
    const next = Math.floor(rest / 10);
    target[--at] = 0x30 + (rest - next * 10);
    rest = next;
  } while (rest > 0);
}

/** Writes `true` or `false`. */
export function writeBoolean(value: boolean): void {
  writeRaw(value ? 'true' : 'false');
}
