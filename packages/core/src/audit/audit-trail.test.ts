import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { logs as apiLogs, type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { logs as legacyLogs } from '@opentelemetry/api-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store';
import type { AuditEntry, AuditRecord, GovernanceStore } from '../store/types';
import { VERSION } from '../version';
import { type AuditLogger, AuditTrail, getAuditLogger } from './audit-trail';
import { chainAuditEntries } from './hash';
import { readAuditFile } from './jsonl';
import { verifyAuditChain } from './verify';

type TestStore = Pick<GovernanceStore, 'appendAudit' | 'readAudit'> & {
  records: AuditRecord[];
  /** Entries per `appendAudit` call that succeeded. */
  batches: number[];
  calls: number;
  maxInFlight: number;
  failing: boolean;
};

/**
 * A store implementing just the audit methods, chaining with `chainAuditEntries` like real stores.
 * It fails its first `failFirst` calls, and every call while `failing` is set.
 */
function testStore(options: { failFirst?: number; delayMs?: number } = {}): TestStore {
  let inFlight = 0;
  const store: TestStore = {
    records: [],
    batches: [],
    calls: 0,
    maxInFlight: 0,
    failing: false,
    async appendAudit(entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
      store.calls += 1;
      inFlight += 1;
      store.maxInFlight = Math.max(store.maxInFlight, inFlight);
      try {
        if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
        if (store.failing || store.calls <= (options.failFirst ?? 0)) throw new Error('store unavailable');
        const records = chainAuditEntries(store.records.at(-1), entries);
        store.records.push(...records);
        store.batches.push(entries.length);
        return records;
      } finally {
        inFlight -= 1;
      }
    },
    async readAudit({ fromSeq = 1, limit = Number.POSITIVE_INFINITY } = {}): Promise<AuditRecord[]> {
      return store.records.filter((record) => record.seq >= fromSeq).slice(0, limit);
    },
  };
  return store;
}

function entry(index: number, data: Record<string, unknown> = {}): AuditEntry {
  return { type: 'decision', at: 1_767_225_600_000 + index, subject: `awu-${index}`, data: { index, ...data } };
}

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let diagnostics: Array<{ level: string; message: string }> = [];

beforeEach(() => {
  diagnostics = [];
  const capture =
    (level: string) =>
    (message: string): void => {
      diagnostics.push({ level, message });
    };
  const logger: DiagLogger = {
    error: capture('error'),
    warn: capture('warn'),
    info: capture('info'),
    debug: capture('debug'),
    verbose: capture('verbose'),
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.INFO, suppressOverrideMessage: true });
});

afterEach(() => {
  diag.disable();
});

/** Records `count` entries, returning a weak reference to each. */
function recordWatched(trail: AuditTrail, count: number): Array<WeakRef<AuditEntry>> {
  const alive: Array<WeakRef<AuditEntry>> = [];
  for (let index = 0; index < count; index += 1) {
    const recorded = entry(index);
    alive.push(new WeakRef(recorded));
    trail.record(recorded);
  }
  return alive;
}

