import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { collectGarbageUntil } from '../../testing/src/garbage';
import { runGovernedCall } from './adapter/run-governed-call';
import type { GenOpsHandle } from './genops';
import type { Governor } from './governor';
import { microsToUsd } from './money';
import type { CallOutcome } from './pipeline/types';
import { governIterator, type StreamObserver } from './stream';
import { chatRequest, useCoreTestSetup } from './test-support/core-test-setup';
import type { Usage } from './types';

// A call whose request left the process is never free: an abandoned or never-iterated stream settles at
// its reservation, flagged incomplete, when what the caller held is garbage-collected, when its lease
// ends, at shutdown or at process exit; a call whose request never left is released. Real Governor,
// real memory store, a real stream through the kit's governIterator.

const setup = useCoreTestSetup();
const BUDGETS = [{ name: 'team', limit: 10, window: 'day' as const }];
/** chatRequest(): 1000 in + 100 out worst case at gpt-4o prices = 3500 µ$. */
const RESERVED_USD = microsToUsd(3_500);
const USAGE: Usage = { inputTokens: 20, outputTokens: 5 };

interface Chunk {
  text: string;
  usage?: Usage;
}

/** A provider stream of three chunks, the last with usage, produced only as it is read. */
function providerStream(): AsyncIterable<Chunk> {
  return {
    async *[Symbol.asyncIterator]() {
      yield { text: 'a' };
      yield { text: 'b' };
      yield { text: 'c', usage: USAGE };
    },
  };
}

function observer(): StreamObserver<Chunk> {
  let usage: Usage | undefined;
  return {
    onChunk: (chunk) => {
      usage = chunk.usage ?? usage;
    },
    outcome: (): CallOutcome => ({ usage }),
  };
}

/** A governed streamed call as an adapter makes one; `sendsLater`: the request goes out on the first read. */
function openStream(governor: Governor, options: { sendsLater?: boolean } = {}): Promise<AsyncIterable<Chunk>> {
  return runGovernedCall(governor, chatRequest({ stream: true }), {
    input: {},
    execute: () => providerStream(),
    outcome: () => ({}),
    stream: (result, call) => {
      const source = () => {
        if (options.sendsLater) call.markSent();
        return result[Symbol.asyncIterator]();
      };
      return { [Symbol.asyncIterator]: governIterator(call, source, observer()) };
    },
    ...(options.sendsLater ? { sendsLater: true } : {}),
  });
}

async function readAll(stream: AsyncIterable<Chunk>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.text;
  return text;
}

/** Polls (bounded) until `done()`; waiting for an event, not measuring time. */
async function waitFor(done: () => boolean): Promise<boolean> {
  for (let attempt = 0; attempt < 300 && !done(); attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
  return done();
}

async function expectSettledAtReservation(genops: GenOpsHandle): Promise<void> {
  const span = setup.lastSpan();
  expect(span.attributes).toMatchObject({
    'genops.accounting.incomplete': true,
    'genops.accounting.reserved': RESERVED_USD,
    'genops.accounting.actual': RESERVED_USD,
  });
  const status = await genops.status();
  expect(status.openReservations).toBe(0);
  expect(status.budgets[0]).toMatchObject({ used: RESERVED_USD, reserved: 0 });
}

describe('a sent call nobody ends settles at its reservation', () => {
  it('a stream never iterated settles once the caller has dropped it (garbage collection)', async () => {
    const genops = setup.init({ budgets: BUDGETS });
    // Opened in a function of its own, so no reference to the stream outlives it.
    await (async () => {
      await openStream(genops.governor);
    })();
    expect(setup.spans()).toHaveLength(0);
    expect(await collectGarbageUntil(() => setup.spans().length === 1)).toBe(true);
    await expectSettledAtReservation(genops);
  });

  it('garbage collection leaves a held stream, or a held iterator, alone: it settles from its usage when read', async () => {
    const genops = setup.init({ budgets: BUDGETS });
    const held = await openStream(genops.governor);
    const iterator = (await openStream(genops.governor))[Symbol.asyncIterator]();
    expect(await collectGarbageUntil(() => setup.spans().length > 0, 8)).toBe(false);
    expect(await readAll(held)).toBe('abc');
    const chunks: string[] = [];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) chunks.push(next.value.text);
    expect(chunks).toEqual(['a', 'b', 'c']);
    expect(setup.spans()).toHaveLength(2);
    for (const span of setup.spans()) {
      expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
      expect(span.attributes['gen_ai.usage.output_tokens']).toBe(5);
    }
  });

  it('the end of its lease settles a held, unread stream; reading it later settles nothing more', async () => {
    const genops = setup.init({ budgets: BUDGETS, reservationLeaseMs: 200 });
    const held = await openStream(genops.governor);
    expect(await waitFor(() => setup.spans().length === 1)).toBe(true);
    await expectSettledAtReservation(genops);
    expect(await readAll(held)).toBe('abc');
    expect(setup.spans()).toHaveLength(1);
    expect((await genops.status()).budgets[0]).toMatchObject({ used: RESERVED_USD });
  });

  it('shutdown settles a held, unread stream at its reservation', async () => {
    const genops = setup.init({ budgets: BUDGETS });
    const held = await openStream(genops.governor);
    expect(genops.governor.unsettled.size).toBe(1);
    await genops.shutdown();
    setup.forget();
    expect(setup.spans()).toHaveLength(1);
    expect(setup.lastSpan().attributes).toMatchObject({
      'genops.accounting.incomplete': true,
      'genops.accounting.actual': RESERVED_USD,
    });
    expect(held).toBeDefined();
  });
});

