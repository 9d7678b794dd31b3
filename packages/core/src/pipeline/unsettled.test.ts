import { describe, expect, it } from 'vitest';
import { chatRequest, useCoreTestSetup } from '../test-support/core-test-setup';

// One timer serves every unsettled call's lease: it follows the earliest deadline, also when a call
// tracked later began earlier, and skips calls held open on purpose. Real Governor, real memory store.

const setup = useCoreTestSetup();
const BUDGETS = [{ name: 'team', limit: 10, window: 'day' as const }];

/** Polls (bounded) until `done()`; waiting for an event, not measuring time. */
async function waitFor(done: () => boolean): Promise<boolean> {
  for (let attempt = 0; attempt < 300 && !done(); attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
  return done();
}

const settledModels = () => setup.spans().map((span) => span.attributes['gen_ai.request.model']);

describe('lease deadlines of unsettled calls', () => {
  it('a call tracked later whose lease ends first settles first; a call held open is left to shutdown', async () => {
    const genops = setup.init({ budgets: BUDGETS, reservationLeaseMs: 400 });
    const { governor } = genops;
    // Began first, sent (tracked) last: its deadline is the earliest.
    const early = await governor.begin(chatRequest({ model: 'gpt-4o' }));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const late = await governor.begin(chatRequest({ model: 'gpt-4o-mini' }));
    const held = await governor.begin(chatRequest({ model: 'gpt-4.1' }));
    late.markSent();
    held.markSent();
    held.untether();
    early.markSent();
    expect(governor.unsettled.size).toBe(3);
    expect(await waitFor(() => setup.spans().length === 2)).toBe(true);
    expect(settledModels()).toEqual(['gpt-4o', 'gpt-4o-mini']);
    for (const span of setup.spans()) expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect(governor.unsettled.size).toBe(1);
    await governor.unsettled.abandonAll('shutdown');
    expect(settledModels()).toEqual(['gpt-4o', 'gpt-4o-mini', 'gpt-4.1']);
    expect(governor.unsettled.size).toBe(0);
  });
});
