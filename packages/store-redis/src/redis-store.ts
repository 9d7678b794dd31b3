import { createHash, randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { type AuditRecord, type GovernanceStore, StoreAmountError, StoreIdentityError } from '@genops/core';
import {
  type ApprovalDecisionInput,
  type ApprovalRecord,
  type ApprovalStatus,
  AUDIT_DATA_JSON,
  type AuditEntry,
  assertReserveAmounts,
  assertSettleAmounts,
  auditRecordLine,
  type BudgetLine,
  chainAuditEntries,
  GENESIS_HASH,
  type LineState,
  type LineUnit,
  type PreparedAuditEntry,
  preparedAuditEntry,
  type ReserveRequest,
  type ReserveResult,
  type SettleAmounts,
  type SettleResult,
} from '@genops/core/internal';
import { type Cluster, Redis, type RedisOptions } from 'ioredis';
import {
  APPROVAL_FIELDS,
  CREATE_APPROVAL_LUA,
  DECIDE_APPROVAL_LUA,
  EPOCH_LUA,
  LINES_LUA,
  LIST_APPROVALS_LUA,
  MARK_ONCE_LUA,
  MARK_SENT_LUA,
  OPEN_RESERVATIONS_LUA,
  OPS_LUA,
  opsLibrary,
  RELEASE_LUA,
} from './lua-scripts';
import { RedisStoreError } from './redis-store-error';
import type { RedisStoreOptions } from './types';

const DAY_MS = 86_400_000;
const DEFAULT_TIMEOUT_MS = 2_000;
/** Largest delay `setTimeout` accepts; longer waits would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;
/** Line keys read per `lines()` script run, so one call never blocks Redis for long. */
const LINES_BATCH = 500;
/** Audit entries appended per script run at most (queued appends are combined up to this). */
const AUDIT_BATCH = 1_000;
/**
 * Reservations and settlements sent in one script run at most (more queued in one tick go in several):
 * bounds how long one run holds Redis.
 */
const OPS_BATCH = 128;
/**
 * While reservations and settlements flow (one was queued within this many ms), audit records wait up to
 * this long for the next one to share its script run and round trip, instead of going on their own: the
 * audit trail flushes on a timer, so they rarely arrive in the same tick. When none was queued that
 * recently, they go at the end of their tick.
 */
const AUDIT_WAIT_MS = 10;
/** Check-and-append attempts before `appendAudit` gives up (each lost race means another client progressed). */
const AUDIT_ATTEMPTS = 100;
/** Shortest TTL given to an approval, so one created already past its retention is still readable. */
const MIN_APPROVAL_TTL_MS = 60_000;

/** The scripts, defined on the client with ioredis `defineCommand` (EVALSHA, loaded on first use). */
const SCRIPTS = {
  genopsV1Ops: OPS_LUA,
  genopsV1Release: RELEASE_LUA,
  genopsV1MarkSent: MARK_SENT_LUA,
  genopsV1OpenReservations: OPEN_RESERVATIONS_LUA,
  genopsV1Lines: LINES_LUA,
  genopsV1MarkOnce: MARK_ONCE_LUA,
  genopsV1CreateApproval: CREATE_APPROVAL_LUA,
  genopsV1DecideApproval: DECIDE_APPROVAL_LUA,
  genopsV1ListApprovals: LIST_APPROVALS_LUA,
  genopsV1Epoch: EPOCH_LUA,
} as const;

/**
 * The group-commit script as a Redis Functions library (`FUNCTION LOAD` once, `FCALL` per run): its
 * helpers are defined once, not at the start of every run. Named by a hash of its code, so processes
 * running different versions of this package each call their own.
 */
const OPS_LIBRARY_NAME = `genops_v1_${createHash('sha1').update(opsLibrary('genops')).digest('hex').slice(0, 16)}`;
const OPS_LIBRARY = opsLibrary(OPS_LIBRARY_NAME);
const OPS_FUNCTION = `${OPS_LIBRARY_NAME}_ops`;

type ScriptName = keyof typeof SCRIPTS;
/** Scripts that take the namespace epoch as their last argument (every one but the one that reads it). */
type CheckedScriptName = Exclude<ScriptName, 'genopsV1Epoch'>;
type ScriptArg = string | Buffer;
type Client = Redis | Cluster;
type Reply = (string | number | null)[];
type ScriptCommands = Record<ScriptName, (...args: ScriptArg[]) => Promise<unknown>>;

/** A command waiting for its reply: when it times out, and how. */
interface InFlight {
  deadline: number;
  timedOut: () => void;
}

/** A reservation, settlement or audit append queued for the next script run (see {@link RedisStore.flushOps}). */
interface QueuedOp {
  /** As errors name the operation. */
  operation: 'reserve' | 'settle' | 'appendAudit';
  /** A reservation asked to be stored marked sent. */
  sent: boolean;
  /** A reservation's lines: its reply carries only their used and reserved amounts. */
  lines: readonly BudgetLine[] | undefined;
  /** A settlement sent without its lines: queues it again with them (when the script asks for them). */
  withLines: (() => Promise<unknown>) | undefined;
  resolve: (value: never) => void;
  reject: (error: unknown) => void;
}

interface ApprovalWaiter {
  /** The record as the wait began, returned if nothing newer can be read. */
  record: ApprovalRecord;
  finish: (record: ApprovalRecord) => void;
}

/**
 * Governance state in Redis, shared by every process on every machine that uses the same server and
 * namespace: budgets, reservations, rate-limit counters, `markOnce` keys, approvals and the audit
 * chain. Semantics are those of `MemoryStore` from `@genops/core`.
 *
 * Each reserve, settle and release is one Lua script (EVALSHA, one round trip): a reservation checks
 * and reserves every matching line atomically, all or nothing, so processes never overspend. Leases
 * are a sorted set of reservation ids by lease end; every script first releases the ones that ended,
 * so a process that dies never holds budget beyond its lease. Time is the client's clock, sent with
 * each script.
 *
 * Every key is `{<prefix>}:...`: one hash tag per namespace, so the store runs on Redis Cluster (all of
 * a namespace's keys are in one slot; use several prefixes to spread independent workloads).
 *
 * The audit chain is hashed here (Redis Lua has no SHA-256) and appended by a script that checks the
 * chain's tip has not moved, retrying when another client appended first. `waitForApproval` wakes on
 * a pub/sub message from whichever process decides.
 *
 * When Redis is down every method rejects promptly (at once while the connection is known to be
 * down, otherwise within {@link RedisStoreOptions.timeoutMs}) with a {@link RedisStoreError} naming the
 * server and the cause; commands are never queued to run later, so nothing the caller was told failed
 * happens behind its back. The store reconnects by itself.
 *
 * @example
 * const store = new RedisStore({ url: 'redis://127.0.0.1:6379' });
 * GenOps.init({ store, budgets: [{ name: 'daily', limit: 100, window: 'day' }] });
 */
export class RedisStore implements GovernanceStore {
  readonly kind = 'redis';
  readonly failMode: 'closed' | 'open';
  /** The server, without credentials, as error messages name it. */
  readonly server: string;
  /** The namespace (`prefix`); every key starts with `{<prefix>}:`. */
  readonly prefix: string;
  private readonly client: Client;
  private readonly commands: ScriptCommands;
  private readonly ownsClient: boolean;
  /** `{prefix}:`, the start of every key. */
  private readonly namespace: string;
  /** Pub/sub channel on which approval decisions are announced (message: the approval id). */
  private readonly channel: string;
  private readonly now: () => number;
  private readonly timeoutMs: number;
  private readonly retentionMs: number;
  private readonly maxAuditRecords: number | undefined;
  private lastError: Error | undefined;
  /** Resolves with why not when the connection being established failed, `undefined` once it is ready. */
  private connecting: Promise<string | undefined> | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private subscriber: Client | undefined;
  private subscription: Promise<void> | undefined;
  private readonly waiters = new Map<string, Set<ApprovalWaiter>>();
  /** The last audit tip this instance saw (a guess: the append script checks it). */
  private auditTip: Pick<AuditRecord, 'seq' | 'hash'> | undefined;
  private readonly auditQueue: {
    entries: PreparedAuditEntry[];
    resolve: (records: AuditRecord[]) => void;
    reject: (error: unknown) => void;
  }[] = [];
  private auditDraining = false;
  /** Commands waiting for their reply, oldest first (see {@link track}). */
  private readonly inFlight = new Set<InFlight>();
  private watchdog: NodeJS.Timeout | undefined;
  /** Arguments of the operations queued for the next script run (see {@link flushOps}), in order. */
  private opArgs: ScriptArg[] = [];
  private ops: QueuedOp[] = [];
  /** A flush of {@link ops} is due at the end of this tick. */
  private flushDue = false;
  /** A reply arrived in this tick (cleared at its end): see {@link queueOp}. */
  private replyTick = false;
  /** Audit records queued alone: sent when this fires, unless a reservation or settlement takes them first. */
  private auditTimer: NodeJS.Timeout | undefined;
  /** When the last reservation or settlement was queued (`performance.now()`). */
  private lastOpsAt = Number.NEGATIVE_INFINITY;
  /** The socket corked for this tick's commands (see {@link coalesce}). */
  private corked: Socket | undefined;
  /** The namespace's epoch as this instance first found (or wrote) it; every script checks it. */
  private epoch: string | undefined;
  private epochLookup: Promise<string> | undefined;
  /**
   * Whether the group-commit script runs as a function (FCALL): `undefined` until the library was loaded
   * (by the first run), `false` when Redis refused `FUNCTION LOAD` (Redis before 7, a proxy or an ACL
   * that does not allow it, or a Cluster client): then it runs as a script (EVALSHA).
   */
  private opsAsFunction: boolean | undefined;
  private opsLoad: Promise<void> | undefined;
  /** Set once the epoch was found missing or changed: every operation fails with it from then on. */
  private identityError: StoreIdentityError | undefined;
  private readonly onError = (error: Error): void => {
    this.lastError = error;
  };
  private readonly onReady = (): void => {
    this.lastError = undefined;
  };

  /** @throws Error when neither `url` nor `client` is given, or the prefix or URL is invalid. */
  constructor(options: RedisStoreOptions = {}) {
    const prefix = options.prefix ?? 'genops';
    if (prefix === '' || /[{}]/.test(prefix))
      throw new Error(`genops: the Redis store prefix must be non-empty without "{" or "}", not "${prefix}"`);
    this.prefix = prefix;
    this.namespace = `{${prefix}}:`;
    this.channel = `{${prefix}}:approvals`;
    this.failMode = options.failMode ?? 'closed';
    this.now = options.now ?? Date.now;
    this.timeoutMs = positive(options.timeoutMs, DEFAULT_TIMEOUT_MS);
    this.retentionMs = positive(options.retentionMs, DAY_MS);
    this.maxAuditRecords =
      options.maxAuditRecords === undefined || !Number.isFinite(options.maxAuditRecords)
        ? undefined
        : Math.max(1, Math.floor(options.maxAuditRecords));
    if (options.url !== undefined) {
      this.server = describeUrl(options.url);
      this.client = new Redis(options.url, {
        // Fail instead of queueing: a command queued while Redis is down would run after its caller
        // was told it failed (a reservation nobody settles). Commands in flight when the connection
        // drops fail at once and are never resent.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
        connectTimeout: this.timeoutMs,
        retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
        ...options.redisOptions,
      } satisfies RedisOptions);
      this.ownsClient = true;
    } else if (options.client) {
      this.client = options.client;
      this.server = describeClient(options.client);
      this.ownsClient = false;
    } else {
      throw new Error('genops: RedisStore needs a `url` (redis://host:port) or an ioredis `client`');
    }
    for (const [name, lua] of Object.entries(SCRIPTS)) this.client.defineCommand(name, { numberOfKeys: 1, lua });
    this.commands = this.client as unknown as ScriptCommands;
    this.client.on('error', this.onError);
    this.client.on('ready', this.onReady);
  }

  /**
   * Queued with the other reservations and settlements issued with it and sent with them in one script
   * run (group commit; sent at once when the connection is idle, see {@link queueOp}); atomic and all or
   * nothing on its own.
   */
  reserve(request: ReserveRequest): Promise<ReserveResult> {
    try {
      assertReserveAmounts(this.kind, request);
    } catch (error) {
      return Promise.reject(error);
    }
    // Marked sent in the same script: no second round trip for `markSent`.
    const sent = request.sent === true;
    this.opArgs.push('r', '4', request.id, String(request.leaseMs), encodeLines(request.lines), sent ? '1' : '');
    return this.queueOp('reserve', sent, request.lines);
  }

  /** Queued like {@link reserve}: sent with the other reservations and settlements issued with it. */
  settle(id: string, actual: SettleAmounts, lines?: readonly BudgetLine[]): Promise<SettleResult> {
    try {
      assertSettleAmounts(this.kind, id, actual, lines);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.queueSettle(id, actual, lines, false);
  }

  /**
   * Queues a settlement. Its lines matter only when the reservation is no longer open (a late settlement
   * commits to them), so unless `withLines` they are not sent: the script then asks for them (reply
   * `{'L'}`, nothing changed) and the settlement is queued again with them.
   */
  private queueSettle(
    id: string,
    actual: SettleAmounts,
    lines: readonly BudgetLine[] | undefined,
    withLines: boolean,
  ): Promise<SettleResult> {
    const ask = lines !== undefined && lines.length > 0 && !withLines;
    // Unit and amount pairs, read by the script without a JSON decode.
    const args = this.opArgs;
    const count = args.length + 1;
    args.push('s', '', id, lines === undefined ? '' : ask ? '?' : encodeLines(lines));
    for (const unit in actual) {
      const amount = actual[unit as LineUnit];
      if (amount != null) args.push(unit, String(amount));
    }
    args[count] = String(args.length - count - 1);
    return this.queueOp('settle', false, undefined, ask ? () => this.queueSettle(id, actual, lines, true) : undefined);
  }

  async release(id: string): Promise<boolean> {
    return (await this.script('release', 'genopsV1Release', id)) === 1;
  }

  async markSent(id: string): Promise<boolean> {
    return (await this.script('markSent', 'genopsV1MarkSent', id)) === 1;
  }

  async lines(prefix = ''): Promise<LineState[]> {
    let min: ScriptArg = prefix === '' ? '-' : `[${prefix}`;
    // Every key that starts with the prefix sorts before prefix + 0xFF (no UTF-8 byte is 0xFF).
    const max: ScriptArg = prefix === '' ? '+' : Buffer.concat([Buffer.from(`(${prefix}`), Buffer.from([0xff])]);
    const states: LineState[] = [];
    for (;;) {
      const reply = (await this.script('lines', 'genopsV1Lines', min, max, String(LINES_BATCH))) as Reply;
      states.push(...decodeStates(reply, 2));
      if (Number(reply[1]) < LINES_BATCH) break;
      min = `(${reply[0]}`;
    }
    return states.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async openReservations(): Promise<number> {
    return Number(await this.script('openReservations', 'genopsV1OpenReservations'));
  }

  async markOnce(key: string, expiresAt?: number): Promise<boolean> {
    const until = expiresAt == null ? '' : String(expiresAt);
    return (await this.script('markOnce', 'genopsV1MarkOnce', key, until)) === 1;
  }

  /** Records a pending approval; a record with the same id is replaced. */
  async createApproval(record: ApprovalRecord): Promise<void> {
    const json = JSON.stringify(record);
    const over = record.status === 'pending' ? record.expiresAt : (record.decidedAt ?? record.createdAt);
    await this.script(
      'createApproval',
      'genopsV1CreateApproval',
      record.id,
      json,
      record.status,
      String(record.createdAt),
      String(this.approvalTtl(over)),
      this.channel,
    );
  }

  async decideApproval(id: string, decision: ApprovalDecisionInput): Promise<ApprovalRecord | undefined> {
    const reply = (await this.script(
      'decideApproval',
      'genopsV1DecideApproval',
      id,
      decision.status,
      decision.decidedBy,
      decision.reason === undefined ? '0' : '1',
      decision.reason ?? '',
      String(this.approvalTtl(this.now())),
      this.channel,
    )) as Reply | null;
    return reply ? decodeApproval(reply, 0) : undefined;
  }

  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    return this.readApproval(id, 'getApproval');
  }

  async listApprovals(filter: { status?: ApprovalStatus } = {}): Promise<ApprovalRecord[]> {
    const reply = (await this.script('listApprovals', 'genopsV1ListApprovals', filter.status ?? '')) as Reply;
    const listed: { record: ApprovalRecord; seq: number }[] = [];
    for (let index = 0; index + APPROVAL_FIELDS.length <= reply.length; index += APPROVAL_FIELDS.length)
      listed.push({ record: decodeApproval(reply, index), seq: Number(reply[index + 5]) });
    // Newest first; approvals created at the same time: the one created last first.
    listed.sort((a, b) => b.record.createdAt - a.record.createdAt || b.seq - a.seq);
    return listed.map((entry) => entry.record);
  }

  /**
   * Resolves as soon as any process decides the approval (a pub/sub message on a connection opened on
   * first use), at once when it is already decided, or with the still-pending record after `timeoutMs`
   * of real time. Rejects (a {@link RedisStoreError}) when Redis cannot be reached to start waiting.
   */
  async waitForApproval(id: string, timeoutMs: number): Promise<ApprovalRecord | undefined> {
    const record = await this.readApproval(id, 'waitForApproval');
    if (record?.status !== 'pending' || timeoutMs <= 0) return record;
    await this.subscribe();
    return new Promise<ApprovalRecord>((resolve) => {
      let done = false;
      const waiter: ApprovalWaiter = {
        record,
        finish: (current) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          const waiting = this.waiters.get(id);
          waiting?.delete(waiter);
          if (waiting?.size === 0) this.waiters.delete(id);
          resolve(current);
        },
      };
      const timer = setTimeout(
        () => {
          this.readApproval(id, 'waitForApproval').then(
            (current) => waiter.finish(current ?? record),
            () => waiter.finish(record),
          );
        },
        Math.min(timeoutMs, MAX_TIMER_MS),
      );
      timer.unref();
      let waiting = this.waiters.get(id);
      if (!waiting) this.waiters.set(id, (waiting = new Set()));
      waiting.add(waiter);
      // Read again now that the subscription is in place: a decision made before it is not missed.
      void this.wake(id);
    });
  }

  async appendAudit(entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
    if (entries.length === 0) return [];
    // Stored as JSON and hashed as JSON reads back, so hashes match across stores; serialised once here
    // (not at all for an entry AuditTrail prepared).
    const copies = entries.map(preparedAuditEntry);
    return new Promise<AuditRecord[]>((resolve, reject) => {
      this.auditQueue.push({ entries: copies, resolve, reject });
      void this.drainAudit();
    });
  }

  async readAudit(options: { fromSeq?: number; limit?: number } = {}): Promise<AuditRecord[]> {
    const fromSeq = Math.floor(options.fromSeq ?? 1);
    const limit = options.limit === undefined ? undefined : Math.floor(options.limit);
    if (limit !== undefined && limit <= 0) return [];
    const start = fromSeq <= 1 ? '-' : `${fromSeq}-0`;
    const key = `${this.namespace}audit`;
    const entries = await this.run('readAudit', (client) =>
      limit === undefined ? client.xrange(key, start, '+') : client.xrange(key, start, '+', 'COUNT', limit),
    );
    return entries.map(([, fields]) => JSON.parse(fields[1] ?? 'null') as AuditRecord);
  }

  /**
   * Resolves every pending `waitForApproval` with the record as it is now, then quits the connections
   * the store opened (a `client` passed in is left open).
   */
  async close(): Promise<void> {
    // Reservations and settlements issued before close are sent, not refused as issued after it.
    this.flushOps();
    this.closing ??= (async () => {
      await Promise.all(
        [...this.waiters.keys()].map(async (id) => {
          const current = await this.readApproval(id, 'close').catch(() => undefined);
          for (const waiter of [...(this.waiters.get(id) ?? [])]) waiter.finish(current ?? waiter.record);
        }),
      );
      this.closed = true;
      const subscriber = this.subscriber;
      this.subscriber = undefined;
      if (subscriber) await quit(subscriber, this.timeoutMs);
      this.client.off('error', this.onError);
      this.client.off('ready', this.onReady);
      if (this.ownsClient) await quit(this.client, this.timeoutMs);
      if (this.watchdog && this.inFlight.size === 0) clearTimeout(this.watchdog);
    })();
    return this.closing;
  }

  // ---- Group commit --------------------------------------------------------------------------------

  /**
   * Queues a reservation or settlement (its arguments already in {@link opArgs}): sent at once when the
   * connection is idle and no reply set it off (see {@link flushNow}), else with the others issued with
   * it (see {@link scheduleFlush}).
   */
  private queueOp<T>(
    operation: QueuedOp['operation'],
    sent: boolean,
    lines: readonly BudgetLine[] | undefined,
    withLines?: () => Promise<unknown>,
  ): Promise<T> {
    this.lastOpsAt = performance.now();
    const result = this.pushOp<T>(operation, sent, lines, withLines);
    if (!this.flushDue) {
      if (this.inFlight.size === 0 && !this.replyTick) this.flushNow();
      else this.scheduleFlush();
    }
    return result;
  }

  /**
   * Sends the queued operations now, in a socket write of their own: an operation issued while the
   * connection is idle (nothing in flight, not set off by a reply) reaches Redis at once instead of at
   * the end of its tick. A governed call's settlement so runs while the app takes the result and starts
   * its next call, instead of in that call's reservation's run, on its path.
   */
  private flushNow(): void {
    this.flushOps();
    this.uncork();
  }

  /** Notes that a reply arrived in this tick: operations its continuations issue are batched at the tick's end. */
  private replied(): void {
    if (this.replyTick) return;
    this.replyTick = true;
    process.nextTick(this.endReplyTick);
  }

  private readonly endReplyTick = (): void => {
    this.replyTick = false;
  };

  /**
   * Schedules {@link flushOps}: for the end of this tick when a reply set it off (the continuations of a
   * run's replies issue the next operations together), else for the end of the event loop's I/O phase
   * (`setImmediate`), so the operations that the callbacks of one turn issue (concurrent calls whose
   * provider responses arrive together, each in its own callback) share a run too.
   */
  private scheduleFlush(): void {
    this.flushDue = true;
    if (this.replyTick) process.nextTick(this.flushOps);
    else setImmediate(this.flushOps);
  }

  /** Adds an operation (its arguments already in {@link opArgs}) to the next script run; resolves with its reply. */
  private pushOp<T>(
    operation: QueuedOp['operation'],
    sent: boolean,
    lines: readonly BudgetLine[] | undefined,
    withLines: (() => Promise<unknown>) | undefined,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.ops.push({ operation, sent, lines, withLines, resolve: resolve as (value: never) => void, reject });
    });
  }

  /**
   * Sends the queued reservations, settlements and audit appends as one script run (several past
   * {@link OPS_BATCH}), then hands each its own reply: one round trip and one run of the script's fixed
   * work per batch. Any other command flushes the queue first, so commands still reach Redis in the order
   * they were issued.
   */
  private readonly flushOps = (): void => {
    this.flushDue = false;
    if (this.auditTimer) {
      clearTimeout(this.auditTimer);
      this.auditTimer = undefined;
    }
    const ops = this.ops;
    if (ops.length === 0) return;
    const args = this.opArgs;
    this.ops = [];
    this.opArgs = [];
    if (ops.length <= OPS_BATCH) {
      this.sendOps(ops, args);
      return;
    }
    let start = 0;
    for (let first = 0; first < ops.length; first += OPS_BATCH) {
      const last = Math.min(first + OPS_BATCH, ops.length);
      let end = start;
      for (let index = first; index < last; index++) end += 2 + Number(args[end + 1]);
      this.sendOps(ops.slice(first, last), args.slice(start, end));
      start = end;
    }
  };

  private sendOps(ops: QueuedOp[], args: ScriptArg[]): void {
    const operation = ops[0]!.operation;
    this.script(operation, 'genopsV1Ops', ...args).then(
      (replies) => {
        for (let index = 0; index < ops.length; index++) {
          const op = ops[index]!;
          const reply = (replies as Reply[])[index]!;
          if (reply[0] === 'E' || reply[0] === 'F')
            op.reject(this.replyError(op.operation, reply[0], String(reply[1])));
          else if (op.operation === 'appendAudit') op.resolve(reply as never);
          else if (reply[0] === 'L' && op.withLines) op.resolve(op.withLines() as never);
          else settleOp(op, reply);
        }
      },
      (error: unknown) => {
        for (const op of ops) op.reject(this.renamed(error, operation, op.operation));
      },
    );
  }

  /** A failure of a batch, named for one of its operations (a batch is named for its first). */
  private renamed(error: unknown, batch: string, operation: string): unknown {
    if (operation === batch || !RedisStoreError.isInstance(error)) return error;
    const marker = `${batch} failed: `;
    const reason = error.message.slice(error.message.indexOf(marker) + marker.length);
    return this.failure(operation, reason, error.cause);
  }

  // ---- Commands ------------------------------------------------------------------------------------

  /**
   * Runs one of the scripts with the namespace, retention and clock in front of `args` and the epoch
   * after them (looked up, or written, by the first operation: one more round trip, once).
   */
  private script(operation: string, name: CheckedScriptName, ...args: ScriptArg[]): Promise<unknown> {
    if (this.ops.length > 0 && name !== 'genopsV1Ops') this.flushOps();
    if (this.identityError) return Promise.reject(this.identityError);
    const epoch = this.epoch;
    if (epoch === undefined) return this.findEpoch(operation).then(() => this.script(operation, name, ...args));
    if (name === 'genopsV1Ops' && this.opsAsFunction !== false) return this.fcallOps(operation, epoch, args, true);
    return this.run(operation, () =>
      this.commands[name](this.namespace, String(this.retentionMs), String(this.now()), ...args, epoch),
    );
  }

  /**
   * Runs the group-commit function, loading its library first when this instance has not yet (one more
   * round trip, once). A server that lost it (restarted without persistence, `FUNCTION FLUSH`) answers
   * "Function not found" having run nothing: the library is loaded again and the run sent once more. A
   * user without the right to call it (NOPERM) runs the group commit as a script from then on.
   */
  private fcallOps(operation: string, epoch: string, args: ScriptArg[], retry: boolean): Promise<unknown> {
    if (this.opsAsFunction === undefined)
      return this.loadOps(operation).then(() =>
        this.opsAsFunction
          ? this.fcallOps(operation, epoch, args, retry)
          : this.script(operation, 'genopsV1Ops', ...args),
      );
    return this.run(operation, () =>
      this.client.call(
        'FCALL',
        OPS_FUNCTION,
        '1',
        this.namespace,
        String(this.retentionMs),
        String(this.now()),
        ...args,
        epoch,
      ),
    ).catch((error: unknown) => {
      const text = replyText(error);
      if (!retry || text === undefined) throw error;
      if (text.startsWith('NOPERM') || text.includes('unknown command')) {
        // Loaded, but this user may not call it (or a proxy refuses FCALL): nothing ran; run it as a script.
        this.opsAsFunction = false;
        return this.script(operation, 'genopsV1Ops', ...args);
      }
      if (!text.includes('Function not found')) throw error;
      if (this.opsAsFunction) this.opsAsFunction = undefined;
      return this.fcallOps(operation, epoch, args, false);
    });
  }

  /**
   * Loads the group-commit library (once per instance): "already exists" counts as loaded; any other
   * answer from Redis makes the group commit run as a script from then on. A failed connection fails the
   * operation as any command would, and the next run tries again.
   */
  private loadOps(operation: string): Promise<void> {
    if (this.client.isCluster) {
      // FUNCTION LOAD reaches one node of a cluster: the scripts' EVALSHA reaches the key's node.
      this.opsAsFunction = false;
      return Promise.resolve();
    }
    this.opsLoad ??= this.run(operation, () => this.client.call('FUNCTION', 'LOAD', OPS_LIBRARY)).then(
      () => {
        this.opsAsFunction = true;
        this.opsLoad = undefined;
      },
      (error: unknown) => {
        this.opsLoad = undefined;
        const text = replyText(error);
        if (text === undefined) throw error;
        this.opsAsFunction = text.includes('already exists');
      },
    );
    return this.opsLoad;
  }

  /** Reads the namespace's epoch, writing a new one when it has none (first use of the namespace). */
  private findEpoch(operation: string): Promise<string> {
    if (this.epochLookup) return this.epochLookup;
    // The group-commit library is loaded with it (same round trip): in place before the first run, so
    // operations queued before and after the first one still reach Redis in order.
    const loaded = this.opsAsFunction === undefined ? this.loadOps(operation) : undefined;
    const lookup = this.run(operation, () => this.commands.genopsV1Epoch(this.namespace, randomUUID()));
    this.epochLookup = (loaded ? Promise.all([lookup, loaded]).then(([epoch]) => epoch) : lookup).then(
      (epoch) => {
        this.epoch ??= String(epoch);
        return this.epoch;
      },
      (error: unknown) => {
        this.epochLookup = undefined;
        throw error;
      },
    );
    return this.epochLookup;
  }

  /** The sticky error for a namespace whose epoch is gone (`found` empty) or changed. */
  private epochFailure(found: string): StoreIdentityError {
    const what = found === '' ? 'is gone' : `changed to ${found}`;
    this.identityError ??= new StoreIdentityError({
      store: this.kind,
      location: `${this.server} (namespace "${this.prefix}")`,
      reason: 'flushed',
      message: `genops: Redis store ${this.server} (namespace "${this.prefix}"): the namespace's epoch key ${this.namespace}epoch ${what} since this process first used it (epoch ${this.epoch}): the database was flushed or the namespace deleted. The budgets, reservations and audit chain this process counted are no longer there, so rather than start again from $0 this store refuses every operation (GenOps then applies failMode '${this.failMode}'). Restore the data, or restart every process that uses the namespace so they all start the new ledger together.`,
    });
    return this.identityError;
  }

  /**
   * Runs a command once the connection is ready, failing at once while it is known to be down and after
   * {@link timeoutMs} without a reply; every failure becomes a {@link RedisStoreError}.
   */
  private run<T>(operation: string, command: (client: Client) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(this.failure(operation, 'the store is closed'));
    if (this.identityError) return Promise.reject(this.identityError);
    if (this.client.status !== 'ready') return this.whenReady(operation).then(() => this.send(operation, command));
    return this.send(operation, command);
  }

  /** Sends `command` now; its promise settles with the reply, or fails after {@link timeoutMs}. */
  private send<T>(operation: string, command: (client: Client) => Promise<T>): Promise<T> {
    this.coalesce();
    return new Promise<T>((resolve, reject) => {
      const waiting: InFlight = {
        deadline: performance.now() + this.timeoutMs,
        timedOut: () => reject(this.failure(operation, `no reply within ${this.timeoutMs} ms${this.statusNote()}`)),
      };
      this.track(waiting);
      command(this.client).then(
        (value) => {
          this.untrack(waiting);
          this.replied();
          resolve(value);
        },
        (error: unknown) => {
          this.untrack(waiting);
          this.replied();
          reject(this.wrap(operation, error));
        },
      );
    });
  }

  /**
   * Commands sent in the same tick go out in one socket write: the connection's socket is corked at the
   * first and uncorked on the next tick (Node then writes every buffered command with one `writev`).
   * Concurrent calls share a write (and Redis reads them in one read and answers them in one write)
   * instead of one system call each; a lone command waits for nothing but the rest of its tick.
   */
  private coalesce(): void {
    if (this.corked || this.client.isCluster) return;
    const stream = (this.client as Redis).stream as Socket | undefined;
    if (!stream || typeof stream.cork !== 'function') return;
    stream.cork();
    this.corked = stream;
    process.nextTick(this.uncork);
  }

  private readonly uncork = (): void => {
    const stream = this.corked;
    this.corked = undefined;
    stream?.uncork();
  };

  /**
   * One timer for every command waiting for its reply, due at the oldest one's deadline (every command
   * gets the same timeout, so they time out in the order they were sent), instead of a timer each.
   */
  private track(waiting: InFlight): void {
    this.inFlight.add(waiting);
    if (!this.watchdog) this.watchdog = setTimeout(this.expireCommands, this.timeoutMs);
    else if (this.inFlight.size === 1) this.watchdog.ref();
  }

  private untrack(waiting: InFlight): void {
    this.inFlight.delete(waiting);
    // Nothing waits: the timer must not keep the process alive (it fires, finds nothing, and stops).
    if (this.inFlight.size === 0) this.watchdog?.unref();
  }

  private readonly expireCommands = (): void => {
    this.watchdog = undefined;
    const now = performance.now();
    for (const waiting of this.inFlight) {
      if (waiting.deadline > now) {
        this.watchdog = setTimeout(this.expireCommands, waiting.deadline - now);
        return;
      }
      this.inFlight.delete(waiting);
      waiting.timedOut();
    }
  };

  /** Waits for a connection being established; fails at once when it is known to be down. */
  private async whenReady(operation: string): Promise<void> {
    const client = this.client;
    switch (client.status) {
      case 'ready':
        return;
      case 'end':
        throw this.failure(operation, `the connection is closed${this.causeNote()}`);
      case 'reconnecting':
      case 'disconnecting':
        throw this.failure(operation, `the connection is down${this.causeNote()}; reconnecting`);
      case 'wait':
        client.connect().catch(() => {});
        break;
    }
    // One wait shared by every operation that arrives while the connection is being established.
    this.connecting ??= new Promise<string | undefined>((resolve) => {
      const finish = (reason?: string): void => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('reconnecting', onDown);
        client.off('end', onDown);
        this.connecting = undefined;
        resolve(reason);
      };
      const onReady = (): void => finish();
      // Not 'close': a cluster client passes through it while it connects.
      const onDown = (): void => finish(`cannot connect${this.causeNote()}`);
      const timer = setTimeout(
        () => finish(`not connected within ${this.timeoutMs} ms${this.causeNote()}`),
        this.timeoutMs,
      );
      client.on('ready', onReady);
      client.on('reconnecting', onDown);
      client.on('end', onDown);
    });
    const reason = await this.connecting;
    if (reason !== undefined) throw this.failure(operation, reason);
  }

  private async readApproval(id: string, operation: string): Promise<ApprovalRecord | undefined> {
    const key = `${this.namespace}approval:${id}`;
    const fields = await this.run(operation, (client) => client.hmget(key, ...APPROVAL_FIELDS));
    return fields[0] == null ? undefined : decodeApproval(fields, 0);
  }

  /** TTL (ms) of an approval that stops mattering at `over` (epoch ms): kept for the retention after it. */
  private approvalTtl(over: number): number {
    const ttl = Math.ceil(over + this.retentionMs - this.now());
    return Number.isFinite(ttl) ? Math.max(ttl, MIN_APPROVAL_TTL_MS) : this.retentionMs;
  }

  // ---- Approval wake-ups ---------------------------------------------------------------------------

  /** Opens the subscriber connection and subscribes to decisions (once; again after a failure). */
  private subscribe(): Promise<void> {
    this.subscription ??= this.openSubscriber().catch((error: unknown) => {
      this.subscription = undefined;
      throw error;
    });
    return this.subscription;
  }

  private async openSubscriber(): Promise<void> {
    // Its own connection (subscribed connections take no other commands). It may queue: SUBSCRIBE is
    // harmless to run late, and the timeout below bounds the wait.
    const override = { enableOfflineQueue: true, maxRetriesPerRequest: null, lazyConnect: false };
    const subscriber = this.client.isCluster
      ? (this.client as Cluster).duplicate(undefined, override)
      : (this.client as Redis).duplicate(override);
    subscriber.on('error', () => {
      // Reported through the main connection's failures; the subscriber reconnects by itself.
    });
    subscriber.on('message', (channel: string, id: string) => {
      if (channel === this.channel) void this.wake(id);
    });
    try {
      await this.run('waitForApproval', () => subscriber.subscribe(this.channel));
    } catch (error) {
      subscriber.disconnect();
      throw error;
    }
    // After a reconnection: subscribe again (ioredis does too; this tells us when it is done) and read
    // every awaited approval, in case it was decided while the connection was down.
    subscriber.on('ready', () => {
      subscriber.subscribe(this.channel).then(
        () => {
          for (const id of this.waiters.keys()) void this.wake(id);
        },
        () => {},
      );
    });
    if (this.closed) subscriber.disconnect();
    else this.subscriber = subscriber;
  }

  /** Reads an awaited approval and finishes its waiters when it has been decided. */
  private async wake(id: string): Promise<void> {
    if (!this.waiters.get(id)?.size) return;
    const record = await this.readApproval(id, 'waitForApproval').catch(() => undefined);
    if (!record || record.status === 'pending') return;
    for (const waiter of [...(this.waiters.get(id) ?? [])]) waiter.finish(structuredClone(record));
  }

  // ---- Audit ---------------------------------------------------------------------------------------

  /** Appends queued batches, combining those waiting into one script run, in order. */
  private async drainAudit(): Promise<void> {
    if (this.auditDraining) return;
    this.auditDraining = true;
    try {
      while (this.auditQueue.length > 0) {
        let count = 0;
        let take = 0;
        while (
          take < this.auditQueue.length &&
          (take === 0 || count + this.auditQueue[take]!.entries.length <= AUDIT_BATCH)
        )
          count += this.auditQueue[take++]!.entries.length;
        const batch = this.auditQueue.splice(0, take);
        try {
          const records = await this.appendChained(batch.flatMap((item) => item.entries));
          let offset = 0;
          for (const item of batch) {
            item.resolve(records.slice(offset, offset + item.entries.length));
            offset += item.entries.length;
          }
        } catch (error) {
          for (const item of batch) item.reject(error);
        }
      }
    } finally {
      this.auditDraining = false;
    }
  }

  /**
   * Queues a check-and-append of audit records (an `a` operation of the next script run): with the
   * reservations and settlements of its tick, or while they flow, of the next one within
   * {@link AUDIT_WAIT_MS}.
   */
  private queueAudit(
    tipSeq: string,
    tipHash: string,
    bound: string,
    lastSeq: string,
    lastHash: string,
    pairs: readonly string[],
  ): Promise<Reply> {
    const args = this.opArgs;
    args.push('a', String(5 + pairs.length), tipSeq, tipHash, bound, lastSeq, lastHash);
    for (const text of pairs) args.push(text);
    if (!this.flushDue && this.auditTimer === undefined) {
      if (performance.now() - this.lastOpsAt < AUDIT_WAIT_MS)
        this.auditTimer = setTimeout(this.flushOps, AUDIT_WAIT_MS);
      else this.scheduleFlush();
    }
    return this.pushOp('appendAudit', false, undefined, undefined);
  }

  /** Hashes `entries` onto the tip this instance expects and appends them if the tip has not moved. */
  private async appendChained(entries: PreparedAuditEntry[]): Promise<AuditRecord[]> {
    for (let attempt = 0; attempt < AUDIT_ATTEMPTS; attempt++) {
      const tip = this.auditTip;
      const records = chainAuditEntries(tip, entries);
      const last = records[records.length - 1]!;
      // Each record's JSON built around its data's JSON, which the entry already has: not serialised again.
      const pairs: string[] = new Array(2 * records.length);
      for (let index = 0; index < records.length; index++) {
        const record = records[index]!;
        pairs[2 * index] = String(record.seq);
        pairs[2 * index + 1] = auditRecordLine(record, entries[index]![AUDIT_DATA_JSON]);
      }
      const reply = await this.queueAudit(
        String(tip?.seq ?? 0),
        tip?.hash ?? GENESIS_HASH,
        this.maxAuditRecords === undefined ? '' : String(this.maxAuditRecords),
        String(last.seq),
        last.hash,
        pairs,
      );
      if (reply[0] === 1) {
        this.auditTip = { seq: last.seq, hash: last.hash };
        return records;
      }
      // Another client appended first: chain onto the tip Redis reported and try again.
      const seq = Number(reply[1]);
      this.auditTip = seq === 0 ? undefined : { seq, hash: String(reply[2]) };
    }
    throw this.failure('appendAudit', `the audit chain's tip kept moving (${AUDIT_ATTEMPTS} attempts)`);
  }

  // ---- Errors --------------------------------------------------------------------------------------

  private failure(operation: string, reason: string, cause?: unknown): RedisStoreError {
    return new RedisStoreError({ server: this.server, namespace: this.prefix, operation, reason, cause });
  }

  private wrap(operation: string, error: unknown): unknown {
    if (RedisStoreError.isInstance(error)) return error;
    const message = (error as Error)?.message ?? String(error);
    if ((error as Error)?.name === 'ReplyError' && message.startsWith('GENOPS_EPOCH'))
      return this.epochFailure(message.slice('GENOPS_EPOCH'.length).trim());
    if ((error as Error)?.name === 'ReplyError' && message.includes('GENOPS_MONEY ')) {
      // The namespace's micro-USD amounts could not become nano-USD exactly: nothing was migrated.
      const [what = '', received = ''] = message.slice(message.indexOf('GENOPS_MONEY ') + 13).split(' ');
      return new StoreAmountError({
        store: 'redis',
        operation: 'migrate',
        id: `namespace "${this.prefix}" to nano-USD`,
        field: `line "${what}" ×1000 (micro- to nano-USD)`,
        received: Number(received),
      });
    }
    if ((error as Error)?.name === 'ReplyError') return this.failure(operation, `Redis replied "${message}"`, error);
    if (
      (error as Error)?.name === 'MaxRetriesPerRequestError' ||
      message.includes("Stream isn't writeable") ||
      message.includes('Connection is closed')
    )
      return this.failure(operation, `the connection was lost${this.causeNote() || ' (socket closed)'}`, error);
    return this.failure(operation, message, error);
  }

  /**
   * The error of an operation of a batch: `kind` 'E' when the script refused it on purpose (not a store
   * failure), 'F' when a Redis command failed inside it.
   */
  private replyError(operation: string, kind: 'E' | 'F', message: string): Error {
    if (kind === 'F') return this.failure(operation, `Redis replied "${message}"`);
    if (message.startsWith('GENOPS_LEDGER ')) {
      // A line's total would pass 2^53 - 1: refused by the script before it changed anything.
      const [total = '', id = '', ...key] = message.slice('GENOPS_LEDGER '.length).split(' ');
      return new StoreAmountError({
        store: 'redis',
        operation,
        id,
        field: `the total of line "${key.join(' ')}"`,
        received: Number(total),
      });
    }
    // e.g. a reservation id already open.
    return new Error(message);
  }

  private causeNote(): string {
    return this.lastError ? ` (${this.lastError.message})` : '';
  }

  private statusNote(): string {
    return this.client.status === 'ready' ? '' : ` (connection ${this.client.status}${this.causeNote()})`;
  }
}