describe('a call whose request never left is released', () => {
  it('a lazy stream (sent on its first read) dropped unread: nothing committed', async () => {
    const genops = setup.init({ budgets: BUDGETS });
    await (async () => {
      await openStream(genops.governor, { sendsLater: true });
    })();
    expect(await collectGarbageUntil(() => setup.spans().length === 1)).toBe(true);
    const span = setup.lastSpan();
    expect(span.attributes['genops.accounting.actual']).toBe(0);
    expect(span.attributes['genops.accounting.incomplete']).toBeUndefined();
    const status = await genops.status();
    expect(status.openReservations).toBe(0);
    expect(status.budgets[0]).toMatchObject({ used: 0, reserved: 0 });
  });

  it('a lazy stream that was read is sent: dropped after its first chunk, it settles at its reservation', async () => {
    const genops = setup.init({ budgets: BUDGETS });
    const stream = await openStream(genops.governor, { sendsLater: true });
    for await (const _ of stream) break;
    await expectSettledAtReservation(genops);
  });

  it('an SDK error before anything was sent settles at $0 and holds nothing', async () => {
    const genops = setup.init({ budgets: BUDGETS });
    const error = await runGovernedCall(genops.governor, chatRequest(), {
      input: {},
      execute: () => {
        throw new TypeError('invalid request body');
      },
      outcome: () => ({}),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect(setup.lastSpan().attributes['genops.accounting.actual']).toBe(0);
    const status = await genops.status();
    expect(status.openReservations).toBe(0);
    expect(status.budgets[0]).toMatchObject({ used: 0, reserved: 0 });
  });
});

describe('process exit', () => {
  const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');
  const directory = mkdtempSync(join(tmpdir(), 'genops-abandoned-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  /** Runs `body` in plain Node against the built package, after opening a sent call that is never ended. */
  function runChild(body: string, env: Record<string, string> = {}): string {
    const script = `
import * as main from '@genops/core';
import * as adapter from '@genops/core/adapter';
const handle = main.GenOps.init({
  autoInstrument: false,
  exporter: 'none',
  defaults: { team: 'eng', project: 'exit', environment: 'test' },
  budgets: [{ name: 'team', limit: 10, window: 'day' }],
  ...(process.env.JOURNAL ? { journalFile: process.env.JOURNAL } : {}),
  onDecision: (decision) => {
    if (decision.phase === 'settled') process.stdout.write(JSON.stringify(decision) + '\\n');
  },
});
const request = { provider: 'openai', operation: 'chat', model: 'gpt-4o', estimatedInputTokens: 1000, maxOutputTokens: 100 };
const { call } = await adapter.startGovernedCall(handle.governor, request, { input: {}, execute: () => ({}) });
globalThis.held = call;
${body}`;
    return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: packageDirectory,
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 20_000,
    });
  }

  it('beforeExit: a call still open when the event loop empties settles at its reservation', () => {
    const output = runChild('');
    const settled = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { actual?: number; reserved?: number; incomplete?: boolean });
    expect(settled).toHaveLength(1);
    expect(settled[0]).toMatchObject({ incomplete: true, actual: RESERVED_USD, reserved: RESERVED_USD });
  });

  it('exit: the settlement at its reservation is journaled synchronously and replayed by the next process', async () => {
    const journal = join(directory, 'journal.jsonl');
    runChild('process.exit(0);', { JOURNAL: journal });
    const entries = readFileSync(journal, 'utf8').trim().split('\n');
    expect(entries).toHaveLength(1);
    // The reservation's amounts: 1000 + 100 tokens, one request, and its USD amount (in the store's unit).
    const entry = JSON.parse(entries[0]!) as { actual: Record<string, number> };
    expect(entry.actual).toMatchObject({ tokens: 1_100, requests: 1 });
    expect(entry.actual.USD).toBeGreaterThan(0);
    const genops = setup.init({ budgets: BUDGETS, journalFile: journal });
    await genops.governor.journal.replay();
    expect((await genops.status()).budgets[0]).toMatchObject({ used: RESERVED_USD, reserved: 0 });
  });
});
