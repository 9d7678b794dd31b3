// governWire on its own, as the gateway calls it: a request read from the wire, sent with a real undici
// Pool to the fake OpenAI server. With the memory store and no approval wait nothing waits: the request
// has left when governWire returns (no promise), and the caller hears of the settlement through
// `onSettled` once the response ended; an approval wait makes the result a promise.
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeOpenAI } from '../../../testing/src/fake-openai-server';
import { isPromise } from '../pipeline/maybe-promise';
import { useCoreTestSetup } from '../test-support/core-test-setup';
import { endpointFor } from './endpoints';
import { type DispatchOptions, type GovernedWire, governWire, type WireRequest } from './govern-wire';
import type { DispatchController, DispatchHandler } from './wire-handler';

const setup = useCoreTestSetup();
let openai: Awaited<ReturnType<typeof startFakeOpenAI>>;
let pool: Pool;

beforeAll(async () => {
  openai = await startFakeOpenAI();
  pool = new Pool(new URL(openai.url).origin);
});

afterAll(async () => {
  await pool.close();
  await openai.close();
});

/** A chat completion request as the gateway hands it over; `settled` counts its `onSettled` calls. */
function chatWire(): WireRequest & { settledCalls: number } {
  const bytes = Buffer.from(
    JSON.stringify({ model: 'gpt-4o', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }),
  );
  const path = `${new URL(openai.url).pathname}/chat/completions`;
  return {
    endpoint: endpointFor('POST', path)!,
    provider: 'openai',
    server: { serverAddress: '127.0.0.1', serverPort: Number(new URL(openai.url).port) },
    body: { buffer: bytes, bytes: bytes.byteLength, complete: true, replay: bytes },
    options: {
      origin: new URL(openai.url).origin,
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
    },
    maxBodyBytes: 1024 * 1024,
    settledCalls: 0,
    onSettled() {
      this.settledCalls++;
    },
  };
}

/** The caller's handler: collects the response, `ended` once it is whole. */
function collector() {
  let status = 0;
  const chunks: Buffer[] = [];
  let end: (text: string) => void = () => {};
  const ended = new Promise<string>((resolve) => {
    end = resolve;
  });
  const handler: DispatchHandler = {
    onResponseStart: (_controller: DispatchController, statusCode: number) => {
      status = statusCode;
    },
    onResponseData: (_controller: DispatchController, chunk: Uint8Array) => {
      chunks.push(Buffer.from(chunk));
    },
    onResponseEnd: () => end(Buffer.concat(chunks).toString('utf8')),
    onResponseError: (_controller: DispatchController, error: Error) => end(`error: ${error.message}`),
  };
  return { handler, ended, status: () => status };
}

describe('governWire', () => {
  it('memory store, no approval: the request has left when governWire returns, and onSettled runs once it settled', async () => {
    const genops = setup.init({ dailyBudgetLimit: 10 });
    const wire = chatWire();
    const { handler, ended, status } = collector();
    let dispatched = 0;
    const dispatch = (options: DispatchOptions, governed: DispatchHandler) => {
      dispatched++;
      return pool.dispatch(options as Parameters<Pool['dispatch']>[0], governed as Parameters<Pool['dispatch']>[1]);
    };
    const governed = governWire(genops.governor, wire, handler, dispatch);
    expect(isPromise(governed)).toBe(false);
    expect(dispatched).toBe(1);
    expect(wire.settledCalls).toBe(0);
    const text = await ended;
    expect(status()).toBe(200);
    const completion = JSON.parse(text);
    expect(completion.choices[0].message.content).toBe('Hello from the fake OpenAI server.');
    // The memory store settles within the response's last callback.
    expect(wire.settledCalls).toBe(1);
    await (governed as GovernedWire).settled;
    expect(wire.settledCalls).toBe(1);
    const span = setup.lastSpan();
    expect(span.attributes['genops.accounting.actual']).toBeGreaterThan(0);
    expect(span.attributes['gen_ai.usage.input_tokens']).toBe(completion.usage.prompt_tokens);
  });

  it('an approval wait: a promise of the governed request, nothing sent until approved', async () => {
    let approve: ((approved: boolean) => void) | undefined;
    const genops = setup.init({
      dailyBudgetLimit: 10,
      requireApprovalOver: 0,
      approver: () =>
        new Promise<boolean>((resolve) => {
          approve = resolve;
        }),
    });
    const wire = chatWire();
    const { handler, ended } = collector();
    let dispatched = 0;
    const governed = governWire(genops.governor, wire, handler, (options, governedHandler) => {
      dispatched++;
      return pool.dispatch(
        options as Parameters<Pool['dispatch']>[0],
        governedHandler as Parameters<Pool['dispatch']>[1],
      );
    });
    expect(isPromise(governed)).toBe(true);
    await vi.waitFor(() => expect(approve).toBeDefined());
    expect(dispatched).toBe(0);
    approve?.(true);
    await governed;
    expect(dispatched).toBe(1);
    await ended;
    expect(wire.settledCalls).toBe(1);
  });
});
