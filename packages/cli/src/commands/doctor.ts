import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '@genops/core';
import {
  adapterRegistry,
  checkInstalls,
  discoverAdapters,
  findAdapterPackages,
  findSdkInstalls,
  installedFrom,
  openStoreUrl,
  optionsFromEnvironment,
  POLICY_FILE_NAMES,
  resolveEgress,
} from '@genops/core/internal';
import type { Command } from 'commander';
import { CliError, EXIT_OK, EXIT_PROBLEMS } from '../errors';
import type { CliIo, CommandContext } from '../io';
import { loadPolicy } from '../policy-file';
import { runCommandGroup } from '../program';
import { redactText, redactUrl } from '../store';

/** One finding of `genops doctor`. */
export interface DoctorCheck {
  /** What was checked: `sdk`, `policy`, `store`, `exporter`, `egress`, `environment`. */
  area: 'sdk' | 'policy' | 'store' | 'exporter' | 'egress' | 'environment';
  /** `ok`; `problem`: something is ungoverned or broken (exit 1); `info`: worth knowing, not a problem. */
  status: 'ok' | 'problem' | 'info';
  message: string;
  /** How to fix a problem. */
  fix?: string;
}

interface DoctorOptions {
  dir?: string;
  policy?: string;
  store?: string;
  json?: boolean;
}

const OTEL_PACKAGES: Readonly<Record<'console' | 'otlp', readonly string[]>> = {
  console: ['@opentelemetry/sdk-trace', '@opentelemetry/sdk-metrics', '@opentelemetry/resources'],
  otlp: [
    '@opentelemetry/sdk-trace',
    '@opentelemetry/sdk-metrics',
    '@opentelemetry/resources',
    '@opentelemetry/exporter-trace-otlp-http',
    '@opentelemetry/exporter-metrics-otlp-http',
  ],
};

/** Adds `genops doctor` to `program`. */
export function registerDoctorCommands(program: Command, context: CommandContext): void {
  program
    .command('doctor')
    .description(
      'checks what GenOps would govern in a project: SDK installs and adapters, policy file, store, exporter',
    )
    .option('--dir <path>', 'the project folder (default: the working directory)')
    .option(
      '--policy <file>',
      'the policy file (default: $GENOPS_POLICY, else genops.policy.yaml|yml|json in the folder)',
    )
    .option('--store <url>', 'the store the app uses (default: $GENOPS_STORE, else the in-process memory store)')
    .option('--json', 'print the findings as JSON')
    .addHelpText(
      'after',
      `
It runs the check GenOps runs at init (GenOps.current.status().coverage): every install of a provider
SDK the project resolves, whether an installed GenOps adapter patches it, then the policy file, the
store and the exporter packages the environment asks for (GENOPS_*, OTEL_*).

Examples:
  $ genops doctor
  $ genops doctor --dir ./services/api --json

Exit codes: 0 everything governed, 1 something is ungoverned or broken, 2 bad usage.`,
    )
    .action(async (options: DoctorOptions) => {
      context.exitCode = await runDoctor(options, context);
    });
}

/** Runs `genops doctor <argv...>`; resolves to the exit code. */
export function runDoctorCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommandGroup(['doctor', ...argv], io, [registerDoctorCommands]);
}

async function runDoctor(options: DoctorOptions, context: CommandContext): Promise<number> {
  const env = context.io.env ?? {};
  const dir = resolve(options.dir ?? process.cwd());
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new CliError(`--dir ${dir} is not a folder (give the project folder, where its node_modules is)`);
  const checks = [
    ...checkSdks(dir),
    ...(await checkPolicy(dir, options.policy, env)),
    ...(await checkStore(options.store, env)),
    ...checkEnvironment(dir, env),
  ];
  const problems = checks.filter((check) => check.status === 'problem').length;
  if (options.json) {
    context.io.stdout.write(`${JSON.stringify({ dir, governed: problems === 0, checks }, null, 2)}\n`);
  } else {
    const { out } = context;
    for (const check of checks) {
      const mark = check.status === 'ok' ? out.green('✔') : check.status === 'problem' ? out.red('✘') : out.dim('·');
      context.io.stdout.write(`${mark} ${check.area}: ${check.message}\n`);
      if (check.fix) context.io.stdout.write(`    fix: ${check.fix}\n`);
    }
    context.io.stdout.write(
      problems === 0
        ? `${out.green('✔')} everything found is governed\n`
        : `${out.red('✘')} ${problems} problem${problems === 1 ? '' : 's'}\n`,
    );
  }
  return problems === 0 ? EXIT_OK : EXIT_PROBLEMS;
}