describe('AuditTrail', () => {
  it('records synchronously and appends later, in one batch per tick', async () => {
    const store = testStore();
    const trail = new AuditTrail({ store });
    for (let index = 1; index <= 5; index += 1) trail.record(entry(index));
    expect(store.calls).toBe(0);
    expect(trail.pending).toBe(5);
    await trail.flush();
    expect(store.batches).toEqual([5]);
    expect(trail.pending).toBe(0);
    expect(store.records.map((record) => record.subject)).toEqual(['awu-1', 'awu-2', 'awu-3', 'awu-4', 'awu-5']);
  });

  it('keeps the order of concurrent record() calls across batches, one append at a time', async () => {
    const store = testStore({ delayMs: 2 });
    const trail = new AuditTrail({ store, batchSize: 7 });
    const recorded: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let step = 0; step < 40; step += 1) {
        next += 1;
        const item = entry(next);
        recorded.push(item.subject);
        trail.record(item);
        if (step % 3 === 0) await tick(Math.floor(Math.random() * 3));
        else await Promise.resolve();
      }
    };
    await Promise.all([worker(), worker(), worker(), worker(), worker()]);
    await trail.flush();
    expect(store.records.map((record) => record.subject)).toEqual(recorded);
    expect(store.records).toHaveLength(200);
    expect(store.maxInFlight).toBe(1);
    expect(Math.max(...store.batches)).toBeLessThanOrEqual(7);
    expect(store.batches.length).toBeGreaterThan(200 / 7);
    expect(await verifyAuditChain(store.records)).toMatchObject({ ok: true, checked: 200 });
  });

  it('flush waits for the append in flight and for entries recorded before it, not after', async () => {
    const store = testStore({ delayMs: 200 });
    const trail = new AuditTrail({ store });
    trail.record(entry(1));
    await tick();
    trail.record(entry(2));
    const flushed = trail.flush();
    trail.record(entry(3));
    let done = false;
    void flushed.then(() => {
      done = true;
    });
    await tick(10);
    expect(done).toBe(false);
    await flushed;
    expect(store.records.map((record) => record.subject).slice(0, 2)).toEqual(['awu-1', 'awu-2']);
    await trail.flush();
    expect(store.records).toHaveLength(3);
    await expect(trail.flush()).resolves.toBeUndefined();
  });

  it('batches by time with flushIntervalMs, and at once when a batch is full', async () => {
    const store = testStore();
    const trail = new AuditTrail({ store, flushIntervalMs: 300, batchSize: 4 });
    trail.record(entry(1));
    trail.record(entry(2));
    await tick(10);
    expect(store.calls).toBe(0);
    trail.record(entry(3));
    trail.record(entry(4));
    await tick();
    expect(store.batches).toEqual([4]);
    trail.record(entry(5));
    await tick(400);
    expect(store.batches).toEqual([4, 1]);
  });

  it('loses nothing when the store fails for a while: retries in order with backoff', async () => {
    const store = testStore({ failFirst: 4 });
    const trail = new AuditTrail({ store, batchSize: 10, retryDelayMs: 5, maxRetryDelayMs: 20 });
    for (let index = 1; index <= 15; index += 1) trail.record(entry(index));
    await tick(5);
    for (let index = 16; index <= 30; index += 1) trail.record(entry(index));
    await trail.flush();
    expect(store.calls).toBeGreaterThan(4);
    expect(store.records.map((record) => record.subject)).toEqual(
      Array.from({ length: 30 }, (_, index) => `awu-${index + 1}`),
    );
    expect(trail.dropped).toBe(0);
    expect(await verifyAuditChain(store.records)).toMatchObject({ ok: true, checked: 30 });
    expect(diagnostics[0]).toEqual({
      level: 'error',
      message: expect.stringMatching(
        /^genops: appending 10 audit entries to the store failed; they are kept in order and retried in \d+ ms$/,
      ),
    });
    expect(diagnostics.at(-1)).toEqual({
      level: 'info',
      message: 'genops: audit store append succeeded after 4 failed attempts',
    });
  });

  it('retries at once when flushed during a backoff', async () => {
    const store = testStore({ failFirst: 1 });
    const trail = new AuditTrail({ store, retryDelayMs: 60_000 });
    trail.record(entry(1));
    await tick();
    expect(store.calls).toBe(1);
    const started = Date.now();
    await trail.flush();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(store.records).toHaveLength(1);
  });

  it('caps the queue while the store fails: drops the oldest waiting entries and says how many', async () => {
    const store = testStore();
    store.failing = true;
    const trail = new AuditTrail({ store, batchSize: 10, maxQueueSize: 20, retryDelayMs: 5, maxRetryDelayMs: 5 });
    for (let index = 1; index <= 10; index += 1) trail.record(entry(index));
    await tick(1);
    // Entries 1-10 are the batch being retried; 11-40 wait, over the cap of 20.
    for (let index = 11; index <= 40; index += 1) trail.record(entry(index));
    expect(trail.dropped).toBe(10);
    expect(trail.pending).toBe(30);
    store.failing = false;
    await trail.flush();
    const expected = [
      ...Array.from({ length: 10 }, (_, index) => index + 1),
      ...Array.from({ length: 20 }, (_, index) => index + 21),
    ];
    expect(store.records.map((record) => record.subject)).toEqual(expected.map((index) => `awu-${index}`));
    expect(diagnostics).toContainEqual({
      level: 'error',
      message:
        'genops: audit queue over 20 entries while the store fails: dropped the 1 oldest waiting entries (1 dropped in total); they are not in the audit chain',
    });
    expect(diagnostics).toContainEqual({
      level: 'error',
      message:
        'genops: audit queue over 20 entries while the store fails: dropped the 9 oldest waiting entries (10 dropped in total); they are not in the audit chain',
    });
  });

  it('drops an entry that is not JSON data instead of blocking the queue', async () => {
    const store = testStore();
    const trail = new AuditTrail({ store });
    trail.record(entry(1));
    trail.record(entry(2, { big: 10n }));
    trail.record(entry(3, { when: new Date(0), skip: undefined }));
    trail.record({ ...entry(4), data: new Date(0) as unknown as Record<string, unknown> });
    await trail.flush();
    expect(store.records.map((record) => record.subject)).toEqual(['awu-1', 'awu-3']);
    expect(store.records[1]?.data).toEqual({ index: 3, when: '1970-01-01T00:00:00.000Z' });
    expect(trail.dropped).toBe(2);
    expect(diagnostics).toContainEqual({
      level: 'error',
      message: expect.stringMatching(
        /^genops: audit entry dropped \(decision of awu-2\): it cannot be stored: .*BigInt/,
      ),
    });
  });

  it('never throws from record(), even for a broken entry or after close()', async () => {
    const store = testStore();
    const trail = new AuditTrail({ store });
    expect(() => trail.record(null as unknown as AuditEntry)).not.toThrow();
    await trail.close();
    expect(() => trail.record(entry(1))).not.toThrow();
    expect(trail.dropped).toBe(2);
    expect(store.records).toHaveLength(0);
    expect(diagnostics).toContainEqual({
      level: 'warn',
      message: 'genops: audit entry (decision of awu-1) recorded after close() was dropped',
    });
  });

  it('close() flushes, and gives up after its timeout when the store keeps failing', async () => {
    const healthy = testStore();
    const trail = new AuditTrail({ store: healthy });
    trail.record(entry(1));
    await trail.close();
    expect(healthy.records).toHaveLength(1);

    const down = testStore();
    down.failing = true;
    const stuck = new AuditTrail({ store: down, retryDelayMs: 5 });
    stuck.record(entry(1));
    stuck.record(entry(2));
    await stuck.close({ timeoutMs: 50 });
    expect(stuck.pending).toBe(0);
    expect(stuck.dropped).toBe(2);
    expect(diagnostics).toContainEqual({
      level: 'error',
      message:
        'genops: audit trail closed with 2 entries not appended (the store kept failing); they are not in the audit chain',
    });
    const calls = down.calls;
    await tick(30);
    expect(down.calls).toBe(calls);
  });

  it('keeps no appended entry reachable from its queue (none waits for 1,024 more to be let go)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const store = testStore();
    const trail = new AuditTrail({ store });
    // Recorded in a function of its own, so no local of this test holds the last entry.
    const alive = recordWatched(trail, 10);
    await trail.flush();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(store.records).toHaveLength(10);
    // Entries the store took are garbage now: kept, they would outlive young-generation collections and be
    // promoted to the old generation, call after call.
    expect(alive.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
    await trail.close();
  });

  it('mirrors appended records to a JSON Lines file that verifies', async () => {
    const store = testStore({ failFirst: 1 });
    const file = join(mkdtempSync(join(tmpdir(), 'genops-audit-')), 'logs', 'audit.jsonl');
    const trail = new AuditTrail({ store, file, batchSize: 3, retryDelayMs: 1 });
    for (let index = 1; index <= 10; index += 1) trail.record(entry(index));
    await trail.flush();
    const fromFile: AuditRecord[] = [];
    for await (const item of readAuditFile(file)) fromFile.push(item as AuditRecord);
    expect(fromFile).toEqual(store.records);
    expect(await verifyAuditChain(readAuditFile(file))).toMatchObject({ ok: true, checked: 10, lastSeq: 10 });
  });

  it('keeps appending when the file cannot be written, and says so', async () => {
    const store = testStore();
    // The file's directory is a regular file, so it can be neither created nor written to.
    const parent = join(mkdtempSync(join(tmpdir(), 'genops-audit-')), 'not-a-directory');
    writeFileSync(parent, '');
    const file = join(parent, 'audit.jsonl');
    const trail = new AuditTrail({ store, file });
    trail.record(entry(1));
    await trail.flush();
    expect(store.records).toHaveLength(1);
    expect(diagnostics).toContainEqual({
      level: 'error',
      message: `genops: could not write audit records 1–1 to ${file}; the file will lack them`,
    });
  });
});

