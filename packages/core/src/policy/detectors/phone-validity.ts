// Validity of a national (significant) number for a calling code, decided from libphonenumber-js's own
// full metadata with every regular expression compiled once.
//
// libphonenumber-js builds `new RegExp('^(?:' + pattern + ')$')` on every check it makes (its
// `matchesEntirely`), and allocates metadata wrappers per call: ~15–20 µs per number, which made the
// phone detector cost a fixed ~20 ms per text (it capped validations at 1,000) and report candidates past
// the cap unvalidated. This is the same decision, in the same order, as libphonenumber-js 1.13's
// `getCountryByCallingCode` (the first country of the calling code whose leading digits, or else whose
// number types, match) followed by `isValid` (the number matches the country's national pattern and one
// of its number types): well under a microsecond per number. `phone.test.ts` checks it against
// libphonenumber's own verdict on random numbers of every shape the detector validates this way, so an
// upgrade of libphonenumber-js that changes these rules fails that test rather than drifting silently.
import { Metadata } from 'libphonenumber-js/core';
import metadataJson from 'libphonenumber-js/max/metadata';
import { isDigitCode } from './chars';
import { compileDigitPatterns, type DigitAutomaton, matchDigits, matchPrefixes } from './phone-automaton';

/** The number types `getNumberType` tries (fixed line first), as libphonenumber-js names them. */
const TYPES = [
  'FIXED_LINE',
  'MOBILE',
  'PREMIUM_RATE',
  'TOLL_FREE',
  'SHARED_COST',
  'VOIP',
  'PERSONAL_NUMBER',
  'PAGER',
  'UAN',
  'VOICEMAIL',
] as const;

/** The part of libphonenumber-js's runtime `Metadata` read here (its typings declare less of it). */
interface RuntimeMetadata {
  selectNumberingPlan(countryOrCallingCode: string): void;
  hasCallingCode(callingCode: string): boolean;
  isNonGeographicCallingCode(callingCode: string): boolean;
  nationalPrefixForParsing(): string | undefined;
  nationalPrefixTransformRule(): string | undefined;
  possibleLengths(): number[] | undefined;
  getCountryCodesForCallingCode(callingCode: string): string[] | undefined;
  leadingDigits(): string | undefined;
  nationalNumberPattern(): string;
  hasTypes(): boolean;
  type(name: string): { pattern(): string; possibleLengths(): number[] | undefined } | undefined;
}

/** One country's validity rules, compiled. */
interface CountryRules {
  readonly country: string;
  /** Anchored at the start: `nationalNumber.search(leadingDigits) === 0` in libphonenumber-js. */
  readonly leadingDigits: RegExp | undefined;
  readonly leadingPattern: string | undefined;
  readonly national: RegExp;
  readonly nationalPattern: string;
  /**
   * The national pattern (bit 0) and the type patterns (bit 1 + their index) as one automaton, built on
   * first use (`null`: a pattern it does not support; the expressions are used).
   */
  automaton: DigitAutomaton | null | undefined;
  /** The leading digits as an automaton, built on first use (`null`: none, or use the expression). */
  leadingAutomaton: DigitAutomaton | null | undefined;
  /** By number length: the bits of the types that length can be, computed on first use. */
  readonly typeBits: number[];
  /** The country's possible national number lengths, ascending. */
  readonly possibleLengths: readonly number[] | undefined;
  /** The type patterns and their possible lengths; `undefined` when the country has no number types. */
  readonly types: readonly { readonly pattern: string; readonly lengths: readonly number[] | undefined }[] | undefined;
  /**
   * By number length, the types that length can be, as one expression (`null`: none), built on first
   * use. `^(?:A|B)$` matches exactly when `^(?:A)$` or `^(?:B)$` does (a pattern with a backreference,
   * which the alternation would renumber, is never joined: see `joinable`).
   */
  readonly typesByLength: Map<number, RegExp | null>;
}

const whole = (pattern: string): RegExp => new RegExp(`^(?:${pattern})$`);
/** A backreference (`\1`) would change meaning once the pattern sits in an alternation. */
const joinable = (pattern: string): boolean => !/\\[1-9]/.test(pattern);

