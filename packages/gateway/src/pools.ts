// The gateway's connections to its upstreams: one undici Pool per upstream origin (the configured
// upstreams and their fallbacks), made on the first request to it and reused by every request after.
// A Pool is the cheapest honest form of the hop (benchmarks/gateway: fastify + Pool.dispatch beat
// fastify + Agent.dispatch in every round): the request goes straight to the origin's connections,
// with no per-request lookup and handler wrapping of an Agent in front.
import type { DispatchHandler, DispatchOptions } from '@genops/core/internal';
import { Pool } from 'undici';

/** How long the upstream may take to send its headers, and between two chunks of its body. */
export const UPSTREAM_TIMEOUT_MS = 600_000;

/**
 * Per origin: up to 256 keep-alive connections, idle ones closed after 30 s. A non-streamed answer of
 * a reasoning model may take minutes before its headers: 10 minutes, like the providers' own limits.
 */
const POOL_OPTIONS: Pool.Options = {
  keepAliveTimeout: 30_000,
  connections: 256,
  headersTimeout: UPSTREAM_TIMEOUT_MS,
  bodyTimeout: UPSTREAM_TIMEOUT_MS,
};

export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();
  private closed = false;

  /** The pool of `origin` (`https://api.openai.com`). */
  pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, POOL_OPTIONS);
      this.pools.set(origin, pool);
      // After close(): a closed pool, which fails the request with undici's ClientClosedError.
      if (this.closed) void pool.close();
    }
    return pool;
  }

  /** Sends `options` to the pool of its origin (undici's dispatch contract: `handler` sees the rest). */
  readonly dispatch = (options: DispatchOptions, handler: DispatchHandler): boolean =>
    this.pool(String(options.origin)).dispatch(
      options as Parameters<Pool['dispatch']>[0],
      handler as Parameters<Pool['dispatch']>[1],
    );

  /** Closes every pool: requests in flight finish, idle connections close. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
  }
}
