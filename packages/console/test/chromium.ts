import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

// A real Chromium (the Debian package) driven by Playwright for the console's browser tests. When it is
// missing it is installed with apt (as root, one process at a time), as the Redis tests install
// redis-server; otherwise the tests fail saying how to install it.

export const INSTALL_TIMEOUT_MS = 600_000;
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export function findOrInstallChromium(): string {
  if (isExecutable(CHROMIUM)) return CHROMIUM;
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || !isExecutable('/usr/bin/apt-get'))
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}, and these tests can only install it themselves as root on a system with apt. ` +
        'Install it (Debian/Ubuntu: `sudo apt-get install -y chromium`) or point CHROMIUM_BIN at the binary.',
    );
  const lock = join(tmpdir(), 'genops-chromium-install.lock');
  for (const deadline = Date.now() + INSTALL_TIMEOUT_MS - 10_000; ; ) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > INSTALL_TIMEOUT_MS)
        rmSync(lock, { recursive: true, force: true });
      if (isExecutable(CHROMIUM)) return CHROMIUM;
      if (Date.now() > deadline) throw new Error(`timed out waiting for another process to install chromium (${lock})`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    if (isExecutable(CHROMIUM)) return CHROMIUM;
    try {
      execFileSync('sh', ['-c', 'apt-get update && apt-get install -y --no-install-recommends chromium'], {
        stdio: 'pipe',
        timeout: INSTALL_TIMEOUT_MS - 20_000,
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    } catch (error) {
      const stderr = String((error as { stderr?: Buffer }).stderr ?? '').slice(-2_000);
      throw new Error(`installing chromium with apt-get failed: ${(error as Error).message}\n${stderr}`);
    }
    if (!isExecutable(CHROMIUM)) throw new Error(`apt-get installed chromium, but ${CHROMIUM} is not there`);
    return CHROMIUM;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** A headless Chromium with a fresh profile; `close()` ends it and removes the profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const executablePath = findOrInstallChromium();
  const profile = mkdtempSync(join(tmpdir(), 'genops-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
