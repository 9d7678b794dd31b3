// The zero-code entry (`node --import @genops/core/register app.js`, `node -r @genops/core/register`,
// `NODE_OPTIONS`): GenOps.init() from the environment, once per process, before the app loads; shut down
// (audit and telemetry flushed) when the process ends. docs/zero-code.md.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { diag } from '@opentelemetry/api';
import type { GenOpsOptions } from './config';
import { ConfigError } from './errors/config-error';
import { GenOps, type GenOpsHandle } from './genops';

/** Policy files looked for in the working directory when `GENOPS_POLICY` is not set, in this order. */
export const POLICY_FILE_NAMES = ['genops.policy.yaml', 'genops.policy.yml', 'genops.policy.json'] as const;

const EGRESS_MODES = ['govern', 'deny', 'warn', 'off'] as const;

/** How long the exit hooks wait for audit and telemetry to flush. */
const SHUTDOWN_TIMEOUT_MS = 5_000;

/**
 * The policy file the zero-code entry uses: `GENOPS_POLICY` (must name a file), else the first of
 * {@link POLICY_FILE_NAMES} in `cwd`, else none. Throws a {@link ConfigError} naming `GENOPS_POLICY`.
 */
export function policyFileFromEnvironment(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const value = env.GENOPS_POLICY?.trim();
  if (value) {
    const file = resolve(cwd, value);
    if (!existsSync(file) || !statSync(file).isFile())
      throw new ConfigError({
        path: 'GENOPS_POLICY',
        message: `no policy file at ${file}`,
        expected: `the path of a policy file (YAML or JSON), absolute or relative to ${cwd}; or unset it to use ./${POLICY_FILE_NAMES[0]}`,
        received: value,
      });
    return file;
  }
  for (const name of POLICY_FILE_NAMES) {
    const file = join(cwd, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/**
 * `GenOps.init()` options from the environment: `GENOPS_POLICY` or a `genops.policy.yaml|yml|json` in
 * `cwd`, `GENOPS_EGRESS`, and the exporter from the standard `OTEL_*` variables when `GENOPS_EXPORTER` is
 * not set (`OTEL_SDK_DISABLED=true` → none, `OTEL_TRACES_EXPORTER`, `OTEL_EXPORTER_OTLP_ENDPOINT` → otlp).
 * `GENOPS_STORE`, `GENOPS_EXPORTER`, `GENOPS_PRICES`, `GENOPS_CAPTURE_CONTENT` and `OTEL_SERVICE_NAME`
 * are read by `GenOps.init()` itself. Bad values throw a {@link ConfigError} naming the variable.
 */
export function optionsFromEnvironment(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): GenOpsOptions {
  const options: GenOpsOptions = {};
  const policy = policyFileFromEnvironment(env, cwd);
  if (policy) options.policy = policy;
  const egress = env.GENOPS_EGRESS?.trim();
  if (egress) {
    if (!(EGRESS_MODES as readonly string[]).includes(egress))
      throw badVariable('GENOPS_EGRESS', egress, `one of ${EGRESS_MODES.map((mode) => `"${mode}"`).join(', ')}`);
    // Checked here; passed on as the `egress` option once GenOps.init() has it (egress governance).
  }
  if (!env.GENOPS_EXPORTER?.trim()) {
    const exporter = exporterFromOtelEnvironment(env);
    if (exporter) options.exporter = exporter;
  }
  return options;
}

function exporterFromOtelEnvironment(env: NodeJS.ProcessEnv): GenOpsOptions['exporter'] {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return 'none';
  const traces = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (traces) {
    // A list is allowed (`otlp,console`); GenOps sets up one exporter: the first it knows.
    const first = traces.split(',').map((name) => name.trim())[0];
    if (first === 'otlp' || first === 'console' || first === 'none') return first;
    throw badVariable('OTEL_TRACES_EXPORTER', traces, '"otlp", "console" or "none" (or set GENOPS_EXPORTER)');
  }
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim()) return 'otlp';
  return undefined;
}

/** A ConfigError for an environment variable with a value GenOps does not accept. */
function badVariable(name: string, value: string, expected: string): ConfigError {
  return new ConfigError({ path: name, message: `got "${value}"`, expected, received: value });
}

const REGISTERED_KEY = Symbol.for('genops.register');

/**
 * Starts GenOps from the environment, once per process (the ES module and CommonJS entries both call
 * it; the second call returns the running handle), and shuts it down when the process ends.
 */
export function registerFromEnvironment(): GenOpsHandle {
  const slot = globalThis as { [REGISTERED_KEY]?: GenOpsHandle };
  const running = slot[REGISTERED_KEY];
  if (running) return running;
  const handle = GenOps.init(optionsFromEnvironment());
  slot[REGISTERED_KEY] = handle;
  shutDownAtExit(handle);
  return handle;
}

/**
 * Shuts GenOps down (flushing audit and telemetry) when the event loop empties, and on SIGINT / SIGTERM
 * when the app has no handler of its own (then the signal is raised again, so the process ends as it
 * would have). An app that handles the signal itself keeps control of its exit.
 */
function shutDownAtExit(handle: GenOpsHandle): void {
  let done: Promise<void> | undefined;
  const shutdown = () =>
    (done ??= Promise.race([
      handle.shutdown().catch((error: unknown) => diag.warn('genops: shutdown at exit failed', error)),
      new Promise<void>((resolveTimeout) => setTimeout(resolveTimeout, SHUTDOWN_TIMEOUT_MS).unref()),
    ]));
  process.once('beforeExit', () => void shutdown());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      if (process.listenerCount(signal) > 0) return;
      void shutdown().then(() => process.kill(process.pid, signal));
    };
    process.once(signal, onSignal);
  }
}
