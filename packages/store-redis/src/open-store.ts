import { maskUrl as redact } from '@genops/core/internal';
import { RedisStore } from './redis-store';
import type { OpenStoreOptions } from './types';

const EXPECTED =
  'expected redis://[user:password@]host:port[/db] or rediss://... (TLS), optionally with ?prefix=<namespace>&failMode=open|closed&timeoutMs=<ms>';

/**
 * Opens the Redis store a URL names: `redis://host:port`, `redis://user:password@host:port/db` (ACL user,
 * database number) or `rediss://...` (TLS). A query may set `prefix`, `failMode` (`open` or `closed`)
 * and `timeoutMs`, so a URL alone (`GENOPS_STORE`) can configure them; `options` given here take
 * precedence. Other query parameters are passed to ioredis (e.g. `family=6`). The connection is
 * opened in the background; `GenOps.init({ store: 'redis://...' })` and `GENOPS_STORE` call this.
 * @throws Error when the URL is not a `redis:` or `rediss:` URL, or a known parameter is invalid.
 * @example
 * GenOps.init({ store: openStore('redis://10.0.0.5:6379/0', { failMode: 'open' }) });
 */
export function openStore(url: string, options: OpenStoreOptions = {}): RedisStore {
  const { url: serverUrl, options: fromUrl } = parseRedisUrl(url);
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  return new RedisStore({ ...fromUrl, ...given, url: serverUrl });
}

/**
 * The server URL (without the store's own query parameters) and the options a `redis:` URL names.
 * @throws Error when `url` is not a `redis:`/`rediss:` URL, or `prefix`, `failMode` or `timeoutMs` is invalid.
 */
export function parseRedisUrl(url: string): {
  url: string;
  options: Pick<OpenStoreOptions, 'prefix' | 'failMode' | 'timeoutMs'>;
} {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`genops: "${redact(url)}" is not a Redis store URL (${EXPECTED})`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new Error(`genops: "${redact(url)}" is not a Redis store URL (${EXPECTED})`);
  const options: Pick<OpenStoreOptions, 'prefix' | 'failMode' | 'timeoutMs'> = {};
  for (const [name, value] of [...parsed.searchParams]) {
    if (name === 'failMode') {
      if (value !== 'open' && value !== 'closed')
        throw new Error(`genops: the Redis store URL "${redact(url)}" has failMode=${value} (${EXPECTED})`);
      options.failMode = value;
    } else if (name === 'timeoutMs') {
      if (!/^\d+$/.test(value) || Number(value) <= 0)
        throw new Error(`genops: the Redis store URL "${redact(url)}" has timeoutMs=${value} (${EXPECTED})`);
      options.timeoutMs = Number(value);
    } else if (name === 'prefix') {
      options.prefix = value;
    } else {
      continue;
    }
    parsed.searchParams.delete(name);
  }
  return { url: parsed.toString(), options };
}
