import { createHook } from 'node:async_hooks';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GenOpsOptions } from '../config';
import { BudgetExceededError } from '../errors/budget-exceeded-error';
import { GenOps, type GenOpsHandle } from '../genops';
import type { CallOutcome } from '../governor';
import { drainPending } from '../pipeline/deferred';
import { governIterator, type StreamObserver } from '../stream';
import type { GovernedRequest } from '../types';
import { methodPatcher } from './method-patcher';
import { runGovernedCall } from './run-governed-call';
import { safely } from './safely';
import { createFallbackAPIPromise, governStainlessCall, type StainlessMethod } from './stainless-api-promise';

// The kit's lifecycle helper on a real Governor: what an adapter's `govern-<x>-call.ts` relies on.

const exporter = new InMemorySpanExporter();
const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
let genops: GenOpsHandle | undefined;

function governor(options: GenOpsOptions = {}) {
  genops = GenOps.init({
    tracerProvider,
    autoInstrument: false,
    defaults: { team: 'eng', project: 'kit', environment: 'test' },
    ...options,
  });
  return genops.governor;
}

interface Params {
  model: string;
  prompt: string;
}

function describeParams(params: Params, stream = false): GovernedRequest {
  return {
    provider: 'openai',
    operation: 'chat',
    model: params.model,
    stream,
    estimatedInputTokens: 10,
    maxOutputTokens: 100,
    text: () => [params.prompt],
    editable: { model: true, text: true },
  };
}

const USED: CallOutcome = { usage: { inputTokens: 10, outputTokens: 5 }, response: { finishReasons: ['stop'] } };
const onlySpan = (): ReadableSpan => {
  drainPending();
  const spans = exporter.getFinishedSpans() as ReadableSpan[];
  expect(spans).toHaveLength(1);
  return spans[0]!;
};

beforeEach(() => exporter.reset());
afterEach(async () => {
  await genops?.shutdown();
  genops = undefined;
});

