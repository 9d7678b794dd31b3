import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOrInstallDebianPackage, isExecutable } from '@genops/testing';
import { type BrowserContext, chromium } from 'playwright-core';

// A real Chromium (the Debian package) driven by Playwright for the console's browser tests. When it is
// missing it is installed with apt (as root, one process at a time), as the Redis tests install
// redis-server; otherwise the tests fail saying how to install it.

export const INSTALL_TIMEOUT_MS = 600_000;
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export function findOrInstallChromium(): string {
  return findOrInstallDebianPackage({
    package: 'chromium',
    find: () => (isExecutable(CHROMIUM) ? CHROMIUM : undefined),
    otherwise: 'point CHROMIUM_BIN at the binary',
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
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