function compileCountry(metadata: RuntimeMetadata, country: string): CountryRules {
  metadata.selectNumberingPlan(country);
  const leadingDigits = metadata.leadingDigits();
  let types: CountryRules['types'];
  if (metadata.hasTypes()) {
    const list: { pattern: string; lengths: readonly number[] | undefined }[] = [];
    for (const name of TYPES) {
      const type = metadata.type(name);
      const pattern = type?.pattern();
      // An empty pattern marks a type removed as a duplicate of the fixed-line one: never matched.
      if (type === undefined || !pattern) continue;
      list.push({ pattern, lengths: type.possibleLengths() });
    }
    types = list;
  }
  const nationalPattern = metadata.nationalNumberPattern();
  return {
    country,
    leadingDigits: leadingDigits ? new RegExp(`^(?:${leadingDigits})`) : undefined,
    leadingPattern: leadingDigits || undefined,
    national: whole(nationalPattern),
    nationalPattern,
    automaton: undefined,
    leadingAutomaton: undefined,
    typeBits: [],
    possibleLengths: metadata.possibleLengths(),
    types,
    typesByLength: new Map(),
  };
}

/**
 * The digits of the number being judged, as ASCII codes (`0` is 48), read in place: every function below
 * takes a national or international number as a range `from`–`to` of this buffer, so a candidate costs
 * no string (a string is made only for the rare expression used instead of an automaton).
 */
const DIGITS = new Uint8Array(128);

/** The digits `from`–`to` as a string, for an expression. */
function digitString(from: number, to: number): string {
  return String.fromCharCode.apply(null, DIGITS.subarray(from, to) as unknown as number[]);
}

/**
 * `^(?:leading digits)` matches the number: read by an automaton of the country's leading-digits
 * pattern, built on first use (the expression for a pattern outside its subset).
 */
function leads(rules: CountryRules, from: number, to: number): boolean {
  if (rules.leadingAutomaton === undefined)
    rules.leadingAutomaton =
      rules.leadingPattern === undefined ? null : (compileDigitPatterns([rules.leadingPattern]) ?? null);
  const claims = rules.leadingAutomaton === null ? undefined : matchPrefixes(rules.leadingAutomaton, DIGITS, from, to);
  return claims === undefined ? rules.leadingDigits!.test(digitString(from, to)) : claims !== 0;
}

/** The accept mask of the number in the country's automaton, or `undefined` (use the expressions). */
function digitMask(rules: CountryRules, from: number, to: number): number | undefined {
  if (rules.automaton === undefined)
    rules.automaton =
      compileDigitPatterns([rules.nationalPattern, ...(rules.types ?? []).map((type) => type.pattern)]) ?? null;
  return rules.automaton === null ? undefined : matchDigits(rules.automaton, DIGITS, from, to);
}

/** The automaton's bits of the types a number of `length` digits can be (their possible lengths). */
function typeBitsAt(rules: CountryRules, length: number): number {
  let bits = rules.typeBits[length];
  if (bits === undefined) {
    bits = 0;
    for (const [index, type] of (rules.types ?? []).entries())
      if (!type.lengths || type.lengths.includes(length)) bits |= 1 << (index + 1);
    rules.typeBits[length] = bits;
  }
  return bits;
}

/** The number matches the country's national pattern. */
function matchesNational(rules: CountryRules, from: number, to: number): boolean {
  const mask = digitMask(rules, from, to);
  return mask === undefined ? rules.national.test(digitString(from, to)) : (mask & 1) !== 0;
}

/** `getNumberType(...) !== undefined` in libphonenumber-js. */
function hasType(rules: CountryRules, from: number, to: number): boolean {
  if (!rules.types) return false;
  const mask = digitMask(rules, from, to);
  if (mask !== undefined) return (mask & 1) !== 0 && (mask & typeBitsAt(rules, to - from)) !== 0;
  const nationalNumber = digitString(from, to);
  if (!rules.national.test(nationalNumber)) return false;
  const length = nationalNumber.length;
  let joined = rules.typesByLength.get(length);
  if (joined === undefined) {
    const patterns = rules.types.filter((type) => !type.lengths || type.lengths.includes(length));
    if (!patterns.every((type) => joinable(type.pattern)))
      return patterns.some((type) => whole(type.pattern).test(nationalNumber));
    joined = patterns.length === 0 ? null : whole(patterns.map((type) => `(?:${type.pattern})`).join('|'));
    rules.typesByLength.set(length, joined);
  }
  return joined?.test(nationalNumber) === true;
}

