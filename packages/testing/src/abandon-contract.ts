import { expect, it } from 'vitest';
import type { AdapterHarness, HarnessServer } from './adapter-harness';
import { collectGarbageUntil } from './garbage';

/** One streamed route of an adapter, as {@link describeAbandonedStreams} drives it. */
export interface AbandonedStreamRoute<Stream> {
  /** Queues a streamed reply that takes a while (delays between events), so it cannot end by itself first. */
  enqueueSlowStream(): void;
  /**
   * Queues a streamed reply so slow that only the lease or shutdown can end its unit first (default:
   * {@link enqueueSlowStream}); needed by routes that read the provider's stream themselves.
   */
  enqueueStalledStream?(): void;
  /** Starts one governed streamed call and resolves with what the caller holds (its stream). */
  open(): Promise<Stream>;
  /** Reads the stream's first chunk, then stops reading (`break`). */
  readFirstAndBreak(stream: Stream): Promise<void>;
  /**
   * For routes whose `open` does not reject on a denial (the AI SDK reports it in the stream): starts a
   * call and resolves with the error the app sees. Default: `open()`'s rejection.
   */
  deniedError?(): Promise<unknown>;
  /**
   * The route's request goes out on the first read of its stream (a lazy generator, as LlamaIndex's),
   * so a stream never read was never sent: dropped, past its lease or at shutdown, it is released.
   */
  sendsOnFirstRead?: boolean;
  /** Requests the fake server received so far. */
  requestCount(): number;
  /**
   * What an abandoned unit settles at: `reservation` (default) — the provider's usage never arrived —
   * or `usage` for a route that reads the provider's stream to its end whatever the caller does.
   */
  settlesAt?: 'reservation' | 'usage';
}

const BUDGET = 'abandoned';

/**
 * The abandoned-stream contract of an adapter's streamed route: a unit whose request was sent is never
 * free. Abandoned after its first chunk, never iterated and dropped (garbage-collected), held unread
 * past its lease, or open at shutdown, it settles at its reservation, flagged incomplete, with its span
 * ended and nothing left reserved; a request denied before it left is never sent and holds nothing.
 * Call it inside a `describe` of a test file that created `harness`.
 */
export function describeAbandonedStreams<Server extends HarnessServer, Stream>(
  harness: AdapterHarness<Server>,
  route: AbandonedStreamRoute<Stream>,
): void {
  const budgets = [{ name: BUDGET, limit: 100, window: 'day' as const }];
  const atReservation = (route.settlesAt ?? 'reservation') === 'reservation';
  const stalled = () => (route.enqueueStalledStream ?? route.enqueueSlowStream)();

  async function expectSettled(
    options: { storeOpen?: boolean; atReservation?: boolean; released?: boolean } = {},
  ): Promise<void> {
    const span = harness.lastSpan();
    const reserved = span.attributes['genops.accounting.reserved'];
    expect(typeof reserved).toBe('number');
    if (options.released) {
      expect(span.attributes['genops.accounting.actual']).toBe(0);
      expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    } else if (options.atReservation ?? atReservation) {
      expect(span.attributes).toMatchObject({
        'genops.accounting.incomplete': true,
        'genops.accounting.actual': reserved,
      });
    } else {
      expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
      expect(span.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    }
    harness.expectCompliant([span]);
    if (options.storeOpen === false) return;
    const status = await harness.genops!.status();
    expect(status.openReservations).toBe(0);
    const budget = status.budgets.find((line) => line.budget === BUDGET);
    expect(budget).toMatchObject({ reserved: 0, used: span.attributes['genops.accounting.actual'] });
  }

  /** Waits (bounded) for the unit's span; waiting for an event, not measuring time. */
  async function spanEnded(): Promise<boolean> {
    for (let attempt = 0; attempt < 500 && harness.spans().length === 0; attempt++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    return harness.spans().length > 0;
  }

  const settles = atReservation
    ? 'settles once at its reservation, flagged incomplete'
    : 'settles once from the usage the provider reported (its stream is read to the end)';

  it(`abandoned after its first chunk: ${settles}, nothing left reserved`, async () => {
    harness.init({ budgets });
    route.enqueueSlowStream();
    await route.readFirstAndBreak(await route.open());
    expect(await spanEnded()).toBe(true);
    if (atReservation) expect(harness.spans()).toHaveLength(1);
    await expectSettled();
  });

  const unread = route.sendsOnFirstRead
    ? 'nothing was sent, so it is released once garbage-collected'
    : `${atReservation ? 'once garbage-collected, ' : ''}${settles}`;

  it(`never iterated and dropped: ${unread}`, async () => {
    harness.init({ budgets });
    route.enqueueSlowStream();
    // Opened in a function of its own, so nothing in this test keeps the stream alive.
    await (async () => {
      await route.open();
    })();
    expect(route.requestCount()).toBe(route.sendsOnFirstRead ? 0 : 1);
    expect(await collectGarbageUntil(() => harness.spans().length > 0, 200)).toBe(true);
    await expectSettled({ released: route.sendsOnFirstRead === true });
  });

  const heldUnread = route.sendsOnFirstRead ? 'is released' : 'settles at its reservation';

  it(`held unread past its lease: ${heldUnread} when the lease ends`, async () => {
    harness.init({ budgets, reservationLeaseMs: 300 });
    stalled();
    const held = await route.open();
    expect(await spanEnded()).toBe(true);
    await expectSettled({ atReservation: true, released: route.sendsOnFirstRead === true });
    expect(held).toBeDefined();
  });

  it(`held unread at shutdown: ${heldUnread} before GenOps shuts down`, async () => {
    harness.init({ budgets });
    stalled();
    const held = await route.open();
    expect(harness.spans()).toHaveLength(0);
    await harness.shutdown();
    expect(harness.spans().length).toBeGreaterThan(0);
    await expectSettled({ storeOpen: false, atReservation: true, released: route.sendsOnFirstRead === true });
    expect(held).toBeDefined();
  });

  it('denied before it left: nothing is sent and nothing stays reserved', async () => {
    harness.init({ budgets: [{ name: BUDGET, limit: 0.000001, window: 'day' }] });
    const before = route.requestCount();
    const error = route.deniedError
      ? await route.deniedError()
      : await route.open().then(
          () => undefined,
          (caught: unknown) => caught,
        );
    expect(error).toMatchObject({ name: 'BudgetExceededError' });
    expect(route.requestCount()).toBe(before);
    const status = await harness.genops!.status();
    expect(status.openReservations).toBe(0);
    expect(status.budgets.find((line) => line.budget === BUDGET)).toMatchObject({ used: 0, reserved: 0 });
  });
}
