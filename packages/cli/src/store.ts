import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { GovernanceStore } from '@genops/core';
import { maskText, maskUrl, openStoreUrl } from '@genops/core/internal';
import { CliError, EXIT_USAGE } from './errors';
import type { CommandContext } from './io';

/** The store `genops` reads when neither `--store` nor `GENOPS_STORE` names one: the SQLite file GenOps apps default to. */
export const DEFAULT_STORE = 'sqlite:./.genops/state.db';

/** Help text of every `--store <url>` option. */
export const STORE_OPTION_HELP = `the store: sqlite:<path> or redis://[user:password@]host:port[/db] (default: $GENOPS_STORE, else ${DEFAULT_STORE})`;

/** Where the store URL came from, for messages. */
export type StoreSource = '--store' | 'GENOPS_STORE' | 'default';

/** A store `genops` opened, with its URL as it may be printed (no password). */
export interface OpenedStore {
  store: GovernanceStore;
  /** The URL with any password replaced by `***`. */
  url: string;
  source: StoreSource;
  /** `store.kind`: `sqlite`, `redis`, `memory`. */
  kind: string;
}

/** The store URL of a command: `--store`, else `GENOPS_STORE`, else {@link DEFAULT_STORE}. */
export function resolveStoreUrl(
  option: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): { url: string; source: StoreSource } {
  if (option !== undefined) {
    if (option.trim() === '')
      throw new CliError('--store is empty; give a store URL such as sqlite:./.genops/state.db');
    return { url: option.trim(), source: '--store' };
  }
  const fromEnv = env.GENOPS_STORE?.trim();
  if (fromEnv) return { url: fromEnv, source: 'GENOPS_STORE' };
  return { url: DEFAULT_STORE, source: 'default' };
}

/**
 * A store URL as it may be printed (`redis://user:***@host:6379`): core's `maskUrl` (the password, even
 * one with a raw `@`, and credential-like query values such as `?password=` masked).
 */
export function redactUrl(url: string): string {
  return maskUrl(url);
}

/** `text` with the secrets of `url` masked wherever they appear, e.g. in a driver's error (core's `maskText`). */
export function redactText(text: string, url: string): string {
  return maskText(text, url);
}

/**
 * The file a `sqlite:` URL names, or `undefined` for an in-memory database. Accepts `sqlite:<path>`,
 * `sqlite://<path>` and `sqlite:///<absolute path>`, with an optional `?query`.
 */
export function sqlitePath(url: string): string | undefined {
  let path = url.slice('sqlite:'.length);
  const query = path.indexOf('?');
  if (query >= 0) path = path.slice(0, query);
  if (path.startsWith('//')) path = path.slice(2);
  if (path === '' || path === ':memory:') return undefined;
  return path;
}

/** `the default store, sqlite:./.genops/state.db`, `GENOPS_STORE=...`, `--store ...` */
function origin(url: string, source: StoreSource): string {
  if (source === 'default') return `the default store, ${url}`;
  return source === 'GENOPS_STORE' ? `GENOPS_STORE=${url}` : `--store ${url}`;
}

function describe(url: string, source: StoreSource): string {
  if (source === 'default') return `${url} (the default store)`;
  if (source === 'GENOPS_STORE') return `${url} (from GENOPS_STORE)`;
  return url;
}

/**
 * Opens the store of a command (`--store`, `GENOPS_STORE` or the default). Fails with exit code 2 and
 * core's message when it cannot: an unknown scheme, a store package that is not installed, a SQLite file
 * that does not exist (reading never creates one).
 */
export function openCommandStore(
  option: string | undefined,
  context: CommandContext,
  alternative?: string,
): OpenedStore {
  const { url: raw, source } = resolveStoreUrl(option, context.io.env ?? {});
  const url = redactUrl(raw);
  if (raw.startsWith('sqlite:')) {
    const path = sqlitePath(raw);
    if (path !== undefined) {
      const absolute = resolve(path);
      if (!existsSync(absolute))
        throw new CliError(
          `no store at ${path} (${origin(url, source)}). ` +
            `Pass --store <url> or set GENOPS_STORE to the store your app uses (GenOps.init({ store }), e.g. sqlite:./.genops/state.db or redis://127.0.0.1:6379)${alternative ? `, ${alternative}` : ''}`,
        );
      if (statSync(absolute).isDirectory())
        throw new CliError(`cannot open the store ${describe(url, source)}: ${path} is a directory`);
    }
  }
  let store: GovernanceStore;
  try {
    store = openStoreUrl(raw, source === 'GENOPS_STORE' ? 'GENOPS_STORE' : 'store');
  } catch (error) {
    throw storeError(`cannot open the store ${describe(url, source)}`, error, raw);
  }
  return { store: guardStore(store, raw), url, source, kind: store.kind };
}

/** A CLI error (exit 2) for a store that failed, with the cause's message (password masked). */
export function storeError(what: string, error: unknown, url: string): CliError {
  if (error instanceof CliError) return error;
  // Store packages prefix their messages with `genops:`; the CLI prints its own prefix (errorLine).
  const message = (error instanceof Error ? error.message : String(error)).replace(/^genops: /, '');
  return new CliError(`${what}: ${redactText(message, url)}`, EXIT_USAGE, { cause: error });
}

/** How long one store operation may take before the command gives up (an unreachable Redis retries forever). */
export const STORE_TIMEOUT_MS = 15_000;

/**
 * `store` with every method's failure turned into a one-line {@link CliError} (exit 2) that names the
 * store, and a time limit on each call, so the command's own bugs still show as unexpected errors.
 */
export function guardStore(store: GovernanceStore, url: string, timeoutMs = STORE_TIMEOUT_MS): GovernanceStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          result = value.apply(target, args);
        } catch (error) {
          throw storeError(`cannot read the store ${redactUrl(url)}`, error, url);
        }
        if (!(result instanceof Promise)) return result;
        let timer: NodeJS.Timeout | undefined;
        const limit = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new CliError(
                  `the store ${redactUrl(url)} did not answer within ${timeoutMs / 1000} s (${String(property)}); is it running and reachable?`,
                ),
              ),
            timeoutMs,
          );
          timer.unref?.();
        });
        return Promise.race([result, limit]).then(
          (value) => {
            clearTimeout(timer);
            return value;
          },
          (error: unknown) => {
            clearTimeout(timer);
            throw storeError(`cannot read the store ${redactUrl(url)}`, error, url);
          },
        );
      };
    },
  });
}

/**
 * Opens the command's store, runs `action` with it and closes it, whatever happens. A failure of the
 * store itself (unreachable, locked, corrupt) becomes a one-line message and exit code 2.
 */
export async function withStore<T>(
  option: string | undefined,
  context: CommandContext,
  action: (opened: OpenedStore) => Promise<T>,
  /** Another way to run the command, for the message when the store does not exist. */
  alternative?: string,
): Promise<T> {
  const opened = openCommandStore(option, context, alternative);
  try {
    return await action(opened);
  } finally {
    await opened.store.close().catch(() => undefined);
  }
}
