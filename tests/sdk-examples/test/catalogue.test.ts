import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES, MTLS_EXAMPLES, SERVER_EXAMPLES, SKIPPED, WEBSOCKET_EXAMPLES } from '../src/catalogue';
import { normaliseOutput, PACKAGE_DIR } from '../src/runner';

const VENDOR = join(PACKAGE_DIR, 'vendor');

function programs(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return programs(path);
    return /\.(ts|mjs)$/.test(entry.name) ? [relative(VENDOR, path)] : [];
  });
}

describe('the example catalogue', () => {
  it('lists every vendored example program once, as run or as skipped with a reason', () => {
    // The vercel/ai helpers under lib/ are imported by the examples, not programs of their own.
    const vendored = programs(VENDOR)
      .filter((file) => !file.includes('/lib/'))
      .sort();
    const listed = [
      ...EXAMPLES.map((example) => example.file),
      ...WEBSOCKET_EXAMPLES.map((example) => example.file),
      ...MTLS_EXAMPLES.map((example) => example.file),
      ...SERVER_EXAMPLES.map((example) => example.file),
      // The browser example is the express server's client.
      ...SERVER_EXAMPLES.flatMap((example) => (typeof example.client === 'string' ? [example.client] : [])),
      ...SKIPPED.map((skipped) => skipped.file),
    ].sort();
    expect(listed).toEqual(vendored);
    for (const skipped of SKIPPED) expect(skipped.reason, skipped.file).not.toBe('');
  });
});

describe('normaliseOutput', () => {
  it('drops the stack frames of GenOps packages from printed errors, and no other frame', () => {
    const stack = [
      'NotFoundError: 404 The model does not exist',
      '    at APIError.generate (/repo/node_modules/.pnpm/openai@7.57.0/node_modules/openai/core/error.js:54:20)',
      '    at async startGovernedCall (/repo/packages/core/dist/core.cjs:6988:18)',
      '    at async governed (/app/node_modules/@genops/core/dist/core.js:10:2)',
      '    at async main (/repo/tests/sdk-examples/.compiled/openai-node/examples/client/errors.js:31:5) {',
      '  status: 404,',
      '',
    ].join('\n');
    expect(normaliseOutput(stack)).toBe(
      [
        'NotFoundError: 404 The model does not exist',
        '    at APIError.generate (/repo/node_modules/.pnpm/openai@7.57.0/node_modules/openai/core/error.js:54:20)',
        '    at async main (/repo/tests/sdk-examples/.compiled/openai-node/examples/client/errors.js:31:5) {',
        '  status: 404,',
        '',
      ].join('\n'),
    );
  });

  it('replaces ids, Unix times, ISO and HTTP dates, times of day, durations, and nothing else', () => {
    const text =
      "id: 'chatcmpl-AbC123', created: 1796486400, at 2026-12-05T17:56:31.000Z, date: 'Sat, 05 Dec 2026 17:56:31 GMT', <- 200 in 35ms, tokens: 20, - 10:46:10 PM: done, run_0123456789abcdef01, run_id";
    expect(normaliseOutput(text)).toBe(
      "id: 'chatcmpl-<id>', created: <time>, at <date>, date: '<http-date>', <- 200 in <duration>, tokens: 20, - <clock>: done, run-<id>, run_id",
    );
  });
});
