import type { KeyObject } from 'node:crypto';
import { type Context, diag, logs, ROOT_CONTEXT } from '@opentelemetry/api';
import { requireFrom } from '../require-from';
import type { AuditEntry, AuditRecord, GovernanceStore } from '../store/types';
import { VERSION } from '../version';
import {
  type AuditCheckpointData,
  type AuditSigningKey,
  type CheckpointSigner,
  checkpointPayload,
  createCheckpointSigner,
} from './checkpoint';
import { AuditFileWriter } from './file-writer';
import { auditLineFromBody, auditRecordLine, canonicalJson, PreparedEntry, serialiseAuditData } from './hash';
import { formatAuditRecord } from './jsonl';
import { shortSubject } from './record-shape';

/** A log attribute value the audit trail writes: a primitive, or an array of one primitive type. */
export type AuditAttributeValue = string | number | boolean | string[] | number[] | boolean[];

/** The OpenTelemetry log record emitted for each appended audit record. */
export interface AuditLogRecord {
  /** `genops.audit.<type>`, e.g. `genops.audit.decision`. */
  eventName: string;
  /** The record's `at`. */
  timestamp: Date;
  /** INFO (9). */
  severityNumber: number;
  severityText: string;
  /** A short summary for a person, e.g. `decision 3f2c41aa…: result=BLOCKED reasonCode=… (audit #17)`. */
  body: string;
  /**
   * `genops.audit.seq`, `.hash`, `.prev_hash`, `.type`, `.subject`, and `genops.audit.data.<key>` for each
   * member of `data`: primitives and arrays of one primitive type as they are, other values as JSON,
   * `null` left out.
   */
  attributes: Record<string, AuditAttributeValue>;
  /**
   * Always the root context: records are emitted in batches after the calls that made them, so the span
   * active at that moment is unrelated. The record's `subject` (the AWU id) links it to its call.
   */
  context: Context;
}

/**
 * The part of an OpenTelemetry `Logger` the audit trail uses. Loggers from `@opentelemetry/api` 1.10+
 * (what OpenTelemetry JS 3.x `LoggerProvider`s return) and from `@opentelemetry/api-logs` both fit.
 */
export interface AuditLogger {
  emit(logRecord: AuditLogRecord): void;
  enabled?(options?: { eventName?: string; context?: Context }): boolean;
}

/** Options of {@link AuditTrail}. */
export interface AuditTrailOptions {
  /** Where records are appended (and chained): the governance store. */
  store: Pick<GovernanceStore, 'appendAudit' | 'appendAuditSync'>;
  /** Emit each appended record as an OpenTelemetry log record (see {@link getAuditLogger}). */
  logger?: AuditLogger | undefined;
  /** Mirror each appended record to this JSON Lines file (see `appendAuditFile`). */
  file?: string | undefined;
  /** `fsync` the mirror file after each batch. Default `false`. */
  fsync?: boolean | undefined;
  /**
   * Longest wait for one write to the file before it is reported stuck (a hung disk or network mount):
   * the store's chain never waits for the file; lines wait behind a stuck write, and `flush()`/`close()`
   * stop waiting for the file after this long. Default 5000 ms.
   */
  fileTimeoutMs?: number | undefined;
  /** Most records waiting for the file; beyond it the oldest are left out of the file (the store has them). Default 100 000. */
  maxFileQueue?: number | undefined;
  /**
   * Signed checkpoints (docs/audit.md, "Anchoring the chain"): every `everyRecords` records (default
   * 1000), at the first append `intervalMs` after the last one (default 60 000), and a final one at
   * `close()`, each a `checkpoint` record in the chain that signs the seq and hash of the head.
   */
  checkpoint?: { key: AuditSigningKey; everyRecords?: number | undefined; intervalMs?: number | undefined } | undefined;
  /** Most entries per `appendAudit` call. Default 100. */
  batchSize?: number | undefined;
  /**
   * How long entries wait to be batched before a flush starts. Default 0: on the next microtask (entries
   * recorded in the same tick, or while an append is in flight, go together). A queue of `batchSize`
   * entries starts a flush at once.
   */
  flushIntervalMs?: number | undefined;
  /**
   * When a flush with `flushIntervalMs: 0` starts: `'microtask'` (the default) on the next microtask, or
   * `'immediate'` in the event loop's check phase (`setImmediate`), after the code that recorded the
   * entries (a governed call's caller, reading its result) has run on: the hashing and the append are
   * then off the call's path, and the records of every call made in the same turn go together.
   * `flush()` and `close()` wait for them either way.
   */
  flushTiming?: 'microtask' | 'immediate' | undefined;
  /**
   * Most entries waiting while the store fails. Beyond it the oldest waiting entries are dropped (reported
   * through `diag.error` with counts): they will never be in the audit chain. Default 100 000.
   */
  maxQueueSize?: number | undefined;
  /** First retry delay after a failed append; it doubles per failure (with jitter). Default 100 ms. */
  retryDelayMs?: number | undefined;
  /** Longest retry delay. Default 30 000 ms. */
  maxRetryDelayMs?: number | undefined;
}