/** `isValid` for a number already assigned to this country. */
function isValidFor(rules: CountryRules, from: number, to: number): boolean {
  return rules.types ? hasType(rules, from, to) : matchesNational(rules, from, to);
}

/**
 * The country libphonenumber-js's `getCountryByCallingCode` assigns a national number of these
 * countries to: the only one, or the first whose leading digits match or else whose types do.
 */
function claimant(countries: readonly CountryRules[], from: number, to: number): CountryRules | undefined {
  if (countries.length === 1) return countries[0];
  for (const country of countries) {
    if (country.leadingDigits) {
      if (leads(country, from, to)) return country;
    } else if (hasType(country, from, to)) return country;
  }
  return undefined;
}

/**
 * A compiled validity test for national numbers of `callingCode` (the digits `from`–`to` of the shared
 * buffer), whose countries (the first is the calling code's main country) are tried in libphonenumber-js's
 * order. A number no country claims is judged by `fallbackCountry`'s rules (the parse's default country),
 * or is invalid without one.
 */
function compileNationalValidity(callingCode: string, fallbackCountry?: string): (from: number, to: number) => boolean {
  const metadata = new Metadata(metadataJson) as unknown as RuntimeMetadata;
  const countries = (metadata.getCountryCodesForCallingCode(callingCode) ?? []).map((country) =>
    compileCountry(metadata, country),
  );
  const fallback = fallbackCountry === undefined ? undefined : compileCountry(metadata, fallbackCountry);
  if (countries.length === 1) return (from, to) => isValidFor(countries[0]!, from, to);
  const claimByType = countries.filter((country) => !country.leadingDigits);
  const leading = countries.flatMap((country) => (country.leadingDigits ? [country.leadingDigits.source] : []));
  // Does any country claim the number by its leading digits? Usually not: then only the countries
  // without leading digits can claim it (by type), and they are tried alone.
  // (Anchored as a whole, so the engine tries the start only, not every position of the number.)
  const anyLeading = leading.length === 0 ? undefined : new RegExp(`^(?:${leading.join('|')})`);
  // The fallback country already failed its types when it is one of those (and has types).
  const fallbackTried =
    fallback?.types !== undefined && claimByType.some((country) => country.country === fallback.country);
  const unclaimed = (from: number, to: number): boolean =>
    fallback !== undefined && !fallbackTried && isValidFor(fallback, from, to);
  // The leading digits of every country as one automaton read over the number's prefixes: bit `i` of
  // its mask when the `i`-th country with leading digits claims the number (by `bits`, in order).
  const withLeading = countries.filter((country) => country.leadingPattern !== undefined);
  const leadingAutomaton =
    withLeading.length > 0 && withLeading.length <= 30
      ? compileDigitPatterns(withLeading.map((country) => country.leadingPattern!))
      : undefined;
  const bits = countries.map((country) => {
    const index = withLeading.indexOf(country);
    return index === -1 ? 0 : 1 << index;
  });
  // The countries that claim a number by type, read together: their national and type patterns as one
  // automaton (country `i`'s from bit `offsets[i]`, in the layout of its own), so the number is read
  // once for all of them rather than once per country (GB, GG and JE for +44; US and CA for +1).
  const typed = claimByType.filter((country) => country.types !== undefined);
  const offsets: number[] = [];
  const patterns: string[] = [];
  for (const country of typed) {
    offsets.push(patterns.length);
    patterns.push(country.nationalPattern, ...country.types!.map((type) => type.pattern));
  }
  const typedAutomaton = typed.length > 1 && patterns.length <= 30 ? compileDigitPatterns(patterns) : undefined;
  /** Some country without leading digits claims the number by its type. */
  const anyByType = (from: number, to: number): boolean => {
    const mask = typedAutomaton === undefined ? undefined : matchDigits(typedAutomaton, DIGITS, from, to);
    if (mask === undefined) {
      for (const country of claimByType) if (hasType(country, from, to)) return true;
      return false;
    }
    for (let index = 0; index < typed.length; index++) {
      const own = mask >>> offsets[index]!;
      if ((own & 1) !== 0 && (own & typeBitsAt(typed[index]!, to - from)) !== 0) return true;
    }
    return false;
  };
  return (from, to) => {
    const claims = leadingAutomaton === undefined ? undefined : matchPrefixes(leadingAutomaton, DIGITS, from, to);
    if (claims !== undefined) {
      if (claims === 0) return anyByType(from, to) || unclaimed(from, to);
      for (const [index, country] of countries.entries()) {
        if (bits[index] !== 0) {
          if ((claims & bits[index]!) !== 0) return isValidFor(country, from, to);
        } else if (hasType(country, from, to)) return true;
      }
      return unclaimed(from, to);
    }
    if (anyLeading === undefined || !anyLeading.test(digitString(from, to)))
      return anyByType(from, to) || unclaimed(from, to);
    for (const country of countries) {
      if (country.leadingDigits) {
        if (leads(country, from, to)) return isValidFor(country, from, to);
      } else if (hasType(country, from, to)) return true;
    }
    return unclaimed(from, to);
  };
}

