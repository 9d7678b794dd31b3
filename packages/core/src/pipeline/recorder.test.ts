import type { Attributes, Context, HrTime, Link, SpanKind } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  type Span as SdkSpan,
  SimpleSpanProcessor,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { beforeEach, describe, expect, it } from 'vitest';
import { withAttribution } from '../attribution';
import type { GenOpsOptions } from '../config';
import { PolicyViolationError } from '../errors/policy-violation-error';
import { MemoryStore } from '../store/memory-store';
import type { AuditEntry } from '../store/types';
import { chatRequest, useCoreTestSetup } from '../test-support/core-test-setup';
import type { GovernedRequest, Usage } from '../types';
import { drainPending } from './deferred';
import { sortedCopy } from './recorder';

// What the call recorder puts on a span, read through a real TracerProvider whose sampler writes down
// the attributes it was given at span start.

/** A sampler that keeps every span and remembers the attributes each `startSpan` gave it. */
class WitnessSampler implements Sampler {
  readonly seen: Attributes[] = [];
  shouldSample(
    _context: Context,
    _traceId: string,
    _name: string,
    _kind: SpanKind,
    attributes: Attributes,
    _links: Link[],
  ): SamplingResult {
    this.seen.push({ ...attributes });
    return { decision: SamplingDecision.RECORD_AND_SAMPLED };
  }
  toString(): string {
    return 'WitnessSampler';
  }
}

/** A processor that keeps the span last started, live: what is on it before it ends. */
class LiveSpan implements SpanProcessor {
  span: SdkSpan | undefined;
  onStart(span: SdkSpan): void {
    this.span = span;
  }
  onEnd(): void {}
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

const exporter = new InMemorySpanExporter();
const sampler = new WitnessSampler();
const live = new LiveSpan();
const tracerProvider = new TracerProvider({
  sampler,
  spanProcessors: [new SimpleSpanProcessor({ exporter }), live],
});
const setup = useCoreTestSetup();
/** `GenOps.init()` of the core test setup, on this file's tracer provider. */
const init = (options: GenOpsOptions = {}) => setup.init({ tracerProvider, ...options });

beforeEach(() => {
  exporter.reset();
  sampler.seen.length = 0;
});

const request = (overrides: Partial<GovernedRequest> = {}) =>
  chatRequest({
    serverAddress: 'api.openai.com',
    serverPort: 443,
    stream: false,
    requestAttributes: { 'gen_ai.request.max_tokens': 100, 'gen_ai.request.temperature': undefined },
    ...overrides,
  });

async function run(governed: GovernedRequest, usage: Usage | undefined): Promise<ReadableSpan> {
  const call = await setup.genops!.governor.begin(governed);
  await call.end({ usage, response: { id: 'r1', model: governed.model, finishReasons: ['stop'] } });
  drainPending();
  return exporter.getFinishedSpans().at(-1) as ReadableSpan;
}

const eventNames = (span: ReadableSpan) => span.events.map((event) => event.name);
const nanos = ([seconds, nanoseconds]: HrTime) => BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds);

const eventAttributes = (span: ReadableSpan) =>
  Object.fromEntries(span.events.map((event) => [event.name, { ...event.attributes }]));

