import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SqliteStore } from '@genops/store-sqlite';
import { describe, expect, it } from 'vitest';
import { expectGoverned, fixtures, packageDir, sharedAppRunner, temporaryDirectory } from './run-app';

// The zero-code entry run for real: `node -r` (CommonJS), `--import` and NODE_OPTIONS, configured from
// the environment, a bad variable refused at start, and audit flushed when the app just ends.
const scratch = temporaryDirectory('register');
const runner = sharedAppRunner([scratch]);

const app = join(fixtures, 'app-commonjs.cjs');
const policyEnv = { GENOPS_POLICY: join(fixtures, 'genops.policy.yaml'), GENOPS_EXPORTER: 'none' };

describe('@genops/core/register', () => {
  it('`node -r @genops/core/register` a CommonJS app: governed with no code change', async () => {
    const run = await runner.current.run(process.execPath, ['-r', '@genops/core/register', app], { env: policyEnv });
    expectGoverned(run);
    expect(run.result.adapters).toEqual(['@genops/provider-openai']);
  });

  it('NODE_OPTIONS="--import @genops/core/register": governed', async () => {
    expectGoverned(
      await runner.current.run(process.execPath, [app], {
        env: { ...policyEnv, NODE_OPTIONS: '--import @genops/core/register' },
      }),
    );
  });

  it('a bad variable stops the app at start with a ConfigError naming it', async () => {
    const { NODE_PATH: _ignored, ...env } = process.env;
    const error = await promisify(execFile)(process.execPath, ['--import', '@genops/core/register', app], {
      cwd: packageDir,
      env: { ...env, ...policyEnv, GENOPS_EGRESS: 'sometimes', FAKE_OPENAI_URL: runner.current.server.url },
      timeout: 30_000,
    }).then(
      () => undefined,
      (failure: { code?: number; stderr?: string }) => failure,
    );
    expect(error?.code).not.toBe(0);
    expect(error?.stderr).toContain(
      'Invalid GenOps option `GENOPS_EGRESS`: got "sometimes" (expected one of "govern", "deny", "warn", "off")',
    );
    const missing = await promisify(execFile)(process.execPath, ['--import', '@genops/core/register', app], {
      cwd: packageDir,
      env: { ...env, GENOPS_POLICY: 'missing.yaml', FAKE_OPENAI_URL: runner.current.server.url },
      timeout: 30_000,
    }).then(
      () => undefined,
      (failure: { stderr?: string }) => failure,
    );
    expect(missing?.stderr).toContain('Invalid GenOps option `GENOPS_POLICY`: no policy file at');
    expect(runner.current.server.requests.filter((request) => request.body?.model === 'gpt-4o')).toEqual([]);
  });

  it('an app that just ends: the exit hook of the entry shuts GenOps down (the audit chain ends with its final checkpoint)', async () => {
    const file = join(scratch, 'state.db');
    const { result } = await runner.current.run(process.execPath, ['--import', '@genops/core/register', app], {
      env: {
        ...policyEnv,
        GENOPS_STORE: `sqlite:${file}`,
        // Checkpoints signed with this key; shutdown() ends the chain with a final one.
        GENOPS_AUDIT_KEY: '0123456789abcdef0123456789abcdef',
        FAKE_MODEL: 'gpt-4o-mini',
        APP_NO_SHUTDOWN: '1',
      },
    });
    expect(result).toMatchObject({ running: true, outcome: 'reached the server', governed: true });
    const store = new SqliteStore({ path: file });
    try {
      const records = await store.readAudit();
      // The final checkpoint is written by shutdown() only: the entry's exit hook ran it.
      expect(records.map((record) => record.type)).toEqual(['policy', 'decision', 'settlement', 'checkpoint']);
      expect(await store.openReservations()).toBe(0);
    } finally {
      await store.close();
    }
  });
});
