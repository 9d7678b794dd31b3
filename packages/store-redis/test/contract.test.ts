import { describeGovernanceStore } from '@genops/testing/store-contract';
import { RedisStore } from '../src/index';
import { useRedisServer } from './redis-server';

const redis = useRedisServer();
// A server that refuses FUNCTION: the group commit runs as a script (EVALSHA) there.
const scriptsOnly = useRedisServer({ noFunctions: true });
let namespaces = 0;

// Every test gets its own namespace on the file's server, and the suite's mutable clock.
describeGovernanceStore(
  'RedisStore',
  (clock) => new RedisStore({ url: redis.url(), prefix: `contract-${++namespaces}`, now: () => clock.now() }),
);

describeGovernanceStore(
  'RedisStore without Redis Functions',
  (clock) => new RedisStore({ url: scriptsOnly.url(), prefix: `contract-${++namespaces}`, now: () => clock.now() }),
);
