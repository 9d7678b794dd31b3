// The `secret` detector against its former implementation (__fixtures__/secret-reference.ts, the
// oracle): the same findings, to the character, on random and adversarial text built from what its
// context checks read (URLs, `www.`, query parameters named like credentials, hash labels, `%`,
// `base64,`, AWS lines, key prefixes, `=` padding) and from arbitrary characters.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceSecretDetector } from './__fixtures__/secret-reference';
import type { KindDetector } from './internal-types';
import { secretDetector } from './secret';
import type { Finding } from './types';

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const chars = (alphabet: string, min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...alphabet.split('')), minLength: min, maxLength: max });

/** A detector's findings, sorted by start (a detector appends them in any order). */
const findings = (detector: KindDetector, text: string): Finding[] => {
  const out: Finding[] = [];
  detector.scan(text, out);
  return out.sort((left, right) => left.start - right.start);
};

/** Pieces of text: tokens of every length around the limits, and what the context checks look for. */
const piece = fc.oneof(
  { weight: 6, arbitrary: chars(BASE64, 20, 60) },
  { weight: 2, arbitrary: chars(`${BASE64}-_=`, 1, 80) },
  { weight: 1, arbitrary: chars(BASE64, 500, 530) },
  { weight: 1, arbitrary: chars(BASE64, 40, 40) },
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      ' ',
      '\n',
      '.',
      '/',
      ':',
      '=',
      '==',
      '"',
      "'",
      '&',
      '?',
      ';',
      '%',
      ',',
      '#',
      '@',
      '\u00a0',
      'é',
      '://',
      'https://',
      'http://host.example.com/',
      'www.',
      'www.example.com/',
      '?api_key=',
      '&token=',
      ';sig=',
      '?page=',
      '&id=',
      '?keyskeys.x=',
      '?key.x=',
      'base64,',
      'data:image/png;base64,',
      'sha256=',
      'SHA-256: ',
      'pin-sha256="',
      'md5 ',
      'etag: "',
      'Digest=',
      'checksum ',
      'aws_secret_access_key = ',
      'secret: ',
      'AWS ',
      'sk-proj-',
      'sk-',
      'ghp_',
      'xoxb-1-',
      'AIza',
      'AKIA',
      'chatcmpl-',
      'call_',
      '-----BEGIN RSA PRIVATE KEY-----\n',
      '-----END RSA PRIVATE KEY-----',
      'https://user:',
      '@db.example.com',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
);
const text = fc.array(piece, { maxLength: 60 }).map((pieces) => pieces.join(''));

describe('secret: the same findings as the former implementation', () => {
  const current = secretDetector();
  const reference = referenceSecretDetector();

  it('on text made of tokens and the context the checks read', () => {
    fc.assert(
      fc.property(text, (value) => {
        expect(findings(current, value)).toEqual(findings(reference, value));
      }),
      { numRuns: 1500 },
    );
  });

  it('on adversarial runs: key= repeated, URL query names, hash labels, dot-joined tokens', () => {
    fc.assert(
      fc.property(
        fc.array(chars(BASE64.slice(0, 62), 24, 48), { minLength: 1, maxLength: 30 }),
        fc.constantFrom('key=', ' key=', '.', '&token=', '?x.key=', ' sha256:', '://a/', ' www.a/', '%', '\n'),
        fc.constantFrom('', 'https://example.com/path?', 'aws ', 'www.x.com/'),
        (tokens, separator, lead) => {
          const value = lead + tokens.join(separator);
          expect(findings(current, value)).toEqual(findings(reference, value));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('on query parameters with any name (credential words in any case, anywhere)', () => {
    const name = fc
      .array(
        fc.constantFrom(
          'key',
          'KEY',
          'Token',
          'sec',
          'ret',
          'pass',
          'PWD',
          'sig',
          'nature',
          'auth',
          'cred',
          'ential',
          'session',
          'k',
          'e',
          'y',
          '_',
          '-',
          '.',
          '1',
          'x',
          '%',
          'é',
        ),
        { maxLength: 12 },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(
        name,
        fc.constantFrom('?', '&', ';', '/?a=1&'),
        chars(BASE64.slice(0, 62), 24, 40),
        (parameter, separator, token) => {
          const value = `https://host.example.com/p${separator}${parameter}=${token} www.x.io/${separator}${parameter}=${token}`;
          expect(findings(current, value)).toEqual(findings(reference, value));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('appends its findings sorted by start, family findings among the token findings', () => {
    const key = 'uDxwG6NQGA4QKcdOJQF0eEC5dF1NPtQ4';
    const github = ['gh', 'p_', 'WSlgqtUPyZczohZVS5tc0euGXDAv65KJbx8W'].join('');
    const out: Finding[] = [];
    current.scan(`${key} ${github} ${key} https://u:${key}@h ${key}`, out);
    expect(out.map((finding) => finding.detail)).toEqual([
      'high_entropy',
      'github',
      'high_entropy',
      'url_password',
      'high_entropy',
    ]);
    expect(out.map((finding) => finding.start)).toEqual([...out.map((finding) => finding.start)].sort((a, b) => a - b));
  });

  it('on fixed cases of each context rule', () => {
    const key = 'uDxwG6NQGA4QKcdOJQF0eEC5dF1NPtQ4';
    const aws = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    for (const value of [
      `token ${key} here`,
      `https://example.com/a/${key}`,
      `https://example.com/a?api_key=${key}`,
      `https://example.com/a?page=${key}`,
      `https://example.com/a?key.x=${key}`,
      `https://example.com/a?${'key'.repeat(700)}.x=${key}`,
      `www.example.com/${key}`,
      `www.example.com/?token=${key}`,
      `%2B${key}`,
      `data:image/png;base64,${key}`,
      `sha256=${key}`,
      `ETag: "${key}"`,
      `aws_secret_access_key = ${aws}`,
      `secret ${aws}`,
      `${aws} aws`,
      `postgres://admin:${key}@db.example.com:5432/app`,
    ]) {
      expect(findings(current, value), value).toEqual(findings(reference, value));
    }
    expect(findings(current, `https://example.com/a?api_key=${key}`)).toEqual([
      { kind: 'secret', start: 30, end: 62, detail: 'high_entropy' },
    ]);
    expect(findings(current, `https://example.com/a?${'key'.repeat(300)}.x=${key}`)).toEqual([]);
  });
});
