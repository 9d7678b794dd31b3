import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, packageDir, startAppRunner, temporaryDirectory } from './run-app';

// An esbuild bundle with `openai` (and GenOps) inlined: the adapter patches the `openai` it finds in
// node_modules, not the app's inlined copy. Until egress governance lands, that is loudly reported: one
// stderr warning with the fix, `coverage.governed` false, and `status().adapters` without the adapter.
let runner: Awaited<ReturnType<typeof startAppRunner>>;
const outDir = temporaryDirectory('esbuild');
beforeAll(async () => {
  runner = await startAppRunner();
});
afterAll(async () => {
  await runner.server.close();
  rmSync(outDir, { recursive: true, force: true });
});

async function bundle(format: 'esm' | 'cjs', banner?: string): Promise<string> {
  const outfile = join(outDir, `app-${format}${banner ? '-banner' : ''}.${format === 'esm' ? 'mjs' : 'cjs'}`);
  await build({
    entryPoints: [join(fixtures, 'app.ts')],
    absWorkingDir: packageDir,
    bundle: true,
    platform: 'node',
    format,
    target: 'node22',
    outfile,
    logLevel: 'silent',
    ...(banner ? { banner: { js: banner } } : {}),
  });
  return outfile;
}

function expectLoudlyReported(run: Awaited<ReturnType<typeof runner.run>>): void {
  expect(run.result).toMatchObject({
    running: true,
    outcome: 'reached the server',
    governed: false,
    ungoverned: ['openai'],
  });
  expect(run.result.adapters).not.toContain('@genops/provider-openai');
  expect(run.reached).toEqual(['gpt-4o']);
  expect(run.stderr.match(/genops: warning: a openai request/g)).toHaveLength(1);
  expect(run.stderr).toContain('--external:openai');
}

describe('esbuild bundle with openai inlined', () => {
  it('ESM bundle starts (yaml inside core, no Dynamic require) and the inlined openai is loudly reported', async () => {
    const outfile = await bundle('esm');
    // Run from the package directory: node_modules has an `openai` the adapter patches, but not the app's.
    expectLoudlyReported(await runner.run(process.execPath, [outfile], { env: { APP_INIT: '1' } }));
  });

  it('ESM bundle with the usual createRequire banner starts too', async () => {
    const outfile = await bundle(
      'esm',
      "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
    );
    expectLoudlyReported(await runner.run(process.execPath, [outfile], { env: { APP_INIT: '1' } }));
  });

  it('CommonJS bundle starts and the inlined openai is loudly reported', async () => {
    const outfile = await bundle('cjs');
    expectLoudlyReported(await runner.run(process.execPath, [outfile], { env: { APP_INIT: '1' } }));
  });

  it('the ESM bundle deployed alone (nothing installed beside it) is loudly reported', async () => {
    const outfile = await bundle('esm');
    expectLoudlyReported(await runner.run(process.execPath, [outfile], { cwd: outDir, env: { APP_INIT: '1' } }));
  });

  it('`node --import @genops/core/register` an ESM bundle: the inlined openai is loudly reported', async () => {
    const outfile = await bundle('esm');
    const run = await runner.run(process.execPath, ['--import', '@genops/core/register', outfile], {
      env: { GENOPS_POLICY: join(fixtures, 'genops.policy.yaml'), GENOPS_EXPORTER: 'none' },
    });
    expect(run.stderr).toContain('genops: warning: a openai request');
    expect(run.reached).toEqual(['gpt-4o']);
  });
});