/** {@link compiledVerdict}'s answer for a candidate it does not decide: ask libphonenumber. */
export const UNDECIDED = -1;
/** The default country of the phone detector's parse: national numbers are read as US numbers. */
const DEFAULT_COUNTRY = 'US';
/** An extension at the end of a candidate, as the detector's shape reads it (`ext. 12`, `x12`). */
const EXTENSION = /[ ]?(?:ext\.?|extension|x)[ ]?\d{1,6}$/i;

let northAmerican: ((from: number, to: number) => boolean) | undefined;
let runtime: RuntimeMetadata | undefined;

/**
 * What libphonenumber-js's `findPhoneNumbersInText(candidate, { defaultCountry: 'US' })` says about the
 * start of a phone-shaped candidate: the length of the valid number starting at 0, or `undefined` when
 * there is none; {@link UNDECIDED} for a shape this does not reproduce (see {@link verdictAt}, which this
 * calls with the extension found by an expression; the detector's scanner knows it already).
 */
export function compiledVerdict(candidate: string, withExtension = true): number | undefined {
  // (`withExtension: false`: the caller knows there is none, and the search is skipped.)
  const extension = withExtension ? EXTENSION.exec(candidate) : null;
  return verdictAt(candidate, 0, extension === null ? candidate.length : extension.index, candidate.length);
}

/**
 * {@link compiledVerdict} for the candidate `text[start..end)`, read in place, whose number ends at
 * `numberEnd` (an extension follows when `numberEnd < end`). Decided here:
 *
 * - North American numbers (`(415) 555-2671`, `1-415-555-2671`, `4155552671`, `415-555-2671 ext. 12`):
 *   the 10-digit national number (a leading `1` is the national prefix) against calling code 1's
 *   countries; an extension is part of a valid number. A national number starting with 0 or 1 is not
 *   valid (unless it starts with 011, read as an international number: left to libphonenumber).
 * - International numbers (`+44 20 7946 0958`, `+49-30-1234567`, `+44 (0)20 7946 0958`): the calling
 *   code (the shortest prefix of 1–3 digits that is one), a national prefix stripped as libphonenumber
 *   strips it, then the rest against that code's countries. When the whole number is not valid,
 *   libphonenumber tries parts of it (its "inner matches": the part before the first dot, the parts
 *   after dots, the part before the first space): so does this.
 *
 * Left to libphonenumber ({@link UNDECIDED}): an international number not valid as a whole and with a
 * dot and an extension, with a national prefix rule that rewrites the number, or not valid as a whole and written
 * with a dot and a parenthesis or with a part after a dot that starts with 011; two groups in
 * parentheses; a North-American-shaped number starting with the international prefix 011.
 */
export function verdictAt(text: string, start: number, numberEnd: number, end: number): number | undefined {
  if (numberEnd < end) {
    const base = numberVerdict(text, start, numberEnd);
    // A number valid as a whole is valid with its extension. A North American number that is not is
    // not. An international one is then searched for parts: without a dot in the number, the same
    // parts start at 0 as without the extension (the part before the first dot, `ext.`'s, holds the
    // whole number, not valid; the first space is the number's, or the part before it is the whole
    // number), so its verdict is the number's. With a dot, that is left to libphonenumber.
    if (base === numberEnd - start) return end - start;
    if (text.charCodeAt(start) !== 43) return base === undefined ? undefined : UNDECIDED;
    return base !== UNDECIDED && text.lastIndexOf('.', numberEnd - 1) < start ? base : UNDECIDED;
  }
  return numberVerdict(text, start, end);
}