describe('the span start', () => {
  it("gives a sampler the GenAI conventions' sampling-relevant attributes and the attribution, nothing else", async () => {
    init();
    const span = await run(request(), { inputTokens: 200, outputTokens: 50 });
    expect(sampler.seen).toEqual([
      {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'server.address': 'api.openai.com',
        'server.port': 443,
        'genops.team': 'eng',
        'genops.project': 'tests',
        'genops.environment': 'test',
      },
    ]);
    // The rest of what was known at the start is on the finished span, set with the decision.
    expect(span.attributes).toMatchObject({
      'genops.spec.version': '0.1.0',
      'genops.operation.name': 'chat gpt-4o',
      'genops.operation.type': 'inference',
      'gen_ai.request.stream': false,
      'gen_ai.request.max_tokens': 100,
    });
    expect(span.attributes).not.toHaveProperty('gen_ai.request.temperature');
  });

  it('a blocked call carries the spec version and operation too (set with its decision)', async () => {
    init({ policies: { denyModels: ['gpt-4o'] } });
    await expect(setup.genops!.governor.begin(request())).rejects.toBeInstanceOf(PolicyViolationError);
    const span = exporter.getFinishedSpans().at(-1)!;
    expect(span.attributes).toMatchObject({
      'genops.spec.version': '0.1.0',
      'genops.operation.name': 'chat gpt-4o',
      'genops.operation.type': 'inference',
      'genops.policy.result': 'BLOCKED',
      'gen_ai.request.max_tokens': 100,
    });
  });

  it('after a downgrade, genops.operation.name names the cheaper model, as the span name does', async () => {
    init({
      budgets: [{ name: 'small', limit: 0.001, window: 'day', action: 'downgrade', downgradeTo: 'gpt-4o-mini' }],
    });
    const call = await setup.genops!.governor.begin(request({ editable: { model: true, text: true } }));
    await call.end({ usage: { inputTokens: 10, outputTokens: 5 } });
    drainPending();
    const span = exporter.getFinishedSpans().at(-1)!;
    expect(span.name).toBe('chat gpt-4o-mini');
    expect(span.attributes).toMatchObject({
      'gen_ai.request.model': 'gpt-4o-mini',
      'genops.operation.name': 'chat gpt-4o-mini',
      'genops.downgrade.original_model': 'gpt-4o',
    });
  });

  it('an adapter request attribute never replaces one the recorder sets for the phase', async () => {
    init();
    const span = await run(request({ requestAttributes: { 'genops.policy.result': 'FORGED' } }), {
      inputTokens: 1,
      outputTokens: 1,
    });
    expect(span.attributes['genops.policy.result']).toBe('ALLOWED');
  });
});

describe('the three spec events', () => {
  it('carry their spec attributes only: what else they said is on the span', async () => {
    init({ budgets: [{ name: 'all', limit: 10, window: 'total' }] });
    const span = await run(request(), { inputTokens: 200, outputTokens: 50 });
    expect(eventAttributes(span)).toEqual({
      'genops.budget.reservation': { 'genops.accounting.reserved': 0.0035, 'genops.accounting.unit': 'USD' },
      'genops.policy.evaluated': { 'genops.policy.result': 'ALLOWED' },
      'genops.budget.reconciliation': {
        'genops.accounting.actual': 0.001,
        'genops.accounting.reserved': 0.0035,
        'genops.accounting.unit': 'USD',
      },
    });
    expect(span.attributes).toMatchObject({
      'genops.budget.name': 'all',
      'genops.accounting.reconciliation_delta': 0.0025,
    });
  });

  it('a denial has the reason code on its evaluated event; its rule is on the span', async () => {
    init({ policies: { denyModels: ['gpt-4o'] } });
    await expect(setup.genops!.governor.begin(request())).rejects.toBeInstanceOf(PolicyViolationError);
    const span = exporter.getFinishedSpans().at(-1)!;
    expect(eventAttributes(span)).toEqual({
      'genops.policy.evaluated': {
        'genops.policy.result': 'BLOCKED',
        'genops.policy.reason_code': 'POLICY_DENY_MODEL',
      },
    });
    expect(span.attributes['genops.policy.name']).toBeDefined();
  });

  it('the reservation event is added with the decision, after the caller has its call, stamped when it reserved', async () => {
    init();
    const call = await setup.genops!.governor.begin(request());
    const span = live.span!;
    // Nothing yet: the decision's telemetry, the reservation's event with it, is recorded right after.
    expect(eventNames(span)).toEqual([]);
    drainPending();
    expect(eventNames(span)).toEqual(['genops.budget.reservation', 'genops.policy.evaluated']);
    const [reservation, evaluated] = span.events;
    expect(nanos(reservation!.time)).toBeGreaterThanOrEqual(nanos(span.startTime));
    expect(nanos(reservation!.time)).toBeLessThanOrEqual(nanos(evaluated!.time));
    await call.end({ usage: { inputTokens: 1, outputTokens: 1 } });
  });

  it('an approval wait keeps the order: reservation, approval events, evaluated (an approval budget asks first)', async () => {
    init({ requireApprovalOver: 0.001, approver: () => true });
    const threshold = await run(request(), { inputTokens: 1, outputTokens: 1 });
    expect(eventNames(threshold)).toEqual([
      'genops.budget.reservation',
      'genops.approval.requested',
      'genops.approval.decided',
      'genops.policy.evaluated',
      'genops.budget.reconciliation',
    ]);
    await setup.genops!.shutdown();
    init({ budgets: [{ name: 'team', limit: 0.001, window: 'day', action: 'approval' }], approver: () => true });
    const budget = await run(request(), { inputTokens: 1, outputTokens: 1 });
    expect(eventNames(budget)).toEqual([
      'genops.approval.requested',
      'genops.approval.decided',
      'genops.budget.reservation',
      'genops.policy.evaluated',
      'genops.budget.reconciliation',
    ]);
  });

  it('a settlement without usage flags its reconciliation event incomplete', async () => {
    init();
    const span = await run(request(), undefined);
    expect(eventAttributes(span)['genops.budget.reconciliation']).toMatchObject({
      'genops.accounting.incomplete': true,
    });
  });
});

