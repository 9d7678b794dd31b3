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

export interface BudgetView {
  budget: string;
  per: Record<string, string>;
  period: string;
  window: string | null;
  unit: string;
  limit: number;
  used: number;
  reserved: number;
  remaining: number;
  utilisation: number | null;
  status: 'Active' | 'Warning' | 'Exceeded';
}

export interface SpendSeries {
  dimension: string;
  bucket: 'hour' | 'day';
  buckets: number[];
  series: Array<{ key: string; usd: number[]; totalUsd: number }>;
  totalUsd: number;
  calls: number;
}

export interface BlockedCall {
  id: string;
  at: number;
  result: string;
  reasonCode: string | null;
  rule: string | null;
  provider: string;
  model: string;
  operation: string;
  attribution: Record<string, string>;
}

export interface Approval {
  id: string;
  status: 'pending' | 'approved' | 'denied' | 'timed_out';
  createdAt: number;
  expiresAt: number;
  reason: string;
  rule: string;
  provider: string;
  model: string;
  operation: string;
  attribution: Record<string, string>;
  estimatedCostUsd: number;
  decidedAt?: number;
  decidedBy?: string;
  decisionReason?: string;
}

export interface AuditStatus {
  verification: {
    ok: boolean;
    checked: number;
    lastSeq?: number;
    lastHash?: string;
    checkpoints: number;
    problems: Array<{ kind: string; seq?: number; message: string }>;
  };
  checkedAt: string;
  records: Array<{ seq: number; type: string; at: number; subject: string; data: Record<string, unknown> }>;
}

export interface PolicyView {
  known: boolean;
  version: string | null;
  mode: string | null;
  source: string | null;
  rules: Array<{ name: string; type: string; mode: string; definition: unknown }>;
  budgets: Array<{
    name: string;
    limit: number;
    unit: string;
    window: string;
    per: string[];
    action: string;
    warnAt: number[];
  }>;
  rateLimits: Array<{ name: string; window: string; definition: unknown }>;
  approvals: { overUsd: number | null; timeoutMs: number; onTimeout: string } | null;
}
