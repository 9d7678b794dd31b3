// The openai-node mTLS example (`mtls/node.mjs`), run unchanged like the others (plain, governed with GenOps
// preloaded, tiny budget), against the fake OpenAI server behind a TLS front that requires a client
// certificate signed by the test CA (`startMtlsProxy`). Its only call, `models.list()`, is free: with GenOps
// it must pass untouched (same output, not refused, no unit, nothing reported ungoverned), even under a tiny
// budget, and it must have reached the fake with the client certificate each time.
import { join } from 'node:path';
import { type FakeOpenAIBehindMtls, startFakeOpenAIBehindMtls } from '@genops/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExampleProgram, MTLS_EXAMPLES } from '../src/catalogue';
import {
  describeRun,
  type ExampleRun,
  executedUnits,
  normaliseOutput,
  PACKAGE_DIR,
  type RunMode,
  runExample,
} from '../src/runner';

const PER_RUN_TIMEOUT_MS = 60_000;

/** The fake OpenAI server behind a TLS front that requires a client certificate. */
let served: FakeOpenAIBehindMtls;

beforeAll(async () => {
  served = await startFakeOpenAIBehindMtls();
});

afterAll(() => served?.close());

async function run(
  example: ExampleProgram,
  mode: RunMode,
): Promise<ExampleRun & { forwarded: string[]; refused: number }> {
  const { proxy } = served;
  const before = { forwarded: proxy.requests.length, refused: proxy.refusedHandshakes };
  const { caFile, clientCertFile, clientKeyFile } = proxy.certificates;
  const result = await runExample(
    example,
    mode,
    { openai: served.baseURL, anthropic: proxy.origin },
    PER_RUN_TIMEOUT_MS,
    // Plain JavaScript: node runs the vendored file itself.
    join(PACKAGE_DIR, 'vendor', example.file),
    { NODE_EXTRA_CA_CERTS: caFile, OPENAI_MTLS_CERT_PATH: clientCertFile, OPENAI_MTLS_KEY_PATH: clientKeyFile },
  );
  return {
    ...result,
    forwarded: proxy.requests
      .slice(before.forwarded)
      .map((request) => `${request.method} ${request.url} (client ${request.clientCommonName})`),
    refused: proxy.refusedHandshakes - before.refused,
  };
}

describe('the openai-node mTLS example, run unchanged', () => {
  for (const example of MTLS_EXAMPLES) {
    it(
      `${example.file}: through a client-certificate TLS front, same output with GenOps, passed untouched (a free call), even under a tiny budget`,
      async () => {
        const plain = await run(example, 'plain');
        expect(plain.exitCode, describeRun(plain)).toBe(0);
        expect(plain.stdout).toMatch(/^mTLS request succeeded; received \d+ models\.\n$/);
        expect(plain.forwarded).toEqual(['GET /v1/models (client genops-test-client)']);
        expect(plain.refused).toBe(0);

        for (const mode of ['governed', 'tiny-budget'] as const) {
          const result = await run(example, mode);
          expect(result.exitCode, `${mode}: ${describeRun(result)}`).toBe(0);
          expect(normaliseOutput(result.stdout), mode).toBe(normaliseOutput(plain.stdout));
          expect(result.forwarded, mode).toEqual(plain.forwarded);
          expect(result.refused, mode).toBe(0);
          // Free: no unit, no span flagged ungoverned, no egress report on stderr.
          expect(executedUnits(result.spans), mode).toEqual([]);
          expect(
            result.spans.filter((span) => span.attributes['genops.egress.ungoverned'] !== undefined),
            mode,
          ).toEqual([]);
          expect(result.stderr, mode).not.toMatch(/genops/i);
        }
      },
      4 * PER_RUN_TIMEOUT_MS,
    );
  }
});
