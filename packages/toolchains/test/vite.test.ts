import { join } from 'node:path';
import { build } from 'vite';
import { describe, it } from 'vitest';
import {
  egressEnv,
  expectGoverned,
  expectGovernedByEgress,
  expectLoudlyReported,
  fixtures,
  packageDir,
  sharedAppRunner,
  temporaryDirectory,
} from './run-app';

// Vite SSR with `ssr.noExternal: true` inlines every dependency, `openai` and GenOps included: the
// adapter cannot patch the app's copy. To a host egress does not know, that is loudly reported; to a
// provider host (GENOPS_EGRESS_HOSTS), egress governs it from the wire.
const outDir = temporaryDirectory('vite');
// The external build goes next to the package's node_modules, where the external `openai` resolves from.
const externalDir = join(packageDir, 'dist', 'vite-external');
const runner = sharedAppRunner([outDir, join(packageDir, 'dist')]);

async function ssrBuild(out: string, external: string[]): Promise<void> {
  await build({
    root: packageDir,
    configFile: false,
    logLevel: 'silent',
    ssr: { noExternal: true, external, target: 'node' },
    build: { ssr: join(fixtures, 'app.ts'), outDir: out, emptyOutDir: true, minify: false },
  });
}

describe('Vite SSR build with ssr.noExternal', () => {
  it('starts, and the inlined openai is loudly reported', async () => {
    await ssrBuild(outDir, []);
    const run = await runner.current.run(process.execPath, [join(outDir, 'app.js')], { env: { APP_INIT: '1' } });
    expectLoudlyReported(run, 'Vite ssr.external');
  });

  it('calling a provider host, the inlined openai is governed by egress (policy, cost, tiny budget)', async () => {
    await ssrBuild(outDir, []);
    await expectGovernedByEgress((env) =>
      runner.current.run(process.execPath, [join(outDir, 'app.js')], { env: egressEnv(runner.current, env) }),
    );
  });

  it('with openai external (ssr.external), the app is governed', async () => {
    await ssrBuild(externalDir, ['openai']);
    expectGoverned(
      await runner.current.run(process.execPath, [join(externalDir, 'app.js')], { env: { APP_INIT: '1' } }),
    );
  });
});
