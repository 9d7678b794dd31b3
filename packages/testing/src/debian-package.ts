// Real servers and tools for tests (redis-server, prometheus, Chromium): found on the machine, or installed
// from Debian's packages with apt-get when the tests run as root on a system with apt (a clean CI machine),
// one installer at a time across parallel test workers (a lock directory in the temp folder).
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** `path` is an executable file. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `name` on PATH or in the usual system folders; `override` (e.g. an env variable's value) alone when given. */
export function findExecutable(name: string, override?: string): string | undefined {
  if (override) return isExecutable(override) ? override : undefined;
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter),
    '/usr/bin',
    '/usr/sbin',
    '/usr/local/bin',
    '/bin',
    '/sbin',
  ];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export interface DebianPackageOptions<T> {
  /** The Debian package to install (`redis-server`, `prometheus`, `chromium`). */
  package: string;
  /** What is installed now, or undefined. */
  find(): T | undefined;
  /** How to install it by hand, for the error when the tests cannot (e.g. "point REDIS_SERVER_BIN at ..."). */
  otherwise: string;
  /** How long the install may take, waiting for another worker's install included. */
  timeoutMs: number;
}

/** What `find` returns, after installing the package with apt-get when it finds nothing. */
export function findOrInstallDebianPackage<T>(options: DebianPackageOptions<T>): T {
  const name = options.package;
  const found = options.find();
  if (found !== undefined) return found;
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || !findExecutable('apt-get'))
    throw new Error(
      `${name} is not installed, and these tests can only install it themselves as root on a system with apt. ` +
        `Install it (Debian/Ubuntu: \`sudo apt-get install -y ${name}\`) or ${options.otherwise}.`,
    );
  // Test files run in parallel workers: one installs, the others wait for it.
  const lock = join(tmpdir(), `genops-${name}-install.lock`);
  for (const deadline = Date.now() + options.timeoutMs - 10_000; ; ) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > options.timeoutMs)
        rmSync(lock, { recursive: true, force: true });
      const installed = options.find();
      if (installed !== undefined) return installed;
      if (Date.now() > deadline) throw new Error(`timed out waiting for another process to install ${name} (${lock})`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    const installed = options.find();
    if (installed !== undefined) return installed;
    try {
      execFileSync('sh', ['-c', `apt-get update && apt-get install -y --no-install-recommends ${name}`], {
        stdio: 'pipe',
        timeout: options.timeoutMs - 20_000,
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    } catch (error) {
      const stderr = String((error as { stderr?: Buffer }).stderr ?? '').slice(-2_000);
      throw new Error(`installing ${name} with apt-get failed: ${(error as Error).message}\n${stderr}`);
    }
    const after = options.find();
    if (after === undefined)
      throw new Error(`apt-get installed ${name}, but what the tests need was not found afterwards`);
    return after;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
