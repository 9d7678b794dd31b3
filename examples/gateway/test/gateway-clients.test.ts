// The any-language examples, run as a user runs them (python3, bash + curl, node) against a real GenOps
// gateway in front of the fake OpenAI and Anthropic servers. A missing python3 or curl fails the test
// with what to install: it never skips.
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Gateway, startGateway } from '@genops/gateway';
import {
  createTestTelemetry,
  type FakeAnthropicServer,
  type FakeOpenAIServer,
  startFakeAnthropic,
  startFakeOpenAI,
} from '@genops/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const file = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

const TEAM_KEY = 'gk-example-team-0123456789abcdef';
const BROKE_KEY = 'gk-example-broke-0123456789abcdef';
const UPSTREAM_OPENAI_KEY = 'sk-upstream-openai-never-shown';
const UPSTREAM_ANTHROPIC_KEY = 'sk-ant-upstream-never-shown';

/** Fails with what to install when a tool the examples need is not on PATH. */
function requireTool(command: string, install: string): void {
  const probe = spawnSync(command, ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    throw new Error(`${command} is not on PATH (${probe.error.message}): the gateway examples need it. ${install}`);
  }
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}
/** Runs a program with the environment a user would export; resolves with its exit code and output. */
async function runExample(command: string, args: string[], env: Record<string, string>): Promise<Ran> {
  const base = { ...process.env };
  for (const name of ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'ANTHROPIC_BASE_URL', 'ANTHROPIC_API_KEY', 'NODE_PATH']) {
    delete base[name];
  }
  try {
    const { stdout, stderr } = await run(command, args, { env: { ...base, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Runs an example that must succeed: exit 0, nothing on stderr. Resolves with its stdout. */
async function runClean(command: string, args: string[], env: Record<string, string>): Promise<string> {
  const { code, stdout, stderr } = await runExample(command, args, env);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return stdout;
}

/** What the chat examples print for one call and the same call streamed, against a fake server. */
const transcript = (server: 'OpenAI' | 'Anthropic') =>
  `answer: Hello from the fake ${server} server.\n` +
  'tokens: 20 input, 10 output\n' +
  `streamed: Hello from the fake ${server} server.\n` +
  'streamed tokens: 20 input, 10 output\n';

let openai: FakeOpenAIServer;
let anthropic: FakeAnthropicServer;
let gateway: Gateway;
const telemetry = createTestTelemetry();

beforeAll(async () => {
  requireTool('python3', 'Install Python 3 (Debian: apt-get install -y python3).');
  requireTool('curl', 'Install curl (Debian: apt-get install -y curl).');
  openai = await startFakeOpenAI();
  anthropic = await startFakeAnthropic();
  gateway = await startGateway({
    upstreams: {
      openai: { baseUrl: openai.url, apiKey: UPSTREAM_OPENAI_KEY },
      anthropic: { baseUrl: anthropic.url, apiKey: UPSTREAM_ANTHROPIC_KEY },
    },
    virtualKeys: [
      { name: 'examples', key: TEAM_KEY, attribution: { team: 'examples', project: 'any-language' } },
      { name: 'broke', key: BROKE_KEY, attribution: { team: 'broke', project: 'any-language' } },
    ],
    genops: {
      policy: {
        version: 1,
        rules: [{ name: 'approved-models', type: 'model', allow: ['gpt-4o*', 'claude-*'] }],
        // Team "broke" has a budget smaller than any call: every call it makes is refused before it is sent.
        budgets: [{ name: 'broke-daily', limit: 0.000_001, window: 'day', match: { team: 'broke' } }],
      },
      tracerProvider: telemetry.tracerProvider,
      meterProvider: telemetry.meterProvider,
      autoInstrument: false,
      egress: 'off',
    },
    env: {},
  });
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([openai?.close(), anthropic?.close(), telemetry.shutdown()]);
});

beforeEach(() => {
  openai.reset();
  anthropic.reset();
  telemetry.resetSpans();
});

const openaiEnv = (key: string) => ({ OPENAI_BASE_URL: `${gateway.url}/v1`, OPENAI_API_KEY: key });

/** The provider key reached the provider; the virtual key did not. */
function expectUpstreamKeys(requests: { headers: Record<string, string> }[], upstreamKey: string): void {
  expect(requests.length).toBeGreaterThan(0);
  for (const request of requests) {
    const sent = `${request.headers.authorization ?? ''} ${request.headers['x-api-key'] ?? ''}`;
    expect(sent).toContain(upstreamKey);
    expect(sent).not.toContain(TEAM_KEY);
  }
}

/** The governed units the gateway recorded, by operation and team. */
function governedUnits(): string[] {
  return telemetry
    .spans()
    .map((span) => `${span.name} team=${String(span.attributes['genops.team'])}`)
    .sort();
}

describe('examples/gateway', () => {
  it('python/chat.py (standard library only): a chat completion and a streamed one, governed', async () => {
    const stdout = await runClean('python3', [file('python/chat.py'), 'Hello?'], openaiEnv(TEAM_KEY));
    expect(stdout).toBe(transcript('OpenAI'));
    expect(openai.requests.map((request) => [request.path, request.body.stream ?? false])).toEqual([
      ['/v1/chat/completions', false],
      ['/v1/chat/completions', true],
    ]);
    expectUpstreamKeys(openai.requests, UPSTREAM_OPENAI_KEY);
    expect(governedUnits()).toEqual(['chat gpt-4o-mini team=examples', 'chat gpt-4o-mini team=examples']);
  });

  it('python/chat.py prints a budget refusal with its x-genops headers, and nothing reaches the provider', async () => {
    const { code, stdout, stderr } = await runExample('python3', [file('python/chat.py')], openaiEnv(BROKE_KEY));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^refused: 402 \w+: .*broke-daily/);
    expect(stderr).toContain('  x-genops-error: BudgetExceededError\n');
    expect(openai.requests).toEqual([]);
  });

  it('python/chat.py with a key the gateway does not know: 401', async () => {
    const { code, stderr } = await runExample('python3', [file('python/chat.py')], openaiEnv('gk-unknown'));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^refused: 401 /);
    expect(openai.requests).toEqual([]);
  });

  it('curl/chat.sh: chat, streamed chat, Anthropic Messages with x-api-key, and the model list', async () => {
    const stdout = await runClean('bash', [file('curl/chat.sh')], openaiEnv(TEAM_KEY));
    const sections = stdout.split(/^== /m).slice(1);
    expect(sections.map((section) => section.split('\n')[0])).toEqual([
      'chat completion',
      'streamed (-N: print each event as it arrives)',
      'Anthropic Messages (x-api-key works too)',
      'models',
    ]);
    const completion = JSON.parse(sections[0]!.split('\n')[1]!);
    expect(completion.choices[0].message.content).toBe('Hello from the fake OpenAI server.');
    expect(sections[1]).toContain('data: [DONE]');
    const message = JSON.parse(sections[2]!.split('\n')[1]!);
    expect(message.content[0].text).toBe('Hello from the fake Anthropic server.');
    expect(JSON.parse(sections[3]!.split('\n')[1]!)).toMatchObject({ object: 'list' });
    expectUpstreamKeys(openai.requests, UPSTREAM_OPENAI_KEY);
    expectUpstreamKeys(anthropic.requests, UPSTREAM_ANTHROPIC_KEY);
    expect(governedUnits()).toEqual([
      'chat claude-haiku-4-5 team=examples',
      'chat gpt-4o-mini team=examples',
      'chat gpt-4o-mini team=examples',
    ]);
  });

  it('src/openai-sdk.mjs: the OpenAI SDK by base URL, streamed too, and a policy refusal as an OpenAI error', async () => {
    const stdout = await runClean(process.execPath, [file('src/openai-sdk.mjs')], openaiEnv(TEAM_KEY));
    expect(stdout).toContain('answer: Hello from the fake OpenAI server.\ntokens: 20 input, 10 output\n');
    expect(stdout).toContain('streamed: Hello from the fake OpenAI server.\n');
    expect(stdout).toMatch(/refused: 403 \w+: .*approved-models/);
    expect(stdout).toContain('  x-genops-error: PolicyViolationError\n');
    // The refused call never reached the provider.
    expect(openai.requests.map((request) => request.body.model)).toEqual(['gpt-4o-mini', 'gpt-4o-mini']);
    expectUpstreamKeys(openai.requests, UPSTREAM_OPENAI_KEY);
  });

  it('src/anthropic-sdk.mjs: the Anthropic SDK by base URL, streamed too', async () => {
    const stdout = await runClean(process.execPath, [file('src/anthropic-sdk.mjs')], {
      ANTHROPIC_BASE_URL: gateway.url,
      ANTHROPIC_API_KEY: TEAM_KEY,
    });
    expect(stdout).toBe(transcript('Anthropic'));
    expectUpstreamKeys(anthropic.requests, UPSTREAM_ANTHROPIC_KEY);
    expect(governedUnits()).toEqual(['chat claude-haiku-4-5 team=examples', 'chat claude-haiku-4-5 team=examples']);
  });
});
