import { join } from 'node:path';
import { appSearchPaths } from '../adapters';
import { ConfigError } from '../errors/config-error';
import { requireFrom } from '../require-from';
import { MemoryStore } from './memory-store';
import type { GovernanceStore } from './types';

/** Store packages by URL scheme. Core never imports them; they are loaded when a URL asks for one. */
const STORE_PACKAGES: ReadonlyArray<{ test: (url: string) => boolean; pkg: string; example: string }> = [
  { test: (url) => url.startsWith('sqlite:'), pkg: '@genops/store-sqlite', example: 'sqlite:./.genops/state.db' },
  {
    test: (url) => url.startsWith('redis://') || url.startsWith('rediss://'),
    pkg: '@genops/store-redis',
    example: 'redis://127.0.0.1:6379',
  },
];

/**
 * Opens the store a URL names: `memory`, `sqlite:<path>` (`@genops/store-sqlite`) or
 * `redis[s]://[user:password@]host:port[/db]` (`@genops/store-redis`). The store package must be
 * installed in the app; it is found from the app's entry directory and the working directory.
 */
export function openStoreUrl(url: string, path = 'store'): GovernanceStore {
  if (typeof url !== 'string' || url.trim() === '')
    throw new ConfigError({
      path,
      message: 'the store URL is empty',
      expected: EXPECTED,
      received: typeof url === 'string' ? '""' : typeof url,
    });
  if (url === 'memory') return new MemoryStore();
  const entry = STORE_PACKAGES.find((candidate) => candidate.test(url));
  if (!entry)
    throw new ConfigError({
      path,
      message: `unknown store "${maskUrl(url)}"`,
      expected: EXPECTED,
      received: maskUrl(url),
    });
  let module: { openStore?: (url: string) => GovernanceStore } | undefined;
  let lastError: unknown;
  for (const base of [...appSearchPaths(), __dirnameOf()]) {
    try {
      module = requireFrom(join(base, 'noop.js'))(entry.pkg) as typeof module;
      break;
    } catch (error) {
      lastError = error;
    }
  }
  if (!module?.openStore)
    throw new ConfigError({
      path,
      message: `the store "${maskUrl(url)}" needs the package ${entry.pkg}, which is not installed`,
      expected: `\`npm install ${entry.pkg}\`, or store: 'memory'`,
      received: maskUrl(url),
      cause: lastError,
    });
  try {
    return module.openStore(url);
  } catch (error) {
    // The store packages refuse a bad URL (bad syntax, an unknown or invalid parameter) with a plain
    // Error whose message names the "store URL"; other failures (a file that is not a database) go as
    // they are.
    if (!(error instanceof Error) || error.constructor !== Error || !error.message.includes('store URL')) throw error;
    const reason = maskText(error instanceof Error ? error.message : String(error), url).replace(/^genops: /, '');
    throw new ConfigError({
      path,
      message: `the store URL "${maskUrl(url)}" is not valid: ${reason}`,
      expected: `a URL such as "${entry.example}"; percent-encode reserved characters of a password (@ as %40, / as %2F, : as %3A)`,
      received: maskUrl(url),
    });
  }
}

const EXPECTED = `"memory", a "sqlite:<path>" URL (e.g. "sqlite:./.genops/state.db") or a "redis://host:port" URL`;

/** Query parameters whose values are masked: names containing one of these (case-insensitive). */
const SECRET_PARAMS = ['pass', 'pwd', 'secret', 'token', 'auth', 'key', 'sig', 'credential'];

/**
 * A URL as it may be printed: the password of its userinfo and the values of credential-like query
 * parameters (`password`, `pass`, `token`, `access_token`, `secret`, `key`, `sig`, `auth`, ...) replaced
 * by `***`. The userinfo ends at the **last** `@` of the URL, so a raw `@` in a password is masked too
 * (`redis://user:p@ss@host:6379` → `redis://user:***@host:6379`). Text that is not a URL at all gets the
 * same treatment as far as it goes: whatever stands before an `@` is masked. One pass, no regular
 * expression: safe on any input. The one masking function for store URLs in errors, logs and the CLI.
 */
