import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index';
import { useRedisServer } from './redis-server';

const redis = useRedisServer();
const worker = fileURLToPath(new URL('./fixtures/reserve-worker.mjs', import.meta.url));
const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));

const PROCESSES = 4;
const CYCLES = 50;
const LIMIT = 10_000;
const AMOUNT = 300;

describe('RedisStore across processes', () => {
  it(`never overspends: ${PROCESSES} processes × ${CYCLES} concurrent reserve → settle cycles on one budget line`, async () => {
    if (!existsSync(built))
      throw new Error(`${built} is missing: build first (pnpm exec turbo run build --filter=@genops/store-redis...)`);
    const prefix = 'processes';
    const store = new RedisStore({ url: redis.url(), prefix });
    try {
      // Watch the line while the processes run: committed plus held never exceeds the limit.
      let watching = true;
      let samples = 0;
      let highest = 0;
      const watch = (async () => {
        while (watching) {
          const [line] = await store.lines('shared');
          if (line) {
            samples++;
            highest = Math.max(highest, line.used + line.reserved);
          }
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();

      const outcomes = await Promise.all(
        Array.from({ length: PROCESSES }, (_, index) =>
          runWorker([redis.url(), prefix, String(index), String(CYCLES), String(LIMIT), String(AMOUNT)]),
        ),
      );
      watching = false;
      await watch;

      const settled = outcomes.reduce((sum, outcome) => sum + outcome.settled, 0);
      const refused = outcomes.reduce((sum, outcome) => sum + outcome.refused, 0);
      const actual = outcomes.reduce((sum, outcome) => sum + outcome.actual, 0);
      const [line] = await store.lines('shared');

      if (process.env.GENOPS_TEST_VERBOSE) console.info({ settled, refused, actual, samples, highest, line });
      expect(settled + refused).toBe(PROCESSES * CYCLES);
      // 200 × 300 asked of a 10 000 line: at least 33 fit at once; the rest were refused, not overspent.
      expect(settled).toBeGreaterThanOrEqual(Math.floor(LIMIT / AMOUNT));
      expect(refused).toBeGreaterThan(0);
      expect(line).toMatchObject({ key: 'shared', limit: LIMIT, used: actual, reserved: 0 });
      expect(line!.used).toBeLessThanOrEqual(LIMIT);
      expect(highest).toBeLessThanOrEqual(LIMIT);
      expect(samples).toBeGreaterThan(0);
      expect(await store.openReservations()).toBe(0);
    } finally {
      await store.close();
    }
  }, 60_000);
});

function runWorker(args: string[]): Promise<{ settled: number; refused: number; actual: number }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [worker, ...args], { timeout: 50_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`worker ${args[2]} failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}