const LOGGER_NAME = '@genops/core';
/** INFO in the OpenTelemetry log data model. */
const SEVERITY_INFO = 9;
/** Data members shown in a log record's body, in this order, when present. */
const SUMMARY_KEYS = ['result', 'status', 'reasonCode', 'rule', 'reservedUsd', 'actualUsd', 'decidedBy'];
/** Least time between two repeated diagnostics of the same kind. */
const LOG_INTERVAL_MS = 5_000;
/** Resolved once: {@link AuditTrail} queues its drains as reactions to it. */
const SCHEDULED: Promise<void> = Promise.resolve();

interface Batch {
  /** Normalised entries to append (invalid ones already dropped). */
  entries: PreparedEntry[];
  /** A checkpoint of this trail's own (not a recorded entry: `start > end`). */
  checkpoint?: 'periodic' | 'final';
  /** Ordinals (1 = first entry ever recorded) of the first and last entry taken. */
  start: number;
  end: number;
}

interface Waiter {
  target: number;
  resolve: (done: boolean) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * The audit trail the governor writes to on the hot path. `record()` only queues (synchronous, O(1),
 * never throws); entries are appended to the store in order, in batches, one `appendAudit` call at a time.
 *
 * When an append fails, the batch is kept and retried with exponential backoff for as long as the store
 * fails; entries recorded meanwhile wait behind it, in order. Nothing is lost unless more than
 * `maxQueueSize` entries wait (then the oldest waiting ones are dropped, with a `diag.error` saying how
 * many), an entry is not JSON data (dropped, `diag.error`), the process exits before `flush()`/`close()`
 * complete (retry timers do not keep a process alive), or `close()` times out. A store reply lost after
 * the store committed the batch makes the retry append it twice (the chain then holds both copies,
 * correctly linked).
 *
 * After each successful append, the returned records are emitted through `logger` and handed to the
 * file's own queue (see `AuditFileWriter`): the store's chain never waits for the file. A failing or
 * stuck file is reported through `diag` and does not stop the trail (the file then lacks those records,
 * which `verifyAuditChain` reports as missing); the store has them.
 *
 * With `checkpoint`, the trail appends signed `checkpoint` records (see `checkpoint.ts`) after every
 * `everyRecords` records, at the first append `intervalMs` after the last one, and a final one at
 * `close()`.
 *
 * Entries are not copied when recorded: do not change an entry after passing it to `record()`. Their
 * `data` is serialised once to canonical JSON (as `JSON.stringify` then sorted keys would write it);
 * that text is what the store hashes and the file gets, so what is hashed is what a JSON-based store or
 * file reads back.
 */
export class AuditTrail {
  private readonly store: Pick<GovernanceStore, 'appendAudit' | 'appendAuditSync'>;
  private readonly logger: AuditLogger | undefined;
  private readonly fileWriter: AuditFileWriter | undefined;
  private readonly signer: CheckpointSigner | undefined;
  private readonly checkpointEvery: number;
  private readonly checkpointIntervalMs: number;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly flushImmediate: boolean;
  private readonly maxQueueSize: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;

  /** Waiting entries are `queue[head..]`; `queueStart` is the ordinal of `queue[head]`. */
  private queue: AuditEntry[] = [];
  private head = 0;
  private queueStart = 1;
  private recorded = 0;
  private batch: Batch | undefined;
  private draining = false;
  private scheduled: 'microtask' | 'immediate' | 'timer' | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private wake: (() => void) | undefined;
  private waiters: Waiter[] = [];
  private failures = 0;
  private lastFailureLog = 0;
  private droppedTotal = 0;
  private droppedUnreported = 0;
  private lastDropLog = 0;
  private lastEmitErrorLog = 0;
  private closed = false;
  private stopped = false;
  /** The last record this trail appended (what a checkpoint signs), and how many it appended. */
  private headRecord: { seq: number; hash: string } | undefined;
  private appendedCount = 0;
  /** Records (not checkpoints) appended since the last checkpoint. */
  private unanchored = 0;
  private lastCheckpointAt = Date.now();
  private lastCheckpointFinal = false;
  private finalWanted: (() => void) | undefined;

