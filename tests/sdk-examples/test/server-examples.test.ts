// The openai-node chat-completions stream-to-client servers, run unchanged like the other examples (plain,
// governed with GenOps preloaded, tiny budget): each is started (under tsx, as its `npm run tsn` line does),
// waits for its listen line, gets the request its header comment documents (from the browser example, a
// Node program, for the express server; a curl-like fetch for the others), streams its answer, and is
// stopped with SIGTERM. The server's billable request must be a governed, priced unit with the same output
// for the client; under a $0.000001 budget the handler gets GenOps' denial and no request reaches the fake.
// They listen on 127.0.0.1:3000, a fixed port: one at a time.
import { fileURLToPath } from 'node:url';
import { checkCompliance } from '@genops/conformance';
import { type FakeOpenAIServer, startFakeOpenAI } from '@genops/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_EXAMPLES, type ServerExample } from '../src/catalogue';
import {
  describeRun,
  type ExampleRun,
  executedUnits,
  isBillable,
  normaliseOutput,
  type RunMode,
  startExample,
} from '../src/runner';

const PER_RUN_TIMEOUT_MS = 60_000;
const LISTEN_TIMEOUT_MS = 30_000;
const SERVER_ADDRESS = 'http://127.0.0.1:3000';
/** What each server prints once it listens (express's line, or the Edge route host's). */
const LISTENING = /(development proxy express server|Edge route host listening) on 127\.0\.0\.1:3000/;
/**
 * GenOps' budget denial as the server logs it (express: the handler's `console.error`; Edge host: the error
 * the body stream ended with): a BudgetExceededError, or the SDK stream's OpenAIError carrying its message.
 */
const DENIAL = /Budget "daily" \([^)]*\) would be exceeded/;
const EDGE_HOST = fileURLToPath(new URL('../src/edge-host.mjs', import.meta.url));

let fake: FakeOpenAIServer;

beforeAll(async () => {
  fake = await startFakeOpenAI();
});

afterAll(async () => {
  await fake?.close();
});

interface ServerRun {
  server: ExampleRun;
  /** What the client printed (the browser example's stdout) or read (the fetch's status and body). */
  client: string;
  billable: number;
}

async function run(example: ServerExample, mode: RunMode): Promise<ServerRun> {
  fake.reset();
  const urls = { openai: fake.url, anthropic: fake.url };
  const server = startExample(
    example,
    mode,
    urls,
    PER_RUN_TIMEOUT_MS,
    undefined,
    {},
    example.host === 'edge' ? EDGE_HOST : undefined,
  );
  let client = '';
  let stopped: ExampleRun;
  try {
    await server.waitForOutput(LISTENING, LISTEN_TIMEOUT_MS);
    // Under the tiny budget the handler is refused before it answers: the express servers then never end
    // the response (the example's own behaviour on an error), so the client is let go once the denial is logged.
    const denied = mode === 'tiny-budget' ? server.waitForOutput(DENIAL, PER_RUN_TIMEOUT_MS) : undefined;
    denied?.catch(() => {});
    const { client: clientOf } = example;
    if (typeof clientOf === 'string') {
      const browser = startExample({ sdk: example.sdk, file: clientOf }, 'plain', urls, PER_RUN_TIMEOUT_MS);
      await (denied ? Promise.race([denied, browser.ended]) : browser.ended);
      const result = await browser.stop('SIGKILL');
      client = mode === 'tiny-budget' ? '' : `exit ${result.exitCode}\n${result.stdout}${result.stderr}`;
    } else {
      const abort = new AbortController();
      const read = (async () => {
        const response = await fetch(SERVER_ADDRESS, {
          method: 'POST',
          headers: clientOf.fetch.headers,
          body: clientOf.fetch.body,
          signal: abort.signal,
        });
        return `${response.status} ${response.headers.get('content-type')}\n${await response.text()}`;
      })();
      read.catch(() => {});
      if (denied) {
        await denied;
        abort.abort();
      } else client = await read;
    }
  } finally {
    stopped = await server.stop();
  }
  return { server: stopped, client, billable: fake.requests.filter(isBillable).length };
}

describe('the openai-node stream-to-client servers, run unchanged', () => {
  for (const example of SERVER_EXAMPLES) {
    it(
      `${example.file}: answers its client the same with GenOps, its billable request governed, none under a tiny budget`,
      async () => {
        const plain = await run(example, 'plain');
        expect(plain.server.signal, describeRun(plain.server)).toBe('SIGTERM');
        expect(
          plain.billable,
          `the server made no billable request; client:\n${plain.client}\nserver:\n${plain.server.stdout}${plain.server.stderr}`,
        ).toBeGreaterThan(0);
        expect(plain.client).toMatch(/^(exit 0|200 )/);
        expect(plain.client).toMatch(/Hello from/);

        const governed = await run(example, 'governed');
        expect(governed.server.signal, describeRun(governed.server)).toBe('SIGTERM');
        expect(normaliseOutput(governed.server.stdout)).toBe(normaliseOutput(plain.server.stdout));
        expect(normaliseOutput(governed.client)).toBe(normaliseOutput(plain.client));
        expect(governed.billable).toBe(plain.billable);
        expect(checkCompliance(governed.server.spans).violations).toEqual([]);
        const units = executedUnits(governed.server.spans);
        expect(units.length, 'governed, priced units vs billable requests').toBe(governed.billable);
        for (const unit of units) expect(unit.attributes['genops.accounting.actual'], unit.name).toBeGreaterThan(0);

        const tiny = await run(example, 'tiny-budget');
        expect(tiny.server.timedOut, describeRun(tiny.server)).toBe(false);
        expect(tiny.server.stderr).toMatch(DENIAL);
        expect(tiny.billable, 'billable requests that got through a $0.000001 budget').toBe(0);
      },
      4 * PER_RUN_TIMEOUT_MS,
    );
  }
});
