// One gateway replica for replicas.test.ts: the built @genops/gateway on a free loopback port, its
// state in a shared Redis through @genops/store-redis, in a process of its own (plain Node, started
// with fork()). It sends `{ url }` once it listens. SIGTERM is the orchestrator's stop: the replica
// stops accepting, lets its in-flight requests finish and settle (`gateway.close()`), then exits 0.
//
// Settings come as one JSON argument: `{ redisUrl, prefix, upstream, limitUsd, leaseMs, keys }`, where
// `keys` are `{ key, team }` pairs (each a virtual key whose calls are attributed to that team).
import { startGateway } from '@genops/gateway';
import { RedisStore } from '@genops/store-redis';

const { redisUrl, prefix, upstream, limitUsd, leaseMs, keys } = JSON.parse(process.argv[2]);

const gateway = await startGateway({
  host: '127.0.0.1',
  port: 0,
  upstreams: { openai: { baseUrl: upstream, apiKey: 'sk-upstream-openai' } },
  virtualKeys: keys.map(({ key, team }) => ({ name: team, key, attribution: { team } })),
  genops: {
    store: new RedisStore({ url: redisUrl, prefix }),
    // One budget line per team, shared by every replica: the line the test reads back from Redis.
    budgets: [{ name: 'shared', limit: limitUsd, window: 'total', per: 'team' }],
    // The test's lease, so it knows when a killed replica's reservations end.
    reservationLeaseMs: leaseMs,
    autoInstrument: false,
    egress: 'off',
  },
  env: {},
});

process.once('SIGTERM', async () => {
  await gateway.close();
  process.exit(0);
});
process.send?.({ url: gateway.url });
