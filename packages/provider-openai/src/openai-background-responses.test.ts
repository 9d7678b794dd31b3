import { startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI from 'openai';
import { describe, expect, it, vi } from 'vitest';

// Background responses: `create({ background: true })` opens one unit; reading the finished response
// (or resuming its stream) settles that same unit from the response's usage, once.

const harness = createAdapterHarness({ server: startFakeOpenAI });

function client(): OpenAI {
  return new OpenAI({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0 });
}

function governedSpans() {
  return harness.spans().filter((span) => span.attributes['genops.spec.version'] !== undefined);
}

function expectedCost(input: number, output: number): number {
  const price = harness.priceOf('openai', 'gpt-4o');
  return (input * price.input + output * price.output) / 1e6;
}

describe('responses.create({ background: true })', () => {
  it('stays open while queued and settles from responses.retrieve once it has finished', async () => {
    harness.init();
    const openai = client();
    const queued = await openai.responses.create({ model: 'gpt-4o', input: 'Hello', background: true });
    expect(queued.status).toBe('queued');
    expect(governedSpans()).toHaveLength(0);

    harness.server.enqueue({ usage: { input: 20, output: 40 } });
    const done = await openai.responses.retrieve(queued.id);
    expect(done.status).toBe('completed');
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    const span = governedSpans()[0]!;
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(expectedCost(20, 40), 12);
    expect(span.attributes['genops.accounting.incomplete']).not.toBe(true);
    expect(span.attributes['gen_ai.response.id']).toBe(queued.id);
    harness.expectCompliant([span]);

    // Reading it again charges nothing more.
    await openai.responses.retrieve(queued.id);
    expect(governedSpans()).toHaveLength(1);
  });

  it('the resumed stream settles the original unit (no second unit, no double charge)', async () => {
    harness.init();
    const openai = client();
    const queued = await openai.responses.create({ model: 'gpt-4o', input: 'Hello', background: true });
    harness.server.enqueue({ usage: { input: 20, output: 7 } });
    const stream = await openai.responses.retrieve(queued.id, { stream: true, starting_after: 1 });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types.at(-1)).toBe('response.completed');
    expect(harness.server.requests.at(-1)!.path).toBe(`/v1/responses/${queued.id}`);
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    const span = governedSpans()[0]!;
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(expectedCost(20, 7), 12);
    harness.expectCompliant([span]);
  });

  it('a resumed stream left early settles at the reservation, flagged incomplete', async () => {
    harness.init();
    const openai = client();
    const queued = await openai.responses.create({
      model: 'gpt-4o',
      input: 'Hello',
      background: true,
      max_output_tokens: 100,
    });
    const stream = await openai.responses.retrieve(queued.id, { stream: true });
    for await (const _ of stream) break;
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    const span = governedSpans()[0]!;
    expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
  });

  it('a streamed background response left early stays open; its resumed stream settles that one unit', async () => {
    harness.init();
    const openai = client();
    harness.server.enqueue({ chunks: 12, chunkDelayMs: 5, usage: { input: 20, output: 30 } });
    const runner = openai.responses.stream({ model: 'gpt-4o', input: 'Hello', background: true });
    let id: string | undefined;
    for await (const event of runner) {
      if (event.type === 'response.created') id = event.response.id;
      if (event.sequence_number === 3) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Left before its usage arrived: no settlement at the reservation, the unit waits for the resume.
    expect(governedSpans()).toHaveLength(0);

    harness.server.enqueue({ chunks: 12, usage: { input: 20, output: 30 } });
    const resumed = openai.responses.stream({ response_id: id!, starting_after: 3 });
    for await (const _ of resumed) {
    }
    const final = await resumed.finalResponse();
    expect(final.status).toBe('completed');
    await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
    const span = governedSpans()[0]!;
    expect(span.attributes['genops.accounting.actual']).toBeCloseTo(expectedCost(20, 30), 12);
    expect(span.attributes['genops.accounting.incomplete']).not.toBe(true);
    expect(span.attributes['gen_ai.response.id']).toBe(id);
    harness.expectCompliant([span]);
    expect(harness.server.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /v1/responses',
      `GET /v1/responses/${id}`,
    ]);
  });

  it('resuming a streamed background response that already finished is no second unit and no warning', async () => {
    harness.init();
    const openai = client();
    const warnings: string[] = [];
    const listen = (warning: Error & { code?: string }) => {
      if (warning.code === 'GENOPS_UNGOVERNED') warnings.push(warning.message);
    };
    process.on('warning', listen);
    try {
      const runner = openai.responses.stream({ model: 'gpt-4o', input: 'Hello', background: true });
      const first = await runner.finalResponse();
      await vi.waitFor(() => expect(governedSpans()).toHaveLength(1));
      const resumed = openai.responses.stream({ response_id: first.id, starting_after: 2 });
      expect((await resumed.finalResponse()).id).toBe(first.id);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listen);
    }
    expect(warnings).toEqual([]);
    expect(governedSpans()).toHaveLength(1);
  });

  it('resuming a response this process did not start warns once and runs', async () => {
    harness.init();
    const warnings: string[] = [];
    const listen = (warning: Error & { code?: string }) => {
      if (warning.code === 'GENOPS_UNGOVERNED') warnings.push(warning.message);
    };
    process.on('warning', listen);
    try {
      await client()
        .responses.retrieve('resp_elsewhere', { stream: true })
        .catch(() => undefined);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listen);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('openai responses.retrieve(id, { stream: true }) is not governed');
    expect(harness.server.requests.map((request) => request.path)).toEqual(['/v1/responses/resp_elsewhere']);
    expect(governedSpans()).toHaveLength(0);
  });
});
