import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, packageDir, startAppRunner, temporaryDirectory } from './run-app';

// Vite SSR with `ssr.noExternal: true` inlines every dependency, `openai` and GenOps included: the
// adapter cannot patch the app's copy. Until egress governance lands, that is loudly reported.
let runner: Awaited<ReturnType<typeof startAppRunner>>;
const outDir = temporaryDirectory('vite');
beforeAll(async () => {
  runner = await startAppRunner();
});
afterAll(async () => {
  await runner.server.close();
  rmSync(outDir, { recursive: true, force: true });
  rmSync(join(packageDir, 'dist'), { recursive: true, force: true });
});

describe('Vite SSR build with ssr.noExternal', () => {
  it('starts, and the inlined openai is loudly reported', async () => {
    await build({
      root: packageDir,
      configFile: false,
      logLevel: 'silent',
      ssr: { noExternal: true, target: 'node' },
      build: { ssr: join(fixtures, 'app.ts'), outDir, emptyOutDir: true, minify: false },
    });
    const run = await runner.run(process.execPath, [join(outDir, 'app.js')], { env: { APP_INIT: '1' } });
    expect(run.result).toMatchObject({
      running: true,
      outcome: 'reached the server',
      governed: false,
      ungoverned: ['openai'],
    });
    expect(run.result.adapters).not.toContain('@genops/provider-openai');
    expect(run.reached).toEqual(['gpt-4o']);
    expect(run.stderr.match(/genops: warning: a openai request/g)).toHaveLength(1);
    expect(run.stderr).toContain('Vite ssr.external');
  });

  it('with openai external (ssr.external), the app is governed', async () => {
    // Built next to the package's node_modules, where the external `openai` resolves from.
    const external = join(packageDir, 'dist', 'vite-external');
    await build({
      root: packageDir,
      configFile: false,
      logLevel: 'silent',
      ssr: { noExternal: true, external: ['openai'], target: 'node' },
      build: { ssr: join(fixtures, 'app.ts'), outDir: external, emptyOutDir: true, minify: false },
    });
    const run = await runner.run(process.execPath, [join(external, 'app.js')], { env: { APP_INIT: '1' } });
    expect(run.result).toMatchObject({ running: true, outcome: 'PolicyViolationError', governed: true });
    expect(run.reached).toEqual([]);
  });
});
