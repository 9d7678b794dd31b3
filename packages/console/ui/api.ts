import type { AuditRecord, AuditVerification } from '@genops/core';

// The console's JSON API, as the pages call it (same origin, session cookie, CSRF header on writes).

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrf = '';

export function setCsrf(token: string): void {
  csrf = token;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.method && init.method !== 'GET') headers['x-genops-csrf'] = csrf;
  const response = await fetch(`api/${path}`, {
    method: init.method ?? 'GET',
    headers,
    credentials: 'same-origin',
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const payload = (await response.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!response.ok)
    throw new ApiError(
      response.status,
      payload.error?.code ?? 'error',
      payload.error?.message ?? `HTTP ${response.status}`,
    );
  return payload as T;
}

export interface Session {
  principal: { name: string };
  via: string;
  csrf: string;
  version: string;
  refreshMs: number;
}

export type { ApprovalRecord as Approval } from '@genops/core/internal';
// The answers' types are the server's own (type-only imports: nothing of the server is bundled).
export type { BlockedCall, SpendSeries } from '../src/audit-index';
export type { BudgetView } from '../src/budgets';
export type { PolicyView } from '../src/policy-view';

export interface AuditStatus {
  verification: AuditVerification;
  checkedAt: string;
  records: AuditRecord[];
}
