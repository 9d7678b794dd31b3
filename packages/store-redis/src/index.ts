// Public API of @genops/store-redis. Explicit named exports only.

export { openStore, parseRedisUrl } from './open-store';
export { RedisStore } from './redis-store';
export { RedisStoreError } from './redis-store-error';
export type { OpenStoreOptions, RedisStoreOptions } from './types';
export { VERSION } from './version';
