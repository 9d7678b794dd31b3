import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { GenOps } from '../genops';
import { chatRequest } from '../test-support/core-test-setup';
import { prometheusAddress } from './prometheus';
import { installCommand, requireSdkPackages, SDK_PACKAGES } from './sdk-packages';

// `exporter: 'prometheus'` (this test file's process registers no meter provider of its own, so GenOps
// sets one up), and the one error that names every missing OpenTelemetry package of an exporter.

const packageRoot = join(fileURLToPath(import.meta.url), '../../..');
const empty = mkdtempSync(join(tmpdir(), 'genops-no-packages-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

/** A port nothing listens on: one the system handed out to a listener that is closed again. */
async function unusedPort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, 'close');
  return port;
}

describe('missing OpenTelemetry packages', () => {
  it('names every package an exporter needs at once, with one install command', () => {
    // In a child process without pnpm's NODE_PATH, resolving from an empty directory: none is found.
    const { NODE_PATH: _, ...env } = process.env;
    const script = `
      const { requireSdkPackages } = require(${JSON.stringify(join(packageRoot, 'dist/internal/index.cjs'))});
      try { requireSdkPackages('otlp', ${JSON.stringify(join(empty, 'app.js'))}); console.log('{}'); }
      catch (error) { console.log(JSON.stringify({ name: error.name, path: error.path, message: error.message })); }`;
    const error = JSON.parse(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' })) as {
      name?: string;
      path?: string;
      message?: string;
    };
    expect(error.name).toBe('GenOpsConfigError');
    expect(error.path).toBe('exporter');
    for (const name of SDK_PACKAGES.otlp) expect(error.message).toContain(name);
    expect(error.message).toContain('exporter "otlp" needs 5 packages that are not installed');
    expect(error.message).toContain(
      "npm install '@opentelemetry/sdk-trace@^3.1.0' '@opentelemetry/sdk-metrics@^3.1.0' '@opentelemetry/resources@^3.1.0' '@opentelemetry/exporter-trace-otlp-http@>=0.301.0' '@opentelemetry/exporter-metrics-otlp-http@>=0.301.0'",
    );
  });

  it('is silent when every package resolves (this repository installs them all)', () => {
    for (const exporter of ['console', 'otlp', 'prometheus'] as const)
      expect(() => requireSdkPackages(exporter, import.meta.url)).not.toThrow();
  });

  it('installs only what is missing', () => {
    expect(installCommand(['@opentelemetry/exporter-prometheus'])).toBe(
      "npm install '@opentelemetry/exporter-prometheus@>=0.301.0'",
    );
  });
});

describe("exporter: 'prometheus'", () => {
  it('binds 127.0.0.1:9464 by default; OTEL_EXPORTER_PROMETHEUS_HOST/PORT and the option override it', () => {
    expect(prometheusAddress(undefined, {})).toEqual({ host: '127.0.0.1', port: 9464, endpoint: '/metrics' });
    expect(
      prometheusAddress(undefined, { OTEL_EXPORTER_PROMETHEUS_HOST: '0.0.0.0', OTEL_EXPORTER_PROMETHEUS_PORT: '9500' }),
    ).toEqual({ host: '0.0.0.0', port: 9500, endpoint: '/metrics' });
    expect(prometheusAddress({ port: 9600 }, { OTEL_EXPORTER_PROMETHEUS_PORT: '9500' }).port).toBe(9600);
    expect(() => prometheusAddress(undefined, { OTEL_EXPORTER_PROMETHEUS_PORT: 'http' })).toThrow(
      /OTEL_EXPORTER_PROMETHEUS_PORT.*a port number from 1 to 65535/,
    );
  });

  it('rejects a bad port option with a ConfigError naming it', () => {
    expect(() => GenOps.init({ exporter: 'prometheus', prometheus: { port: 70_000 }, autoInstrument: false })).toThrow(
      /prometheus\.port/,
    );
  });

  it('serves the GenOps metrics on 127.0.0.1 at the configured port until shutdown()', async () => {
    const port = await unusedPort();
    const genops = GenOps.init({
      exporter: 'prometheus',
      prometheus: { port },
      autoInstrument: false,
      dailyBudgetLimit: 5,
      defaults: { team: 'search', project: 'bot' },
    });
    try {
      const call = await genops.governor.begin(chatRequest());
      await call.end({ usage: { inputTokens: 100, outputTokens: 10 } });
      let text = '';
      for (let attempt = 0; attempt < 50 && text === ''; attempt++) {
        try {
          text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      expect(text).toMatch(/^genops_cost_total\{.*genops_team="search".*\} 0\.00035$/m);
      expect(text).toMatch(/^genops_budget_limit\{.*genops_budget_name="daily".*\} 5$/m);
      expect(text).toMatch(/^genops_policy_decisions_total\{.*genops_policy_result="ALLOWED".*\} 1$/m);
    } finally {
      await genops.shutdown();
    }
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});
