// A sampling heap profile of a benchmark process (hot-path-breakdown.mjs, gateway/gateway-breakdown.mjs's
// gateway processes): every allocation sampled, collected objects included, so that short-lived garbage
// shows where it is made. Open the file in Chrome DevTools, or sum `selfSize` by call frame.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** Starts sampling; `stop()` writes the profile to `file`. */
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
    },
  };
}