export function maskUrl(url: string): string {
  let text = String(url);
  const hash = text.indexOf('#');
  const fragment = hash >= 0 ? text.slice(hash) : '';
  if (hash >= 0) text = text.slice(0, hash);
  const at = text.lastIndexOf('@');
  if (at >= 0) {
    const scheme = text.indexOf('://');
    const start = scheme >= 0 && scheme < at ? scheme + 3 : 0;
    const userinfo = text.slice(start, at);
    const colon = userinfo.indexOf(':');
    // `user:password@` keeps the user; a lone `token@` (no colon) may be a secret itself.
    const masked = colon >= 0 ? `${userinfo.slice(0, colon)}:***` : userinfo === '' ? '' : '***';
    text = `${text.slice(0, start)}${masked}${text.slice(at)}`;
  }
  const query = text.indexOf('?');
  if (query >= 0) text = `${text.slice(0, query + 1)}${maskQuery(text.slice(query + 1))}`;
  return `${text}${fragment}`;
}

function isSecretParam(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_PARAMS.some((part) => lower.includes(part));
}

function maskQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      return equals >= 0 && isSecretParam(pair.slice(0, equals)) ? `${pair.slice(0, equals)}=***` : pair;
    })
    .join('&');
}

/**
 * `text` (e.g. a driver's error message) with the secrets of `url` masked wherever they appear: its
 * password (raw and percent-decoded), its credential-like query values, and every URL in the text
 * masked by {@link maskUrl}.
 */
export function maskText(text: string, url?: string): string {
  let result = String(text);
  if (url !== undefined) for (const secret of urlSecrets(url)) result = result.split(secret).join('***');
  return maskUrlsInText(result);
}

/** The password and credential-like query values of `url`, raw and percent-decoded (longest first). */
function urlSecrets(url: string): string[] {
  const secrets = new Set<string>();
  const add = (value: string): void => {
    if (value === '' || value === '***') return;
    secrets.add(value);
    try {
      const decoded = decodeURIComponent(value);
      if (decoded !== '') secrets.add(decoded);
    } catch {
      // Not percent-encoded.
    }
  };
  const text = String(url).split('#')[0] ?? '';
  const at = text.lastIndexOf('@');
  if (at >= 0) {
    const scheme = text.indexOf('://');
    const userinfo = text.slice(scheme >= 0 && scheme < at ? scheme + 3 : 0, at);
    const colon = userinfo.indexOf(':');
    add(colon >= 0 ? userinfo.slice(colon + 1) : userinfo);
  }
  const query = text.indexOf('?');
  if (query >= 0)
    for (const pair of text.slice(query + 1).split('&')) {
      const equals = pair.indexOf('=');
      if (equals >= 0 && isSecretParam(pair.slice(0, equals))) add(pair.slice(equals + 1));
    }
  return [...secrets].sort((a, b) => b.length - a.length);
}

/** Every `scheme://...` token of `text` (up to whitespace or a quote) through {@link maskUrl}. */
function maskUrlsInText(text: string): string {
  let out = '';
  let cursor = 0;
  for (let found = text.indexOf('://', cursor); found >= 0; found = text.indexOf('://', cursor)) {
    let start = found;
    while (start > cursor && !isUrlBoundary(text.charCodeAt(start - 1))) start -= 1;
    let end = found + 3;
    while (end < text.length && !isUrlBoundary(text.charCodeAt(end))) end += 1;
    out += text.slice(cursor, start) + maskUrl(text.slice(start, end));
    cursor = end;
  }
  return out + text.slice(cursor);
}

/** Whitespace, quotes, backquote, angle brackets and parentheses end a URL in running text. */
function isUrlBoundary(code: number): boolean {
  return code <= 0x20 || code === 0x22 || code === 0x27 || code === 0x60 || code === 0x3c || code === 0x3e;
}

/** A store URL without its password, for messages. Same as {@link maskUrl}. */
export const redact = maskUrl;

function __dirnameOf(): string {
  try {
    return new URL('.', import.meta.url).pathname;
  } catch {
    return process.cwd();
  }
}
