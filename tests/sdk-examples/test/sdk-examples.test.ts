import { type ConformanceSpan, checkCompliance } from '@genops/conformance';
import {
  type FakeAnthropicServer,
  type FakeOpenAIServer,
  type RecordedRequest,
  startFakeAnthropic,
  startFakeOpenAI,
} from '@genops/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES, type ExampleProgram } from '../src/catalogue';
import { type ExampleRun, isBillable, normaliseOutput, type RunMode, runExample } from '../src/runner';

// Each example runs three times, one child process at a time: plain, governed, tiny budget.
const PER_RUN_TIMEOUT_MS = 60_000;

let openai: FakeOpenAIServer;
let anthropic: FakeAnthropicServer;

beforeAll(async () => {
  openai = await startFakeOpenAI();
  // Tools are answered with a tool call, as a model would (tools.ts asserts it; toolRunner examples loop once).
  anthropic = await startFakeAnthropic({ answerTools: true });
});

afterAll(async () => {
  await openai?.close();
  await anthropic?.close();
});

async function run(example: ExampleProgram, mode: RunMode): Promise<ExampleRun & { billable: RecordedRequest[] }> {
  openai.reset();
  anthropic.requests.length = 0;
  const result = await runExample(example, mode, { openai: openai.url, anthropic: anthropic.url }, PER_RUN_TIMEOUT_MS);
  const billable = [...openai.requests, ...anthropic.requests].filter(isBillable);
  return { ...result, billable };
}

function describeRun(result: ExampleRun): string {
  return `exit ${result.exitCode}${result.timedOut ? ' (killed at the timeout)' : ''}\nstderr:\n${result.stderr.slice(-2000)}`;
}

/** Spans GenOps emitted as AI Workload Units that ran (reconciled), i.e. requests it governed and priced. */
function executedUnits(spans: ConformanceSpan[]): ConformanceSpan[] {
  return spans.filter((span) => span.events.some((event) => event.name === 'genops.budget.reconciliation'));
}

describe('the SDKs’ own example programs, run unchanged', () => {
  for (const example of EXAMPLES) {
    it(
      `${example.file}: same output with GenOps, every billable request governed, none under a tiny budget`,
      async () => {
        const plain = await run(example, 'plain');
        expect(plain.exitCode, describeRun(plain)).toBe(0);
        if (example.billable === false) {
          // A program that bills nothing (counting tokens, reading a batch made elsewhere) passes untouched.
          expect(plain.billable).toEqual([]);
          for (const mode of ['governed', 'tiny-budget'] as const) {
            const result = await run(example, mode);
            expect(result.exitCode, describeRun(result)).toBe(0);
            expect(normaliseOutput(result.stdout)).toBe(normaliseOutput(plain.stdout));
            expect(executedUnits(result.spans)).toEqual([]);
          }
          return;
        }
        expect(plain.billable.length, 'the example makes no billable request against the fake').toBeGreaterThan(0);

        const governed = await run(example, 'governed');
        expect(governed.exitCode, describeRun(governed)).toBe(0);
        expect(normaliseOutput(governed.stdout)).toBe(normaliseOutput(plain.stdout));
        expect(governed.billable.length).toBe(plain.billable.length);

        const tiny = await run(example, 'tiny-budget');
        expect(tiny.timedOut, describeRun(tiny)).toBe(false);

        if (example.knownGap === undefined) {
          const report = checkCompliance(governed.spans);
          expect(report.violations).toEqual([]);
          expect(executedUnits(governed.spans).length, 'governed, priced units vs billable requests').toBe(
            governed.billable.length,
          );
          for (const unit of executedUnits(governed.spans)) {
            expect(unit.attributes['genops.accounting.actual'], unit.name).toBeGreaterThan(0);
          }
          expect(
            tiny.billable.map((request) => `${request.method} ${request.path}`),
            'billable requests that got through a $0.000001 budget',
          ).toEqual([]);
        } else {
          // A gap on this version (see catalogue.ts): the request leaves without a governed unit. This
          // assertion fails once the gap is closed: then delete `knownGap` so the checks above apply.
          expect(executedUnits(governed.spans).length, `known gap closed? ${example.knownGap}`).toBeLessThan(
            governed.billable.length,
          );
        }
      },
      4 * PER_RUN_TIMEOUT_MS,
    );
  }
});
