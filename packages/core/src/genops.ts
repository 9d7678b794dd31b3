import { resolve as resolvePath } from 'node:path';
import { diag, type MeterProvider, metrics, type TracerProvider, trace } from '@opentelemetry/api';
import {
  adapterRegistry,
  currentGovernor,
  discoverAdapters,
  enableAdapter,
  type GenOpsAdapter,
  setCurrentGovernor,
} from './adapters';
import type { Approvals } from './approval/approvals';
import { AuditTrail, auditTrailOptions, getAuditLogger } from './audit/audit-trail';
import { readLastAuditRecordSync } from './audit/jsonl';
import { parseBudgetKey, ROLLING_PERIOD } from './budget/budget-set';
import { currentPeriod } from './budget/window';
import { type GenOpsOptions, parseOptions, type ResolvedOptions } from './config';
import {
  type Coverage,
  CoverageMonitor,
  checkInstalls,
  coverageReport,
  egressCoverage,
  findSdkInstalls,
  governingAdapters,
  installWarning,
  printCoverageWarning,
} from './coverage';
import { egressStatus, installEgress, uninstallEgress } from './egress/egress';
import { ConfigError } from './errors/config-error';
import { esmBuildsPatched } from './esm-builds';
import { Governor } from './governor';
import { nanosToUsd } from './money';
import { afterSettlements, drainPending, settlementsDone } from './pipeline/deferred';
import { settleUnsettledAtExit } from './pipeline/unsettled';
import { type CompiledPolicy, compilePolicy, EMPTY_POLICY } from './policy/compile';
import { loadPolicyFileSync, parsePolicyObject } from './policy/load';
import { watchPolicyFile } from './policy/watch';
import { PRICE_FILES } from './pricing/data/index';
import { resolveUserPrices } from './pricing/load-prices';
import { PriceTable } from './pricing/price-table';
import type { ModelPrice } from './pricing/types';
import { requireFrom } from './require-from';
import { MemoryStore } from './store/memory-store';
import { openStoreUrl } from './store/open-store';
import type { GovernanceStore } from './store/types';
import { createDecisionLogEmitter, withDecisionLogs } from './telemetry/decision-log';
import { observeGovernance, readGovernanceSnapshot } from './telemetry/governance-gauges';
import { createInstruments } from './telemetry/instruments';
import { measureStore } from './telemetry/measured-store';
import { type OtlpExporterOptions, otlpPresetFromEnv, resolveOtlpTarget } from './telemetry/otlp-presets';
import { createPresetExporters } from './telemetry/otlp-presets-sdk';
import { type PrometheusOptions, setUpPrometheus } from './telemetry/prometheus';
import { requireSdkPackages } from './telemetry/sdk-packages';
import { VERSION } from './version';

/** One row of the budget table: a budget instance (a `per` value in a window period). */
export interface BudgetStatus {
  budget: string;
  /** The `per` values of this instance, e.g. `{ team: 'engineering' }`; empty for a shared budget. */
  per: Record<string, string>;
  period: string;
  unit: 'USD' | 'tokens' | 'requests';
  limit: number;
  used: number;
  reserved: number;
  remaining: number;
  /** `Active`, `Warning` (at or above the first warnAt threshold) or `Exceeded` (nothing left). */
  status: 'Active' | 'Warning' | 'Exceeded';
}

export interface GenOpsStatus {
  store: string;
  budgets: BudgetStatus[];
  openReservations: number;
  /** Adapters that govern the app's SDK copy (one whose SDK sent a request outside GenOps is not listed). */
  adapters: string[];
  /** What GenOps governs: SDK installs found and patched or not, requests seen outside GenOps, egress mode (docs/zero-code.md). */
  coverage: Coverage;
}

/** The handle `GenOps.init()` returns. */
export interface GenOpsHandle {
  readonly governor: Governor;
  /** Approve or deny held calls; any process sharing the store sees the decision. */
  readonly approvals: Approvals;
  /**
   * Resolves once every SDK instance GenOps can reach is patched. Under tsx the instance the app
   * imports is patched a moment after `init()` returns; `await genops.ready` before the first call
   * (the `--import @genops/core/register` entry waits for it itself).
   */
  readonly ready: Promise<void>;
  /** Version (content hash) of the policy in force. */
  readonly policyVersion: string;
  /** Waits until every audit record so far is in the store (and the audit file). */
  flushAudit(): Promise<void>;
  /**
   * Records now the span and metric telemetry of calls that already returned (GenOps records it right
   * after each call's result is returned), then waits for the audit records as {@link flushAudit} does.
   */
  flush(): Promise<void>;
  /** Budget usage and open reservations, for dashboards and the demo table. */
  status(): Promise<GenOpsStatus>;
  /** Turns adapters off, flushes and shuts down telemetry GenOps set up itself, closes the store. */
  shutdown(): Promise<void>;
}

