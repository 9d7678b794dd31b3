import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  egressEnv,
  expectGovernedByEgress,
  expectLoudlyReported,
  fixtures,
  packageDir,
  sharedAppRunner,
  temporaryDirectory,
} from './run-app';

// An esbuild bundle with `openai` (and GenOps) inlined: the adapter patches the `openai` it finds in
// node_modules, not the app's inlined copy. To a host egress does not know (127.0.0.1), that is loudly
// reported: one stderr warning with the fix, `coverage.governed` false, and `status().adapters` without
// the adapter. To a provider host (GENOPS_EGRESS_HOSTS names the fake server), egress governs it from
// the wire: policy, reservation, settled cost, and a tiny budget refuses it.
const outDir = temporaryDirectory('esbuild');
const runner = sharedAppRunner([outDir]);

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

const APP_INIT = { env: { APP_INIT: '1' } };

describe('esbuild bundle with openai inlined', () => {
  it('ESM bundle starts (yaml inside core, no Dynamic require) and the inlined openai is loudly reported', async () => {
    // Run from the package directory: node_modules has an `openai` the adapter patches, but not the app's.
    expectLoudlyReported(
      await runner.current.run(process.execPath, [await bundle('esm')], APP_INIT),
      '--external:openai',
    );
  });

  it('ESM bundle with the usual createRequire banner starts too', async () => {
    const banner = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";
    const outfile = await bundle('esm', banner);
    expectLoudlyReported(await runner.current.run(process.execPath, [outfile], APP_INIT), '--external:openai');
  });

  it('CommonJS bundle starts and the inlined openai is loudly reported', async () => {
    expectLoudlyReported(
      await runner.current.run(process.execPath, [await bundle('cjs')], APP_INIT),
      '--external:openai',
    );
  });

  it('the ESM bundle deployed alone (nothing installed beside it) is loudly reported', async () => {
    const run = await runner.current.run(process.execPath, [await bundle('esm')], {
      cwd: outDir,
      env: { APP_INIT: '1' },
    });
    expectLoudlyReported(run, '--external:openai');
  });

  it('`node --import @genops/core/register` an ESM bundle: the inlined openai is loudly reported', async () => {
    const outfile = await bundle('esm');
    const run = await runner.current.run(process.execPath, ['--import', '@genops/core/register', outfile], {
      env: { GENOPS_POLICY: join(fixtures, 'genops.policy.yaml'), GENOPS_EXPORTER: 'none' },
    });
    // The bundle's own copy of core sees the instance the entry started (one per process).
    expectLoudlyReported(run, '--external:openai');
    expect(run.result.running).toBe(true);
  });
});

describe('esbuild bundle with openai inlined, calling a provider host: governed by egress', () => {
  for (const format of ['esm', 'cjs'] as const) {
    it(`${format.toUpperCase()} bundle: policy, settled cost and a tiny budget apply from the wire`, async () => {
      const outfile = await bundle(format);
      await expectGovernedByEgress((env) =>
        runner.current.run(process.execPath, [outfile], { env: egressEnv(runner.current, env) }),
      );
    });
  }
});