describe('AuditTrail with a store that appends synchronously', () => {
  it('appends the memory store’s batch in the microtask after record(), without its asynchronous appendAudit', async () => {
    const store = new MemoryStore();
    let asyncAppends = 0;
    const appendAudit = store.appendAudit.bind(store);
    store.appendAudit = (entries) => {
      asyncAppends += 1;
      return appendAudit(entries);
    };
    const trail = new AuditTrail({ store });
    for (let index = 1; index <= 3; index += 1) trail.record(entry(index));
    expect(trail.pending).toBe(3);
    // The drain is queued before this await's continuation: by then the batch is in the chain.
    await Promise.resolve();
    expect(trail.pending).toBe(0);
    const records = await store.readAudit();
    expect(records.map((record) => record.subject)).toEqual(['awu-1', 'awu-2', 'awu-3']);
    expect(asyncAppends).toBe(0);
    await trail.flush();
    expect(await verifyAuditChain(records)).toMatchObject({ ok: true, checked: 3 });
  });

  it("with flushTiming 'immediate', appends in the check phase after the recording code's continuations, in order", async () => {
    const store = new MemoryStore();
    const trail = new AuditTrail({ store, flushTiming: 'immediate' });
    trail.record(entry(1));
    trail.record(entry(2));
    // A caller's continuations (microtasks) run before the append: the records are still waiting.
    await Promise.resolve();
    await Promise.resolve();
    expect(trail.pending).toBe(2);
    trail.record(entry(3));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(trail.pending).toBe(0);
    const records = await store.readAudit();
    expect(records.map((record) => record.subject)).toEqual(['awu-1', 'awu-2', 'awu-3']);
    expect(await verifyAuditChain(records)).toMatchObject({ ok: true, checked: 3 });
  });

  it("with flushTiming 'immediate', flush() and close() wait for the waiting records", async () => {
    const store = new MemoryStore();
    const trail = new AuditTrail({ store, flushTiming: 'immediate' });
    trail.record(entry(1));
    await trail.flush();
    expect((await store.readAudit()).map((record) => record.subject)).toEqual(['awu-1']);
    trail.record(entry(2));
    trail.record(entry(3));
    await trail.close();
    expect((await store.readAudit()).map((record) => record.subject)).toEqual(['awu-1', 'awu-2', 'awu-3']);
  });

  it('hands a batch whose synchronous append threw to the asynchronous loop, which appends it in order', async () => {
    const records: AuditRecord[] = [];
    let syncCalls = 0;
    let asyncCalls = 0;
    const append = (entries: readonly AuditEntry[]): AuditRecord[] => {
      const appended = chainAuditEntries(records.at(-1), entries);
      records.push(...appended);
      return appended;
    };
    const store: Pick<GovernanceStore, 'appendAudit' | 'appendAuditSync'> = {
      appendAuditSync(entries) {
        syncCalls += 1;
        if (syncCalls === 1) throw new Error('store busy');
        return append(entries);
      },
      async appendAudit(entries) {
        asyncCalls += 1;
        return append(entries);
      },
    };
    const trail = new AuditTrail({ store });
    trail.record(entry(1));
    trail.record(entry(2));
    await trail.flush();
    trail.record(entry(3));
    await trail.flush();
    expect(records.map((record) => record.subject)).toEqual(['awu-1', 'awu-2', 'awu-3']);
    // The first batch went through the asynchronous loop; the next one synchronously again.
    expect({ syncCalls, asyncCalls }).toEqual({ syncCalls: 2, asyncCalls: 1 });
    expect(await verifyAuditChain(records)).toMatchObject({ ok: true, checked: 3 });
  });
});

