import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from './errors/config-error';
import { optionsFromEnvironment, policyFileFromEnvironment } from './register-environment';

// The zero-code entry's configuration: env variables and the policy file found in the working directory.
// (The entry itself, `node --import @genops/core/register`, is run for real by packages/toolchains.)
const root = mkdtempSync(join(tmpdir(), 'genops-register-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function folder(name: string, files: string[] = []): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const file of files) writeFileSync(join(dir, file), 'version: 1\n');
  return dir;
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (ConfigError.isInstance(error)) return error as ConfigError;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('policy file of the zero-code entry', () => {
  it('GENOPS_POLICY names the file, relative to the working directory', () => {
    const dir = folder('explicit', ['team.yaml', 'genops.policy.yaml']);
    expect(policyFileFromEnvironment({ GENOPS_POLICY: 'team.yaml' }, dir)).toBe(join(dir, 'team.yaml'));
  });

  it('a GENOPS_POLICY that names no file is a ConfigError naming the variable and the fix', () => {
    const dir = folder('missing');
    const error = configError(() => policyFileFromEnvironment({ GENOPS_POLICY: 'nope.yaml' }, dir));
    expect(error.path).toBe('GENOPS_POLICY');
    expect(error.message).toBe(
      `Invalid GenOps option \`GENOPS_POLICY\`: no policy file at ${join(dir, 'nope.yaml')} (expected the path of a policy file (YAML or JSON), absolute or relative to ${dir}; or unset it to use ./genops.policy.yaml)`,
    );
    expect(configError(() => policyFileFromEnvironment({ GENOPS_POLICY: '.' }, dir)).path).toBe('GENOPS_POLICY');
  });

  it('without GENOPS_POLICY: genops.policy.yaml, then .yml, then .json in the working directory', () => {
    expect(
      policyFileFromEnvironment({}, folder('all', ['genops.policy.json', 'genops.policy.yml', 'genops.policy.yaml'])),
    ).toBe(join(root, 'all', 'genops.policy.yaml'));
    expect(policyFileFromEnvironment({}, folder('yml', ['genops.policy.json', 'genops.policy.yml']))).toBe(
      join(root, 'yml', 'genops.policy.yml'),
    );
    expect(policyFileFromEnvironment({}, folder('json', ['genops.policy.json']))).toBe(
      join(root, 'json', 'genops.policy.json'),
    );
    expect(policyFileFromEnvironment({}, folder('none'))).toBeUndefined();
  });
});

describe('optionsFromEnvironment', () => {
  const dir = folder('options');

  it('maps the standard OTEL_* variables to the exporter when GENOPS_EXPORTER is not set', () => {
    expect(optionsFromEnvironment({}, dir)).toEqual({});
    expect(optionsFromEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, dir)).toEqual({
      exporter: 'otlp',
    });
    expect(optionsFromEnvironment({ OTEL_TRACES_EXPORTER: 'console,otlp' }, dir)).toEqual({ exporter: 'console' });
    expect(
      optionsFromEnvironment({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, dir),
    ).toEqual({ exporter: 'none' });
    // GENOPS_EXPORTER wins (GenOps.init() reads it itself).
    expect(optionsFromEnvironment({ GENOPS_EXPORTER: 'none', OTEL_TRACES_EXPORTER: 'otlp' }, dir)).toEqual({});
  });

  it('bad values are ConfigErrors naming the variable', () => {
    expect(configError(() => optionsFromEnvironment({ OTEL_TRACES_EXPORTER: 'zipkin' }, dir))).toMatchObject({
      path: 'OTEL_TRACES_EXPORTER',
      expected: '"otlp", "console" or "none" (or set GENOPS_EXPORTER)',
    });
    expect(configError(() => optionsFromEnvironment({ GENOPS_EGRESS: 'sometimes' }, dir))).toMatchObject({
      path: 'GENOPS_EGRESS',
      expected: 'one of "govern", "deny", "warn", "off"',
    });
  });

  it('the policy file found becomes the policy option', () => {
    const withPolicy = folder('with-policy', ['genops.policy.yaml']);
    expect(optionsFromEnvironment({}, withPolicy)).toEqual({ policy: join(withPolicy, 'genops.policy.yaml') });
  });
});
