// `genops metrics`: serves the shared store's budget, reservation and approval gauges on a Prometheus
// endpoint, for a fleet: one scrape target that reports what every process sharing the store agrees
// on, with the same metric names and attributes as an app's `exporter: 'prometheus'` (docs/prometheus.md).

import {
  createInstruments,
  DEFAULT_PROMETHEUS_HOST,
  DEFAULT_PROMETHEUS_PORT,
  measureStore,
  observeGovernance,
  readGovernanceSnapshot,
  readingFromLine,
} from '@genops/core/internal';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { type Command, InvalidArgumentError } from 'commander';
import { CliError, EXIT_OK } from '../errors';
import type { CliIo, CommandContext } from '../io';
import { runCommandGroup } from '../program';
import { STORE_OPTION_HELP, withStore } from '../store';
import { VERSION } from '../version';
import { loadStatusPolicy, readStatus } from './status';

interface MetricsOptions {
  store?: string;
  policy?: string;
  host: string;
  port: number;
  customers?: boolean;
}

/** Adds `genops metrics` to `program`. */
export function registerMetricsCommands(program: Command, context: CommandContext): void {
  program
    .command('metrics')
    .description("serve the store's budget gauges on a Prometheus endpoint (for a fleet), until Ctrl-C")
    .option('--store <url>', STORE_OPTION_HELP)
    .option('--policy <file>', 'the policy file: current periods of its budgets (else the newest period of each)')
    .option('--host <host>', 'interface to listen on (0.0.0.0 for every interface)', DEFAULT_PROMETHEUS_HOST)
    .option('--port <port>', 'port to listen on', parsePort, DEFAULT_PROMETHEUS_PORT)
    .option('--customers', 'genops.customer_id on the gauges of per-customer budgets (unbounded: off by default)')
    .addHelpText(
      'after',
      `
Serves http://<host>:<port>/metrics: genops_budget_limit, _used, _reserved, _remaining, _utilization,
genops_reservations_open, genops_approvals_pending, read from the store at each scrape, and
genops_store_failures_total{genops_store_operation="collect"} when the store cannot be read.

Examples:
  $ genops metrics --store redis://127.0.0.1:6379 --policy genops.policy.yaml
  $ genops metrics --store sqlite:./.genops/state.db --port 9465`,
    )
    .action(async (options: MetricsOptions) => {
      context.exitCode = await serveMetrics(options, context);
    });
}

/** Runs `genops metrics <argv...>`; resolves to the exit code once `io.signal` aborts. */
export function runMetricsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommandGroup(['metrics', ...argv], io, [registerMetricsCommands]);
}

export function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value.trim())) throw new InvalidArgumentError('expected a port number from 1 to 65535');
  const port = Number(value);
  if (port < 1 || port > 65_535) throw new InvalidArgumentError('expected a port number from 1 to 65535');
  return port;
}

/** `genops metrics`: the endpoint until `context.io.signal` aborts (Ctrl-C). */
export async function serveMetrics(options: MetricsOptions, context: CommandContext): Promise<number> {
  const loaded = await loadStatusPolicy(options.policy, context);
  if ('exitCode' in loaded) return loaded.exitCode;
  return withStore(options.store, context, async (opened) => {
    // The first read must work: a wrong URL is an error now, not an empty endpoint.
    await readStatus(opened, loaded.policy, context.now());
    const exporter = new PrometheusExporter({ host: options.host, port: options.port, preventServerStart: true });
    const meterProvider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'genops-metrics' }),
      readers: [exporter],
    });
    try {
      await exporter.startServer();
    } catch (error) {
      await meterProvider.shutdown().catch(() => undefined);
      throw new CliError(
        `cannot listen on ${options.host}:${options.port}: ${(error as Error).message}. Pass another --port, or stop what uses it.`,
      );
    }
    const meter = meterProvider.getMeter('@genops/cli', VERSION);
    const instruments = createInstruments(meter);
    const store = measureStore(opened.store, instruments);
    const gauges = observeGovernance(
      meter,
      () =>
        readGovernanceSnapshot(async () => {
          const report = await readStatus({ ...opened, store }, loaded.policy, context.now());
          return { budgets: report.budgets.map(readingFromLine), openReservations: report.openReservations };
        }, store),
      { customers: options.customers === true, failures: instruments.storeFailures, storeKind: opened.kind },
    );
    const { io } = context;
    io.stdout.write(
      `${context.out.bold('genops metrics')} serving http://${options.host}:${options.port}/metrics ` +
        `${context.out.dim(`· store ${opened.url} (${opened.kind}) · Ctrl-C to stop`)}\n`,
    );
    // The exporter's server does not keep the process alive (it is unref'd): this timer does, until Ctrl-C.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    try {
      await new Promise<void>((resolve) => {
        const { signal } = io;
        if (!signal) return; // No way to stop: serve until the process ends.
        if (signal.aborted) return resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      clearInterval(keepAlive);
      gauges.stop();
      await meterProvider.shutdown().catch(() => undefined);
    }
    return EXIT_OK;
  });
}