interface ShutdownTarget {
  shutdown(): Promise<void>;
}

// The running instance, shared by every copy of `@genops/core` in the process (as the governor is): a
// Next.js route bundled with its own copy sees the instance `instrumentation.ts` started.
const ACTIVE_KEY = Symbol.for('genops.active');
/**
 * How long audit records wait to be hashed and appended, for every store: the records of the calls made
 * meanwhile go in one write (SQLite) or round trip (Redis), and a batch is hashed for far less per record
 * than one call's two records at a time (the code and buffers stay in cache). `flush()` and `shutdown()`
 * still wait for every record.
 */
const AUDIT_FLUSH_MS = 10;
type ActiveSlot = { [ACTIVE_KEY]?: { handle: GenOpsHandle; owned: ShutdownTarget[] } | undefined };
const activeSlot = globalThis as ActiveSlot;

function init(options: GenOpsOptions = {}): GenOpsHandle {
  const resolved = parseOptions(options);
  // The policy: a file (watched and reloaded atomically), an object in code, or only init options.
  let governorRef: Governor | undefined;
  let watcher: { close(): void; readonly current: CompiledPolicy } | undefined;
  let policy: CompiledPolicy;
  if (typeof resolved.policy === 'string') {
    const file = resolvePath(resolved.policy);
    if (resolved.watchPolicy) {
      watcher = watchPolicyFile(file, {
        compile: (document) => compilePolicy(document, resolved),
        onChange: (compiled) => governorRef?.setPolicy(compiled, file),
        onError: (error) => reportPolicyError(resolved, error),
      });
      policy = watcher.current;
    } else {
      policy = compilePolicy(loadPolicyFileSync(file), resolved);
    }
  } else if (resolved.policy) {
    policy = compilePolicy(parsePolicyObject(resolved.policy, 'GenOps.init({ policy })'), resolved);
  } else {
    policy = compilePolicy(EMPTY_POLICY, resolved);
  }
  const active = activeSlot[ACTIVE_KEY];
  if (active) {
    diag.warn('genops: GenOps.init() called again; the previous configuration is replaced');
    void active.handle.shutdown();
  }
  const owned: ShutdownTarget[] = [];
  const exporter = resolved.exporter ?? exporterFromEnv();
  let tracerProvider = resolved.tracerProvider as TracerProvider | undefined;
  let meterProvider = resolved.meterProvider as MeterProvider | undefined;
  let sdkLoggerProvider: unknown;
  if (exporter !== 'none' && exporter !== undefined && (!tracerProvider || !meterProvider)) {
    const sdk = setUpSdk(
      exporter,
      resolved.serviceName ?? process.env.OTEL_SERVICE_NAME ?? 'genops-app',
      resolved.prometheus,
    );
    tracerProvider ??= sdk.tracerProvider;
    meterProvider ??= sdk.meterProvider;
    sdkLoggerProvider = sdk.loggerProvider;
    owned.push(...sdk.owned);
  }
  const tracer = (tracerProvider ?? trace.getTracerProvider()).getTracer('@genops/core', VERSION);
  const meter = (meterProvider ?? metrics.getMeterProvider()).getMeter('@genops/core', VERSION);
  const instruments = createInstruments(meter);
  const storeSpec = resolved.store ?? (process.env.GENOPS_STORE?.trim() || undefined);
  const store: GovernanceStore =
    storeSpec === undefined
      ? new MemoryStore()
      : typeof storeSpec === 'string'
        ? openStoreUrl(storeSpec, resolved.store === undefined ? 'GENOPS_STORE' : 'store')
        : storeSpec;
  // With the in-process store, an audit file from an earlier run is continued, not restarted at seq 1.
  const auditFile = resolved.audit === false ? undefined : resolved.audit?.file;
  if (auditFile && store instanceof MemoryStore) {
    const tip = readLastAuditRecordSync(resolvePath(auditFile));
    if (tip) store.continueAuditChain(tip);
  }
  const audit =
    resolved.audit === false
      ? undefined
      : new AuditTrail({
          store,
          logger: getAuditLogger(resolved.loggerProvider ?? sdkLoggerProvider),
          ...(resolved.audit?.file ? { file: resolvePath(resolved.audit.file) } : {}),
          ...auditTrailOptions(resolved.audit),
          // Several calls' records in one batch, off the calls' path (flush() waits for them).
          flushIntervalMs: AUDIT_FLUSH_MS,
        });
  const userPrices = resolveUserPrices(
    resolved.prices as string | Record<string, Record<string, ModelPrice>> | undefined,
  );
  const prices = new PriceTable(PRICE_FILES, userPrices.prices, userPrices.origin);
  const captureContent = resolved.captureContent ?? envBool('GENOPS_CAPTURE_CONTENT') ?? false;
  // Opt-in: every decision and settlement also as an OpenTelemetry log record (telemetry/decision-log.ts).
  const decisionLog = resolved.decisionLogs
    ? createDecisionLogEmitter(resolved.loggerProvider ?? sdkLoggerProvider)
    : undefined;
  const governor = new Governor({
    options: decisionLog ? withDecisionLogs(resolved, decisionLog) : resolved,
    policy,
    audit,
    // Store latency and failures (genops.store.*); the in-process memory store is not wrapped.
    store: measureStore(store, instruments),
    prices,
    tracer,
    instruments,
    captureContent,
  });
  governorRef = governor;
  // A sent call nobody ended settles at its reservation by the time the process exits.
  const removeExitHooks = settleUnsettledAtExit(governor.unsettled, governor.journal);
  const enabled: GenOpsAdapter[] = [];
  setCurrentGovernor(governor);
  const explicit = (options.adapters ?? []) as GenOpsAdapter[];
  for (const adapter of explicit) adapterRegistry().set(adapter.name, adapter);
  // autoInstrument: every installed or imported adapter governs its SDK; otherwise only those listed.
  if (resolved.autoInstrument) discoverAdapters();
  for (const adapter of resolved.autoInstrument ? adapterRegistry().values() : explicit)
    if (enableAdapter(adapter)) enabled.push(adapter);
  // An adapter package imported after init() joins in, and is turned off again by shutdown().
  setCurrentGovernor(governor, (adapter) => {
    if (resolved.autoInstrument && enableAdapter(adapter)) enabled.push(adapter);
  });
  // Egress governance: provider requests no governed unit made (docs/egress.md).
  const egressState = installEgress(resolved.egress);
  // Never silent: which SDK installs are governed, checked now, and model requests outside GenOps, on first use.
  const egress = egressCoverage(egressState);
  const monitor = new CoverageMonitor(egress);
  const adapterState = () => ({
    registered: [...adapterRegistry().keys()],
    enabled: enabled.map((adapter) => adapter.name),
    autoInstrument: resolved.autoInstrument,
  });
  const warning = installWarning(checkInstalls(findSdkInstalls(), adapterState()));
  if (warning) printCoverageWarning(warning);

  const handle: GenOpsHandle = {
    governor,
    approvals: governor.approvals,
    get policyVersion() {
      return governor.currentPolicy.version;
    },
    ready: esmBuildsPatched(),
    // Settlements still completing in the background (a store outside the process) come first: their
    // audit records, spans and the budget state they leave are what these read or wait for.
    flushAudit: () => afterSettlements(() => audit?.flush() ?? Promise.resolve()),
    flush() {
      drainPending();
      return afterSettlements(() => {
        // What the settlements that just completed recorded.
        drainPending();
        return audit?.flush() ?? Promise.resolve();
      });
    },
    status: () =>
      afterSettlements(() =>
        status(governor, governingAdapters(enabled, monitor), () =>
          coverageReport(monitor, adapterState(), egressCoverage(egressStatus())),
        ),
      ),
    async shutdown() {
      if (activeSlot[ACTIVE_KEY]?.handle !== handle) return;
      activeSlot[ACTIVE_KEY] = undefined;
      watcher?.close();
      monitor.stop();
      uninstallEgress();
      if (currentGovernor() === governor) setCurrentGovernor(undefined);
      for (const adapter of enabled) {
        try {
          adapter.disable();
        } catch (error) {
          diag.warn(`genops: adapter ${adapter.name} could not be disabled`, error);
        }
      }
      // Calls still open were sent (or dropped before sending): settle them before the audit closes.
      await governor.unsettled.abandonAll('shutdown');
      await settlementsDone();
      // Telemetry of the calls that returned (and were just settled) goes out before the providers close.
      drainPending();
      removeExitHooks();
      if (audit) await audit.close();
      // Last chance for journaled settlements; what remains stays in the journal file, if one is set.
      await governor.journal.replay();
      governor.journal.close();
      await Promise.allSettled(owned.map((target) => target.shutdown()));
      await store.close();
    },
  };
  // Budget, reservation and approval gauges, read from the store at each collection (docs/metrics.md).
  const gauges = observeGovernance(meter, () => readGovernanceSnapshot(handle.status, governor.store), {
    customers: resolved.metrics?.customers === true,
    ...(resolved.metrics?.storeTimeoutMs !== undefined ? { timeoutMs: resolved.metrics.storeTimeoutMs } : {}),
    failures: instruments.storeFailures,
    storeKind: store.kind,
  });
  owned.push({ shutdown: async () => gauges.stop() });
  activeSlot[ACTIVE_KEY] = { handle, owned };
  return handle;
}

