import { describe, expect, it } from 'vitest';
import type { GenOpsOptions } from '../config';
import { BudgetExceededError } from '../errors/budget-exceeded-error';
import { PRICE_FILES } from '../pricing/data/index';
import { PriceTable } from '../pricing/price-table';
import { chatRequest, useCoreTestSetup } from '../test-support/core-test-setup';
import type { GovernedRequest, Usage } from '../types';

// The accounting invariant (issue: bounded money): a provider's usage that is impossible for the request
// settles at the reservation — never more, never less than zero — and says ACCOUNTING_INVARIANT_VIOLATION
// on the span and in the audit trail. And a model without a price never slips past a budget at $0.

const setup = useCoreTestSetup();
const init = (options: GenOpsOptions = {}) =>
  setup.init({ budgets: [{ name: 'all', limit: 10, window: 'total' }], ...options });

const RESERVED_USD = 0.0035; // chatRequest(): 1000 in + 100 out at gpt-4o's rates
const chat = chatRequest;

async function run(request: GovernedRequest, outcome: { usage?: Usage; reportedCostUsd?: number }): Promise<void> {
  const call = await setup.genops!.governor.begin(request);
  await call.end({ ...outcome, response: { id: 'r1', model: request.model, finishReasons: ['stop'] } });
}

const { lastSpan } = setup;

async function used(): Promise<number> {
  const [all] = (await setup.genops!.status()).budgets;
  return all!.used;
}

async function settlementData(): Promise<Record<string, unknown>> {
  // The memory store's audit records are appended after the call returns: flushAudit() waits for them.
  await setup.genops!.flushAudit();
  const records = await setup.genops!.governor.store.readAudit();
  return records.filter((record) => record.type === 'settlement').at(-1)!.data as Record<string, unknown>;
}

