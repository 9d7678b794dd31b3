// Character tests shared by the detectors (ASCII only: every format they match is ASCII).

/** `0`–`9`. */
export function isDigitCode(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** `A`–`Z` or `a`–`z`. */
export function isLetterCode(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** A letter, a digit or `_`: a character that glues to a word on either side. */
export function isWordCode(code: number): boolean {
  return isDigitCode(code) || isLetterCode(code) || code === 95;
}

/** `true` when the character at `index` is a letter, digit or `_` (`false` outside the text). */
export function isWordAt(text: string, index: number): boolean {
  return index >= 0 && index < text.length && isWordCode(text.charCodeAt(index));
}

/** `true` when the character at `index` is a digit (`false` outside the text). */
export function isDigitAt(text: string, index: number): boolean {
  return index >= 0 && index < text.length && isDigitCode(text.charCodeAt(index));
}

/**
 * `true` when a number ending just before `start` or starting at `end` continues through a decimal or
 * thousands separator (`1.4111…`, `…1111,5`): the digits are then part of a larger number.
 */
export function continuesNumber(text: string, start: number, end: number): boolean {
  const before = text[start - 1];
  const after = text[end];
  return (
    ((before === '.' || before === ',') && isDigitAt(text, start - 2)) ||
    ((after === '.' || after === ',') && isDigitAt(text, end + 1))
  );
}

/**
 * `true` when the digits at `start`–`end` sit in a row of space-separated numbers (`12 415 555 2671 9`),
 * as in a table: a space-separated number there is more likely a column of figures than one value.
 */
export function inSpacedNumberRow(text: string, start: number, end: number): boolean {
  return (text[start - 1] === ' ' && isDigitAt(text, start - 2)) || (text[end] === ' ' && isDigitAt(text, end + 1));
}