describe('usage on the span', () => {
  it('leaves out cached and reasoning token counts of zero, and sets those the provider reported', async () => {
    init();
    const zero = await run(request(), {
      inputTokens: 200,
      outputTokens: 50,
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: 0,
      reasoningOutputTokens: 0,
    });
    expect(zero.attributes['gen_ai.usage.input_tokens']).toBe(200);
    expect(zero.attributes['gen_ai.usage.output_tokens']).toBe(50);
    for (const name of [
      'gen_ai.usage.cache_read.input_tokens',
      'gen_ai.usage.cache_creation.input_tokens',
      'gen_ai.usage.reasoning.output_tokens',
    ])
      expect(zero.attributes).not.toHaveProperty(name);
    const some = await run(request(), {
      inputTokens: 200,
      outputTokens: 50,
      cacheReadInputTokens: 120,
      cacheWriteInputTokens: 30,
      reasoningOutputTokens: 20,
    });
    expect(some.attributes).toMatchObject({
      'gen_ai.usage.cache_read.input_tokens': 120,
      'gen_ai.usage.cache_creation.input_tokens': 30,
      'gen_ai.usage.reasoning.output_tokens': 20,
    });
  });
});

describe('the order of the span attributes', () => {
  // The recorder writes the decision's and the settlement's attributes straight onto the span, one at a
  // time (pipeline/attribute-target.ts), in the order one gathered object per phase gave them.
  const started = [
    'gen_ai.operation.name',
    'gen_ai.provider.name',
    'gen_ai.request.model',
    'genops.team',
    'genops.project',
    'genops.environment',
    'server.address',
    'server.port',
  ];
  const staged = [
    'genops.reservation.output_bound',
    'genops.cost.price_model',
    'genops.cost.source',
    'genops.accounting.reserved',
    'genops.accounting.unit',
  ];
  const admission = [
    'gen_ai.request.max_tokens',
    'genops.spec.version',
    'genops.operation.name',
    'genops.operation.type',
    'gen_ai.request.stream',
  ];
  const policy = ['genops.policy.result', 'genops.policy.timestamp', 'genops.policy.mode', 'genops.policy.version'];
  const settlement = [
    'genops.accounting.actual',
    'genops.accounting.reconciliation_delta',
    'gen_ai.usage.input_tokens',
    'gen_ai.usage.output_tokens',
    'gen_ai.response.id',
    'gen_ai.response.model',
    'gen_ai.response.finish_reasons',
  ];
  const budget = [
    'genops.budget.name',
    'genops.budget.allocated',
    'genops.budget.consumed',
    'genops.budget.remaining',
    'genops.budget.period',
  ];

  it('is the start, the stages, the decision, then the settlement, each as it always was', async () => {
    init({ budgets: [{ name: 'all', limit: 10, window: 'total' }] });
    const span = await run(request(), { inputTokens: 200, outputTokens: 50 });
    expect(Object.keys(span.attributes)).toEqual([
      ...started,
      ...staged,
      ...admission,
      ...policy,
      ...settlement,
      ...budget,
    ]);
  });

  it('with telemetry.compatAttributes, puts each repeated name where its phase always put it', async () => {
    init({ budgets: [{ name: 'all', limit: 10, window: 'total' }], telemetry: { compatAttributes: true } });
    const span = await run(request(), { inputTokens: 200, outputTokens: 50 });
    expect(Object.keys(span.attributes)).toEqual([
      ...started,
      ...staged,
      'genops.governance.approval_required',
      ...admission,
      'genops.provider',
      'genops.model',
      ...policy,
      'genops.governance.policy_check',
      'genops.governance.authority_constraint',
      ...settlement,
      ...budget,
      'genops.governance.budget_remaining',
      'genops.cost.total',
      'genops.cost.currency',
      'genops.cost.provider',
      'genops.cost.model',
      'genops.accounting.released',
      'genops.tokens.input',
      'genops.tokens.output',
      'genops.tokens.total',
    ]);
  });

  it('an adapter request attribute the recorder sets again keeps its place and takes the recorder value', async () => {
    init();
    const span = await run(request({ requestAttributes: { 'gen_ai.request.stream': true, 'genops.team': 'x' } }), {
      inputTokens: 1,
      outputTokens: 1,
    });
    const names = Object.keys(span.attributes);
    // `genops.team` was set at the start: the adapter's value replaces it there (as it always did).
    expect(names.indexOf('genops.team')).toBe(3);
    expect(span.attributes['genops.team']).toBe('x');
    // `gen_ai.request.stream` comes first from the adapter, then from the request (`stream: false`).
    expect(names.indexOf('gen_ai.request.stream')).toBe(names.indexOf('genops.reservation.output_bound') + 5);
    expect(span.attributes['gen_ai.request.stream']).toBe(false);
  });
});

