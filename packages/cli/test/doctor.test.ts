import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '@genops/store-sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { type DoctorCheck, runDoctorCommand } from '../src/commands/doctor';
import type { CliIo } from '../src/io';

// `genops doctor` on project folders built in a temporary directory (SDK installs are package.json
// files under node_modules), and on the repository's toolchain test package, which has `openai` and
// `@genops/provider-openai` installed for real.
const POLICY = fileURLToPath(new URL('./fixtures/genops.policy.yaml', import.meta.url));
const TOOLCHAINS = fileURLToPath(new URL('../../toolchains', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'genops-doctor-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function project(name: string, packages: Record<string, string>, files: Record<string, string> = {}): string {
  const dir = join(root, name);
  for (const [pkg, version] of Object.entries(packages)) {
    mkdirSync(join(dir, 'node_modules', pkg), { recursive: true });
    writeFileSync(join(dir, 'node_modules', pkg, 'package.json'), JSON.stringify({ name: pkg, version }));
  }
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

async function doctor(argv: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    env,
  };
  const code = await runDoctorCommand(argv, io);
  return { code, stdout, stderr };
}

async function checks(argv: string[], env: Record<string, string> = {}) {
  const { code, stdout } = await doctor([...argv, '--json'], env);
  const report = JSON.parse(stdout) as { governed: boolean; checks: DoctorCheck[] };
  return { code, ...report, problems: report.checks.filter((check) => check.status === 'problem') };
}

describe('genops doctor', () => {
  it('an installed SDK whose adapter is not installed is a problem, with the install command as the fix', async () => {
    const dir = project('no-adapter', { openai: '7.57.0' });
    const report = await checks(['--dir', dir]);
    expect(report.code).toBe(1);
    expect(report.governed).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({
        area: 'sdk',
        message: expect.stringContaining('openai@7.57.0 is not governed: @genops/provider-openai is not installed'),
        fix: 'npm install @genops/provider-openai',
      }),
    ]);
  });

  it('an SDK GenOps has no adapter for is a problem whose fix is egress governance', async () => {
    const report = await checks(['--dir', project('no-adapter-exists', { 'groq-sdk': '1.0.0' })]);
    expect(report.code).toBe(1);
    expect(report.problems[0]).toMatchObject({
      message: expect.stringContaining('GenOps has no adapter for groq-sdk'),
      fix: expect.stringContaining("egress: 'govern'"),
    });
  });

  it('a project whose SDK the installed adapter patches is governed (exit 0), in words', async () => {
    const { code, stdout } = await doctor(['--dir', TOOLCHAINS]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/✔ sdk: openai@7\.57\.0 is patched by @genops\/provider-openai/);
    expect(stdout).toContain('✔ everything found is governed');
  });

  it('checks the policy file found in the folder, and reports an invalid one', async () => {
    const valid = project('valid-policy', {}, { 'genops.policy.yaml': 'version: 1\nrules: []\n' });
    expect((await checks(['--dir', valid])).checks).toContainEqual(
      expect.objectContaining({ area: 'policy', status: 'ok', message: expect.stringContaining('is valid (0 rules') }),
    );
    const invalid = project('invalid-policy', {}, { 'genops.policy.yml': 'version: 1\nrules: [{ type: nope }]\n' });
    const report = await checks(['--dir', invalid]);
    expect(report.code).toBe(1);
    expect(report.problems[0]).toMatchObject({
      area: 'policy',
      fix: expect.stringContaining('genops policy validate'),
    });
    expect((await checks(['--dir', valid, '--policy', POLICY])).checks).toContainEqual(
      expect.objectContaining({ area: 'policy', status: 'ok', message: expect.stringContaining('8 rules') }),
    );
  });

  it('opens the store GENOPS_STORE names, and reports one it cannot use', async () => {
    const dir = project('store', {});
    const file = join(dir, 'state.db');
    await new SqliteStore({ path: file }).close();
    expect((await checks(['--dir', dir], { GENOPS_STORE: `sqlite:${file}` })).checks).toContainEqual(
      expect.objectContaining({
        area: 'store',
        status: 'ok',
        message: `sqlite:${file} is reachable (0 open reservations)`,
      }),
    );
    const report = await checks(['--dir', dir], { GENOPS_STORE: 'postgres://nowhere' });
    expect(report.code).toBe(1);
    expect(report.problems[0]).toMatchObject({ area: 'store', message: expect.stringContaining('cannot be used') });
  });

  it('names a bad environment variable, and missing exporter packages with the install command', async () => {
    const dir = project('environment', {});
    const egress = await checks(['--dir', dir], { GENOPS_EGRESS: 'sometimes' });
    expect(egress.problems[0]).toMatchObject({
      area: 'environment',
      message: expect.stringContaining('GENOPS_EGRESS'),
    });
    const exporter = await checks(['--dir', dir], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' });
    expect(exporter.problems[0]).toMatchObject({
      area: 'exporter',
      message: expect.stringContaining('otlp needs @opentelemetry/sdk-trace'),
      fix: expect.stringContaining('npm install @opentelemetry/sdk-trace'),
    });
  });

  it('a folder that does not exist is a usage error (exit 2) in the CLI error shape', async () => {
    const { code, stderr } = await doctor(['--dir', join(root, 'missing')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^genops: error: --dir .*missing is not a folder/);
  });
});
