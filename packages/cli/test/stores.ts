import { join } from 'node:path';
import { type GovernanceStore, usdToNanos } from '@genops/core';
import type { ApprovalRecord, BudgetLine } from '@genops/core/internal';
import { SqliteStore } from '@genops/store-sqlite';

/** A real SQLite store file in `directory`, as an app's `GenOps.init({ store: 'sqlite:...' })` writes it. */
export function sqliteStore(directory: string, name = 'state.db'): { path: string; url: string; store: SqliteStore } {
  const path = join(directory, name);
  return { path, url: `sqlite:${path}`, store: new SqliteStore({ path, approvalPollMs: 20 }) };
}

/** A USD budget line: `limitUsd` and `amountUsd` in dollars, stored as nano-USD. */
export function usdLine(key: string, limitUsd: number, amountUsd: number): BudgetLine {
  return {
    key,
    budget: key.split('|')[0]!,
    unit: 'USD',
    limit: usdToNanos(limitUsd),
    amount: usdToNanos(amountUsd),
    enforce: true,
  };
}

let counter = 0;

/** Reserves `line` and settles `actual` (in the line's integer unit), as a governed call does. */
export async function spend(store: GovernanceStore, line: BudgetLine, actual: number): Promise<void> {
  const id = `call-${process.pid}-${++counter}`;
  const reserved = await store.reserve({ id, lines: [line], leaseMs: 60_000 });
  if (!reserved.ok) throw new Error(`reservation refused on ${line.key}`);
  await store.settle(id, { [line.unit]: actual });
}

/** A reservation left open (a call in flight). */
export async function hold(store: GovernanceStore, line: BudgetLine, leaseMs = 600_000): Promise<string> {
  const id = `open-${process.pid}-${++counter}`;
  const reserved = await store.reserve({ id, lines: [line], leaseMs });
  if (!reserved.ok) throw new Error(`reservation refused on ${line.key}`);
  return id;
}

/** A pending approval like the governor records for a call over `approvals.over`. */
export function pendingApproval(id: string, overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  const now = Date.now();
  return {
    id,
    status: 'pending',
    createdAt: now - 125_000,
    expiresAt: now + 300_000,
    reason: 'may cost $60.02, over the approval threshold of $50 (requireApprovalOver / approvals.over)',
    rule: 'requireApprovalOver',
    provider: 'openai',
    model: 'o1-pro',
    operation: 'chat',
    attribution: { team: 'product' },
    estimatedCostUsd: 60.02,
    requestedBy: 'app-host:4242',
    ...overrides,
  };
}
