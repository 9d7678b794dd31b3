import { describe, expect, it } from 'vitest';
import { chatRequest, useCoreTestSetup } from '../test-support/core-test-setup';
import { drainPending, pendingCount } from './deferred';

// A governed call's span and metric telemetry is recorded right after the caller has its result (one
// batch per timer), with the times of the moments it describes.

const setup = useCoreTestSetup();
/** Milliseconds since the epoch of an OpenTelemetry `[seconds, nanoseconds]` time. */
const millis = ([seconds, nanos]: [number, number]): number => seconds * 1000 + nanos / 1e6;
const USAGE = { usage: { inputTokens: 10, outputTokens: 5 }, response: { finishReasons: ['stop'] } };

describe('telemetry recorded after the result', () => {
  it('ends the span after end() returns, timestamped when the call settled, not when it is recorded', async () => {
    const genops = setup.init();
    const call = await genops.governor.begin(chatRequest());
    await call.end(USAGE);
    // Nothing is on the exporter yet: the caller has its result first.
    expect(setup.exporter.getFinishedSpans()).toHaveLength(0);
    expect(pendingCount()).toBeGreaterThan(0);
    // Record it well after the settlement: the span still ends when the call settled.
    const recordedFrom = Date.now() + 30;
    while (Date.now() < recordedFrom) {
      // A caller busy with its result.
    }
    drainPending();
    const [span] = setup.exporter.getFinishedSpans();
    expect(span).toBeDefined();
    expect(millis(span!.endTime)).toBeLessThan(recordedFrom - 20);
    const reconciliation = span!.events.find((event) => event.name === 'genops.budget.reconciliation');
    expect(reconciliation?.time).toEqual(span!.endTime);
    expect(span!.events.map((event) => event.name)).toEqual([
      'genops.budget.reservation',
      'genops.policy.evaluated',
      'genops.budget.reconciliation',
    ]);
    expect(span!.attributes['genops.policy.result']).toBe('ALLOWED');
    expect(span!.attributes['genops.accounting.actual']).toBeTypeOf('number');
  });

  it('is recorded on a timer, after what the same turn sends from its check phase, and by flush()', async () => {
    const genops = setup.init();
    const first = await genops.governor.begin(chatRequest());
    await first.end(USAGE);
    // Node's fetch sends a request from the check phase: a next call made at once sends its request
    // before this call's telemetry is recorded (with setImmediate it was recorded in front of it).
    await new Promise((resolve) => setImmediate(resolve));
    expect(setup.exporter.getFinishedSpans()).toHaveLength(0);
    expect(pendingCount()).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(setup.exporter.getFinishedSpans()).toHaveLength(1);
    expect(pendingCount()).toBe(0);
    const second = await genops.governor.begin(chatRequest());
    await second.end(USAGE);
    expect(setup.exporter.getFinishedSpans()).toHaveLength(1);
    await genops.flush();
    expect(setup.exporter.getFinishedSpans()).toHaveLength(2);
  });

  it('is recorded by shutdown() before the providers close', async () => {
    const genops = setup.init();
    const call = await genops.governor.begin(chatRequest());
    await call.end(USAGE);
    await genops.shutdown();
    setup.forget();
    expect(setup.exporter.getFinishedSpans()).toHaveLength(1);
  });

  it('keeps the order calls finished in when a denial ends its span at once', async () => {
    const genops = setup.init({ policies: { allowModels: ['gpt-4o'] } });
    const call = await genops.governor.begin(chatRequest());
    await call.end(USAGE);
    await expect(genops.governor.begin(chatRequest({ model: 'o1' }))).rejects.toThrow();
    // The denial's span ended at once, after the queued one of the call before it.
    expect(setup.exporter.getFinishedSpans().map((span) => span.attributes['genops.policy.result'])).toEqual([
      'ALLOWED',
      'BLOCKED',
    ]);
  });
});
