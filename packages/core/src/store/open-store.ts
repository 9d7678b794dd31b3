import { createRequire } from 'node:module';
import { join } from 'node:path';
import { appSearchPaths } from '../adapters';
import { ConfigError } from '../errors/config-error';
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
  if (url === 'memory') return new MemoryStore();
  const entry = STORE_PACKAGES.find((candidate) => candidate.test(url));
  if (!entry)
    throw new ConfigError({
      path,
      message: `unknown store "${redact(url)}"`,
      expected: `"memory", a "sqlite:<path>" URL (e.g. "sqlite:./.genops/state.db") or a "redis://host:port" URL`,
      received: redact(url),
    });
  let module: { openStore?: (url: string) => GovernanceStore } | undefined;
  let lastError: unknown;
  for (const base of [...appSearchPaths(), __dirnameOf()]) {
    try {
      module = createRequire(join(base, 'noop.js'))(entry.pkg) as typeof module;
      break;
    } catch (error) {
      lastError = error;
    }
  }
  if (!module?.openStore)
    throw new ConfigError({
      path,
      message: `the store "${redact(url)}" needs the package ${entry.pkg}, which is not installed`,
      expected: `\`npm install ${entry.pkg}\`, or store: 'memory'`,
      received: redact(url),
      cause: lastError,
    });
  return module.openStore(url);
}

/** A store URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

function __dirnameOf(): string {
  try {
    return new URL('.', import.meta.url).pathname;
  } catch {
    return process.cwd();
  }
}
