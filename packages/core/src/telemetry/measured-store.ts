// A governance store that measures itself: the duration of each operation
// (`genops.store.operation.duration`) and its failures (`genops.store.failures`), by store kind and
// operation. The in-process memory store is not wrapped: it cannot fail, and its calls take nanoseconds.
import { type Attributes, diag } from '@opentelemetry/api';
import { safely } from '../adapter/safely';
import { defer } from '../pipeline/deferred';
import type * as storeTypes from '../store/types';
import type { Instruments } from './instruments';
import { ATTR_GENOPS_STORE_KIND, ATTR_GENOPS_STORE_OPERATION } from './metric-names';

type Measures = Pick<Instruments, 'storeDuration' | 'storeFailures'>;

/** `store` measured into `instruments`; the memory store (and a store already measured) as it is. */
export function measureStore(
  store: storeTypes.GovernanceStore,
  instruments: Measures | undefined,
): storeTypes.GovernanceStore {
  if (!instruments || store.kind === 'memory' || store instanceof MeasuredStore) return store;
  return new MeasuredStore(store, instruments);
}

export class MeasuredStore implements storeTypes.GovernanceStore {
  readonly kind: string;
  readonly failMode?: 'closed' | 'open';
  // The inner store's synchronous forms, measured; present only when the inner store has them (the
  // governor calls them instead of the promise forms when they are there).
  declare readonly reserveSync?: storeTypes.GovernanceStore['reserveSync'];
  declare readonly settleSync?: storeTypes.GovernanceStore['settleSync'];
  declare readonly markSentSync?: storeTypes.GovernanceStore['markSentSync'];
  declare readonly markOnceSync?: storeTypes.GovernanceStore['markOnceSync'];
  private readonly attributes = new Map<string, Attributes>();

  constructor(
    readonly inner: storeTypes.GovernanceStore,
    private readonly instruments: Measures,
  ) {
    this.kind = inner.kind;
    if (inner.failMode !== undefined) this.failMode = inner.failMode;
    const { reserveSync, settleSync, markSentSync, markOnceSync } = inner;
    const forms: Partial<storeTypes.GovernanceStore> = {
      ...(reserveSync && {
        reserveSync: (request) => this.measureSync('reserve', reserveSync, request),
      }),
      ...(settleSync && {
        settleSync: (id, actual, lines) => this.measureSync('settle', settleSync, id, actual, lines),
      }),
      ...(markSentSync && {
        markSentSync: (id) => this.measureSync('mark_sent', markSentSync, id),
      }),
      ...(markOnceSync && {
        markOnceSync: (key, expiresAt) => this.measureSync('mark_once', markOnceSync, key, expiresAt),
      }),
    };
    Object.assign(this, forms);
  }

  reserve(request: storeTypes.ReserveRequest): Promise<storeTypes.ReserveResult> {
    return this.measure('reserve', () => this.inner.reserve(request));
  }
  settle(
    id: string,
    actual: storeTypes.SettleAmounts,
    lines?: readonly storeTypes.BudgetLine[],
  ): Promise<storeTypes.SettleResult> {
    return this.measure('settle', () => this.inner.settle(id, actual, lines));
  }
  release(id: string): Promise<boolean> {
    return this.measure('release', () => this.inner.release(id));
  }
  /** Forwarded: without it a measured store would never mark a reservation sent. */
  markSent(id: string): Promise<boolean> {
    const inner = this.inner;
    return this.measure('mark_sent', () => (inner.markSent ? inner.markSent(id) : Promise.resolve(false)));
  }
  lines(prefix?: string): Promise<storeTypes.LineState[]> {
    return this.measure('lines', () => this.inner.lines(prefix));
  }
  openReservations(): Promise<number> {
    return this.measure('open_reservations', () => this.inner.openReservations());
  }
  markOnce(key: string, expiresAt?: number): Promise<boolean> {
    return this.measure('mark_once', () => this.inner.markOnce(key, expiresAt));
  }
  createApproval(record: storeTypes.ApprovalRecord): Promise<void> {
    return this.measure('create_approval', () => this.inner.createApproval(record));
  }
  decideApproval(
    id: string,
    decision: storeTypes.ApprovalDecisionInput,
  ): Promise<storeTypes.ApprovalRecord | undefined> {
    return this.measure('decide_approval', () => this.inner.decideApproval(id, decision));
  }
  getApproval(id: string): Promise<storeTypes.ApprovalRecord | undefined> {
    return this.measure('get_approval', () => this.inner.getApproval(id));
  }
  listApprovals(filter?: { status?: storeTypes.ApprovalStatus }): Promise<storeTypes.ApprovalRecord[]> {
    return this.measure('list_approvals', () => this.inner.listApprovals(filter));
  }
  /** A wait for a human, not a store latency: only its failures count. */
  waitForApproval(id: string, timeoutMs: number): Promise<storeTypes.ApprovalRecord | undefined> {
    return this.measure('wait_for_approval', () => this.inner.waitForApproval(id, timeoutMs), false);
  }
  appendAudit(entries: readonly storeTypes.AuditEntry[]): Promise<storeTypes.AuditRecord[]> {
    return this.measure('append_audit', () => this.inner.appendAudit(entries));
  }
  readAudit(options?: { fromSeq?: number; limit?: number }): Promise<storeTypes.AuditRecord[]> {
    return this.measure('read_audit', () => this.inner.readAudit(options));
  }
  close(): Promise<void> {
    return this.inner.close();
  }

