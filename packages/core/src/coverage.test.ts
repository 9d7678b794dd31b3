import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { methodPatcher } from './adapter/method-patcher';
import { warnUngoverned } from './adapter/ungoverned-method';
import type { GenOpsAdapter } from './adapter-contract';
import { checkInstalls, egressCoverage, findSdkInstalls, nodeModulesChain } from './coverage';
import { GenOps, type GenOpsHandle } from './genops';

// Never silent: model requests that leave the process outside a governed unit (seen on Node's
// diagnostics channels, for fetch and node:http), and SDK installs no adapter patched.
let server: Server;
let base: string;
const root = mkdtempSync(join(tmpdir(), 'genops-coverage-'));

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

let genops: GenOpsHandle | undefined;
let restoreStderr: (() => void) | undefined;
afterEach(async () => {
  restoreStderr?.();
  await genops?.shutdown();
});

/** What GenOps writes to stderr while the test runs (it writes the warning straight to process.stderr). */
function captureStderr(): () => string {
  let text = '';
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  restoreStderr = () => {
    process.stderr.write = write;
  };
  return () => text;
}

/** An adapter that governs `openai` (it patches nothing: the requests below come from no SDK copy it knows). */
const openAIAdapter: GenOpsAdapter = {
  name: 'test-openai-adapter',
  instruments: 'openai',
  enable: () => true,
  disable() {},
};

async function post(path: string, headers: Record<string, string>): Promise<void> {
  const response = await fetch(`${base}${path}?api-version=1`, { method: 'POST', headers, body: '{}' });
  await response.text();
}

describe('status().coverage: requests outside GenOps', () => {
  it('a model request from an SDK outside any governed unit: recorded, one warning, the adapter no longer listed', async () => {
    const stderr = captureStderr();
    genops = GenOps.init({ exporter: 'none', autoInstrument: false, adapters: [openAIAdapter] });
    expect((await genops.status()).adapters).toEqual(['test-openai-adapter']);
    await post('/v1/chat/completions', { 'user-agent': 'OpenAI/JS 7.57.0' });
    await post('/v1/chat/completions', { 'user-agent': 'OpenAI/JS 7.57.0' });
    const status = await genops.status();
    expect(status.adapters).toEqual([]);
    expect(status.coverage).toMatchObject({
      governed: false,
      // Egress governs provider hosts by default; this fake server's host is not one, so it is not egress's.
      egress: { mode: 'govern', installed: true },
      ungovernedRequests: [
        { sdk: 'openai', endpoint: `POST ${base}/v1/chat/completions`, count: 2, handledBy: 'none' },
      ],
    });
    // One warning for the SDK, naming the fix; the query string is not in it. (An init-time warning about
    // SDK installs may come first: what vitest's own folder resolves depends on the checkout.)
    expect(stderr().match(/genops: warning: a openai request/g)).toHaveLength(1);
    expect(stderr()).toContain(`a openai request (POST ${base}/v1/chat/completions) ran outside GenOps`);
    expect(stderr()).toContain('instrumentOpenAI(client)');
    expect(stderr()).not.toContain('api-version');
  });

  it("a request of a method its adapter does not govern yet is that method's, not a missed SDK copy", async () => {
    const stderr = captureStderr();
    genops = GenOps.init({ exporter: 'none', autoInstrument: false, adapters: [openAIAdapter] });
    // A patched SDK resource whose billable method the adapter only warns about (as images.generate).
    const images = { generate: () => post('/v1/images/generations', { 'user-agent': 'OpenAI/JS 7.57.0' }) };
    const undo = warnUngoverned(methodPatcher('coverage-test'), images, 'generate', {
      method: 'openai images.generate',
      adapter: 'test-openai-adapter',
    });
    try {
      await images.generate();
    } finally {
      undo();
    }
    const status = await genops.status();
    expect(status.coverage.ungovernedRequests).toMatchObject([
      { sdk: 'openai', endpoint: `POST ${base}/v1/images/generations`, method: 'openai images.generate' },
    ]);
    expect(status.coverage.governed).toBe(false);
    // The adapter still governs the app's copy, and the coverage warning is not printed on top of the adapter's.
    expect(status.adapters).toEqual(['test-openai-adapter']);
    expect(stderr()).not.toContain('ran outside GenOps');
  });

  it('a minified Stainless client is still recognised, by its x-stainless headers and the endpoint', async () => {
    captureStderr();
    genops = GenOps.init({ exporter: 'none', autoInstrument: false });
    await post('/v1/messages', { 'user-agent': 'Hn/JS 1.12.0', 'x-stainless-lang': 'js' });
    await post('/v1/responses', { 'user-agent': 'Qa/JS 7.57.0', 'x-stainless-lang': 'js' });
    expect((await genops.status()).coverage.ungovernedRequests.map((request) => request.sdk)).toEqual([
      '@anthropic-ai/sdk',
      'openai',
    ]);
  });

  it('node:http requests are seen too', async () => {
    captureStderr();
    genops = GenOps.init({ exporter: 'none', autoInstrument: false });
    await new Promise<void>((resolve, reject) => {
      const request = httpRequest(`${base}/v1/embeddings`, {
        method: 'POST',
        headers: { 'user-agent': 'OpenAI/JS 7' },
      });
      request.on('response', (response) => response.resume().on('end', resolve));
      request.on('error', reject);
      request.end('{}');
    });
    expect((await genops.status()).coverage.ungovernedRequests).toMatchObject([
      { sdk: 'openai', endpoint: `POST ${base}/v1/embeddings` },
    ]);
  });

  it('other requests are not model requests: GETs, unknown clients on other hosts', async () => {
    const stderr = captureStderr();
    genops = GenOps.init({ exporter: 'none', autoInstrument: false });
    await (await fetch(`${base}/v1/models`, { headers: { 'user-agent': 'OpenAI/JS 7.57.0' } })).text();
    await post('/v1/chat/completions', { 'user-agent': 'curl/8' });
    await post('/webhooks/messages', { 'user-agent': 'my-app' });
    expect((await genops.status()).coverage.ungovernedRequests).toEqual([]);
    expect(stderr()).not.toContain('ran outside GenOps');
  });

  it('stops watching at shutdown', async () => {
    captureStderr();
    const first = GenOps.init({ exporter: 'none', autoInstrument: false });
    await first.shutdown();
    genops = GenOps.init({ exporter: 'none', autoInstrument: false });
    await post('/v1/chat/completions', { 'user-agent': 'OpenAI/JS 7.57.0' });
    expect((await genops.status()).coverage.ungovernedRequests).toHaveLength(1);
    expect((await first.status()).coverage.ungovernedRequests).toEqual([]);
  });
});