function numberVerdict(text: string, start: number, end: number): number | undefined {
  if (end - start > DIGITS.length) return UNDECIDED;
  if (text.charCodeAt(start) === 43) return international(text, start, end);
  let count = 0;
  for (let index = start; index < end; index++) {
    const code = text.charCodeAt(index);
    if (isDigitCode(code)) DIGITS[count++] = code;
    // The separators of the North American shapes.
    else if (code !== 32 && code !== 45 && code !== 46 && code !== 40 && code !== 41) return UNDECIDED;
  }
  let from = 0;
  if (count === 11 && DIGITS[0] === 49) from = 1;
  else if (count !== 10) return UNDECIDED;
  // A national number starting with 0 or 1 is never valid in the plan (libphonenumber keeps the `1` of
  // `1 015 …` as part of the number when what follows is not a possible national number), but 011 is
  // the US international prefix: libphonenumber reads `011 …` as an international number.
  if (DIGITS[from]! < 50) return startsWith011(from) ? UNDECIDED : undefined;
  northAmerican ??= compileNationalValidity('1', DEFAULT_COUNTRY);
  return northAmerican(from, count) ? end - start : undefined;
}

function startsWith011(from: number): boolean {
  return DIGITS[from] === 48 && DIGITS[from + 1] === 49 && DIGITS[from + 2] === 49;
}

/**
 * libphonenumber's `PUB_PAGES` (`isValidCandidate.js`, `\d{1,5}-+\d{1,5}\s{0,4}\(\d{1,4}`) on a
 * candidate with one opening parenthesis, at `opening`, followed by a digit: read backwards from it,
 * at most 4 spaces, a run of 1–5 digits, dashes, and a digit.
 */
function isPageRange(text: string, start: number, opening: number): boolean {
  let position = opening;
  while (position > start && opening - position < 4 && text.charCodeAt(position - 1) === 32) position--;
  const runEnd = position;
  while (position > start && isDigitCode(text.charCodeAt(position - 1))) position--;
  if (runEnd - position < 1 || runEnd - position > 5 || text.charCodeAt(position - 1) !== 45) return false;
  while (position > start && text.charCodeAt(position - 1) === 45) position--;
  return position > start && isDigitCode(text.charCodeAt(position - 1));
}

/** The most dots a candidate has whose parts are read here (a candidate has at most 8 groups). */
const DOTS = new Int32Array(16);