describe('audit log records', () => {
  function sdkLogs(): { provider: LoggerProvider; exporter: InMemoryLogRecordExporter } {
    const exporter = new InMemoryLogRecordExporter();
    // OpenTelemetry JS 3.x: processors take an options object. The positional form
    // `new SimpleLogRecordProcessor(exporter)` compiles only with a cast and exports nothing.
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
    return { provider, exporter };
  }

  it('emits one log record per appended record through an sdk-logs 3.x LoggerProvider', async () => {
    const { provider, exporter } = sdkLogs();
    const store = testStore();
    const logger = getAuditLogger(provider);
    expect(logger).toBeDefined();
    const trail = new AuditTrail({ store, logger });
    trail.record({
      type: 'decision',
      at: 1_767_225_600_123,
      subject: '3f2c41aa-7d1e-4c5b-9a8e-0f6b2d9c1e77',
      data: {
        result: 'BLOCKED',
        reasonCode: 'BUDGET_EXCEEDED',
        rule: 'team-daily',
        estimatedUsd: 0.42,
        enforce: true,
        models: ['gpt-4o', 'gpt-4o-mini'],
        lines: [{ key: 'team-daily|team=ml', amount: 420000 }],
        limits: { usd: 10 },
        mixed: [1, 'a'],
        none: null,
      },
    });
    trail.record({ type: 'settlement', at: 1_767_225_601_000, subject: 'awu-2', data: {} });
    await trail.flush();
    await provider.forceFlush();
    const exported = exporter.getFinishedLogRecords();
    expect(exported).toHaveLength(2);
    const [first, second] = exported;
    const [record1, record2] = store.records;
    expect(first?.eventName).toBe('genops.audit.decision');
    expect(first?.body).toBe(
      'decision 3f2c41aa…: result=BLOCKED reasonCode=BUDGET_EXCEEDED rule=team-daily (audit #1)',
    );
    expect(first?.hrTime).toEqual([1_767_225_600, 123_000_000]);
    expect(first?.severityNumber).toBe(9);
    expect(first?.severityText).toBe('INFO');
    expect(first?.instrumentationScope).toMatchObject({ name: '@genops/core', version: VERSION });
    expect(first?.spanContext).toBeUndefined();
    expect(first?.attributes).toEqual({
      'genops.audit.seq': 1,
      'genops.audit.hash': record1?.hash,
      'genops.audit.prev_hash': '0'.repeat(64),
      'genops.audit.type': 'decision',
      'genops.audit.subject': '3f2c41aa-7d1e-4c5b-9a8e-0f6b2d9c1e77',
      'genops.audit.data.result': 'BLOCKED',
      'genops.audit.data.reasonCode': 'BUDGET_EXCEEDED',
      'genops.audit.data.rule': 'team-daily',
      'genops.audit.data.estimatedUsd': 0.42,
      'genops.audit.data.enforce': true,
      'genops.audit.data.models': ['gpt-4o', 'gpt-4o-mini'],
      'genops.audit.data.lines': '[{"amount":420000,"key":"team-daily|team=ml"}]',
      'genops.audit.data.limits': '{"usd":10}',
      'genops.audit.data.mixed': '[1,"a"]',
    });
    expect(second?.eventName).toBe('genops.audit.settlement');
    expect(second?.body).toBe('settlement awu-2 (audit #2)');
    expect(second?.attributes['genops.audit.prev_hash']).toBe(record1?.hash);
    expect(second?.attributes['genops.audit.hash']).toBe(record2?.hash);
    await provider.shutdown();
  });

  it('does not emit records the store has not appended yet', async () => {
    const { provider, exporter } = sdkLogs();
    const store = testStore({ failFirst: 2 });
    const trail = new AuditTrail({ store, logger: getAuditLogger(provider), retryDelayMs: 1 });
    trail.record(entry(1));
    await tick();
    expect(exporter.getFinishedLogRecords()).toHaveLength(0);
    await trail.flush();
    expect(exporter.getFinishedLogRecords()).toHaveLength(1);
    await provider.shutdown();
  });

  it('a logger that throws does not stop the trail', async () => {
    const store = testStore();
    const logger: AuditLogger = {
      emit() {
        throw new Error('exporter broke');
      },
    };
    const trail = new AuditTrail({ store, logger });
    trail.record(entry(1));
    trail.record(entry(2));
    await trail.flush();
    expect(store.records).toHaveLength(2);
    expect(diagnostics).toEqual([{ level: 'error', message: 'genops: could not emit audit log records' }]);
  });

  it('finds the global provider of @opentelemetry/api (OpenTelemetry JS 3.x) and of @opentelemetry/api-logs', async () => {
    const viaApi = sdkLogs();
    expect(apiLogs.setGlobalLoggerProvider(viaApi.provider)).toBe(true);
    try {
      const trail = new AuditTrail({ store: testStore(), logger: getAuditLogger() });
      trail.record(entry(1));
      await trail.flush();
      expect(viaApi.exporter.getFinishedLogRecords().map((record) => record.eventName)).toEqual([
        'genops.audit.decision',
      ]);
    } finally {
      apiLogs.disable();
      await viaApi.provider.shutdown();
    }

    const viaLegacy = sdkLogs();
    legacyLogs.setGlobalLoggerProvider(viaLegacy.provider);
    try {
      const trail = new AuditTrail({ store: testStore(), logger: getAuditLogger() });
      trail.record(entry(1));
      await trail.flush();
      expect(viaLegacy.exporter.getFinishedLogRecords()).toHaveLength(1);
    } finally {
      legacyLogs.disable();
      await viaLegacy.provider.shutdown();
    }

    const both = sdkLogs();
    apiLogs.setGlobalLoggerProvider(both.provider);
    legacyLogs.setGlobalLoggerProvider(both.provider);
    try {
      const trail = new AuditTrail({ store: testStore(), logger: getAuditLogger() });
      trail.record(entry(1));
      await trail.flush();
      // The same provider registered with both APIs gets each record once.
      expect(both.exporter.getFinishedLogRecords()).toHaveLength(1);
    } finally {
      apiLogs.disable();
      legacyLogs.disable();
      await both.provider.shutdown();
    }
  });

  it('with no provider registered, the logger is disabled and the trail skips log records', async () => {
    const logger = getAuditLogger();
    expect(logger?.enabled?.({ eventName: 'genops.audit.decision' })).toBe(false);
    const store = testStore();
    const trail = new AuditTrail({ store, logger });
    trail.record(entry(1));
    await trail.flush();
    expect(store.records).toHaveLength(1);
  });

  it('returns undefined for a loggerProvider without getLogger', () => {
    expect(getAuditLogger({})).toBeUndefined();
    expect(diagnostics).toContainEqual({
      level: 'warn',
      message: 'genops: loggerProvider has no getLogger(): audit records are not emitted as log records',
    });
  });

  it('accepts loggers of both Logs APIs (compile-time check)', () => {
    const fromSdk: AuditLogger = new LoggerProvider().getLogger('x');
    const fromLegacyApi: AuditLogger = legacyLogs.getLogger('x');
    const fromApi: AuditLogger = apiLogs.getLogger('x');
    expect([fromSdk, fromLegacyApi, fromApi].every((logger) => typeof logger.emit === 'function')).toBe(true);
  });
});