describe('egress mode', () => {
  it('is what egress installed: its mode, in place when fetch is intercepted or http requests are watched', () => {
    expect(egressCoverage({ mode: 'off', fetch: 'off', http: 'off' })).toEqual({ mode: 'off', installed: false });
    expect(egressCoverage({ mode: 'deny', fetch: 'intercepted', http: 'deny' })).toEqual({
      mode: 'deny',
      installed: true,
    });
    // An app that replaced the global dispatcher: fetch is no longer seen, http still is.
    expect(egressCoverage({ mode: 'warn', fetch: 'replaced', http: 'reported' })).toEqual({
      mode: 'warn',
      installed: true,
    });
    expect(egressCoverage({ mode: 'govern', fetch: 'replaced', http: 'off' })).toEqual({
      mode: 'govern',
      installed: false,
    });
  });

  it('a request egress refuses never leaves: not an ungoverned request, no warning', async () => {
    const stderr = captureStderr();
    // The fake server as an egress host: in deny mode egress refuses the request before it is sent.
    genops = GenOps.init({ exporter: 'none', autoInstrument: false, egress: { mode: 'deny', hosts: [base] } });
    const response = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'user-agent': 'OpenAI/JS 7.57.0' },
      body: '{"model":"gpt-4o"}',
    });
    await response.text();
    expect(response.status).toBe(403);
    const { coverage } = await genops.status();
    expect(coverage.egress).toEqual({ mode: 'deny', installed: true });
    expect(coverage.ungovernedRequests).toEqual([]);
    expect(stderr()).not.toContain('ran outside GenOps');
  });
});

describe('SDK installs', () => {
  function project(name: string, packages: string[]): string {
    const dir = join(root, name);
    for (const pkg of packages) {
      mkdirSync(join(dir, 'node_modules', pkg), { recursive: true });
      writeFileSync(join(dir, 'node_modules', pkg, 'package.json'), JSON.stringify({ name: pkg, version: '1.2.3' }));
    }
    mkdirSync(join(dir, 'src'), { recursive: true });
    return dir;
  }

  it('finds each install the folder resolves (not NODE_PATH), and says why each is ungoverned', () => {
    const dir = project('installs', ['openai', '@anthropic-ai/sdk', 'ollama']);
    const installs = findSdkInstalls([join(dir, 'src')]);
    expect(installs.map((install) => [install.sdk, install.version])).toEqual([
      ['openai', '1.2.3'],
      ['@anthropic-ai/sdk', '1.2.3'],
      ['ollama', '1.2.3'],
    ]);
    const checked = checkInstalls(installs, {
      registered: ['@genops/provider-anthropic', '@genops/provider-openai'],
      enabled: ['@genops/provider-openai'],
      autoInstrument: false,
    });
    expect(checked.map(({ sdk, status, reason, fix }) => ({ sdk, status, reason, fix }))).toEqual([
      {
        sdk: 'openai',
        status: 'ungoverned',
        reason:
          "a second install of openai that @genops/provider-openai did not patch (it patches the one the app's entry point and working directory resolve)",
        fix: 'keep one install of openai (npm dedupe), or wrap the client with instrumentOpenAI(client)',
      },
      {
        sdk: '@anthropic-ai/sdk',
        status: 'ungoverned',
        reason: 'autoInstrument is off and @genops/provider-anthropic is not in the adapters option',
        fix: "list @genops/provider-anthropic's adapter in GenOps.init({ adapters }) or use instrumentAnthropic(client)",
      },
      {
        sdk: 'ollama',
        status: 'ungoverned',
        reason: 'GenOps has no adapter for ollama',
        fix: "govern its requests with egress: 'govern' (or refuse them with egress: 'deny')",
      },
    ]);
  });

  it('looks in node_modules from the folder up to the root', () => {
    expect(nodeModulesChain('/a/b')).toEqual(['/a/b/node_modules', '/a/node_modules', '/node_modules']);
    expect(nodeModulesChain('/a/node_modules/x')).toEqual([
      '/a/node_modules/x/node_modules',
      '/a/node_modules',
      '/node_modules',
    ]);
  });
});
