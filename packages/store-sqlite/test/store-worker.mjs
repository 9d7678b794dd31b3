// A child process for the multi-process tests: opens the store file named on the command line (the built
// package, ../dist), says `ready`, waits for `go` on stdin (so every worker starts at once), runs its
// task and prints its result as one JSON line.
//
//   node store-worker.mjs '{"task":"cycles","path":"/tmp/x.db","worker":0,...}'

import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { BudgetExceededError, GenOps } from '@genops/core';
import { SqliteStore } from '../dist/index.js';

const args = JSON.parse(process.argv[2] ?? '{}');
const tasks = { cycles, governed, audit, decide, wait };

const lines = createInterface({ input: process.stdin });
const go = new Promise((resolve) => lines.once('line', resolve));
const task = tasks[args.task];
if (!task) throw new Error(`unknown task ${args.task}`);
const run = await task(args, () => {
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  return go;
});
process.stdout.write(`${JSON.stringify(run)}\n`);
lines.close();

/** `count` concurrent reserve → (pause) → settle cycles against one budget line. */
async function cycles({ path, worker, count, limit, amount, actual }, ready) {
  const store = new SqliteStore({ path });
  await ready();
  const line = { key: 'shared', budget: 'shared', unit: 'USD', limit, amount, enforce: true };
  const result = { granted: 0, refused: 0, actualSum: 0, settledOpen: 0, badRefusals: 0 };
  await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const id = `w${worker}-c${index}`;
      const reserved = await store.reserve({ id, lines: [line], leaseMs: 60_000 });
      if (!reserved.ok) {
        result.refused += 1;
        // A refusal is only right when the line really had no room at that moment.
        const { used, reserved: held } = reserved.failed;
        if (used + held + amount <= limit) result.badRefusals += 1;
        return;
      }
      result.granted += 1;
      // The "call": let other lanes and processes run before this one settles.
      await sleep(Math.floor(Math.random() * 5));
      const cost = actual === 'random' ? Math.floor(Math.random() * (amount + 1)) : amount;
      const settled = await store.settle(id, { USD: cost });
      if (settled.open) result.settledOpen += 1;
      result.actualSum += cost;
    }),
  );
  await store.close();
  return result;
}

/** `count` concurrent governed calls through GenOps.init() and the governor, sharing one budget. */
async function governed({ path, count, limitUsd }, ready) {
  const genops = GenOps.init({
    store: new SqliteStore({ path }),
    budgets: [{ name: 'shared', limit: limitUsd, window: 'total' }],
    autoInstrument: false,
    exporter: 'none',
  });
  await ready();
  const result = { granted: 0, refused: 0, actualNanos: 0, otherErrors: [] };
  await Promise.all(
    Array.from({ length: count }, async () => {
      // gpt-4o: $2.50 / $10 per 1M tokens; worst case 1000 in + 100 out = 3,500,000 nano-USD.
      const request = {
        provider: 'openai',
        operation: 'chat',
        model: 'gpt-4o',
        estimatedInputTokens: 1000,
        maxOutputTokens: 100,
      };
      let call;
      try {
        call = await genops.governor.begin(request);
      } catch (error) {
        if (error instanceof BudgetExceededError) result.refused += 1;
        else result.otherErrors.push(String(error));
        return;
      }
      result.granted += 1;
      await sleep(Math.floor(Math.random() * 5));
      // 2,500 nano-USD per input token, 10,000 per output token: any count is a whole number of nano-USD.
      const inputTokens = Math.floor(Math.random() * 1001);
      const outputTokens = Math.floor(Math.random() * 101);
      await call.end({
        usage: { inputTokens, outputTokens },
        response: { id: 'r', model: 'gpt-4o', finishReasons: ['stop'] },
      });
      result.actualNanos += inputTokens * 2_500 + outputTokens * 10_000;
    }),
  );
  await genops.shutdown();
  return result;
}

/** `batches` concurrent audit appends of 1 to 3 entries each. */
async function audit({ path, worker, batches }, ready) {
  const store = new SqliteStore({ path });
  await ready();
  let appended = 0;
  await Promise.all(
    Array.from({ length: batches }, async (_, batch) => {
      const size = 1 + (batch % 3);
      const entries = Array.from({ length: size }, (_, index) => ({
        type: 'decision',
        at: Date.now(),
        subject: `w${worker}-b${batch}-e${index}`,
        data: { worker, batch, index, size },
      }));
      await sleep(Math.floor(Math.random() * 3));
      const records = await store.appendAudit(entries);
      if (records.some((record, index) => record.seq !== records[0].seq + index)) throw new Error('batch split');
      appended += records.length;
    }),
  );
  await store.close();
  return { appended };
}

/** Decides approval `id` after `delayMs`. */
async function decide({ path, id, delayMs, decidedBy }, ready) {
  const store = new SqliteStore({ path });
  await ready();
  await sleep(delayMs);
  const record = await store.decideApproval(id, { status: 'approved', decidedBy, reason: 'from another process' });
  await store.close();
  return { record };
}

/** Waits for approval `id` to be decided (by another process). */
async function wait({ path, id, timeoutMs }, ready) {
  const store = new SqliteStore({ path });
  await ready();
  const started = performance.now();
  const record = await store.waitForApproval(id, timeoutMs);
  const waitedMs = performance.now() - started;
  await store.close();
  return { record, waitedMs };
}
