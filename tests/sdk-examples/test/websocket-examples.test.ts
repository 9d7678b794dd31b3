// The openai-node Realtime and Responses-over-WebSocket examples, run unchanged like the others (plain,
// governed with GenOps preloaded, tiny budget) against the fake Realtime server of @genops/testing. A
// billable request here is a `response.create` frame the server received: with GenOps each is a governed,
// priced unit, and under a $0.000001 budget none reaches the server.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCompliance } from '@genops/conformance';
import { type FakeEntraServer, type FakeRealtimeServer, startFakeEntra, startFakeRealtime } from '@genops/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExampleProgram, WEBSOCKET_EXAMPLES } from '../src/catalogue';
import { describeRun, type ExampleRun, executedUnits, normaliseOutput, type RunMode, runExample } from '../src/runner';

const PER_RUN_TIMEOUT_MS = 60_000;

let fake: FakeRealtimeServer;
/** The Entra ID token endpoint of the Azure examples. */
let entra: FakeEntraServer;
let caDirectory: string;
/** The Realtime fake's certificate and the Entra fake's CA, in one file for `NODE_EXTRA_CA_CERTS`. */
let caBundle: string;

beforeAll(async () => {
  fake = await startFakeRealtime();
  entra = await startFakeEntra();
  caDirectory = mkdtempSync(join(tmpdir(), 'genops-ws-examples-ca-'));
  caBundle = join(caDirectory, 'ca-bundle.pem');
  writeFileSync(caBundle, `${fake.certificate}\n${readFileSync(entra.caFile, 'utf8')}`);
});

afterAll(async () => {
  await fake?.close();
  await entra?.close();
  if (caDirectory) rmSync(caDirectory, { recursive: true, force: true });
});

async function run(
  example: ExampleProgram,
  mode: RunMode,
): Promise<ExampleRun & { creates: number; entraTokens: number }> {
  const before = fake.received.length;
  const tokensBefore = entra.tokenRequests.length;
  const result = await runExample(
    example,
    mode,
    { openai: fake.baseURL, anthropic: fake.baseURL, entra: entra.authorityHost },
    PER_RUN_TIMEOUT_MS,
    undefined,
    { NODE_EXTRA_CA_CERTS: caBundle },
  );
  const creates = fake.received.slice(before).filter(({ event }) => event.type === 'response.create').length;
  return { ...result, creates, entraTokens: entra.tokenRequests.length - tokensBefore };
}

describe('the openai-node WebSocket examples, run unchanged', () => {
  for (const example of WEBSOCKET_EXAMPLES) {
    it(
      `${example.file}: same output with GenOps, every response.create governed, none under a tiny budget`,
      async () => {
        const plain = await run(example, 'plain');
        expect(plain.exitCode, describeRun(plain)).toBe(0);
        expect(plain.creates, 'the example asks for no response').toBeGreaterThan(0);
        // The Azure examples sign in with @azure/identity at the fake Entra ID server (the tests run one at a time).
        const signsIn = example.env?.AZURE_AUTHORITY_HOST !== undefined;
        expect(plain.entraTokens > 0, 'Entra ID token requests').toBe(signsIn);

        const governed = await run(example, 'governed');
        expect(governed.exitCode, describeRun(governed)).toBe(0);
        expect(normaliseOutput(governed.stdout)).toBe(normaliseOutput(plain.stdout));
        expect(governed.creates).toBe(plain.creates);
        expect(governed.entraTokens > 0, 'Entra ID token requests').toBe(signsIn);
        expect(checkCompliance(governed.spans).violations).toEqual([]);
        const units = executedUnits(governed.spans);
        expect(units.length, 'governed, priced units vs response.create frames').toBe(governed.creates);
        for (const unit of units) expect(unit.attributes['genops.accounting.actual'], unit.name).toBeGreaterThan(0);

        const tiny = await run(example, 'tiny-budget');
        expect(tiny.timedOut, describeRun(tiny)).toBe(false);
        expect(tiny.creates, 'response.create frames that got through a $0.000001 budget').toBe(0);
      },
      4 * PER_RUN_TIMEOUT_MS,
    );
  }
});
