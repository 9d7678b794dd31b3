import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type GenOpsHandle, MemoryStore } from '@genops/core';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApprovalLinks, type RunningConsole, startConsole } from '../src/index';
import { INSTALL_TIMEOUT_MS, launchChromium } from './chromium';
import { holdPending, LINK_SECRET, runCalls, startGenOps, TOKEN } from './fixtures';

// The console in a real Chromium (the Debian package, driven by Playwright): every page renders with the
// data real governed calls wrote, an approval given in the browser releases a held call in this process
// (and the audit trail names who approved), a deny refuses one, and a signed link approves one.
// Screenshots are kept in packages/console/test-artifacts/ (git-ignored).

const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const PAGE_TIMEOUT = 120_000;
/** The pages refresh every second; give a loaded machine time. */
const LIVE = { timeout: 20_000, interval: 100 };

describe('the console in Chromium', () => {
  let genops: GenOpsHandle;
  let running: RunningConsole;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let links: ReturnType<typeof createApprovalLinks>;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    genops = startGenOps(new MemoryStore(), { onApprovalRequired: () => undefined });
    await runCalls(genops);
    const first = await startConsole({ genops, auth: { users: [{ name: 'alice', token: TOKEN }] } });
    const port = Number(new URL(first.url).port);
    await first.close();
    links = createApprovalLinks({ secret: LINK_SECRET, baseUrl: `http://127.0.0.1:${port}/console` });
    running = await startConsole({
      genops,
      port,
      links,
      refreshMs: 1_000,
      auth: { users: [{ name: 'alice', token: TOKEN }] },
    });
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.setDefaultTimeout(30_000);
  }, INSTALL_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await running?.close();
    await genops?.shutdown();
  });

  const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
  /** A held call, once its card shows on the approvals page. */
  const holdInPage = async () => {
    const { held } = await holdPending(genops);
    const card = page.getByTestId('approval');
    await expect.poll(() => card.count(), LIVE).toBe(1);
    return { held, card };
  };
  const open = async (tab: string) => {
    await page.getByTestId(`tab-${tab}`).click();
    await page.getByTestId(`page-${tab}`).waitFor();
  };

  it(
    'signs in from the link genops console prints, and every page renders with data',
    async () => {
      await page.goto(`${running.url}#token=${TOKEN}`);
      await expect.poll(() => page.getByTestId('principal').textContent(), LIVE).toBe('alice');
      expect(page.url()).not.toContain(TOKEN); // the token leaves the address bar

      const budgetRows = page.getByTestId('budgets-table').locator('tbody tr');
      await expect.poll(() => budgetRows.count(), LIVE).toBe(3);
      expect(await page.getByTestId('budgets-table').textContent()).toContain('team=search');
      expect(await page.locator('tr[data-budget="org-monthly"]').textContent()).toContain('$0.008');
      await shot('budgets');

      await open('spend');
      await expect.poll(() => page.getByTestId('spend-table').locator('tbody tr').count(), LIVE).toBe(2);
      expect(await page.getByTestId('spend-table').textContent()).toContain('search$0.0066');
      const drawn = await page
        .getByTestId('spend-chart')
        .evaluate((canvas: HTMLCanvasElement) => canvas.width > 0 && canvas.height > 0);
      expect(drawn).toBe(true);
      await page.getByTestId('spend-by').getByText('model', { exact: true }).click();
      await expect.poll(() => page.getByTestId('spend-table').textContent(), LIVE).toContain('gpt-4o-mini');
      await shot('spend');

      await open('blocked');
      await expect.poll(() => page.getByTestId('blocked-table').locator('tbody tr').count(), LIVE).toBe(1);
      const blocked = await page.getByTestId('blocked-table').locator('tbody tr').textContent();
      expect(blocked).toContain('POLICY_DENY_MODEL');
      expect(blocked).toContain('no-turbo');
      expect(blocked).toContain('openai/gpt-4-turbo');
      await shot('blocked');

      await open('audit');
      await expect.poll(() => page.getByTestId('audit-status').textContent(), LIVE).toContain('Audit chain intact');
      expect(await page.getByTestId('audit-table').locator('tbody tr').count()).toBeGreaterThan(5);
      await shot('audit');

      await open('policy');
      await expect.poll(() => page.getByTestId('policy-version').textContent(), LIVE).toContain(genops.policyVersion);
      expect(await page.getByTestId('policy-rules').textContent()).toContain('no-turbo');
      expect(await page.getByTestId('policy-budgets').textContent()).toContain('team-daily');
      await shot('policy');

      await open('approvals');
      await expect
        .poll(() => page.getByTestId('page-approvals').textContent(), LIVE)
        .toContain('No pending approvals.');
      await shot('approvals-empty');
    },
    PAGE_TIMEOUT,
  );

  it(
    'an approval given in the browser releases a held call, and the audit trail names who approved',
    async () => {
      await open('approvals');
      const { held, card } = await holdInPage();
      expect(await card.textContent()).toContain('openai/o1-pro');
      const id = await card.getAttribute('data-approval-id');
      await shot('approvals-pending');
      await card.getByTestId('reason').fill('quarterly report');
      await card.getByTestId('approve').click();
      await expect(held).resolves.toBe('ran');
      await expect
        .poll(() => page.getByTestId('decision-message').textContent(), LIVE)
        .toContain(`approved ${id} as alice`);
      await genops.flushAudit();
      const records = await genops.governor.store.readAudit({ limit: 10_000 });
      expect(
        records.find(
          (record) => record.type === 'approval' && record.subject === id && record.data.status === 'approved',
        )?.data,
      ).toMatchObject({
        decidedBy: 'alice',
        reason: 'quarterly report',
      });
      await page.getByText('all', { exact: true }).click();
      await expect.poll(() => page.getByTestId('decided').first().textContent(), LIVE).toContain('approved by alice');
      await shot('approvals-approved');
      await page.getByText('pending', { exact: true }).click();
    },
    PAGE_TIMEOUT,
  );

  it(
    'a deny in the browser refuses the held call with the reason typed',
    async () => {
      await open('approvals');
      const { held, card } = await holdInPage();
      await card.getByTestId('reason').fill('use a smaller model');
      await card.getByTestId('deny').click();
      await expect(held).rejects.toMatchObject({
        name: 'ApprovalDeniedError',
        decidedBy: 'alice',
        reason: 'use a smaller model',
      });
      await shot('approvals-denied');
    },
    PAGE_TIMEOUT,
  );

  it(
    'a signed link opened in the browser confirms, then approves on the button, and the held call runs',
    async () => {
      const { held, pending } = await holdPending(genops);
      const { approve } = links.linksFor(pending);
      await page.goto(approve);
      expect(await page.locator('h1').textContent()).toBe('Approve this call?');
      expect((await genops.approvals.get(pending.id))?.status).toBe('pending'); // opening the link decided nothing
      await shot('link-confirm');
      await page.getByTestId('confirm').click();
      await page.locator('body[data-page="done"]').waitFor();
      expect(await page.getByTestId('decided').textContent()).toContain('approved by alice (signed link)');
      await expect(held).resolves.toBe('ran');
      await shot('link-approved');
      await page.goto(approve);
      expect(await page.locator('h1').textContent()).toBe('Already decided');
    },
    PAGE_TIMEOUT,
  );
});
