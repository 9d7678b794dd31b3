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