async function status(governor: Governor, adapters: string[], coverage: () => Coverage): Promise<GenOpsStatus> {
  const lines = await governor.store.lines();
  const budgets: BudgetStatus[] = [];
  for (const budget of governor.budgets) {
    const warnAt = budget.warnAt[0] ?? 0.8;
    // The current window only: yesterday's counters are history, not budget left.
    const period =
      budget.window.kind === 'rolling'
        ? ROLLING_PERIOD
        : currentPeriod(budget.window.window, Date.now(), budget.window.timeZone).id;
    const instances = lines.filter((line) => line.key.startsWith(`${budget.name}|`) && line.key.endsWith(`|${period}`));
    if (instances.length === 0 && budget.per.length === 0) {
      // A shared budget nobody has used yet still shows, with its full limit.
      instances.push({
        key: `${budget.name}||${period}`,
        budget: budget.name,
        unit: budget.unit,
        limit: budget.limit,
        used: 0,
        reserved: 0,
      });
    }
    for (const line of instances) {
      const { per, period } = parseBudgetKey(line.key);
      const value = (amount: number) => (line.unit === 'USD' ? nanosToUsd(amount) : amount);
      const remaining = line.limit - line.used - line.reserved;
      budgets.push({
        budget: budget.name,
        per,
        period,
        unit: line.unit,
        limit: value(line.limit),
        used: value(line.used),
        reserved: value(line.reserved),
        remaining: value(remaining),
        status: line.used >= line.limit ? 'Exceeded' : line.used >= line.limit * warnAt ? 'Warning' : 'Active',
      });
    }
  }
  return {
    store: governor.store.kind,
    budgets,
    openReservations: await governor.store.openReservations(),
    adapters,
    coverage: coverage(),
  };
}

