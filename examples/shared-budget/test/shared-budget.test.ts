import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../src/run.mjs', import.meta.url));

describe('examples/shared-budget', () => {
  it('three processes share one SQLite budget and never spend past it', async () => {
    const env = { ...process.env };
    delete env.NODE_PATH;
    const { stdout } = await run(process.execPath, [script], { env, timeout: 60_000 });
    const ran = [...stdout.matchAll(/(\d+) calls ran, (\d+) refused/g)].map((match) => [
      Number(match[1]),
      Number(match[2]),
    ]);
    expect(ran).toHaveLength(3);
    const calls = ran.reduce((sum, [ok]) => sum + ok!, 0);
    // $0.00205 a call against $0.05: at most 24 calls can be paid for; the rest were refused before running.
    expect(calls).toBeLessThanOrEqual(24);
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(ran.reduce((sum, [ok, refused]) => sum + ok! + refused!, 0)).toBe(45);
    expect(stdout).toContain('$ genops status');
    expect(stdout).toMatch(/support/);
    expect(stdout).toMatch(/Warning|Active/);
    expect(stdout).not.toContain('Exceeded');
    const used = /\$(0\.\d+) · (\d+)%/.exec(stdout);
    expect(Number(used?.[1])).toBeCloseTo(calls * 0.00205, 6);
    expect(Number(used?.[2])).toBeLessThanOrEqual(100);
  });
});
