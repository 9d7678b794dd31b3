import { AsyncLocalStorage } from 'node:async_hooks';
import type { Governor } from '@genops/core/adapter';

/**
 * A tool call a governed client in this process is making. Set around the client's request, so that a
 * governed server handler reached through an in-process transport (`InMemoryTransport`, whose `send`
 * calls the other side directly) sees it in its async context and can run inside the client's unit.
 * Never sent over the wire: a remote client cannot claim to be governed.
 */
export interface InProcessClientCall {
  readonly name: string;
  readonly governor: Governor;
  /** Set by the first server handler that joins this call, so that one client call joins at most one execution. */
  joined: boolean;
}

const KEY = Symbol.for('genops.mcp.inProcessClientCall');
const slots = globalThis as { [KEY]?: AsyncLocalStorage<InProcessClientCall> };

/** Shared by every copy of this package in the process (the ESM and the CommonJS build). */
export const inProcessClientCall: AsyncLocalStorage<InProcessClientCall> = (slots[KEY] ??=
  new AsyncLocalStorage<InProcessClientCall>());
