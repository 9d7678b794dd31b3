// A real Prometheus (the Debian package) for the tests: found on PATH (or PROMETHEUS_BIN / PROMTOOL_BIN),
// else installed with apt-get as root, as the Redis tests do for redis-server; started on 127.0.0.1 and
// a free port with a config written for the test, and stopped with the test file.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable, findOrInstallDebianPackage } from '@genops/testing';

/** How long installing Prometheus with apt may take. */
export const PROMETHEUS_INSTALL_TIMEOUT_MS = 300_000;

/** `prometheus` and `promtool`, installed with apt when missing (one installer at a time across test workers). */
export function findOrInstallPrometheus(): { prometheus: string; promtool: string } {
  return findOrInstallDebianPackage({
    package: 'prometheus',
    find: () => {
      const prometheus = findExecutable('prometheus', process.env.PROMETHEUS_BIN);
      const promtool = findExecutable('promtool', process.env.PROMTOOL_BIN);
      return prometheus && promtool ? { prometheus, promtool } : undefined;
    },
    otherwise: 'point PROMETHEUS_BIN and PROMTOOL_BIN at the binaries (macOS: `brew install prometheus`)',
    timeoutMs: PROMETHEUS_INSTALL_TIMEOUT_MS,
  });
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningPrometheus {
  readonly url: string;
  /** Runs an instant PromQL query; the result vector (or matrix) of the answer. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  stop(): Promise<void>;
}

/** Starts `prometheus` scraping `targets` every second, with `ruleFiles` loaded. */
export async function startPrometheus(
  binary: string,
  options: { targets: string[]; ruleFiles: string[] },
): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'genops-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      ...options.ruleFiles.map((file) => `  - ${JSON.stringify(file)}`),
      'scrape_configs:',
      '  - job_name: genops',
      '    static_configs:',
      `      - targets: ${JSON.stringify(options.targets)}`,
    ].join('\n'),
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (attempt > 150) throw new Error(`prometheus did not become ready within 30 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    async query(expr) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await response.json()) as { status: string; error?: string; data?: { result: unknown } };
      if (body.status !== 'success') throw new Error(`query failed: ${expr}: ${body.error}`);
      return body.data!.result as Array<{ metric: Record<string, string>; value: [number, string] }>;
    },
    async stop() {
      process.off('exit', kill);
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(kill, 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