  constructor(options: AuditTrailOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.fileWriter =
      options.file === undefined
        ? undefined
        : new AuditFileWriter({
            path: options.file,
            fsync: options.fsync ?? false,
            timeoutMs: option('fileTimeoutMs', options.fileTimeoutMs, 5_000, 1, false),
            maxQueued: option('maxFileQueue', options.maxFileQueue, 100_000, 1, true),
          });
    this.signer = options.checkpoint ? createCheckpointSigner(options.checkpoint.key) : undefined;
    this.checkpointEvery = option('checkpoint.everyRecords', options.checkpoint?.everyRecords, 1_000, 1, true);
    this.checkpointIntervalMs = option('checkpoint.intervalMs', options.checkpoint?.intervalMs, 60_000, 0, false);
    this.batchSize = option('batchSize', options.batchSize, 100, 1, true);
    this.flushIntervalMs = option('flushIntervalMs', options.flushIntervalMs, 0, 0, false);
    this.flushImmediate = options.flushTiming === 'immediate';
    this.maxQueueSize = option('maxQueueSize', options.maxQueueSize, 100_000, 1, true);
    this.retryDelayMs = option('retryDelayMs', options.retryDelayMs, 100, 1, false);
    this.maxRetryDelayMs = Math.max(
      this.retryDelayMs,
      option('maxRetryDelayMs', options.maxRetryDelayMs, 30_000, 1, false),
    );
  }

  /** Entries recorded and not yet appended to the store (waiting or in flight). */
  get pending(): number {
    return (this.batch ? this.batch.end - this.batch.start + 1 : 0) + this.queue.length - this.head;
  }

  /** Entries dropped so far (queue over `maxQueueSize`, not JSON data, recorded after `close()`). */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Queues an entry for the audit chain. Synchronous and O(1); never throws, never waits for the store. */
  record(entry: AuditEntry): void {
    try {
      if (this.closed) {
        this.droppedTotal += 1;
        if (this.droppedTotal === 1 || Date.now() - this.lastDropLog >= LOG_INTERVAL_MS) {
          this.lastDropLog = Date.now();
          diag.warn(`genops: audit entry (${entry?.type} of ${entry?.subject}) recorded after close() was dropped`);
        }
        return;
      }
      this.queue.push(entry);
      this.recorded += 1;
      if (this.queue.length - this.head > this.maxQueueSize) this.dropOldest();
      this.schedule();
    } catch (error) {
      diag.error('genops: could not queue an audit entry', error);
    }
  }

  /**
   * Resolves once every entry recorded before the call is appended to the store (and mirrored to the file
   * and the logger) or dropped. While the store fails this waits (retrying at once rather than after the
   * backoff); `close()` bounds the wait. Never rejects.
   */
  async flush(): Promise<void> {
    await this.settle(undefined);
    await this.fileWriter?.flush();
  }

