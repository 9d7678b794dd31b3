// The GenOps gateway (@genops/gateway) in a process of its own, for the gateway benchmarks. Started with
// fork() and one JSON argument `{ upstream, store, module, parts, countPromises, heapProfile }`: the fake
// upstream's base URL; a GenOps store setting, none for the memory store; the gateway's entry module to
// load instead of @genops/gateway's, for a paired A/B of two builds; for a breakdown
// (../gateway-breakdown.mjs), `parts` `{ audit: false, spans: false, metrics: false }` switches that part
// off as benchmarks/hot-path-breakdown.mjs does, `countPromises` counts the promises made (`'stacks'`:
// and prints where at exit), `heapProfile` writes a sampling heap profile (collected objects included)
// to that file. It sends `{ url }` once it listens, answers a `stats` message with
// `{ stats: { cpuMicros, allocatedBytes, spans, promises? } }` (its CPU time and heap allocation since
// it listened, ./process-stats.mjs, and the spans recorded), and closes the gateway gracefully and exits
// when its parent disconnects.
//
// Governance is what a platform team would configure, the same as every other benchmark's
// (../../lib/workload.mjs): an org-wide daily budget, a per-team budget, a model allow-list, one span
// per call into the recording providers of @genops/testing, metrics, the audit trail.
import { createTestTelemetry } from '@genops/testing';
import { startHeapProfile } from '../../lib/heap-profile.mjs';
import { governanceOptions } from '../../lib/workload.mjs';
import { startProcessStats, startPromiseCount } from './process-stats.mjs';

/** The in-memory exporter keeps every span until reset: drained this often, off the calls' path. */
const SPAN_DRAIN_MS = 250;

const { upstream, store, module, parts = {}, heapProfile, countPromises } = JSON.parse(process.argv[2]);
const { startGateway } = await import(module ?? '@genops/gateway');
const telemetry = createTestTelemetry({ serviceName: 'gateway-bench' });
let spans = 0;
const drainSpans = () => {
  spans += telemetry.spans().length;
  telemetry.resetSpans();
};
setInterval(drainSpans, SPAN_DRAIN_MS).unref();

const gateway = await startGateway({
  host: '127.0.0.1',
  port: 0,
  upstreams: { openai: { baseUrl: upstream, apiKey: 'sk-upstream' } },
  virtualKeys: [
    { key: 'gk-bench', name: 'bench', attribution: { team: 'bench', project: 'overhead', environment: 'benchmark' } },
  ],
  genops: await withParts(governanceOptions(telemetry, store ? { store } : {}), parts),
});

/** The governance options with the parts `parts` names switched off (spans: a tracer that records nothing). */
async function withParts(options, { audit = true, spans = true, metrics = true }) {
  const api = await import('@opentelemetry/api');
  return {
    ...options,
    ...(audit ? {} : { audit: false }),
    ...(spans ? {} : { tracerProvider: { getTracer: () => new api.ProxyTracerProvider().getTracer('noop') } }),
    ...(metrics ? {} : { meterProvider: { getMeter: () => api.createNoopMeter() } }),
  };
}

process.on('message', async (message) => {
  if (message !== 'stats') return;
  await heap?.stop();
  await telemetry.flush();
  drainSpans();
  process.send?.({ stats: { ...stats.read(), spans, ...(promiseHook ? { promises: promiseHook.count() } : {}) } });
});
process.on('disconnect', async () => {
  await gateway.close();
  await telemetry.shutdown();
  process.exit(0);
});
const heap = heapProfile ? await startHeapProfile(heapProfile) : undefined;
const promiseHook = countPromises ? await startPromiseCount(countPromises === 'stacks') : undefined;
const stats = startProcessStats();
process.send?.({ url: `${gateway.url}/v1` });
