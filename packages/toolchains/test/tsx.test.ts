import { join } from 'node:path';
import { describe, it } from 'vitest';
import { expectGoverned, expectLoudlyReported, fixtures, packageDir, sharedAppRunner } from './run-app';

// tsx compiles ES modules to CommonJS for `require()`, so the copy of `openai` an adapter requires is not
// the instance the app imports: GenOps also patches the imported instance (core's esm-builds.ts).
const runner = sharedAppRunner();
const app = join(fixtures, 'app.ts');
const tsxCli = join(packageDir, 'node_modules/tsx/dist/cli.mjs');
const policyEnv = { GENOPS_POLICY: join(fixtures, 'genops.policy.yaml'), GENOPS_EXPORTER: 'none' };

describe('tsx', () => {
  it('`tsx app.ts` with GenOps.init() in the app and a call right after it: loudly reported', async () => {
    // The imported instance is patched a moment after init() returns: a call made at once escapes.
    const run = await runner.current.run(process.execPath, [tsxCli, app], { env: { APP_INIT: '1' } });
    expectLoudlyReported(run, 'instrumentOpenAI(client)');
  });

  it('`tsx app.ts` with `await GenOps.init().ready` before the first call: governed', async () => {
    expectGoverned(
      await runner.current.run(process.execPath, [tsxCli, app], { env: { APP_INIT: '1', APP_READY: '1' } }),
    );
  });

  it('`node --import tsx --import @genops/core/register app.ts` with GENOPS_POLICY: governed with no code change', async () => {
    const args = ['--import', 'tsx', '--import', '@genops/core/register', app];
    expectGoverned(await runner.current.run(process.execPath, args, { env: policyEnv }));
  });

  it('`tsx --import @genops/core/register app.ts`: governed', async () => {
    const args = [tsxCli, '--import', '@genops/core/register', app];
    expectGoverned(await runner.current.run(process.execPath, args, { env: policyEnv }));
  });
});
