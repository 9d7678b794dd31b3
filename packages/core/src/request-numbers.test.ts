import { afterEach, describe, expect, it } from 'vitest';
import { InvalidRequestError } from './errors/index';
import { GenOps, type GenOpsHandle } from './genops';
import type { GovernedRequest } from './types';

const base: GovernedRequest = {
  provider: 'openai',
  operation: 'chat',
  model: 'gpt-4o-mini',
  estimatedInputTokens: 10,
  maxOutputTokens: 100,
};

let handle: GenOpsHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

function init(): GenOpsHandle {
  handle = GenOps.init({ budgets: [{ name: 'daily', limit: 10, window: 'day' }], audit: false });
  return handle;
}

describe('the numbers of a governed request', () => {
  const bad: Array<[string, Record<string, unknown>, string, string]> = [
    ['missing estimatedInputTokens', { estimatedInputTokens: undefined }, 'estimatedInputTokens', 'nothing'],
    [
      'a negative estimate (it would shrink the reservation)',
      { estimatedInputTokens: -5 },
      'estimatedInputTokens',
      '-5',
    ],
    ['an estimate given as a string', { estimatedInputTokens: '10' }, 'estimatedInputTokens', '"10"'],
    ['a NaN output cap', { maxOutputTokens: Number.NaN }, 'maxOutputTokens', 'NaN'],
    ['an infinite output cap', { maxOutputTokens: Number.POSITIVE_INFINITY }, 'maxOutputTokens', 'Infinity'],
    ['a negative number of model requests', { modelRequests: -1 }, 'modelRequests', '-1'],
    [
      'a NaN batch count',
      { batch: { requests: 2, uncappedRequests: Number.NaN, cappedOutputTokens: 0 } },
      'batch.uncappedRequests',
      'NaN',
    ],
    ['a negative unit amount', { units: { audioInputSeconds: -3 } }, 'units.audioInputSeconds', '-3'],
    ['a NaN image count', { units: { images: [{ count: 1 }, { count: Number.NaN }] } }, 'units.images[1].count', 'NaN'],
  ];

  for (const [what, change, field, shown] of bad) {
    it(`refuses ${what} with an InvalidRequestError naming ${field}; nothing is reserved`, async () => {
      const governor = init().governor;
      const request = { ...base, ...change } as GovernedRequest;
      const error = await governor.begin(request).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error).toMatchObject({ field, isRetryable: false });
      expect((error as Error).message).toContain(`(openai, gpt-4o-mini) has ${field} = ${shown}:`);
      const status = await handle?.status();
      expect(status?.openReservations).toBe(0);
      expect(status?.budgets[0]).toMatchObject({ used: 0, reserved: 0 });
    });
  }

  it('admits zero, fractions and absent optional numbers', async () => {
    const governor = init().governor;
    for (const request of [
      { ...base, estimatedInputTokens: 0 },
      { ...base, estimatedInputTokens: 12.5, maxOutputTokens: undefined },
      { ...base, modelRequests: 2, units: { images: [{ size: '1024x1024' }] } },
    ]) {
      const call = await governor.begin(request);
      await call.end({ usage: { inputTokens: 1, outputTokens: 1 } });
    }
    expect((await handle?.status())?.openReservations).toBe(0);
  });
});
