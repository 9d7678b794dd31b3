// Public API of @genops/store-sqlite. Explicit named exports only.

export { openStore, parseSqliteUrl } from './open-store';
export { SCHEMA_VERSION } from './schema';
export { SqliteStore } from './sqlite-store';
export type { OpenStoreOptions, SqliteStoreOptions } from './types';
export { VERSION } from './version';
