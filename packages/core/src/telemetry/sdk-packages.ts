// The OpenTelemetry packages each built-in `exporter` needs, checked all at once before any is loaded,
// so a missing set is named in one error with one install command (not one round trip per package).
import { ConfigError } from '../errors/config-error';
import { requireFrom } from '../require-from';

/** The exporters GenOps can set up itself. */
export type SdkExporter = 'console' | 'otlp' | 'prometheus';

const BASE = ['@opentelemetry/sdk-trace', '@opentelemetry/sdk-metrics', '@opentelemetry/resources'] as const;

/** Packages per exporter, with the versions GenOps is tested with (OpenTelemetry JS 3.x / 0.301.x). */
export const SDK_PACKAGES: Readonly<Record<SdkExporter, readonly string[]>> = {
  console: BASE,
  otlp: [...BASE, '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/exporter-metrics-otlp-http'],
  prometheus: [...BASE, '@opentelemetry/exporter-prometheus'],
};

/** The version range to install each package with. */
const RANGES: Readonly<Record<string, string>> = {
  '@opentelemetry/sdk-trace': '^3.1.0',
  '@opentelemetry/sdk-metrics': '^3.1.0',
  '@opentelemetry/resources': '^3.1.0',
  '@opentelemetry/exporter-trace-otlp-http': '>=0.301.0',
  '@opentelemetry/exporter-metrics-otlp-http': '>=0.301.0',
  '@opentelemetry/exporter-prometheus': '>=0.301.0',
};

/** The one command that installs `packages` (npm; pnpm and yarn take the same arguments to `add`). */
export function installCommand(packages: readonly string[]): string {
  return `npm install ${packages.map((name) => `'${name}@${RANGES[name] ?? 'latest'}'`).join(' ')}`;
}

/**
 * Throws one {@link ConfigError} (path `exporter`) naming every package `exporter` needs that cannot be
 * resolved from `from` (a file URL or path), with the command that installs them all.
 */
export function requireSdkPackages(exporter: SdkExporter, from: string | URL, path = 'exporter'): void {
  const require = requireFrom(from);
  const missing: string[] = [];
  let cause: unknown;
  for (const name of SDK_PACKAGES[exporter]) {
    try {
      require.resolve(name);
    } catch (error) {
      missing.push(name);
      cause ??= error;
    }
  }
  if (missing.length === 0) return;
  throw new ConfigError({
    path,
    message: `exporter "${exporter}" needs ${missing.length === 1 ? 'the package' : `${missing.length} packages that are`} not installed: ${missing.join(', ')}`,
    expected: `\`${installCommand(missing)}\`, or exporter: 'none' with your own OpenTelemetry setup`,
    received: exporter,
    cause,
  });
}