function international(text: string, start: number, end: number): number | undefined {
  let count = 0;
  let beforeSpace = -1;
  let beforeParenthesis = -1;
  let parentheses = 0;
  let dash = false;
  let space = -1;
  let opening = -1;
  let closing = -1;
  let dot = -1;
  let dots = 0;
  for (let index = start + 1; index < end; index++) {
    const code = text.charCodeAt(index);
    if (isDigitCode(code)) {
      DIGITS[count++] = code;
      continue;
    }
    if (code === 40) {
      parentheses++;
      if (opening === -1) opening = index;
      beforeParenthesis = count;
    }
    // A dash before the opening parenthesis (after it, the page-range test cannot match).
    else if (code === 45) dash ||= parentheses === 0;
    else if (code === 41) {
      if (closing === -1) closing = index;
    } else if (code === 32) {
      if (space === -1) {
        space = index;
        beforeSpace = count;
      }
    } else if (code === 46) {
      if (dot === -1) dot = index;
      if (dots === DOTS.length) return UNDECIDED;
      DOTS[dots++] = count;
    }
    // Spaces, dashes, dots and parentheses only: an extension is left to libphonenumber.
    else return UNDECIDED;
  }
  // libphonenumber's matcher rejects some bracketed candidates before parsing them (`12-34 (5`, as a
  // page range: digits, a dash and digits before the parenthesis) and trims a closing one at the end):
  // one group in parentheses, not a page range and followed by digits (`+1 (415) 555-2671`,
  // `+44-(20) 7946 0958`), is decided here.
  if (
    parentheses > 1 ||
    (parentheses === 1 && ((dash && isPageRange(text, start, opening)) || text.charCodeAt(end - 1) === 41))
  )
    return UNDECIDED;
  const whole = internationalValidity(0, count);
  if (whole === undefined) return UNDECIDED;
  if (whole) return end - start;
  // Not valid as a whole: libphonenumber then tries parts of it ("inner matches"), in this order: the
  // part before a parenthesis, then the part from it (read as a US national number: valid, it is a
  // match that does not start at 0); the part before the first dot, then each part after a dot; then
  // the part before the first space. Later parts never start at 0.
  if (parentheses === 1) {
    // Reproduced without dots.
    if (dot !== -1) return UNDECIDED;
    const before = internationalValidity(0, beforeParenthesis);
    if (before === undefined) return UNDECIDED;
    // The part before the parenthesis, up to its last digit (libphonenumber trims the rest).
    if (before) {
      let cut = opening;
      while (!isDigitCode(text.charCodeAt(cut - 1))) cut--;
      return cut - start;
    }
    const after = nationalPartValidity(beforeParenthesis, count);
    if (after === undefined) return UNDECIDED;
    if (after) return undefined;
    // Then the part before the first space, when that space is after the parenthesis: with no digit
    // between them (`+44-(20) 7946 0958`), the part ends inside it once libphonenumber trims what ends
    // it (`+44-(20`), and is not a candidate for its matcher (unbalanced brackets): no part starts at 0.
    // With digits between them (`+44-(20)7946 0958`), it is read below like any part before a space.
    if (space > opening) {
      let cut = space;
      while (!isDigitCode(text.charCodeAt(cut - 1))) cut--;
      if (closing >= cut) return undefined;
    }
  }
  if (dot !== -1) {
    const prefix = internationalValidity(0, DOTS[0]!);
    if (prefix === undefined) return UNDECIDED;
    if (prefix) return dot - start;
    for (let part = 0; part < dots; part++) {
      const verdict = nationalPartValidity(DOTS[part]!, part + 1 < dots ? DOTS[part + 1]! : count);
      if (verdict === undefined) return UNDECIDED;
      if (verdict) return undefined;
    }
  }
  if (beforeSpace === -1) return undefined;
  const prefix = internationalValidity(0, beforeSpace);
  if (prefix === undefined) return UNDECIDED;
  return prefix ? space - start : undefined;
}

/**
 * Whether libphonenumber reads a part of a candidate (its digits `from`–`to`) as a valid US national
 * number, or `undefined` when not decided here (a part starting with `011`, the US international prefix,
 * and longer than 6 digits). Up to 6 digits never are, nor a part starting with any other `0`; 10 digits
 * are a North American number, and so are `1` and 10 digits and `11` and 10 digits; any other length is
 * not a valid US number.
 */
function nationalPartValidity(from: number, to: number): boolean | undefined {
  const length = to - from;
  if (length <= 6) return false;
  if (DIGITS[from] === 48) return startsWith011(from) ? undefined : false;
  // `1` and 10 digits: the national prefix. `11` and 10 digits: calling code 1 written without `+`
  // (libphonenumber's `extractCountryCallingCodeFromInternationalNumberWithoutPlusSign`), then the prefix.
  const national =
    length === 11 && DIGITS[from] === 49
      ? from + 1
      : length === 12 && DIGITS[from] === 49 && DIGITS[from + 1] === 49
        ? from + 2
        : from;
  if (to - national !== 10 || DIGITS[national]! < 50) return false;
  northAmerican ??= compileNationalValidity('1', DEFAULT_COUNTRY);
  return northAmerican(national, to);
}

/** A calling code's compiled rules. */
interface CallingCodePlan {
  readonly valid: (from: number, to: number) => boolean;
  readonly countries: readonly CountryRules[];
  /** The main country: its national prefix applies to every number of the code. */
  readonly main: CountryRules;
  /** Its national prefix for parsing, anchored (`null`: none). */
  readonly prefix: RegExp | null;
  /**
   * The same as an automaton (`undefined`: outside its subset): a number none of whose prefixes it
   * accepts has no national prefix, with no string made for the expression.
   */
  readonly prefixAutomaton: DigitAutomaton | undefined;
  readonly transform: boolean;
  /** Every country of the code has the main country's possible lengths (no need to find the claimant). */
  readonly sameLengths: boolean;
}
/** By calling code as a number (1–999): its plan; `null` when not decided here; `false`: not a code. */
const plans: (CallingCodePlan | null | false | undefined)[] = [];