describe('runGovernedCall', () => {
  it('sends the edited request (redaction), leaves the caller’s object alone, and settles from the outcome', async () => {
    const running = governor({
      policy: { version: 1, rules: [{ name: 'redact', type: 'content', detect: ['email'], action: 'redact' }] },
    });
    const params = { model: 'gpt-4o', prompt: 'Mail jane.doe@example.com' };
    const sent: Params[] = [];
    const result = await runGovernedCall(running, describeParams(params), {
      input: params,
      edit: (input, edits) => ({ ...input, prompt: edits.text ? edits.text(input.prompt) : input.prompt }),
      execute: (input) => {
        sent.push(input);
        return { text: 'ok' };
      },
      outcome: () => USED,
    });
    expect(result).toEqual({ text: 'ok' });
    expect(sent[0]?.prompt).not.toContain('jane.doe@example.com');
    expect(params.prompt).toBe('Mail jane.doe@example.com');
    expect(onlySpan().attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5 });
  });

  it('with the memory store, sends the request before it returns and makes two promises of its own', async () => {
    // No span processor: the span's export would add OpenTelemetry's own promises.
    const running = governor({
      tracerProvider: new TracerProvider(),
      budgets: [{ name: 'all', limit: 1, window: 'total' }],
    });
    const request = describeParams({ model: 'gpt-4o', prompt: 'Hi' });
    // What an SDK returns: a promise of its own (made before counting).
    const answer = Promise.resolve({ text: 'ok' });
    let sent = 0;
    const run = {
      input: {},
      execute: () => {
        sent += 1;
        return answer;
      },
      outcome: () => USED,
    };
    await runGovernedCall(running, request, run);
    let promises = 0;
    const hook = createHook({
      init(_id, type) {
        if (type === 'PROMISE') promises++;
      },
    });
    hook.enable();
    const result = runGovernedCall(running, request, run);
    hook.disable();
    // No promise of GenOps' own came between the caller and the SDK.
    expect(sent).toBe(2);
    // The send's (an SDK error fails the call) and the result's (read, then settled).
    expect(promises).toBe(2);
    expect(await result).toEqual({ text: 'ok' });
    // Both calls settled: nothing left reserved, their cost used.
    const [budget] = (await genops!.status()).budgets;
    expect(budget?.reserved).toBe(0);
    expect(budget?.used).toBeGreaterThan(0);
  });

  it('a denied call throws the typed error and never reaches the SDK', async () => {
    const running = governor({ budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] });
    let called = false;
    const attempt = runGovernedCall(running, describeParams({ model: 'gpt-4o', prompt: 'Hi' }), {
      input: {},
      execute: () => {
        called = true;
        return {};
      },
      outcome: () => USED,
    });
    await expect(attempt).rejects.toBeInstanceOf(BudgetExceededError);
    expect(called).toBe(false);
  });

  it('an SDK error fails the call (error.type on the span) and reaches the caller unchanged', async () => {
    const running = governor();
    class UpstreamError extends Error {}
    const error = new UpstreamError('503');
    const attempt = runGovernedCall(running, describeParams({ model: 'gpt-4o', prompt: 'Hi' }), {
      input: {},
      execute: () => Promise.reject(error),
      outcome: () => USED,
    });
    await expect(attempt).rejects.toBe(error);
    expect(onlySpan().attributes).toMatchObject({ 'error.type': 'UpstreamError', 'genops.accounting.actual': 0 });
  });

  it('an error `partial` says the provider answered settles from the reservation, flagged incomplete', async () => {
    const running = governor();
    const error = new SyntaxError('Unexpected token < in JSON');
    const attempt = runGovernedCall(running, describeParams({ model: 'gpt-4o', prompt: 'Hi' }), {
      input: {},
      execute: () => Promise.reject(error),
      partial: (failure) => (failure instanceof SyntaxError ? {} : undefined),
      outcome: () => USED,
    });
    await expect(attempt).rejects.toBe(error);
    const span = onlySpan();
    expect(span.attributes).toMatchObject({ 'error.type': 'SyntaxError', 'genops.accounting.incomplete': true });
    expect(span.attributes['genops.accounting.actual']).toBeGreaterThan(0);
    expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
  });

  it('a response the adapter cannot read still returns to the caller, settled from the reservation as incomplete', async () => {
    const running = governor();
    const result = await runGovernedCall(running, describeParams({ model: 'gpt-4o', prompt: 'Hi' }), {
      input: {},
      execute: () => ({ odd: true }),
      outcome: () => {
        throw new TypeError('unexpected response shape');
      },
    });
    expect(result).toEqual({ odd: true });
    const span = onlySpan();
    expect(span.attributes['genops.accounting.incomplete']).toBe(true);
    expect(span.attributes['genops.accounting.actual']).toBe(span.attributes['genops.accounting.reserved']);
  });

  it('hands a stream to `stream`, which settles the call once the caller has read it', async () => {
    const running = governor();
    async function* chunks() {
      yield { text: 'a' };
      yield { text: 'b', usage: { inputTokens: 10, outputTokens: 2 } };
    }
    let last: CallOutcome = {};
    const stream = await runGovernedCall(running, describeParams({ model: 'gpt-4o', prompt: 'Hi' }, true), {
      input: {},
      execute: () => ({ [Symbol.asyncIterator]: () => chunks() }) as AsyncIterable<{ text: string; usage?: object }>,
      outcome: () => USED,
      stream: (result, call) => ({
        [Symbol.asyncIterator]: governIterator(call, () => result[Symbol.asyncIterator](), {
          onChunk: (chunk) => {
            if (chunk.usage) last = { usage: chunk.usage as CallOutcome['usage'] };
          },
          outcome: () => last,
        }),
      }),
    });
    drainPending();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    const texts: string[] = [];
    for await (const chunk of stream) texts.push(chunk.text);
    expect(texts).toEqual(['a', 'b']);
    expect(onlySpan().attributes['gen_ai.usage.output_tokens']).toBe(2);
  });
});