describe('usage that breaks the accounting invariant settles at the reservation', () => {
  const cases: Array<[string, Usage | undefined, number | undefined, string[]]> = [
    ['1e308 output tokens', { inputTokens: 200, outputTokens: 1e308 }, undefined, ['outputTokens:TOO_LARGE']],
    [
      'Infinity input tokens',
      { inputTokens: Number.POSITIVE_INFINITY, outputTokens: 5 },
      undefined,
      ['inputTokens:NOT_FINITE'],
    ],
    ['NaN output tokens', { inputTokens: 200, outputTokens: Number.NaN }, undefined, ['outputTokens:NOT_FINITE']],
    ['negative usage', { inputTokens: -5_000, outputTokens: 50 }, undefined, ['inputTokens:NEGATIVE']],
    [
      '1e6 output tokens against max_tokens 100',
      { inputTokens: 200, outputTokens: 1_000_000 },
      undefined,
      ['outputTokens:ABOVE_MAX_TOKENS'],
    ],
    [
      'cached tokens above the prompt',
      { inputTokens: 200, outputTokens: 50, cacheReadInputTokens: 200_000 },
      undefined,
      ['cacheReadInputTokens:CACHED_ABOVE_INPUT'],
    ],
    [
      'reasoning above output',
      { inputTokens: 200, outputTokens: 50, reasoningOutputTokens: 90 },
      undefined,
      ['reasoningOutputTokens:REASONING_ABOVE_OUTPUT'],
    ],
    ['a NaN reported cost', { inputTokens: 200, outputTokens: 50 }, Number.NaN, ['reportedCostUsd:NOT_FINITE']],
    ['a negative reported cost', { inputTokens: 200, outputTokens: 50 }, -3, ['reportedCostUsd:NEGATIVE']],
  ];

  for (const [name, usage, reportedCostUsd, problems] of cases) {
    it(`${name}: the reservation, flagged, on the span, the event and the audit record`, async () => {
      init({ audit: {} });
      await run(chat(), { ...(usage ? { usage } : {}), ...(reportedCostUsd !== undefined ? { reportedCostUsd } : {}) });
      const span = lastSpan();
      expect(span.attributes['genops.accounting.actual']).toBe(RESERVED_USD);
      expect(span.attributes['genops.accounting.violation']).toBe('ACCOUNTING_INVARIANT_VIOLATION');
      expect(span.attributes['genops.accounting.violations']).toEqual(problems);
      expect(span.attributes['genops.cost.estimated']).toBe(true);
      // Impossible numbers are not recorded as token counts (they would fail conformance and dashboards).
      expect(span.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
      expect(span.attributes['gen_ai.usage.output_tokens']).toBeUndefined();
      const reconciliation = span.events.find((event) => event.name === 'genops.budget.reconciliation');
      expect(reconciliation?.attributes?.['genops.accounting.violation']).toBe('ACCOUNTING_INVARIANT_VIOLATION');
      // The ledger holds a finite, non-negative amount: the reservation.
      expect(await used()).toBe(RESERVED_USD);
      expect(await settlementData()).toMatchObject({
        actualUsd: RESERVED_USD,
        violation: { reasonCode: 'ACCOUNTING_INVARIANT_VIOLATION', problems },
      });
    });
  }

  it('keeps a budget enforcing after an impossible usage (no Infinity or NaN in the ledger)', async () => {
    init({ budgets: [{ name: 'all', limit: 0.005, window: 'total' }] });
    await run(chat(), { usage: { inputTokens: 200, outputTokens: 1e308 } });
    expect(await used()).toBe(RESERVED_USD);
    // 0.0035 used of 0.005: a second 0.0035 reservation no longer fits.
    await expect(setup.genops!.governor.begin(chat())).rejects.toBeInstanceOf(BudgetExceededError);
  });

  it('settles plausible usage exactly, with no violation recorded', async () => {
    init();
    await run(chat(), { usage: { inputTokens: 200, outputTokens: 50, cacheReadInputTokens: 100 } });
    const span = lastSpan();
    expect(span.attributes['genops.accounting.violation']).toBeUndefined();
    // 100 × 2.5 + 100 cached × 1.25 + 50 × 10 = 250 + 125 + 500 = 875 µ$
    expect(span.attributes['genops.accounting.actual']).toBe(0.000875);
  });
});

describe('genops.cost.source', () => {
  it('names the price table version that priced the call', async () => {
    init();
    await run(chat(), { usage: { inputTokens: 200, outputTokens: 50 } });
    const version = new PriceTable(PRICE_FILES).lookup('openai', 'gpt-4o')!.source;
    expect(version).toMatch(/^genops-bundled@\d{4}-\d{2}-\d{2}$/);
    expect(lastSpan().attributes['genops.cost.source']).toBe(version);
  });

  it('says prices-option for a price the app supplies, and unknownModel-fallback for the fallback price', async () => {
    init({ prices: { openai: { 'my-model': { input: 1, output: 2 } } }, unknownModel: { input: 3, output: 4 } });
    await run(chat({ model: 'my-model' }), { usage: { inputTokens: 200, outputTokens: 50 } });
    expect(lastSpan().attributes['genops.cost.source']).toBe('prices-option');
    await run(chat({ model: 'nobody-knows' }), { usage: { inputTokens: 200, outputTokens: 50 } });
    expect(lastSpan().attributes['genops.cost.source']).toBe('unknownModel-fallback');
  });
});

describe("an unknown model under unknownModel: 'warn'", () => {
  const ceiling = new PriceTable(PRICE_FILES).ceiling('openai', 'chat')!;

  it("reserves and charges at the provider's highest known chat rates, flagged estimated", async () => {
    expect(ceiling.input).toBeGreaterThan(0);
    init({ unknownModel: 'warn' });
    await run(chat({ model: 'gpt-from-the-future' }), { usage: { inputTokens: 200, outputTokens: 50 } });
    const span = lastSpan();
    const reservedMicros = Math.round(1000 * ceiling.input + 100 * ceiling.output);
    const actualMicros = Math.round(200 * ceiling.input + 50 * ceiling.output);
    expect(span.attributes['genops.accounting.reserved']).toBeCloseTo(reservedMicros / 1e6, 9);
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(actualMicros / 1e6, 9);
    expect(span.attributes['genops.cost.source']).toBe('conservative-estimate');
    expect(span.attributes['genops.cost.estimated']).toBe(true);
    expect(span.attributes['genops.policy.result']).toBe('WARNING');
    expect(span.attributes['genops.policy.reason_code']).toBe('x_price_unknown');
  });

  it('cannot pass a tiny budget at $0 (the LiteLLM #35524 hole)', async () => {
    init({ unknownModel: 'warn', budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] });
    await expect(setup.genops!.governor.begin(chat({ model: 'gpt-from-the-future' }))).rejects.toBeInstanceOf(
      BudgetExceededError,
    );
  });

  it('prices an unknown embedding model at the highest embedding rates, not chat rates', async () => {
    const embedding = new PriceTable(PRICE_FILES).ceiling('openai', 'embedding')!;
    expect(embedding.input).toBeLessThan(ceiling.input);
    init({ unknownModel: 'warn' });
    await run(
      {
        provider: 'openai',
        operation: 'embeddings',
        model: 'embed-from-the-future',
        estimatedInputTokens: 1000,
        maxOutputTokens: 0,
      },
      { usage: { inputTokens: 24, outputTokens: 0 } },
    );
    expect(lastSpan().attributes['genops.accounting.reserved']).toBeCloseTo((1000 * embedding.input) / 1e6, 9);
  });
});
