import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// `@genops/core`, `@genops/core/adapter` and `@genops/core/internal` are three entry points over one set
// of modules: an app initialises GenOps through the first, its adapters reach the running governor through
// the second. Each script runs in plain Node against the built package (resolved by its own `exports`),
// once as ESM and once as CommonJS, and reports what the entries share.

const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');

const body = `
const handle = main.GenOps.init({ budgets: [{ name: 'none', limit: 0.000001, window: 'day' }] });
const result = {
  governorSeen: adapter.currentGovernor() === handle.governor,
  sameToolError: adapter.ToolResultError === main.ToolResultError,
  samePrices: internal.PRICE_FILES.length > 0,
};
const request = { provider: 'openai', operation: 'chat', model: 'gpt-4o-mini', maxOutputTokens: 100, estimatedInputTokens: 10 };
let sdkCalled = false;
await main.withAttribution({ team: 'kit' }, async () => {
  try {
    await adapter.runGovernedCall(adapter.currentGovernor(), request, {
      input: {},
      execute: () => { sdkCalled = true; return {}; },
      outcome: () => ({}),
    });
  } catch (error) {
    result.denialIsMainError = error instanceof main.BudgetExceededError;
  }
});
result.sdkCalled = sdkCalled;
await handle.shutdown();
result.governorGone = adapter.currentGovernor() === undefined;
process.stdout.write(JSON.stringify(result));
`;

function run(args: string[]): unknown {
  return JSON.parse(execFileSync(process.execPath, args, { cwd: packageDirectory, encoding: 'utf8' }));
}

const expected = {
  governorSeen: true,
  sameToolError: true,
  samePrices: true,
  denialIsMainError: true,
  sdkCalled: false,
  governorGone: true,
};

describe('entry points share one copy of the core', () => {
  it('under import: GenOps from @genops/core is the governor @genops/core/adapter sees, with the same error classes', () => {
    const script = `
import * as main from '@genops/core';
import * as adapter from '@genops/core/adapter';
import * as internal from '@genops/core/internal';
${body}`;
    expect(run(['--input-type=module', '-e', script])).toEqual(expected);
  });

  it('under require: the same, through the CommonJS build', () => {
    const script = `
const main = require('@genops/core');
const adapter = require('@genops/core/adapter');
const internal = require('@genops/core/internal');
(async () => {${body}})();`;
    expect(run(['--input-type=commonjs', '-e', script])).toEqual(expected);
  });
});

describe('the CommonJS and ESM builds in one process', () => {
  it('share the "already settled" sentinel, so the kit of one build sees the governor of the other finish at once', () => {
    // An app initialises GenOps through ESM while its adapter (loaded with require) runs the kit from the
    // CommonJS build. A call settled synchronously returns the shared sentinel from either build.
    const script = `
import { createRequire } from 'node:module';
import * as esm from '@genops/core';
const require = createRequire(import.meta.url);
const cjs = require('@genops/core');
const adapter = require('@genops/core/adapter');
const request = { provider: 'openai', operation: 'chat', model: 'gpt-4o-mini', maxOutputTokens: 10, estimatedInputTokens: 10 };
async function endOne(main) {
  const handle = main.GenOps.init({ dailyBudgetLimit: 10 });
  const call = await adapter.currentGovernor().begin(request);
  const ended = call.end({ usage: { inputTokens: 1, outputTokens: 1 } });
  await ended;
  await handle.shutdown();
  return { ended };
}
const { ended: fromEsm } = await endOne(esm);
const { ended: fromCjs } = await endOne(cjs);
process.stdout.write(JSON.stringify({ differentBuilds: esm.GenOps !== cjs.GenOps, sameSentinel: fromEsm === fromCjs }));`;
    expect(run(['--input-type=module', '-e', script])).toEqual({ differentBuilds: true, sameSentinel: true });
  });
});
