import { describe, expect, it } from 'vitest';
import { entropyThreshold, isEncodedData, looksLikeWords, shannonEntropy } from './entropy';
import { compileDetectors } from './index';
import { isRandomToken } from './secret';

const secrets = compileDetectors({ detect: ['secret'] });

/** A seeded PRNG (mulberry32), so the calibration below is reproducible. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BASE64 = `${ALPHANUMERIC}+/`;
const BASE64URL = `${ALPHANUMERIC}-_`;

function tokens(alphabet: string, length: number, count: number, seed: number): string[] {
  const next = random(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join(''),
  );
}

const share = (values: readonly string[], test: (value: string) => boolean) =>
  values.filter(test).length / values.length;

describe('generic high-entropy tokens: calibration', () => {
  it('shannonEntropy', () => {
    expect(shannonEntropy('')).toBe(0);
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abab')).toBe(1);
    expect(shannonEntropy('abcdefgh')).toBe(3);
  });

  it('the threshold is 80% of log2(min(length, 64)) bits per character', () => {
    expect(entropyThreshold(24)).toBeCloseTo(0.8 * Math.log2(24));
    expect(entropyThreshold(32)).toBeCloseTo(4);
    expect(entropyThreshold(64)).toBeCloseTo(4.8);
    expect(entropyThreshold(500)).toBeCloseTo(4.8);
  });

  // Measured with these seeds (alphanumeric / base64 / base64url): 24 chars 87/84/85%, 32 92/92/91%,
  // 40 94/95/95%, 64 97/98/98%, 128 99.8%. The misses read as words or lack a digit or a case. Named key
  // formats are matched by their own patterns first, whatever their entropy.
  it.each([
    [24, 0.8],
    [32, 0.87],
    [40, 0.9],
    [64, 0.95],
    [128, 0.99],
  ])('flags most random tokens of %i characters (at least %f)', (length, minimum) => {
    for (const [alphabet, seed] of [
      [ALPHANUMERIC, 1],
      [BASE64, 2],
      [BASE64URL, 3],
    ] as const) {
      expect(share(tokens(alphabet, length, 2_000, seed + length), isRandomToken)).toBeGreaterThanOrEqual(minimum);
    }
  });

  it('never flags hex (git SHAs, hashes, trace ids) or UUIDs, which lack mixed case', () => {
    const hex = [...tokens('0123456789abcdef', 40, 500, 4), ...tokens('0123456789ABCDEF', 64, 500, 5)];
    expect(share(hex, isRandomToken)).toBe(0);
    const uuids = tokens('0123456789abcdef', 32, 500, 6).map(
      (value) =>
        `${value.slice(0, 8)}-${value.slice(8, 12)}-${value.slice(12, 16)}-${value.slice(16, 20)}-${value.slice(20)}`,
    );
    expect(share(uuids, isRandomToken)).toBe(0);
  });

  it.each([
    ['base64 of English', 'VGhlIHF1YXJ0ZXJseSByZXBvcnQgaXMgYXR0YWNoZWQgZm9yIHJldmlldw=='],
    ['base64url of English without padding', 'SGVsbG8gd29ybGQsIHRoaXMgaXMgYSB0ZXN0IG1lc3NhZ2U'],
    ['base64 of JSON (a JWT header)', 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IjEyMyJ9'],
    ['base64 of a PNG', 'iVBORw0KGgoAAAANSUhEUgAAABgAAAAYCAYAAADgdz34AAAAAXNSR0IArs4c6QAAAIRlWElmTU0AKgAAAAgABQES'],
    ['camelCase identifier', 'getUserByIdAndOrganization2'],
    ['CamelCase with numbers', 'Q3FY2024RevenueByRegionV2'],
    ['SCREAMING_CASE', 'HTTP2_HEADER_CONTENT_LOCATION'],
    ['long English word', 'Pneumonoultramicroscopicsilicovolcanoconiosis1'],
    ['file path', '/Users/JohnSmith/Documents/Project2024/src/index'],
    ['npm-style path', 'node_modules/@types/node/http2.d.ts'],
    ['hyphenated slug', 'kubernetes-deployment-frontend-7d9f8c6b5-x2k4p'],
    ['trace header', 'Root=1-5f84c7a1-0123456789abcdef01234567'],
    ['OpenAI object id', 'chatcmpl-9AbCdEfGhIjKlMnOpQrStUvWxYz01'],
    ['tool call id', 'call_Pq8h2vR3nQwErTyUiOp1aS2d'],
    ['Anthropic message id', 'msg_01XFDUDYJgAACzvnptvVoYEL'],
    ['ULID', '01ARZ3NDEKTSV4RRFFQ69G5FAV'],
  ])('does not flag %s', (_, token) => {
    expect(isRandomToken(token)).toBe(false);
  });

  it('recognises encoded text and files', () => {
    expect(isEncodedData('SGVsbG8gd29ybGQsIHRoaXMgaXMgYSB0ZXN0')).toBe(true);
    expect(isEncodedData('JVBERi0xLjcKCjEgMCBvYmoKPDwvVHlwZS9DYXRhbG9n')).toBe(true);
    expect(isEncodedData('uDxwG6NQGA4QKcdOJQF0eEC5dF1NPtQ4')).toBe(false);
  });

  it('reads words in identifiers', () => {
    expect(looksLikeWords('CustomerOrderHistory2024Q3Export')).toBe(true);
    expect(looksLikeWords('uDxwG6NQGA4QKcdOJQF0eEC5dF1NPtQ4')).toBe(false);
  });
});

describe('secret: context', () => {
  const token = ['uDxwG6NQGA4QKcdO', 'JQF0eEC5dF1NPtQ4'].join('');

  it.each([
    ['a URL path', `https://docs.example.com/d/${token}/edit`],
    ['a URL query parameter not named like a credential', `https://example.com/share?id=${token}`],
    ['a URL without a scheme', `www.example.com/files/${token}`],
    ['percent-encoded data', `https://img.example.com/badge?logo=x%2B${token}`],
    ['a data URI', `<img src="data:image/png;base64,${token}">`],
    ['a labelled hash', `pin-sha256="${token}"`],
    ['a labelled checksum', `checksum: ${token}`],
    ['a longer run of data (over 512 characters)', `${token.repeat(17)}`],
  ])('is not flagged inside %s', (_, text) => {
    expect(secrets.find(text)).toEqual([]);
  });

  it.each([
    ['a credential query parameter', `https://api.example.com/v1?api_key=${token}&page=2`],
    ['a header', `Authorization: Bearer ${token}`],
    ['JSON', `{"token":"${token}"}`],
    ['an env file', `INTERNAL_TOKEN=${token}`],
  ])('is flagged in %s', (_, text) => {
    const start = text.indexOf(token);
    expect(secrets.find(text)).toEqual([{ kind: 'secret', detail: 'high_entropy', start, end: start + token.length }]);
  });

  it('flags the signature of a JWT; header and payload are encoded JSON', () => {
    const header = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9';
    const payload = 'eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUgRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ';
    const signature = 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
    const text = `Bearer ${header}.${payload}.${signature}`;
    const start = text.indexOf(signature);
    expect(secrets.find(text)).toEqual([{ kind: 'secret', detail: 'high_entropy', start, end: text.length }]);
  });

  it('covers a whole PEM private key block, or its BEGIN line when the END line is missing', () => {
    const next = random(7);
    const line = () => Array.from({ length: 64 }, () => BASE64[Math.floor(next() * 64)]).join('');
    const begin = ['-----BEGIN ', 'PRIVATE KEY-----'].join('');
    const end = ['-----END ', 'PRIVATE KEY-----'].join('');
    const block = [begin, line(), line(), line(), `${line().slice(0, 20)}==`, end].join('\n');
    expect(secrets.redact(`key:\n${block}\nthanks`)).toEqual({
      text: 'key:\n[REDACTED:secret]\nthanks',
      counts: { secret: 1 },
    });
    expect(secrets.find(`${begin}\nMIIEvQIBADANBg`)).toEqual([
      { kind: 'secret', detail: 'private_key', start: 0, end: begin.length },
    ]);
  });

  it('names AWS secret keys only next to an AWS or secret keyword', () => {
    const key = ['Bc4PTDtRWTD+Xhnbb', 'jYN9TsplBTQafRQ0bJpVvtc'].join('');
    expect(secrets.find(`aws_secret_access_key=${key}`)[0]?.detail).toBe('aws_secret_key');
    expect(secrets.find(`value=${key}`)[0]?.detail).toBe('high_entropy');
  });

  it('ignores URL passwords that are placeholders or too short to be real', () => {
    for (const url of [
      'postgres://user:password@localhost:5432/app',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${...}` placeholder in a URL
      'https://user:${PASSWORD}@example.com',
      'https://user:<password>@example.com',
      'https://user:****@example.com',
      'https://a:b@example.com',
    ]) {
      expect(secrets.find(url)).toEqual([]);
    }
  });

  it('does not take a key prefix inside a longer word (the random part is still a token)', () => {
    const body = 'spCFgiFWzTdv1zJwONzb5bpUVacW0viuQi2XDpetmsFIpadG';
    expect(secrets.find(`ri${'sk-'}${body}`).map((finding) => finding.detail)).toEqual(['high_entropy']);
    expect(secrets.find(`${'sk-'}${body}`).map((finding) => finding.detail)).toEqual(['openai']);
  });
});
