// A sampling heap profile of a benchmark process (hot-path-breakdown.mjs, gateway/gateway-breakdown.mjs's
// gateway processes): every allocation sampled, collected objects included, so that short-lived garbage
// shows where it is made. Open the file in Chrome DevTools, or sum `selfSize` by call frame.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** Starts sampling; `stop()` writes the profile to `file` and returns it. */
export async function startHeapProfile(file) {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return {
    async stop() {
      const { profile } = await session.post('HeapProfiler.stopSampling');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      return profile;
    },
  };
}

/**
 * Who allocated what in a profile returned by {@link startHeapProfile}'s `stop()`, in bytes per call (`calls` made
 * while it sampled): each sampled allocation goes to the first of these that its stack holds, from the
 * allocating frame outwards:
 * - `opentelemetry`: a call into an `@opentelemetry/*` package (the SDK's own work on GenOps' behalf, or
 *   on an instrumentation's, whichever code allocated in it);
 * - `genops`: a frame of GenOps' code (`packages/*` of this repository but the test harness, built or
 *   not), allocating itself;
 * - `other`: everything else (Node.js, undici, the SDK, the benchmark), which runs in every variant.
 * The `genops` share counts GenOps' own frames only: the runtime objects GenOps' code creates through a
 * builtin (a `Promise`, a `Map`, a closure made by `bind`) count as `other`, as in DevTools' bottom-up view.
 */
export function allocationByOwner({ head }, calls) {
  const bytes = { opentelemetry: 0, genops: 0, other: 0 };
  const walk = (node, insideOpenTelemetry) => {
    const url = node.callFrame.url;
    const opentelemetry = insideOpenTelemetry || url.includes('/@opentelemetry/');
    if (node.selfSize > 0) {
      const owner = opentelemetry
        ? 'opentelemetry'
        : /\/packages\/(?!testing\/)[^/]+\/(dist|src)\//.test(url)
          ? 'genops'
          : 'other';
      bytes[owner] += node.selfSize;
    }
    for (const child of node.children) walk(child, opentelemetry);
  };
  walk(head, false);
  return { opentelemetry: bytes.opentelemetry / calls, genops: bytes.genops / calls, other: bytes.other / calls };
}
