// Approvals, graceful shutdown, readiness and the SQLite store: the gateway's life around its requests.
import { mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApprovalRequest } from '@genops/core';
import { openStore } from '@genops/store-sqlite';
import OpenAI from 'openai';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { nanos, TEAM_A_KEY, useGateway } from './gateway-setup';

const setup = useGateway();
const directory = mkdtempSync(join(tmpdir(), 'genops-gateway-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function client(): OpenAI {
  return new OpenAI({ apiKey: TEAM_A_KEY, baseURL: `${setup.gateway.url}/v1`, maxRetries: 0 });
}

const chat = { model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }] };

/** An approver whose decisions the test gives, one per request, in order. */
function heldApprover() {
  const asked: ApprovalRequest[] = [];
  const decisions: Array<(approved: boolean) => void> = [];
  return {
    asked,
    approver: (request: ApprovalRequest) =>
      new Promise<boolean>((resolve) => {
        asked.push(request);
        decisions.push(resolve);
      }),
    decide(approved: boolean) {
      decisions.shift()?.(approved);
    },
  };
}

describe('gateway: approvals', () => {
  it('a call that needs approval is held (nothing sent) until approved, then forwarded', async () => {
    const held = heldApprover();
    await setup.start({ policy: { version: 1, approvals: { over: 0 } }, approver: held.approver });
    let answered = false;
    const pending = client()
      .chat.completions.create(chat)
      .then((completion) => {
        answered = true;
        return completion;
      });
    await vi.waitFor(() => expect(held.asked).toHaveLength(1));
    expect(held.asked[0]?.attribution.virtualKey).toBe('team-a');
    expect(answered).toBe(false);
    expect(setup.openai.requests).toHaveLength(0);
    held.decide(true);
    const completion = await pending;
    expect(completion.choices[0]?.message.content).toBe('Hello from the fake OpenAI server.');
    expect(setup.openai.requests).toHaveLength(1);
  });

  it('a denied approval: 403 as an OpenAI error, never sent upstream', async () => {
    const held = heldApprover();
    await setup.start({ policy: { version: 1, approvals: { over: 0 } }, approver: held.approver });
    const pending = client()
      .chat.completions.create(chat)
      .catch((caught: unknown) => caught);
    await vi.waitFor(() => expect(held.asked).toHaveLength(1));
    held.decide(false);
    const error = await pending;
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((error as InstanceType<typeof OpenAI.APIError>).headers?.get('x-genops-error')).toMatch(/Approval/);
    expect(setup.openai.requests).toHaveLength(0);
  });
});

describe('gateway: settlement', () => {
  it('answers first: the response ends while its unit is open, and the unit settles right after', async () => {
    // A budget: the unit holds a reservation in the store until it settles.
    const gateway = await setup.start({ dailyBudgetLimit: 100 });
    // What the store holds at the moment node:http ends each response (its `prefinish`, inside `end()`).
    const openAtReplyEnd: Promise<number>[] = [];
    gateway.app.server.on('request', (_incoming, response: ServerResponse) => {
      response.once('prefinish', () => openAtReplyEnd.push(gateway.genops.governor.store.openReservations()));
    });
    const completion = await client().chat.completions.create(chat);
    expect(completion.choices[0]?.message.content).toBe('Hello from the fake OpenAI server.');
    expect(await Promise.all(openAtReplyEnd)).toEqual([1]);
    expect((await gateway.genops.status()).openReservations).toBe(0);
    expect(gateway.inFlight).toBe(0);
    const spans = setup.telemetry.spans();
    expect(spans).toHaveLength(1);
    expect(nanos(spans[0]?.attributes['genops.accounting.actual'])).toBe(150_000);
  });
});

describe('gateway: graceful close', () => {
  it('lets an in-flight stream finish and settle from its usage, refusing new connections meanwhile', async () => {
    const gateway = await setup.start();
    setup.openai.enqueue({ chunks: 8, chunkDelayMs: 40 });
    const stream = await client().chat.completions.create({
      ...chat,
      stream: true,
      stream_options: { include_usage: true },
    });
    const iterator = stream[Symbol.asyncIterator]();
    let text = ((await iterator.next()).value?.choices[0]?.delta.content as string | undefined) ?? '';
    const url = gateway.url;
    const closed = gateway.close();
    await vi.waitFor(() => expect(gateway.app.server.listening).toBe(false));
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      text += next.value.choices[0]?.delta.content ?? '';
    }
    await closed;
    expect(text).toBe('Hello from the fake OpenAI server.');
    const spans = setup.telemetry.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0]?.attributes['genops.accounting.incomplete']).toBeUndefined();
    expect(nanos(spans[0]?.attributes['genops.accounting.actual'])).toBe(150_000);
  });

  it('past the drain timeout: the stream is cut and its unit settles at the reservation, flagged incomplete', async () => {
    const gateway = await setup.start({}, { drainTimeoutMs: 100 });
    setup.openai.enqueue({ chunks: 50, chunkDelayMs: 200 });
    const stream = await client().chat.completions.create({ ...chat, stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const rest = (async () => {
      for (;;) if ((await iterator.next()).done) return 'ended';
    })().catch(() => 'cut');
    await gateway.close();
    expect(await rest).toBe('cut');
    const spans = setup.telemetry.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0]?.attributes['genops.accounting.incomplete']).toBe(true);
    expect(spans[0]?.attributes['genops.accounting.actual']).toBe(spans[0]?.attributes['genops.accounting.reserved']);
    expect(nanos(spans[0]?.attributes['genops.accounting.actual'])).toBeGreaterThan(150_000);
  });
});

describe('gateway: store and readiness', () => {
  it('SQLite store: spend is recorded in the shared file; /healthz and /readyz answer', async () => {
    const file = join(directory, 'state.db');
    const gateway = await setup.start({
      store: `sqlite:${file}`,
      policy: { version: 1, budgets: [{ name: 'team-a-daily', limit: 10, window: 'day', match: { team: 'a' } }] },
    });
    expect(await (await fetch(`${gateway.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', policyVersion: gateway.genops.policyVersion });
    await client().chat.completions.create(chat);
    await client().chat.completions.create(chat);
    await gateway.close();
    // Another process opening the same file sees the two calls' spend.
    const store = openStore(`sqlite:${file}`);
    try {
      const lines = await store.lines();
      const daily = lines.find((line) => line.budget === 'team-a-daily');
      expect(daily).toBeDefined();
      expect(daily?.used).toBe(300_000);
      expect(await store.openReservations()).toBe(0);
    } finally {
      await store.close();
    }
  });
});
