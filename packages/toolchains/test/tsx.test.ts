import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, packageDir, startAppRunner } from './run-app';

// tsx compiles ES modules to CommonJS for `require()`, so the copy of `openai` an adapter requires is not
// the instance the app imports: GenOps also patches the imported instance (core's esm-builds.ts).
let runner: Awaited<ReturnType<typeof startAppRunner>>;
beforeAll(async () => {
  runner = await startAppRunner();
});
afterAll(() => runner.server.close());

const app = join(fixtures, 'app.ts');
const tsxCli = join(packageDir, 'node_modules/tsx/dist/cli.mjs');

describe('tsx', () => {
  it('`tsx app.ts` with GenOps.init() in the app and a call right after it: loudly reported', async () => {
    // The imported instance is patched a moment after init() returns: a call made at once escapes.
    const { result, reached, stderr } = await runner.run(process.execPath, [tsxCli, app], { env: { APP_INIT: '1' } });
    expect(result).toMatchObject({
      running: true,
      outcome: 'reached the server',
      governed: false,
      ungoverned: ['openai'],
    });
    expect(result.adapters).not.toContain('@genops/provider-openai');
    expect(reached).toEqual(['gpt-4o']);
    expect(stderr.match(/genops: warning: a openai request/g)).toHaveLength(1);
    expect(stderr).toContain('instrumentOpenAI(client)');
  });

  it('`tsx app.ts` with `await GenOps.init().ready` before the first call: governed', async () => {
    const { result, reached, stderr } = await runner.run(process.execPath, [tsxCli, app], {
      env: { APP_INIT: '1', APP_READY: '1' },
    });
    expect(result).toMatchObject({ running: true, outcome: 'PolicyViolationError', governed: true, ungoverned: [] });
    expect(result.adapters).toContain('@genops/provider-openai');
    expect(reached).toEqual([]);
    expect(stderr).not.toContain('genops: warning');
  });

  it('`node --import tsx --import @genops/core/register app.ts` with GENOPS_POLICY: governed with no code change', async () => {
    const { result, reached } = await runner.run(
      process.execPath,
      ['--import', 'tsx', '--import', '@genops/core/register', app],
      { env: { GENOPS_POLICY: join(fixtures, 'genops.policy.yaml'), GENOPS_EXPORTER: 'none' } },
    );
    expect(result).toMatchObject({ running: true, outcome: 'PolicyViolationError', governed: true });
    expect(result.adapters).toEqual(['@genops/provider-openai']);
    expect(reached).toEqual([]);
  });

  it('`tsx --import @genops/core/register app.ts`: governed', async () => {
    const { result, reached } = await runner.run(process.execPath, [tsxCli, '--import', '@genops/core/register', app], {
      env: { GENOPS_POLICY: join(fixtures, 'genops.policy.yaml'), GENOPS_EXPORTER: 'none' },
    });
    expect(result).toMatchObject({ running: true, outcome: 'PolicyViolationError', governed: true });
    expect(reached).toEqual([]);
  });
});