// ---- Encoding ----------------------------------------------------------------------------------------

/** The text of the error Redis replied with (directly or as the cause of a store error), else `undefined`. */
function replyText(error: unknown): string | undefined {
  const reply = RedisStoreError.isInstance(error) ? error.cause : error;
  return (reply as Error | undefined)?.name === 'ReplyError' ? (reply as Error).message : undefined;
}

/** Lines as the scripts read them: arrays of strings, numbers in decimal (never through cjson's encoder). */
function encodeLines(lines: readonly BudgetLine[]): string {
  return JSON.stringify(
    lines.map((line) => [
      line.key,
      line.budget,
      line.unit,
      String(line.limit),
      String(line.amount),
      line.enforce ? '1' : '0',
      line.expiresAt == null ? '' : String(line.expiresAt),
      line.rolling ? String(line.rolling.windowMs) : '',
      line.rolling ? String(line.rolling.bucketMs) : '',
    ]),
  );
}

/** Hands a queued reservation or settlement its result from its (successful) reply in a batch. */
function settleOp(op: QueuedOp, reply: Reply): void {
  if (op.operation === 'settle') op.resolve({ open: reply[0] === 1, lines: decodeStates(reply, 1) } as never);
  else if (reply[0] === 1) {
    const lines = reservedStates(op.lines!, reply);
    op.resolve((op.sent ? { ok: true, lines, sent: true } : { ok: true, lines }) as never);
  } else
    op.resolve({
      ok: false,
      failed: decodeStates(reply.slice(0, 7), 1)[0]!,
      requested: parseNumber(reply[7]),
    } as never);
}

