// The words before a national phone-shaped number that change its reading: an identifier label
// (`Order #`, `SKU:`, `Invoice No.`) makes it an id, a phone keyword (`phone`, `tel`) lets ten bare
// digits count. Read backwards from the number over at most `LOOKBEHIND` characters, with no slice and
// no expression per number: the same answers as the expressions kept in `phone-context.test.ts`
// (`ID_LABEL` and `PHONE_KEYWORD` there, run on the 32 characters before the number), which a test
// compares on random text.
import { isDigitCode, isLetterCode, isWordCode } from './chars';

/** How far back the words are looked for. */
export const LOOKBEHIND = 32;

/** The longest word of either list. */
const LONGEST_WORD = 12;

/** Words by length (lower case), compared in place. */
function byLength(words: string): readonly (readonly string[])[] {
  const lists: string[][] = Array.from({ length: LONGEST_WORD + 1 }, () => []);
  for (const word of words.split(' ')) lists[word.length]!.push(word);
  return lists;
}
const ID_LABELS = byLength(
  'order invoice inv sku po ref reference ticket case tracking serial part item id acct account confirmation booking transaction txn',
);
const PHONE_KEYWORDS = byLength('phone tel telephone mobile cell cellphone call fax sms text whatsapp contact reach');

/** `true` when `text` from `start` is `word` (lower case), ASCII letters compared case-insensitively. */
function isAt(text: string, start: number, word: string): boolean {
  for (let index = 0; index < word.length; index++) {
    if ((text.charCodeAt(start + index) | 32) !== word.charCodeAt(index)) return false;
  }
  return true;
}

/** `\s` of JavaScript expressions. */
function isSpaceCode(code: number): boolean {
  if (code < 128) return code === 32 || (code >= 9 && code <= 13);
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/**
 * The word of `words` that ends at `end` and starts at a word boundary no earlier than `from` (the
 * start of the looked-at window counts as one), compared case-insensitively: `true` when there is one.
 */
function wordEndsAt(text: string, from: number, end: number, words: readonly (readonly string[])[]): boolean {
  let start = end;
  while (start > from && end - start <= LONGEST_WORD && isLetterCode(text.charCodeAt(start - 1))) start--;
  if (start === end || end - start > LONGEST_WORD) return false;
  // A boundary before the word: the window's start, or a character that is not a letter, digit or `_`.
  if (start > from && isWordCode(text.charCodeAt(start - 1))) return false;
  for (const word of words[end - start]!) if (isAt(text, start, word)) return true;
  return false;
}

/**
 * `true` when the text before `end` ends with an identifier label: a label word, then optionally
 * `no`, `no.`, `num`, `num.`, `number`, `number.` or `#`, then optionally `:`, `#` or `.`, with any
 * white space between them (`ID_LABEL`: `\b(?:order|…|txn)\s*(?:no\.?|num(?:ber)?\.?|#)?\s*[:#.]?\s*$`).
 *
 * Read backwards: after the trailing white space (at `last`), a label or a number word ends there or,
 * past one `:`, `#` or `.` and more white space, at `beforeMark`; a number word is followed back by
 * white space and a label. Only those few positions can end a label (every other one has white space
 * right before it).
 */
export function endsWithIdLabel(text: string, end: number): boolean {
  const from = Math.max(0, end - LOOKBEHIND);
  const last = skipSpaces(text, from, end);
  if (labelOrNumberWordEndsAt(text, from, last)) return true;
  if (last === from) return false;
  const code = text.charCodeAt(last - 1);
  if (code !== 58 && code !== 35 && code !== 46) return false;
  return labelOrNumberWordEndsAt(text, from, skipSpaces(text, from, last - 1));
}

/** The position before the white space that ends at `end` (not before `from`). */
function skipSpaces(text: string, from: number, end: number): number {
  let position = end;
  while (position > from && isSpaceCode(text.charCodeAt(position - 1))) position--;
  return position;
}

/**
 * A label ends at `end`, or a number word (`no`, `no.`, `num`, `num.`, `number`, `number.`, `#`) ends
 * there with white space and a label before it.
 */
function labelOrNumberWordEndsAt(text: string, from: number, end: number): boolean {
  if (end === from) return false;
  if (wordEndsAt(text, from, end, ID_LABELS)) return true;
  const code = text.charCodeAt(end - 1);
  if (code === 35) return wordEndsAt(text, from, skipSpaces(text, from, end - 1), ID_LABELS);
  const wordEnd = code === 46 ? end - 1 : end;
  // By its last letter: `no`, `num` or `number`.
  const letter = text.charCodeAt(wordEnd - 1) | 32;
  const word = letter === 111 ? 'no' : letter === 109 ? 'num' : letter === 114 ? 'number' : undefined;
  if (word === undefined) return false;
  const start = wordEnd - word.length;
  return start >= from && isAt(text, start, word) && wordEndsAt(text, from, skipSpaces(text, from, start), ID_LABELS);
}

/**
 * `true` when a phone keyword ends within 16 characters before `end`, with neither a digit nor a line
 * break after it (`PHONE_KEYWORD`: `\b(?:phone|…|reach)\b[^\d\n]{0,16}$`).
 */
export function endsWithPhoneKeyword(text: string, end: number): boolean {
  const from = Math.max(0, end - LOOKBEHIND);
  for (let position = end; position >= from && end - position <= 16; position--) {
    // The keyword ends at `position`: a boundary after it (the window's end counts as one).
    if (position < end) {
      const code = text.charCodeAt(position);
      if (isDigitCode(code) || code === 10) return false;
      if (isWordCode(code)) continue;
    }
    if (
      position > from &&
      isLetterCode(text.charCodeAt(position - 1)) &&
      wordEndsAt(text, from, position, PHONE_KEYWORDS)
    )
      return true;
  }
  return false;
}
