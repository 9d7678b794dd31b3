import { resolve } from 'node:path';
import { maskUrl } from '@genops/core/internal';
import { SqliteStore } from './sqlite-store';
import type { OpenStoreOptions } from './types';

const SCHEME = 'sqlite:';
const EXPECTED =
  'expected sqlite:<path>[?failMode=open|closed&busyTimeoutMs=<ms>], e.g. "sqlite:./.genops/state.db", "sqlite:/var/lib/genops/state.db" or "sqlite::memory:"';

/**
 * Opens the SQLite store a URL names: `sqlite:./path.db` (relative to the working directory),
 * `sqlite:/abs/path.db`, `sqlite:///abs/path.db`, or `sqlite::memory:` (a private in-memory database).
 * The file and its parent directory are created when missing. A query may set `failMode` (`open` or
 * `closed`) and `busyTimeoutMs`, so a URL alone (`GENOPS_STORE`) can configure them; `options` given
 * here take precedence. `GenOps.init({ store: 'sqlite:...' })` and `GENOPS_STORE` call this.
 * @throws Error when the URL is not a `sqlite:` URL this function understands, or when the database
 *   cannot be opened (the message names the path and the cause).
 * @example
 * GenOps.init({ store: openStore('sqlite:./.genops/state.db', { failMode: 'open' }) });
 */
export function openStore(url: string, options: OpenStoreOptions = {}): SqliteStore {
  const { path, options: fromUrl } = parseSqliteUrl(url);
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  return new SqliteStore({ ...fromUrl, ...given, path });
}

/**
 * The database path (absolute, or `:memory:`) and the options a `sqlite:` URL names.
 * @throws Error when `url` is not a `sqlite:` URL with a path, or has a query parameter it does not know.
 */
export function parseSqliteUrl(url: string): {
  path: string;
  options: Pick<OpenStoreOptions, 'failMode' | 'busyTimeoutMs'>;
} {
  if (!url.startsWith(SCHEME)) throw new Error(`genops: "${maskUrl(url)}" is not a SQLite store URL (${EXPECTED})`);
  let path = url.slice(SCHEME.length);
  const queryAt = path.indexOf('?');
  const query = queryAt >= 0 ? new URLSearchParams(path.slice(queryAt + 1)) : undefined;
  if (queryAt >= 0) path = path.slice(0, queryAt);
  // sqlite:///abs/path.db and sqlite://./rel.db: the URL form with an empty host.
  if (path.startsWith('//')) path = path.slice(2);
  if (path.trim() === '') throw new Error(`genops: the SQLite store URL "${maskUrl(url)}" names no file (${EXPECTED})`);
  const options: Pick<OpenStoreOptions, 'failMode' | 'busyTimeoutMs'> = {};
  for (const [name, value] of query ?? []) {
    if (name === 'failMode' && (value === 'open' || value === 'closed')) options.failMode = value;
    else if (name === 'busyTimeoutMs' && /^\d+$/.test(value)) options.busyTimeoutMs = Number(value);
    else
      throw new Error(
        `genops: the SQLite store URL "${maskUrl(url)}" has an unknown or invalid parameter ${name}=${value} (${EXPECTED})`,
      );
  }
  return { path: path === ':memory:' ? path : resolve(path), options };
}