function reportPolicyError(options: ResolvedOptions, error: Error): void {
  diag.error(`genops: the policy file could not be reloaded; the last good policy stays in force. ${error.message}`);
  const hook = options.onPolicyError;
  if (!hook) return;
  try {
    hook(error);
  } catch (hookError) {
    diag.warn('genops: onPolicyError threw (ignored)', hookError);
  }
}

function exporterFromEnv(): 'console' | 'otlp' | 'prometheus' | 'none' | { otlp: OtlpExporterOptions } | undefined {
  const value = process.env.GENOPS_EXPORTER;
  // GENOPS_OTLP_PRESET=<platform> (telemetry/otlp-presets.ts): OTLP to that platform.
  const preset = otlpPresetFromEnv();
  if (preset && (value === undefined || value === '' || value === 'otlp')) return { otlp: preset };
  if (value === undefined || value === '') return undefined;
  if (value === 'console' || value === 'otlp' || value === 'prometheus' || value === 'none') return value;
  throw new ConfigError({
    path: 'GENOPS_EXPORTER',
    message: `got "${value}"`,
    expected: '"console", "otlp", "prometheus" or "none"',
    received: value,
  });
}

function envBool(name: string): boolean | undefined {
  const value = process.env[name]?.trim().toLowerCase();
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  diag.warn(`genops: ignoring ${name}="${value}" (expected true or false)`);
  return undefined;
}

/**
 * Sets up an OpenTelemetry SDK for traces and metrics, and registers it globally, but only when no
 * provider is registered yet: an app that already configured OpenTelemetry keeps its own.
 */