/**
 * A reservation's line states: each request line's key, budget, unit and limit (the line is configured
 * so; a key the request names twice is configured as its last line says) with the used and reserved
 * amounts of the reply.
 */
function reservedStates(lines: readonly BudgetLine[], reply: Reply): LineState[] {
  const count = lines.length;
  let last: Map<string, BudgetLine> | undefined;
  if (count > 16) {
    last = new Map();
    for (const line of lines) last.set(line.key, line);
  }
  const states: LineState[] = new Array(count);
  for (let index = 0; index < count; index++) {
    let line = lines[index]!;
    if (last) line = last.get(line.key)!;
    else
      for (let later = count - 1; later > index; later--)
        if (lines[later]!.key === line.key) {
          line = lines[later]!;
          break;
        }
    states[index] = {
      key: line.key,
      budget: line.budget,
      unit: line.unit,
      limit: line.limit,
      used: parseNumber(reply[2 * index + 1]),
      reserved: parseNumber(reply[2 * index + 2]),
    };
  }
  return states;
}

/** Line states from a script reply: six fields each, from `start`. */
function decodeStates(reply: Reply, start: number): LineState[] {
  const states: LineState[] = [];
  for (let index = start; index + 6 <= reply.length; index += 6) {
    states.push({
      key: String(reply[index]),
      budget: String(reply[index + 1]),
      unit: String(reply[index + 2]) as LineUnit,
      limit: parseNumber(reply[index + 3]),
      used: parseNumber(reply[index + 4]),
      reserved: parseNumber(reply[index + 5]),
    });
  }
  return states;
}

