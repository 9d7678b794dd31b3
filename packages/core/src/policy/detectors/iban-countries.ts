// IBAN length and BBAN structure per country, from the SWIFT IBAN registry.
//
// Structure notation of the registry: `n` digits, `a` upper-case letters, `c` letters or digits,
// preceded by a count (`4a14n` = 4 letters then 14 digits). The BBAN is the IBAN after the country
// code and the 2 check digits. Countries outside the registry are not detected.

const REGISTRY: Readonly<Record<string, string>> = {
  AD: '8n12c',
  AE: '19n',
  AL: '8n16c',
  AT: '16n',
  AZ: '4a20c',
  BA: '16n',
  BE: '12n',
  BG: '4a6n8c',
  BH: '4a14c',
  BR: '23n1a1c',
  BY: '4c4n16c',
  CH: '5n12c',
  CR: '18n',
  CY: '8n16c',
  CZ: '20n',
  DE: '18n',
  DK: '14n',
  DO: '4c20n',
  EE: '16n',
  EG: '25n',
  ES: '20n',
  FI: '14n',
  FO: '14n',
  FR: '10n11c2n',
  GB: '4a14n',
  GE: '2c16n',
  GI: '4a15c',
  GL: '14n',
  GR: '7n16c',
  GT: '24c',
  HR: '17n',
  HU: '24n',
  IE: '4c14n',
  IL: '19n',
  IQ: '4a15n',
  IS: '22n',
  IT: '1a10n12c',
  JO: '4a4n18c',
  KW: '4a22c',
  KZ: '3n13c',
  LB: '4n20c',
  LC: '4a24c',
  LI: '5n12c',
  LT: '16n',
  LU: '3n13c',
  LV: '4a13c',
  LY: '21n',
  MC: '10n11c2n',
  MD: '20c',
  ME: '18n',
  MK: '3n10c2n',
  MR: '23n',
  MT: '4a5n18c',
  MU: '4a19n3a',
  NL: '4a10n',
  NO: '11n',
  PK: '4c16n',
  PL: '24n',
  PS: '4c21n',
  PT: '21n',
  QA: '4a21c',
  RO: '4a16c',
  RS: '18n',
  SA: '2n18c',
  SC: '4a20n3a',
  SE: '20n',
  SI: '15n',
  SK: '20n',
  SM: '1a10n12c',
  ST: '21n',
  SV: '4a20n',
  TL: '19n',
  TN: '20n',
  TR: '5n17c',
  UA: '6n19c',
  VA: '18n',
  VG: '4c16n',
  XK: '16n',
};

/** A country's IBAN: total length and an anchored pattern of its BBAN. */
export interface IbanCountry {
  readonly length: number;
  readonly bban: RegExp;
}

const CLASS: Readonly<Record<string, string>> = { n: '[0-9]', a: '[A-Z]', c: '[A-Z0-9]' };

function compileStructure(structure: string): IbanCountry {
  let source = '';
  let length = 4;
  for (const [, count, type] of structure.matchAll(/(\d+)([nac])/g)) {
    source += `${CLASS[type!]}{${count}}`;
    length += Number(count);
  }
  return { length, bban: new RegExp(`^${source}$`) };
}

/** IBAN countries by ISO 3166 code, compiled once. */
export const IBAN_COUNTRIES: ReadonlyMap<string, IbanCountry> = new Map(
  Object.entries(REGISTRY).map(([code, structure]) => [code, compileStructure(structure)]),
);

/** The longest IBAN in the table (Saint Lucia, 32). */
export const MAX_IBAN_LENGTH = Math.max(...[...IBAN_COUNTRIES.values()].map((country) => country.length));
