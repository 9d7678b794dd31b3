// Money without rounding loss (issue 16): a budget holds the exact sum of its calls' costs, however
// small each call is. 24 tokens of text-embedding-3-small ($0.02 per 1M tokens) cost 24 × 20,000
// pico-USD = 480 nano-USD: $0 per call when ledgers counted micro-USD.
import { afterEach, describe, expect, it } from 'vitest';
import { GenOps, type GenOpsHandle } from '../genops';
import { nanosToUsd } from '../money';
import { costNanos, worstCaseNanos } from '../pricing/cost';
import { PRICE_FILES } from '../pricing/data/index';
import { PriceTable } from '../pricing/price-table';
import { MemoryStore } from '../store/memory-store';
import type { GovernedRequest } from '../types';
import { compileBudget, linesFor } from './budget-set';

const EMBEDDING: GovernedRequest = {
  provider: 'openai',
  operation: 'embeddings',
  model: 'text-embedding-3-small',
  estimatedInputTokens: 24,
  maxOutputTokens: 0,
};
const USAGE = { inputTokens: 24, outputTokens: 0 };
/** What n calls cost, in USD, from the published rate ($0.02 per 1M tokens). */
const expectedUsd = (calls: number): number => (calls * 24 * 0.02) / 1_000_000;

let genops: GenOpsHandle | undefined;
afterEach(async () => {
  await genops?.shutdown();
  genops = undefined;
});

describe('nano-USD ledgers', () => {
  it('10,000 embedding calls through GenOps: the budget holds exactly 10,000 × 480 nano-USD = $0.0048', async () => {
    genops = GenOps.init({
      autoInstrument: false,
      defaults: { team: 'eng' },
      budgets: [{ name: 'embeddings', limit: 1, window: 'total' }],
    });
    const { governor } = genops;
    for (let index = 0; index < 10_000; index++) {
      const call = await governor.begin(EMBEDDING);
      await call.end({ usage: USAGE });
    }
    const [line] = await governor.store.lines('embeddings|');
    expect(line).toMatchObject({ unit: 'USD', used: 10_000 * 480, reserved: 0 });
    expect(nanosToUsd(line!.used)).toBe(expectedUsd(10_000));
    expect((await genops.status()).budgets[0]).toMatchObject({ used: expectedUsd(10_000), unit: 'USD' });
  }, 120_000);

  it('1,000,000 embedding calls reserved and settled in a budget add up to exactly $0.48', async () => {
    // The stages the governor runs for each call, without its telemetry: the bundled price, the
    // worst-case reservation on the budget's line, the priced usage settled into the memory store.
    const match = new PriceTable(PRICE_FILES).lookup('openai', 'text-embedding-3-small')!;
    const budgets = [compileBudget({ name: 'embeddings', limit: 1, window: 'total' })];
    const store = new MemoryStore();
    const subject = { team: 'eng', provider: 'openai', model: 'text-embedding-3-small', operation: 'embeddings' };
    let settledNanos = 0;
    for (let index = 0; index < 1_000_000; index++) {
      const reservedNanos = worstCaseNanos(match.price, EMBEDDING.estimatedInputTokens, 0);
      const lines = linesFor(budgets, subject, { nanos: reservedNanos, tokens: 24 }, 0);
      const reserved = store.reserveSync({ id: `call-${index}`, lines, leaseMs: 60_000 });
      if (!reserved.ok) throw new Error(`call ${index} was refused`);
      const actualNanos = costNanos(match.price, USAGE);
      settledNanos += actualNanos;
      store.settleSync(`call-${index}`, { USD: actualNanos, tokens: 24, requests: 1 }, lines);
    }
    const [line] = await store.lines('embeddings|');
    expect(line).toMatchObject({ used: settledNanos, reserved: 0 });
    expect(line!.used).toBe(1_000_000 * 480);
    expect(nanosToUsd(line!.used)).toBe(expectedUsd(1_000_000));
    expect(nanosToUsd(line!.used)).toBe(0.48);
  }, 120_000);
});