/** The real memory store, keeping the audit entries handed to it (their data as the recorder made it). */
class EntryStore extends MemoryStore {
  readonly entries: AuditEntry[] = [];
  override appendAuditSync(entries: readonly AuditEntry[]) {
    this.entries.push(...entries);
    return super.appendAuditSync(entries);
  }
}

describe('the attribution of a decision record', () => {
  it('is one sorted frozen copy per frozen attribution, kept while attributions interleave', async () => {
    const store = new EntryStore();
    const genops = init({ store });
    const keys = ['b', 'a'].map((team) => Object.freeze({ virtualKey: `key-${team}`, team, customer: `c-${team}` }));
    const round = async () => {
      for (const key of keys) await withAttribution(key, () => run(request(), { inputTokens: 1, outputTokens: 1 }));
      await genops.flushAudit();
      return store.entries
        .splice(0)
        .filter((entry) => entry.type === 'decision')
        .map((entry) => entry.data.attribution as Record<string, string>);
    };
    const first = await round();
    expect(first.map((attribution) => Object.keys(attribution))).toEqual([
      ['customer', 'environment', 'project', 'team', 'virtualKey'],
      ['customer', 'environment', 'project', 'team', 'virtualKey'],
    ]);
    expect(first.map((attribution) => attribution.team)).toEqual(['b', 'a']);
    expect(first.every((attribution) => Object.isFrozen(attribution))).toBe(true);
    const second = await round();
    for (const [index, attribution] of second.entries()) expect(attribution).toBe(first[index]);
  });

  it('is copied afresh from a record that can still change', () => {
    const frozen = Object.freeze({ team: 'a', customer: 'c' });
    const open: Record<string, string | undefined> = { team: 'b', customer: 'd', unset: undefined };
    const copy = sortedCopy(open);
    expect(copy).toEqual({ customer: 'd', team: 'b' });
    expect(Object.isFrozen(copy)).toBe(false);
    expect(sortedCopy(frozen)).toBe(sortedCopy(frozen));
    open.team = 'e';
    expect(sortedCopy(open)).toEqual({ customer: 'd', team: 'e' });
    expect(sortedCopy(open)).not.toBe(sortedCopy(open));
  });
});
