// IBANs: country code, 2 check digits and a BBAN of the country's length and structure, mod-97 == 1.
import { isWordCode } from './chars';
import { IBAN_COUNTRIES, type IbanCountry, MAX_IBAN_LENGTH } from './iban-countries';
import type { KindDetector } from './internal-types';
import type { Finding } from './types';

/** A country code and check digits at the start of a word, followed by more of the IBAN. */
const IBAN_START = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?=[ ]?[A-Z0-9])/g;

/** The IBAN detector. Upper-case IBANs only, compact (`DE89370400440532013000`) or in groups of 4. */
export function ibanDetector(): KindDetector {
  // Grouped: one space after every 4 characters.
  return { kind: 'iban', maxLength: MAX_IBAN_LENGTH + Math.ceil(MAX_IBAN_LENGTH / 4), scan };
}

function scan(text: string, out: Finding[]): void {
  IBAN_START.lastIndex = 0;
  for (let match = IBAN_START.exec(text); match !== null; match = IBAN_START.exec(text)) {
    const start = match.index;
    const country = IBAN_COUNTRIES.get(match[0].slice(0, 2));
    if (!country) continue;
    const found = readIban(text, start, country);
    if (found === undefined) continue;
    out.push({ kind: 'iban', start, end: found });
    IBAN_START.lastIndex = found;
  }
}

/** The end of a valid IBAN of `country` starting at `start`, compact or grouped, or `undefined`. */
function readIban(text: string, start: number, country: IbanCountry): number | undefined {
  for (const grouped of [false, true]) {
    let compact = text.slice(start, start + 4);
    let index = start + 4;
    while (compact.length < country.length) {
      if (grouped && (compact.length - 4) % 4 === 0) {
        if (text[index] !== ' ') break;
        index++;
      }
      const code = text.charCodeAt(index);
      const isUpperOrDigit = (code >= 65 && code <= 90) || (code >= 48 && code <= 57);
      if (!isUpperOrDigit) break;
      compact += text[index];
      index++;
    }
    if (compact.length !== country.length || isWordCode(text.charCodeAt(index))) continue;
    if (country.bban.test(compact.slice(4)) && isMod97Valid(compact)) return index;
  }
  return undefined;
}

/** ISO 7064 MOD 97-10: the IBAN with its first 4 characters moved to the end, letters as 10–35, mod 97 is 1. */
export function isMod97Valid(iban: string): boolean {
  let remainder = 0;
  const rotated = iban.slice(4) + iban.slice(0, 4);
  for (let index = 0; index < rotated.length; index++) {
    const code = rotated.charCodeAt(index);
    if (code >= 48 && code <= 57) remainder = (remainder * 10 + (code - 48)) % 97;
    else if (code >= 65 && code <= 90) remainder = (remainder * 100 + (code - 55)) % 97;
    else return false;
  }
  return remainder === 1;
}