/** Validity of `+` and the digits `from`–`to`, or `undefined` when it is not decided here. */
function internationalValidity(from: number, to: number): boolean | undefined {
  // libphonenumber reads no calling code after `+0`.
  if (to === from || DIGITS[from] === 48) return false;
  let callingCode = 0;
  for (let length = 1; length <= 3 && length <= to - from; length++) {
    callingCode = callingCode * 10 + DIGITS[from + length - 1]! - 48;
    let plan = plans[callingCode];
    if (plan === undefined) {
      plan = compileCallingCode(String(callingCode));
      plans[callingCode] = plan;
    }
    if (plan === false) continue;
    if (plan === null) return undefined;
    const national = withoutNationalPrefix(plan, from + length, to);
    if (national === -1) return undefined;
    // libphonenumber's parse: a national (significant) number of 2–17 digits.
    if (to - national < 2 || to - national > 17) return false;
    return plan.valid(national, to);
  }
  return false;
}

/**
 * Where the national number starts once a national prefix is stripped from the digits `from`–`to`, as
 * libphonenumber-js's `extractNationalNumber` does (`+44 020 …` is `+44 20 …`), or -1 for a prefix rule
 * that rewrites the number (left to libphonenumber). The prefix stays when the number matches the
 * national pattern only with it, or when what is left is too short or of an impossible length.
 */
function withoutNationalPrefix(plan: CallingCodePlan, from: number, to: number): number {
  if (plan.prefix === null) return from;
  if (plan.prefixAutomaton !== undefined && matchPrefixes(plan.prefixAutomaton, DIGITS, from, to) === 0) return from;
  const match = plan.prefix.exec(digitString(from, to));
  if (!match) return from;
  const groups = match.length - 1;
  if (groups > 0 && match[groups] && plan.transform) return -1;
  const stripped = from + match[0].length;
  if (stripped === from) return from;
  if (matchesNational(plan.main, from, to) && !matchesNational(plan.main, stripped, to)) return from;
  const lengths = plan.sameLengths
    ? plan.main.possibleLengths
    : (claimant(plan.countries, stripped, to) ?? plan.main).possibleLengths;
  if (lengths && lengths.length > 0) {
    const length = to - stripped;
    // `checkNumberLength`: TOO_SHORT or INVALID_LENGTH keep the prefix (TOO_LONG strips it).
    if (lengths[0]! > length) return from;
    if (lengths[0] !== length && lengths[lengths.length - 1]! >= length && lengths.indexOf(length, 1) < 0) return from;
  }
  return stripped;
}

function compileCallingCode(callingCode: string): CallingCodePlan | null | false {
  runtime ??= new Metadata(metadataJson) as unknown as RuntimeMetadata;
  if (!runtime.hasCallingCode(callingCode)) return false;
  // Non-geographic codes (+800, +808, +870, +878, +881–+883, +888, +979): libphonenumber-js keeps them
  // as numbering plans of their own (the "001" entity), with no country, no national prefix and no
  // leading digits, and `isValid` selects the plan by the calling code: the number matches the plan's
  // national pattern and one of its number types.
  if (runtime.isNonGeographicCallingCode(callingCode)) {
    const plan = compileCountry(runtime, callingCode);
    // None has a national prefix today; one that gets it is left to libphonenumber.
    if (runtime.nationalPrefixForParsing()) return null;
    return {
      valid: (from, to) => isValidFor(plan, from, to),
      countries: [plan],
      main: plan,
      prefix: null,
      prefixAutomaton: undefined,
      transform: false,
      sameLengths: true,
    };
  }
  const codes = runtime.getCountryCodesForCallingCode(callingCode);
  if (!codes || codes.length === 0) return null;
  const countries = codes.map((country) => compileCountry(runtime!, country));
  runtime.selectNumberingPlan(callingCode);
  const prefix = runtime.nationalPrefixForParsing();
  return {
    valid: compileNationalValidity(callingCode, codes[0]),
    countries,
    main: countries[0]!,
    prefix: prefix ? new RegExp(`^(?:${prefix})`) : null,
    prefixAutomaton: prefix ? compileDigitPatterns([prefix]) : undefined,
    transform: Boolean(runtime.nationalPrefixTransformRule()),
    sameLengths: countries.every(
      (country) => String(country.possibleLengths) === String(countries[0]!.possibleLengths),
    ),
  };
}