  /**
   * Stops accepting entries (later ones are dropped with a `diag.warn`) and flushes. When the store still
   * fails after `timeoutMs` (default 5000), the entries left are dropped with a `diag.error` saying how
   * many. Never rejects; calling it again waits again.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.closed = true;
    const timeoutMs = options.timeoutMs ?? 5_000;
    const deadline = Date.now() + timeoutMs;
    let done = await this.settle(timeoutMs);
    if (done && this.signer && this.headRecord && (this.unanchored > 0 || !this.lastCheckpointFinal))
      done = await this.finalCheckpoint(Math.max(1, deadline - Date.now()));
    if (!done && !this.stopped) {
      const lost = this.pending;
      this.stopped = true;
      this.droppedTotal += lost;
      this.queue = [];
      this.head = 0;
      this.queueStart = this.recorded + 1;
      this.batch = undefined;
      this.wake?.();
      diag.error(
        lost > 0
          ? `genops: audit trail closed with ${lost} entries not appended (the store kept failing); they are not in the audit chain`
          : `genops: audit trail closed without its final checkpoint (the store kept failing or did not answer within ${timeoutMs} ms); every entry is in the chain`,
      );
    }
    this.cancelScheduled();
    this.reportDrops(true);
    if (this.stopped) {
      for (const waiter of this.waiters) {
        if (waiter.timer) clearTimeout(waiter.timer);
        waiter.resolve(false);
      }
      this.waiters = [];
    }
    // The store has everything it will get; the file gets its own (bounded) time.
    await this.fileWriter?.flush();
  }

  /** Appends the final checkpoint; `false` when it is not in the store within `timeoutMs`. */
  private finalCheckpoint(timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.finalWanted = undefined;
        resolve(false);
      }, timeoutMs);
      // biome-ignore lint/plugin: one per wait for the final flush (shutdown), not per call
      this.finalWanted = () => {
        clearTimeout(timer);
        this.finalWanted = undefined;
        resolve(true);
      };
      this.kick();
    });
  }

  /** Whether a checkpoint goes next (before more queued entries), and which. */
  private checkpointDue(): 'periodic' | 'final' | undefined {
    if (!this.signer || !this.headRecord) return undefined;
    if (this.finalWanted) return this.queue.length > this.head ? undefined : 'final';
    if (this.unanchored === 0) return undefined;
    if (this.unanchored >= this.checkpointEvery || Date.now() - this.lastCheckpointAt >= this.checkpointIntervalMs)
      return 'periodic';
    return undefined;
  }

  /** A checkpoint entry signing the head this trail knows. */
  private checkpointEntry(kind: 'periodic' | 'final'): PreparedEntry {
    const signer = this.signer as CheckpointSigner;
    const head = this.headRecord as { seq: number; hash: string };
    const at = Date.now();
    const unsigned = {
      alg: signer.alg,
      keyId: signer.keyId,
      seq: head.seq,
      hash: head.hash,
      count: this.appendedCount,
      final: kind === 'final',
    };
    const data: AuditCheckpointData = { ...unsigned, sig: signer.sign(checkpointPayload(unsigned, at)) };
    const { json } = serialiseAuditData(data);
    return new PreparedEntry('checkpoint', at, signer.keyId, { ...data }, json);
  }

  /** Waits until everything recorded so far is settled: `true`, or `false` when `timeoutMs` ran out first. */
  private settle(timeoutMs: number | undefined): Promise<boolean> {
    const target = this.recorded;
    if (this.oldestPending() > target) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = { target, resolve, timer: undefined };
      if (timeoutMs !== undefined)
        waiter.timer = setTimeout(() => {
          this.waiters = this.waiters.filter((other) => other !== waiter);
          resolve(false);
        }, timeoutMs);
      this.waiters.push(waiter);
      this.kick();
    });
  }

  private oldestPending(): number {
    if (this.batch) return this.batch.start;
    return this.queue.length > this.head ? this.queueStart : this.recorded + 1;
  }

  private schedule(): void {
    if (this.draining || this.stopped || this.scheduled === 'microtask') return;
    const full = this.queue.length - this.head >= this.batchSize;
    if (this.flushImmediate && this.flushIntervalMs === 0 && !full) {
      // After the recording code's continuation, in the check phase: off the governed call's path.
      if (this.scheduled === 'immediate') return;
      this.scheduled = 'immediate';
      this.immediate = setImmediate(this.drainScheduled);
    } else if (this.flushIntervalMs === 0 || full) {
      this.cancelScheduled();
      this.scheduled = 'microtask';
      // A reaction on a resolved promise: what `queueMicrotask` does, without its per-call AsyncResource.
      SCHEDULED.then(this.drainScheduled);
    } else if (this.scheduled === undefined) {
      this.scheduled = 'timer';
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.scheduled = undefined;
        this.startDrain();
      }, this.flushIntervalMs);
    }
  }

  /** Starts the work now: a waiting timer, immediate or retry backoff is cut short. */
  private kick(): void {
    if (this.wake) this.wake();
    else if (!this.draining && this.scheduled !== 'microtask') {
      this.cancelScheduled();
      this.scheduled = undefined;
      this.startDrain();
    }
  }

  /** Cancels a waiting flush timer or immediate. */
  private cancelScheduled(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
  }

  /** An append {@link drainSync} started that answered with a promise: the asynchronous loop awaits it. */
  private handedOver: Promise<AuditRecord[]> | undefined;

  /** The microtask {@link schedule} queues (one function for the trail's lifetime). */
  private readonly drainScheduled = (): void => {
    this.scheduled = undefined;
    this.immediate = undefined;
    try {
      this.startDrain();
    } catch (error) {
      diag.error('genops: audit trail failed unexpectedly', error);
    }
  };

  private startDrain(): void {
    if (this.draining || this.stopped) return;
    // A store in this process (the memory store) appends synchronously: no promise per batch. Anything
    // it throws leaves the batch in place for the asynchronous loop, which retries and reports it.
    if (this.failures === 0 && this.store.appendAuditSync && this.drainSync(this.store.appendAuditSync)) return;
    this.drain().catch((error: unknown) => diag.error('genops: audit trail failed unexpectedly', error));
  }

  /**
   * The loop of {@link drain} for a store that appends synchronously. Returns `false` when an append
   * threw: that batch is still {@link batch}, and the asynchronous loop takes over.
   */
  private drainSync(append: NonNullable<GovernanceStore['appendAuditSync']>): boolean {
    this.draining = true;
    try {
      for (;;) {
        if (this.stopped) return true;
        const batch = this.nextBatch();
        if (!batch) return true;
        if (batch.entries.length > 0) {
          let records: AuditRecord[] | Promise<AuditRecord[]>;
          try {
            records = append.call(this.store, batch.entries);
          } catch {
            return false;
          }
          if (typeof (records as { then?: unknown }).then === 'function') {
            // A wrapper that forwards to an asynchronous store: the asynchronous loop awaits this append.
            this.handedOver = records as Promise<AuditRecord[]>;
            return false;
          }
          this.appended(batch, records as AuditRecord[]);
        }
        this.batchDone(batch);
      }
    } finally {
      this.draining = false;
      this.resolveWaiters();
    }
  }

  /** The one loop that appends: batch after batch, in order, until the queue is empty. */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (;;) {
        if (this.stopped) break;
        const batch = this.nextBatch();
        if (!batch) break;
        if (batch.entries.length > 0) {
          let records: AuditRecord[];
          try {
            const handedOver = this.handedOver;
            this.handedOver = undefined;
            records = await (handedOver ?? this.store.appendAudit(batch.entries));
          } catch (error) {
            this.failures += 1;
            if (this.stopped) break;
            const delay = this.retryDelay();
            this.reportFailure(error, batch.entries.length, delay);
            await this.sleep(delay);
            continue;
          }
          this.appended(batch, records);
        }
        this.batchDone(batch);
      }
    } finally {
      this.draining = false;
      this.resolveWaiters();
    }
    if (!this.stopped && this.queue.length > this.head) this.schedule();
  }

  /** The batch in flight (kept while its append is retried), else a due checkpoint, else the next queued entries. */
  private nextBatch(): Batch | undefined {
    if (this.batch) return this.batch;
    const due = this.checkpointDue();
    if (due) {
      this.batch = {
        entries: [this.checkpointEntry(due)],
        start: this.queueStart,
        end: this.queueStart - 1,
        checkpoint: due,
      };
      return this.batch;
    }
    const count = Math.min(this.queue.length - this.head, this.batchSize);
    if (count === 0) return undefined;
    const taken = this.queue.slice(this.head, this.head + count);
    this.head += count;
    const start = this.queueStart;
    this.queueStart += count;
    this.compact();
    this.batch = { entries: this.normalise(taken), start, end: start + count - 1 };
    return this.batch;
  }

  /** The store took the batch: note the new head, then mirror the records to the logger and the file. */
  private appended(batch: Batch, records: AuditRecord[]): void {
    if (this.failures > 0) {
      diag.info(`genops: audit store append succeeded after ${this.failures} failed attempts`);
      this.failures = 0;
      this.reportDrops(true);
    }
    this.noteAppended(records, batch);
    try {
      this.publish(records, batch.entries);
    } catch {
      // Appended already: never let mirroring make the batch go to the store again.
    }
  }

  private batchDone(batch: Batch): void {
    this.batch = undefined;
    if (batch.checkpoint === 'final') this.finalWanted?.();
    this.resolveWaiters();
  }

  /** What a checkpoint will sign: the head this trail appended, and how much is not anchored yet. */
  private noteAppended(records: readonly AuditRecord[], batch: Batch): void {
    const last = Array.isArray(records) ? records[records.length - 1] : undefined;
    if (!last) return;
    this.headRecord = { seq: last.seq, hash: last.hash };
    this.appendedCount += records.length;
    if (batch.checkpoint) {
      this.unanchored = 0;
      this.lastCheckpointAt = Date.now();
      this.lastCheckpointFinal = batch.checkpoint === 'final';
    } else {
      this.unanchored += records.length;
      this.lastCheckpointFinal = false;
    }
  }

  /**
   * Entries as plain JSON, each serialised once (canonical JSON, kept on the entry for the store's hash
   * and the file's line); an entry that cannot be stored is dropped here rather than blocking the queue.
   */
  private normalise(entries: AuditEntry[]): PreparedEntry[] {
    // The calls' decisions and settlements (see `call-records.ts`) come prepared: the batch as it is.
    let index = 0;
    while (index < entries.length && entries[index] instanceof PreparedEntry) index++;
    if (index === entries.length) return entries as PreparedEntry[];
    const result = entries.slice(0, index) as PreparedEntry[];
    for (; index < entries.length; index++) {
      const entry = entries[index] as AuditEntry;
      if (entry instanceof PreparedEntry) {
        result.push(entry);
        continue;
      }
      try {
        if (typeof entry !== 'object' || entry === null) throw new TypeError('it is not an object');
        const { type, at, subject, data } = entry;
        if (typeof type !== 'string' || (type as string) === '')
          throw new TypeError('"type" is not a non-empty string');
        if (typeof at !== 'number' || !Number.isFinite(at)) throw new TypeError('"at" is not a finite number');
        if (typeof subject !== 'string') throw new TypeError('"subject" is not a string');
        if (typeof data !== 'object' || data === null || Array.isArray(data))
          throw new TypeError('"data" is not an object');
        const serialised = serialiseAuditData(data);
        if (!serialised.json.startsWith('{')) throw new TypeError('"data" is not a JSON object');
        // Plain data is kept as it is (the trail owns entries once recorded); anything else as JSON reads it back.
        const plain = serialised.plain ? data : (JSON.parse(serialised.json) as Record<string, unknown>);
        result.push(new PreparedEntry(type, at, subject, plain, serialised.json));
      } catch (error) {
        this.droppedTotal += 1;
        const reason = error instanceof Error ? error.message : String(error);
        diag.error(`genops: audit entry dropped (${entry?.type} of ${entry?.subject}): it cannot be stored: ${reason}`);
      }
    }
    return result;
  }

  /**
   * Mirrors appended records to the logger and hands their lines to the file's own queue (never waits
   * for the file). Never throws.
   */
  private publish(records: readonly AuditRecord[], entries: readonly PreparedEntry[]): void {
    if (!Array.isArray(records) || records.length === 0) return;
    if (this.logger) {
      const error = emitAuditLogs(this.logger, records);
      if (error !== undefined && Date.now() - this.lastEmitErrorLog >= LOG_INTERVAL_MS) {
        this.lastEmitErrorLog = Date.now();
        diag.error('genops: could not emit audit log records', error);
      }
    }
    if (this.fileWriter) {
      // The store returns one record per entry, in order: each line reuses the text the store hashed (the
      // record's body) when the store made it, else the entry's serialised data.
      const aligned = records.length === entries.length;
      let text = '';
      for (let index = 0; index < records.length; index++) {
        const record = records[index] as AuditRecord;
        const entry = aligned ? entries[index] : undefined;
        text += `${
          entry === undefined
            ? formatAuditRecord(record)
            : entry.lastBody !== undefined && entry.lastBodySeq === record.seq
              ? auditLineFromBody(entry.lastBody, record.hash, record.prevHash)
              : auditRecordLine(record, entry.json)
        }\n`;
      }
      this.fileWriter.write(text, records[0]?.seq ?? 0, records[records.length - 1]?.seq ?? 0, records.length);
    }
  }

  private resolveWaiters(): void {
    if (this.waiters.length === 0) return;
    const oldest = this.oldestPending();
    this.waiters = this.waiters.filter((waiter) => {
      if (waiter.target >= oldest) return true;
      if (waiter.timer) clearTimeout(waiter.timer);
      waiter.resolve(true);
      return false;
    });
  }

  private dropOldest(): void {
    this.head += 1;
    this.queueStart += 1;
    this.droppedTotal += 1;
    this.droppedUnreported += 1;
    this.compact();
    this.reportDrops(false);
    this.resolveWaiters();
  }

  private reportDrops(force: boolean): void {
    if (this.droppedUnreported === 0) return;
    const now = Date.now();
    if (!force && now - this.lastDropLog < LOG_INTERVAL_MS) return;
    diag.error(
      `genops: audit queue over ${this.maxQueueSize} entries while the store fails: dropped the ${this.droppedUnreported} oldest waiting entries (${this.droppedTotal} dropped in total); they are not in the audit chain`,
    );
    this.lastDropLog = now;
    this.droppedUnreported = 0;
  }

  private reportFailure(error: unknown, count: number, delay: number): void {
    const now = Date.now();
    if (this.failures > 1 && now - this.lastFailureLog < LOG_INTERVAL_MS) return;
    this.lastFailureLog = now;
    diag.error(
      this.failures === 1
        ? `genops: appending ${count} audit entries to the store failed; they are kept in order and retried in ${delay} ms`
        : `genops: the audit store still fails (${this.failures} attempts); ${this.pending} entries waiting, next try in ${delay} ms`,
      error,
    );
  }

  private retryDelay(): number {
    const base = Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** Math.min(this.failures - 1, 30));
    return Math.round(base / 2 + (Math.random() * base) / 2);
  }

  /** Waits `ms`, or less when `kick()` wakes it. Does not keep the process alive. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref?.();
      this.wake = done;
    });
  }

  /** Drops consumed slots so the queue array does not grow without end (amortised O(1)). */
  private compact(): void {
    if (this.head === this.queue.length) {
      // Drained (the usual case): let the taken entries go now. Held until 1,024 piled up, each would
      // outlive young-generation collections and be promoted to the old generation, call after call.
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * The OpenTelemetry logger for audit records (`@genops/core`, {@link VERSION}): from `loggerProvider` when
 * given, otherwise from the global logger provider. OpenTelemetry JS 3.x SDKs register theirs with the Logs
 * API of `@opentelemetry/api` (1.10+); older SDKs with the separate `@opentelemetry/api-logs` package (an
 * optional peer, loaded lazily when installed). Both globals are used, so records reach whichever has a
 * provider (both, when two different providers are registered). Until a provider is registered the logger
 * does nothing and `AuditTrail` skips building log records. `undefined` when no Logs API is available or
 * `loggerProvider` has no `getLogger`.
 */
export function getAuditLogger(loggerProvider?: unknown): AuditLogger | undefined {
  try {
    if (loggerProvider !== undefined && loggerProvider !== null) {
      if (!hasGetLogger(loggerProvider)) {
        diag.warn('genops: loggerProvider has no getLogger(): audit records are not emitted as log records');
        return undefined;
      }
      return loggerProvider.getLogger(LOGGER_NAME, VERSION);
    }
    const providers: ProviderLike[] = [];
    const api = logs as LogsApiLike | undefined;
    if (api) providers.push(api.getLoggerProvider());
    const legacy = loadOptional<{ logs?: LogsApiLike }>('@opentelemetry/api-logs')?.logs;
    if (legacy) {
      const provider = legacy.getLoggerProvider();
      if (!providers.includes(provider)) providers.push(provider);
    }
    const loggers = providers.map((provider) => provider.getLogger(LOGGER_NAME, VERSION));
    if (loggers.length <= 1) return loggers[0];
    return fanOut(loggers);
  } catch (error) {
    diag.warn('genops: could not get an OpenTelemetry logger for audit records', error);
    return undefined;
  }
}

interface ProviderLike {
  getLogger(name: string, version?: string): AuditLogger;
}

interface LogsApiLike {
  getLoggerProvider(): ProviderLike;
}

function hasGetLogger(value: unknown): value is ProviderLike {
  return typeof value === 'object' && value !== null && typeof (value as ProviderLike).getLogger === 'function';
}

function loadOptional<T>(name: string): T | undefined {
  try {
    return requireFrom(import.meta.url)(name) as T;
  } catch {
    return undefined;
  }
}

function fanOut(loggers: readonly AuditLogger[]): AuditLogger {
  return {
    emit(logRecord) {
      let failure: unknown;
      for (const logger of loggers) {
        try {
          logger.emit(logRecord);
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure !== undefined) throw failure;
    },
    enabled(options) {
      // A plain loop: this runs for every record, and `some` with a closure allocates each time.
      for (const logger of loggers) if (typeof logger.enabled !== 'function' || logger.enabled(options)) return true;
      return false;
    },
  };
}

/** Emits one log record per audit record; returns the first error (the others are still tried). */
function emitAuditLogs(logger: AuditLogger, records: readonly AuditRecord[]): unknown {
  let failure: unknown;
  for (let index = 0; index < records.length; index++) {
    const record = records[index] as AuditRecord;
    try {
      const options = eventOptionsOf(record.type);
      const { eventName } = options;
      if (typeof logger.enabled === 'function' && !logger.enabled(options)) continue;
      logger.emit(toAuditLogRecord(record, eventName));
    } catch (error) {
      failure ??= error;
    }
  }
  return failure;
}

/** `logger.enabled()` options per record type, made once (record types are few; others are not kept). */
const eventOptions = new Map<string, { eventName: string; context: Context }>();

function eventOptionsOf(type: string): { eventName: string; context: Context } {
  let options = eventOptions.get(type);
  if (!options) {
    options = { eventName: `genops.audit.${type}`, context: ROOT_CONTEXT };
    if (eventOptions.size < 64) eventOptions.set(type, options);
  }
  return options;
}

function toAuditLogRecord(record: AuditRecord, eventName: string): AuditLogRecord {
  const attributes: Record<string, AuditAttributeValue> = {
    'genops.audit.seq': record.seq,
    'genops.audit.hash': record.hash,
    'genops.audit.prev_hash': record.prevHash,
    'genops.audit.type': record.type,
    'genops.audit.subject': record.subject,
  };
  const summary: string[] = [];
  const data = record.data ?? {};
  for (const [key, value] of Object.entries(data)) {
    const attribute = toAttributeValue(value);
    if (attribute !== undefined) attributes[`genops.audit.data.${key}`] = attribute;
  }
  for (const key of SUMMARY_KEYS) {
    const value = data[key];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      summary.push(`${key}=${value}`);
  }
  return {
    eventName,
    timestamp: new Date(record.at),
    severityNumber: SEVERITY_INFO,
    severityText: 'INFO',
    body: `${record.type} ${shortSubject(record.subject)}${summary.length > 0 ? `: ${summary.join(' ')}` : ''} (audit #${record.seq})`,
    attributes,
    context: ROOT_CONTEXT,
  };
}

function toAttributeValue(value: unknown): AuditAttributeValue | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'object': {
      if (value === null) return undefined;
      if (Array.isArray(value)) {
        if (value.every((item) => typeof item === 'string')) return [...value] as string[];
        if (value.every((item) => typeof item === 'number' && Number.isFinite(item))) return [...value] as number[];
        if (value.every((item) => typeof item === 'boolean')) return [...value] as boolean[];
      }
      try {
        return canonicalJson(value);
      } catch {
        return String(value);
      }
    }
    default:
      return undefined;
  }
}

/**
 * The checkpoint and file options of `GenOps.init({ audit })`: the signing key from `audit.key` /
 * `audit.privateKey`, else `GENOPS_AUDIT_KEY` (HMAC) / `GENOPS_AUDIT_PRIVATE_KEY` (Ed25519 PEM).
 */
export function auditTrailOptions(
  audit:
    | {
        key?: string | undefined;
        privateKey?: unknown;
        checkpointEvery?: number | undefined;
        checkpointIntervalMs?: number | undefined;
        fileTimeoutMs?: number | undefined;
      }
    | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Pick<AuditTrailOptions, 'checkpoint' | 'fileTimeoutMs'> {
  const hmac = audit?.key ?? (audit?.privateKey === undefined ? env.GENOPS_AUDIT_KEY?.trim() || undefined : undefined);
  const privateKey =
    audit?.privateKey ?? (hmac === undefined ? env.GENOPS_AUDIT_PRIVATE_KEY?.trim() || undefined : undefined);
  const key: AuditSigningKey | undefined =
    hmac !== undefined
      ? { hmac }
      : privateKey !== undefined
        ? { privateKey: privateKey as string | KeyObject }
        : undefined;
  const result: Pick<AuditTrailOptions, 'checkpoint' | 'fileTimeoutMs'> = {};
  if (key) {
    // Checked here, so a bad key fails init() with a ConfigError rather than the first checkpoint.
    createCheckpointSigner(key, 'audit');
    result.checkpoint = { key, everyRecords: audit?.checkpointEvery, intervalMs: audit?.checkpointIntervalMs };
  }
  if (audit?.fileTimeoutMs !== undefined) result.fileTimeoutMs = audit.fileTimeoutMs;
  return result;
}

function option(name: string, value: number | undefined, fallback: number, min: number, integer: boolean): number {
  if (value === undefined) return fallback;
  if (Number.isFinite(value) && value >= min && (!integer || Number.isInteger(value))) return value;
  diag.warn(`genops: audit ${name} ${value} is not valid; using ${fallback}`);
  return fallback;
}