/** An approval from its hash fields (`APPROVAL_FIELDS` order) in `reply` from `start`. */
function decodeApproval(reply: Reply, start: number): ApprovalRecord {
  const record = JSON.parse(String(reply[start])) as ApprovalRecord;
  record.status = String(reply[start + 1]) as ApprovalStatus;
  const decidedAt = reply[start + 2];
  const decidedBy = reply[start + 3];
  const reason = reply[start + 4];
  if (decidedAt != null) record.decidedAt = parseNumber(decidedAt);
  if (decidedBy != null) record.decidedBy = String(decidedBy);
  if (reason != null) record.decisionReason = String(reason);
  return record;
}

/** A number the scripts wrote (`inf`, `-inf` and `nan` as Lua prints them). */
function parseNumber(value: string | number | null | undefined): number {
  if (typeof value === 'number') return value;
  if (value === 'inf') return Number.POSITIVE_INFINITY;
  if (value === '-inf') return Number.NEGATIVE_INFINITY;
  return Number(value);
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

// ---- Connections -------------------------------------------------------------------------------------

/** `redis://host:port/db` without user or password, for messages. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const port = parsed.port || '6379';
    const db = parsed.pathname && parsed.pathname !== '/' ? parsed.pathname : '';
    return `${parsed.protocol}//${parsed.hostname}:${port}${db}`;
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}

function describeClient(client: Client): string {
  if (client.isCluster) return 'Redis Cluster';
  const options = (client as Redis).options;
  if (options.path) return `redis+unix://${options.path}`;
  const db = options.db ? `/${options.db}` : '';
  return `${options.tls ? 'rediss' : 'redis'}://${options.host ?? '127.0.0.1'}:${options.port ?? 6379}${db}`;
}

/** Quits a connection, or drops it when it does not answer in time. */
async function quit(client: Client, timeoutMs: number): Promise<void> {
  if (client.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('quit timed out')), timeoutMs);
      }),
    ]);
  } catch {
    client.disconnect();
  } finally {
    clearTimeout(timer);
  }
}
