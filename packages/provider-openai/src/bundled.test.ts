import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

// An app bundled with `openai` inlined (as Next.js, Vite SSR or esbuild deployments do) has no
// `openai` module for the automatic patch to find. `instrumentOpenAI(client)` must still govern it.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'genops-bundle-'));

const app = `
import OpenAI from 'openai';
import { GenOps } from '@genops/core';
import { createTestTelemetry, startFakeOpenAI } from '@genops/testing';
import { instrumentOpenAI } from './src/index.ts';

const server = await startFakeOpenAI();
const telemetry = createTestTelemetry();
const genops = GenOps.init({ tracerProvider: telemetry.tracerProvider, defaults: { team: 'bundled', project: 'p', environment: 'test' } });
const options = { apiKey: 'test', baseURL: server.url, maxRetries: 0 };
const messages = [{ role: 'user', content: 'hi' }];

await new OpenAI(options).chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 10 });
const governed = instrumentOpenAI(new OpenAI(options));
const { data, request_id } = await governed.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 10 }).withResponse();
const stream = await governed.chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 10, stream: true });
let text = '';
for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
const parsed = await governed.chat.completions.parse({ model: 'gpt-4o-mini', messages, max_tokens: 10 });

console.log(JSON.stringify({
  adapters: (await genops.status()).adapters,
  spans: telemetry.spans().map((span) => [span.name, span.attributes['genops.accounting.actual']]),
  requestId: data._request_id === request_id && typeof request_id === 'string',
  text,
  parsed: parsed.choices[0].message.content,
}));
await genops.shutdown();
await server.close();
`;

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('bundled app (openai inlined)', () => {
  it('instrumentOpenAI(client) governs plain, withResponse, streaming and parse calls', async () => {
    const outfile = join(outDir, 'app.mjs');
    await build({
      stdin: { contents: app, resolveDir: packageDir, loader: 'ts', sourcefile: 'app.ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      outfile,
      logLevel: 'silent',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    // No NODE_PATH (pnpm sets one for scripts): a deployed bundle has nothing to resolve `openai` from.
    const { NODE_PATH: _ignored, ...env } = process.env;
    const { stdout } = await promisify(execFile)(process.execPath, [outfile], { cwd: outDir, env });
    const result = JSON.parse(stdout);
    // The automatic patch found no `openai` module to patch, so the plain client is not governed.
    expect(result.adapters).toEqual([]);
    expect(result.spans).toEqual([
      ['chat gpt-4o-mini', 0.000009],
      ['chat gpt-4o', 0.00015],
      ['chat gpt-4o-mini', 0.000009],
    ]);
    expect(result.requestId).toBe(true);
    expect(result.text).toBe('Hello from the fake OpenAI server.');
    expect(result.parsed).toBe('Hello from the fake OpenAI server.');
  });
});