describe('methodPatcher', () => {
  it('patches once, unwraps to the SDK method, and undoes', () => {
    const patcher = methodPatcher('kit-test');
    const original = function create(this: { id: number }) {
      return this.id;
    };
    const prototype: Record<string, (this: { id: number }) => number> = { create: original };
    const undo = patcher.patch(prototype, 'create', (sdk) =>
      patcher.mark(sdk, function (this) {
        return sdk.call(this) + 1;
      }),
    );
    expect(patcher.isGoverned(prototype.create)).toBe(true);
    expect(prototype.create!.name).toBe('create');
    expect(prototype.create!.call({ id: 1 })).toBe(2);
    expect(patcher.unwrap(prototype.create!)).toBe(original);
    // A second patch of a governed method is a no-op.
    patcher.patch(prototype, 'create', () => () => 0);
    expect(prototype.create!.call({ id: 1 })).toBe(2);
    undo();
    expect(prototype.create).toBe(original);
  });

  it('patches an inherited method as an own property and removes it on undo', () => {
    const patcher = methodPatcher('kit-test-inherited');
    class Base {
      send() {
        return 'sent';
      }
    }
    class Client extends Base {}
    const undo = patcher.patch(Client.prototype as unknown as Record<string, () => string>, 'send', (sdk) =>
      patcher.mark(sdk, function (this: Base) {
        return `governed ${sdk.call(this)}`;
      }),
    );
    expect(Object.hasOwn(Client.prototype, 'send')).toBe(true);
    expect(new Client().send()).toBe('governed sent');
    expect(new Base().send()).toBe('sent');
    undo();
    expect(Object.hasOwn(Client.prototype, 'send')).toBe(false);
    expect(new Client().send()).toBe('sent');
  });
});

describe('safely', () => {
  it('returns the value, or undefined when the function throws', () => {
    expect(safely(() => 42)).toBe(42);
    expect(
      safely(() => {
        throw new Error('hook broke');
      }),
    ).toBeUndefined();
  });
});

describe('governStainlessCall', () => {
  /** A Stainless method as the SDK's: it returns its own APIPromise's response promise and parser. */
  function stainlessMethod(onSend: () => void): StainlessMethod {
    return (body: Params) => {
      onSend();
      return {
        responsePromise: Promise.resolve({ response: new Response('{}') }),
        parseResponse: async () => ({ id: 'resp-1', model: body.model }),
      };
    };
  }
  const plan = (params: Params) => ({
    request: describeParams(params),
    outcome: () => USED,
    streamObserver: (): StreamObserver<unknown> => {
      throw new Error('not a stream');
    },
  });
  const APIPromise = createFallbackAPIPromise('x-request-id');

  it('with the memory store and no approval, sends the request before it returns and settles when parsed', async () => {
    const running = governor();
    const params = { model: 'gpt-4o', prompt: 'Hi' };
    let sent = 0;
    const original = stainlessMethod(() => {
      sent += 1;
    });
    const promise = governStainlessCall(running, plan(params), {
      self: { _client: {} },
      body: params,
      options: undefined,
      original,
      APIPromise,
    });
    // No promise of GenOps' own came between the caller and the SDK.
    expect(sent).toBe(1);
    expect(await promise).toEqual({ id: 'resp-1', model: 'gpt-4o' });
    expect(onlySpan().attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5 });
  });

  it('a denial rejects the promise it returns (never throws) and never reaches the SDK', async () => {
    const running = governor({ budgets: [{ name: 'tiny', limit: 0.000001, window: 'day' }] });
    const params = { model: 'gpt-4o', prompt: 'Hi' };
    let sent = 0;
    const promise = governStainlessCall(running, plan(params), {
      self: { _client: {} },
      body: params,
      options: undefined,
      original: stainlessMethod(() => {
        sent += 1;
      }),
      APIPromise,
    });
    await expect(promise).rejects.toBeInstanceOf(BudgetExceededError);
    expect(sent).toBe(0);
  });
});