/** SDK installs the project resolves, and which the installed adapters would patch (they are loaded, patched and unpatched). */
function checkSdks(dir: string): DoctorCheck[] {
  const searchPaths = [dir];
  discoverAdapters(searchPaths);
  // The adapters installed in the project (the registry may hold others this process loaded).
  const registered = findAdapterPackages(dir);
  const enabled: string[] = [];
  const adapters = [...adapterRegistry().values()].filter((adapter) => registered.includes(adapter.name));
  try {
    for (const adapter of adapters) {
      try {
        if (adapter.enable({ searchPaths })) enabled.push(adapter.name);
      } catch {
        // An adapter that fails to enable is reported below as not patching its SDK.
      }
    }
    const installs = checkInstalls(findSdkInstalls(searchPaths), { registered, enabled, autoInstrument: true });
    const checks: DoctorCheck[] = installs.map((install) => {
      const name = `${install.sdk}${install.version ? `@${install.version}` : ''}`;
      return install.status === 'governed'
        ? { area: 'sdk', status: 'ok', message: `${name} is patched by ${install.adapter} (${install.root})` }
        : {
            area: 'sdk',
            status: 'problem',
            message: `${name} is not governed: ${install.reason} (${install.root})`,
            ...(install.fix ? { fix: install.fix } : {}),
          };
    });
    if (installs.length === 0)
      checks.push({
        area: 'sdk',
        status: 'info',
        message: `no provider SDK installed in ${dir} (a bundled app carries its own copy, which no adapter can patch)`,
      });
    if (registered.length > 0)
      checks.push({ area: 'sdk', status: 'info', message: `adapters installed: ${registered.join(', ')}` });
    checks.push({
      area: 'sdk',
      status: 'info',
      message:
        'an app bundled with its SDK inlined (esbuild, Vite ssr.noExternal, Next.js) is checked when it runs: GenOps warns on its first request outside GenOps',
    });
    return checks;
  } finally {
    for (const adapter of adapters) {
      try {
        adapter.disable();
      } catch {
        // Nothing to undo.
      }
    }
  }
}

async function checkPolicy(
  dir: string,
  option: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<DoctorCheck[]> {
  let file: string | undefined;
  if (option !== undefined) file = resolve(option);
  else if (env.GENOPS_POLICY?.trim()) file = resolve(dir, env.GENOPS_POLICY.trim());
  else file = POLICY_FILE_NAMES.map((name) => join(dir, name)).find((candidate) => existsSync(candidate));
  if (!file)
    return [
      {
        area: 'policy',
        status: 'info',
        message: `no policy file (GENOPS_POLICY unset, no ${POLICY_FILE_NAMES.join(' / ')} in ${dir}): only init options apply`,
      },
    ];
  const loaded = await loadPolicy(file);
  if (loaded.ok)
    return [
      {
        area: 'policy',
        status: 'ok',
        message: `${file} is valid (${loaded.document.rules.length} rules, ${loaded.document.budgets.length} budgets)`,
      },
    ];
  return [
    {
      area: 'policy',
      status: 'problem',
      message: loaded.message,
      fix: `\`genops policy validate ${file}\` lists every problem`,
    },
  ];
}

async function checkStore(
  option: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<DoctorCheck[]> {
  const url = option?.trim() || env.GENOPS_STORE?.trim();
  if (!url)
    return [
      {
        area: 'store',
        status: 'info',
        message: 'memory (GENOPS_STORE unset): budgets and approvals are per process',
      },
    ];
  try {
    const store = openStoreUrl(url, option ? '--store' : 'GENOPS_STORE');
    try {
      const open = await store.openReservations();
      return [{ area: 'store', status: 'ok', message: `${redactUrl(url)} is reachable (${open} open reservations)` }];
    } finally {
      await store.close().catch(() => undefined);
    }
  } catch (error) {
    return [
      {
        area: 'store',
        status: 'problem',
        message: `${redactUrl(url)} cannot be used: ${redactText((error as Error).message, url)}`,
        fix: 'start the store, or correct the URL (sqlite:<path>, redis://host:port)',
      },
    ];
  }
}

/** The environment the zero-code entry reads: typed errors for bad values, exporter packages present. */
function checkEnvironment(dir: string, env: Readonly<Record<string, string | undefined>>): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  let exporter: string | undefined = env.GENOPS_EXPORTER?.trim() || undefined;
  try {
    const options = optionsFromEnvironment({ ...env, GENOPS_POLICY: undefined }, dir);
    // An OTLP preset (`{ otlp: { preset } }`) needs the same packages as plain OTLP.
    exporter ??= typeof options.exporter === 'object' ? 'otlp' : options.exporter;
  } catch (error) {
    if (!ConfigError.isInstance(error)) throw error;
    checks.push({ area: 'environment', status: 'problem', message: error.message });
  }
  // The mode init() would use (docs/egress.md); a bad GENOPS_EGRESS is reported by the environment check.
  let egress: string;
  try {
    egress = resolveEgress(undefined, env).mode;
  } catch (error) {
    if (!ConfigError.isInstance(error)) throw error;
    egress = env.GENOPS_EGRESS?.trim() ?? '';
  }
  checks.push({
    area: 'egress',
    status: 'info',
    message: `mode ${egress}: model requests outside the adapters are ${egress === 'off' ? 'only reported (a warning on the first one)' : `handled by egress: '${egress}'`}`,
  });
  if (exporter === undefined || exporter === 'none') {
    checks.push({
      area: 'exporter',
      status: 'info',
      message: `${exporter ?? 'none set'}: GenOps uses the app's OpenTelemetry providers, if it registers any`,
    });
    return checks;
  }
  if (exporter !== 'console' && exporter !== 'otlp') {
    checks.push({
      area: 'exporter',
      status: 'problem',
      message: `GENOPS_EXPORTER="${exporter}" is not an exporter`,
      fix: 'set it to console, otlp or none',
    });
    return checks;
  }
  const missing = OTEL_PACKAGES[exporter].filter((name) => !installedFrom(dir, name));
  checks.push(
    missing.length === 0
      ? { area: 'exporter', status: 'ok', message: `${exporter}: its OpenTelemetry packages are installed` }
      : {
          area: 'exporter',
          status: 'problem',
          message: `${exporter} needs ${missing.join(', ')}, not installed in ${dir}`,
          fix: `npm install ${missing.join(' ')}`,
        },
  );
  return checks;
}