  private async measure<T>(operation: string, run: () => Promise<T>, timed = true): Promise<T> {
    const attributes = this.attributesOf(operation);
    const started = performance.now();
    try {
      return await run();
    } catch (error) {
      safely(() => this.instruments.storeFailures.add(1, attributes));
      throw error;
    } finally {
      if (timed) this.timed(attributes, started);
    }
  }

  /**
   * {@link measure} for a synchronous form (which may still answer with a promise): `form` called on the
   * inner store with the arguments given (no closure per call), its duration recorded with the call's
   * deferred telemetry ({@link timed}).
   */
  private measureSync<A, B, C, T>(
    operation: string,
    form: (this: storeTypes.GovernanceStore, a: A, b: B, c: C) => T | Promise<T>,
    a: A,
    b?: B,
    c?: C,
  ): T | Promise<T> {
    const attributes = this.attributesOf(operation);
    const started = performance.now();
    let result: T | Promise<T>;
    try {
      result = form.call(this.inner, a, b as B, c as C);
    } catch (error) {
      this.failed(attributes, started);
      throw error;
    }
    if (result instanceof Promise)
      return result.then(
        (value) => {
          this.timed(attributes, started);
          return value;
        },
        (error: unknown) => {
          this.failed(attributes, started);
          throw error;
        },
      );
    this.timed(attributes, started);
    return result;
  }

  private failed(attributes: Attributes, started: number): void {
    safely(() => this.instruments.storeFailures.add(1, attributes));
    this.timed(attributes, started);
  }

  /**
   * Durations waiting to be recorded, of every form: the governor calls the store on the call's path
   * (a reservation before its request leaves, SQLite's settlement before its result is returned, Redis's
   * reservation reply resuming the call), and a histogram record costs the OpenTelemetry SDK a few µs of
   * attribute hashing, so they are recorded with the call's other deferred telemetry
   * (pipeline/deferred.ts: on a timer, `flush()`, `shutdown()` and at exit).
   */
  private readonly waitingAttributes: Attributes[] = [];
  private readonly waitingSeconds: number[] = [];

  private timed(attributes: Attributes, started: number): void {
    this.waitingAttributes.push(attributes);
    if (this.waitingSeconds.push((performance.now() - started) / 1000) === 1) defer(this.recordWaiting);
  }

  private readonly recordWaiting = (): void => {
    const attributes = this.waitingAttributes;
    const seconds = this.waitingSeconds;
    const duration = this.instruments.storeDuration;
    for (let index = 0; index < seconds.length; index++) {
      try {
        duration.record(seconds[index]!, attributes[index]);
      } catch (error) {
        diag.warn('genops: could not record a store operation duration', error);
      }
    }
    attributes.length = 0;
    seconds.length = 0;
  };

  private attributesOf(operation: string): Attributes {
    let found = this.attributes.get(operation);
    if (!found) {
      found = { [ATTR_GENOPS_STORE_KIND]: this.kind, [ATTR_GENOPS_STORE_OPERATION]: operation };
      this.attributes.set(operation, found);
    }
    return found;
  }
}
