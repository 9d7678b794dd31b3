import {
  type AuditRecord,
  type BudgetStatus,
  type DecisionRecord,
  GenOps,
  type GenOpsHandle,
  type GenOpsOptions,
  type ModelPrice,
  readStoreAudit,
} from '@genops/core';
import { PRICE_FILES } from '@genops/core/internal';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { expectGenOpsCompliant } from './expect-compliant';
import { createTestTelemetry, type TestTelemetry } from './telemetry';

/** A fake provider server as the harness drives it (every `startFake*()` server fits). */
export interface HarnessServer {
  readonly url: string;
  reset(): void;
  close(): Promise<void>;
}

/** Options of {@link createAdapterHarness}. */
export interface AdapterHarnessOptions<Server extends HarnessServer> {
  /**
   * Starts the fake provider server once for the test file; it is reset before each test and closed after
   * the file. Omit it for adapters whose tests need no server (framework fakes: `ai/test` models, MCP's
   * in-memory transport).
   */
  server?: () => Promise<Server>;
  /** Attribution defaults of every `init()`. Default `{ team: 'platform', project: 'adapter-tests', environment: 'test' }`. */
  defaults?: GenOpsOptions['defaults'];
}

/** What an adapter test uses: a fake server, GenOps on in-memory telemetry, and span/audit/budget assertions. */
export interface AdapterHarness<Server extends HarnessServer> {
  /** The fake server (started before the first test). */
  readonly server: Server;
  readonly telemetry: TestTelemetry;
  /** The GenOps of the running test, if `init()` was called. */
  readonly genops: GenOpsHandle | undefined;
  /** `GenOps.init()` on the harness telemetry and defaults; shut down after the test. */
  init(options?: GenOpsOptions): GenOpsHandle;
  /** Shuts the running GenOps down now (otherwise it is shut down after the test). */
  shutdown(): Promise<void>;
  /** Finished spans of this test, in the order they ended. */
  spans(): ReadableSpan[];
  /** The one span of this test (fails the test if there is not exactly one). */
  onlySpan(): ReadableSpan;
  /** The span that ended last (fails the test if there is none). */
  lastSpan(): ReadableSpan;
  /** The names of a span's events, in order. */
  eventNames(span: ReadableSpan): string[];
  /** Asserts that these spans (default: every span of this test) pass the GenOps v0.1 conformance check. */
  expectCompliant(spans?: ReadonlyArray<ReadableSpan>): void;
  /** The shipped price of a model (fails the test when there is none). */
  priceOf(provider: string, model: string): ModelPrice;
  /** The status of one budget of the running GenOps (its shared instance, or the first `per` instance). */
  budget(name: string): Promise<BudgetStatus | undefined>;
  /** Every audit record of the running GenOps, after flushing. */
  auditRecords(): Promise<AuditRecord[]>;
  /**
   * The decision of each call of the running test (`onDecision` records of phase `decided`, not the
   * later settlements), in order. An `onDecision` passed to `init()` still receives every record.
   */
  decisions(): DecisionRecord[];
}

/**
 * The harness every adapter test uses. Call it once at the top of a test file: it registers the vitest
 * hooks that start the fake server, reset it and the spans before each test, and shut GenOps down after.
 *
 * @example
 * const harness = createAdapterHarness({ server: startFakeAnthropic });
 * it('governs a call', async () => {
 *   harness.init({ budgets: [{ name: 'team', limit: 5, window: 'day' }] });
 *   await client(harness.server.url).messages.create({ ... });
 *   harness.expectCompliant([harness.onlySpan()]);
 * });
 */
export function createAdapterHarness<Server extends HarnessServer = HarnessServer>(
  options: AdapterHarnessOptions<Server> = {},
): AdapterHarness<Server> {
  const telemetry = createTestTelemetry();
  const defaults = options.defaults ?? { team: 'platform', project: 'adapter-tests', environment: 'test' };
  let server: Server | undefined;
  let genops: GenOpsHandle | undefined;
  let decisions: DecisionRecord[] = [];

  beforeAll(async () => {
    server = await options.server?.();
  });
  afterAll(async () => {
    await server?.close();
    await telemetry.shutdown();
  });
  beforeEach(() => {
    server?.reset();
    telemetry.resetSpans();
    decisions = [];
  });
  afterEach(async () => {
    await genops?.shutdown();
    genops = undefined;
  });

  const spans = () => telemetry.spans() as ReadableSpan[];
  const running = () => {
    if (!genops) throw new Error('createAdapterHarness: call harness.init() in the test first.');
    return genops;
  };

  return {
    get server() {
      if (!server)
        throw new Error(
          options.server
            ? 'createAdapterHarness: the fake server starts in beforeAll; use it inside a test.'
            : 'createAdapterHarness: no fake server (pass `server` to createAdapterHarness).',
        );
      return server;
    },
    telemetry,
    get genops() {
      return genops;
    },
    init(initOptions = {}) {
      genops = GenOps.init({
        tracerProvider: telemetry.tracerProvider,
        meterProvider: telemetry.meterProvider,
        defaults,
        ...initOptions,
        onDecision: (decision) => {
          if (decision.phase === 'decided') decisions.push(decision);
          initOptions.onDecision?.(decision);
        },
      });
      return genops;
    },
    async shutdown() {
      const handle = genops;
      genops = undefined;
      await handle?.shutdown();
    },
    spans,
    onlySpan() {
      const all = spans();
      expect(all).toHaveLength(1);
      return all[0]!;
    },
    lastSpan() {
      const all = spans();
      expect(all.length).toBeGreaterThan(0);
      return all[all.length - 1]!;
    },
    eventNames: (span) => span.events.map((event) => event.name),
    expectCompliant(list = spans()) {
      expectGenOpsCompliant(list);
    },
    priceOf(provider, model) {
      const price = PRICE_FILES.find((file) => file.provider === provider)?.models[model];
      if (!price) throw new Error(`createAdapterHarness: no shipped price for ${provider}/${model}`);
      return price;
    },
    async budget(name) {
      const status = await running().status();
      return status.budgets.find((budget) => budget.budget === name);
    },
    decisions: () => [...decisions],
    async auditRecords() {
      const handle = running();
      await handle.flushAudit();
      const records: AuditRecord[] = [];
      for await (const record of readStoreAudit(handle.governor.store)) records.push(record);
      return records;
    },
  };
}
