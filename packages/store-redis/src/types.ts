import type { Cluster, Redis, RedisOptions } from 'ioredis';

/** Options for {@link RedisStore}: a `url` or a `client`. */
export interface RedisStoreOptions {
  /**
   * The server: `redis://[user:password@]host:port[/db]`, or `rediss://...` for TLS. The store opens (and
   * {@link RedisStore.close} quits) its own connections. Takes precedence over `client`.
   */
  url?: string;
  /**
   * An existing ioredis client (`Redis` or `Cluster`). The store uses it as it is and leaves it open on
   * {@link RedisStore.close}; it opens (and closes) only its own `duplicate()` for approval wake-ups.
   */
  client?: Redis | Cluster;
  /**
   * Clock (epoch ms), called every time the store needs the time and sent to Redis with each script:
   * leases, calendar periods, rolling windows, `markOnce` expiry and `decidedAt` follow it. Default
   * `Date.now`. Processes sharing a namespace should have synchronised clocks (NTP): a clock ahead
   * expires other processes' leases early. `waitForApproval` timeouts use real timers.
   */
  now?: () => number;
  /**
   * The namespace: every key is `{<prefix>}:...`, one Redis Cluster hash tag, so each script's keys hash
   * to one slot (default `genops`). Stores that share a prefix share their state. All of a namespace
   * lives in one slot of a cluster: shard by giving independent workloads their own prefixes. Must not
   * contain `{` or `}`.
   */
  prefix?: string;
  /**
   * What GenOps does when Redis cannot be reached: `closed` (default) denies the call; `open` lets it
   * run without a reservation and replays its settlement later. The store only carries the setting; the
   * governor in `@genops/core` acts on it.
   */
  failMode?: 'closed' | 'open';
  /**
   * Longest wait for a reply (and for a connection that is being established) before an operation
   * fails (default 2,000 ms). While the connection is known to be down, operations fail at once.
   */
  timeoutMs?: number;
  /**
   * How long past state is kept before Redis expires it (default one day): counters of ended periods,
   * idle rolling lines, expired `markOnce` keys, decided approvals and pending approvals past their
   * `expiresAt`. Leases longer than this are not supported.
   */
  retentionMs?: number;
  /**
   * Most audit records kept in Redis (approximately: whole stream nodes are trimmed). Default: never
   * trimmed, as in the SQLite store, so `verifyAuditChain` can check the chain from seq 1; each record
   * takes about 0.5 KB.
   */
  maxAuditRecords?: number;
  /** More ioredis options for the connections the store opens from `url` (e.g. `tls` settings). */
  redisOptions?: RedisOptions;
}

/** Options for {@link openStore}: those of {@link RedisStoreOptions} except the URL, which is given. */
export type OpenStoreOptions = Omit<RedisStoreOptions, 'url' | 'client'>;