function setUpSdk(
  exporter: 'console' | 'otlp' | 'prometheus' | { otlp: OtlpExporterOptions },
  serviceName: string,
  prometheusOptions?: PrometheusOptions,
): {
  tracerProvider?: TracerProvider;
  meterProvider?: MeterProvider;
  loggerProvider?: unknown;
  owned: ShutdownTarget[];
} {
  // Every missing package at once, with one install command (telemetry/sdk-packages.ts). A platform
  // preset loads its own exporter packages (telemetry/otlp-presets-sdk.ts).
  requireSdkPackages(typeof exporter === 'object' ? 'console' : exporter, import.meta.url);
  const require = requireFrom(import.meta.url);
  const label =
    typeof exporter === 'string' ? exporter : `otlp${exporter.otlp.preset ? ` (${exporter.otlp.preset})` : ''}`;
  const load = <T>(name: string): T => {
    try {
      return require(name) as T;
    } catch (cause) {
      throw new ConfigError({
        path: 'exporter',
        message: `exporter "${label}" needs the package ${name}, which is not installed`,
        expected: `\`npm install ${name}\` or exporter: 'none' with your own OpenTelemetry setup`,
        received: label,
        cause,
      });
    }
  };
  const traceSdk = load<typeof import('@opentelemetry/sdk-trace')>('@opentelemetry/sdk-trace');
  const metricsSdk = load<typeof import('@opentelemetry/sdk-metrics')>('@opentelemetry/sdk-metrics');
  const resources = load<typeof import('@opentelemetry/resources')>('@opentelemetry/resources');
  const resource = resources.resourceFromAttributes({ 'service.name': serviceName });
  if (exporter === 'prometheus')
    return setUpPrometheus(
      metricsSdk,
      load<typeof import('@opentelemetry/exporter-prometheus')>('@opentelemetry/exporter-prometheus'),
      resource,
      prometheusOptions,
    );
  const owned: ShutdownTarget[] = [];
  let spanExporter: import('@opentelemetry/sdk-trace').SpanExporter;
  let metricExporter: import('@opentelemetry/sdk-metrics').PushMetricExporter | undefined;
  let logExporter: import('@opentelemetry/sdk-logs').LogRecordExporter | undefined;
  if (typeof exporter === 'object') {
    // A platform preset (telemetry/otlp-presets.ts): its URLs, headers and encoding per signal.
    ({ spanExporter, metricExporter, logExporter } = createPresetExporters(resolveOtlpTarget(exporter.otlp), load));
  } else if (exporter === 'console') {
    spanExporter = new traceSdk.ConsoleSpanExporter();
    metricExporter = new metricsSdk.ConsoleMetricExporter();
  } else {
    spanExporter = new (load<typeof import('@opentelemetry/exporter-trace-otlp-http')>(
      '@opentelemetry/exporter-trace-otlp-http',
    ).OTLPTraceExporter)();
    metricExporter = new (load<typeof import('@opentelemetry/exporter-metrics-otlp-http')>(
      '@opentelemetry/exporter-metrics-otlp-http',
    ).OTLPMetricExporter)();
  }
  const result: {
    tracerProvider?: TracerProvider;
    meterProvider?: MeterProvider;
    loggerProvider?: unknown;
    owned: ShutdownTarget[];
  } = { owned };
  const tracerProvider = new traceSdk.TracerProvider({
    resource,
    spanProcessors: [
      exporter === 'console'
        ? new traceSdk.SimpleSpanProcessor({ exporter: spanExporter })
        : new traceSdk.BatchSpanProcessor({ exporter: spanExporter }),
    ],
  });
  if (trace.setGlobalTracerProvider(tracerProvider)) {
    result.tracerProvider = tracerProvider;
    owned.push(tracerProvider);
  } else {
    void tracerProvider.shutdown();
  }
  // No metric exporter: a preset whose platform takes no OTLP metrics (Jaeger).
  const meterProvider = metricExporter
    ? new metricsSdk.MeterProvider({
        resource,
        readers: [
          new metricsSdk.PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 }),
        ],
      })
    : undefined;
  if (meterProvider && metrics.setGlobalMeterProvider(meterProvider)) {
    result.meterProvider = meterProvider;
    owned.push(meterProvider);
  } else {
    void meterProvider?.shutdown();
  }
  if (logExporter) {
    // A preset with `logs: true`: audit (and decision) log records to the platform's logs endpoint.
    const logsSdk = load<typeof import('@opentelemetry/sdk-logs')>('@opentelemetry/sdk-logs');
    const loggerProvider = new logsSdk.LoggerProvider({
      resource,
      processors: [new logsSdk.BatchLogRecordProcessor({ exporter: logExporter })],
    });
    result.loggerProvider = loggerProvider;
    owned.push(loggerProvider);
  }
  return result;
}

/**
 * GenOps: runtime authority control for AI calls.
 *
 * @example
 * GenOps.init({ dailyBudgetLimit: 100, requireApprovalOver: 50, enablePolicyEnforcement: true });
 */
export const GenOps = {
  init,
  /** The running instance's handle, if `init()` was called. */
  get current(): GenOpsHandle | undefined {
    return activeSlot[ACTIVE_KEY]?.handle;
  },
  version: VERSION,
};
