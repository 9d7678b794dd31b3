import { type AuditRecord, type GovernanceStore, usdToNanos } from '@genops/core';

// What the console reads from the audit chain the store holds, kept up to date incrementally: each
// refresh reads only the records appended since the last one. A call's cost is its settlement record
// (`actualNanos`), joined to its decision record (provider, model, attribution) by the call id; a call
// BLOCKED or RATE_LIMITED is kept as a blocked call with its reason code and rule. Memory is bounded:
// hourly spend buckets for `retentionHours`, the newest `maxBlocked` blocked calls, at most
// `maxOpenCalls` decisions waiting for their settlement.

/** Dimensions the spend charts group by. */
export const SPEND_DIMENSIONS = ['team', 'project', 'customer', 'environment', 'model', 'provider'] as const;
export type SpendDimension = (typeof SPEND_DIMENSIONS)[number];

export interface BlockedCall {
  id: string;
  at: number;
  /** `BLOCKED` or `RATE_LIMITED`. */
  result: string;
  reasonCode: string | null;
  rule: string | null;
  provider: string;
  model: string;
  operation: string;
  attribution: Record<string, string>;
  policyVersion: string | null;
}

export interface SpendSeries {
  dimension: SpendDimension;
  /** `hour` or `day` (UTC). */
  bucket: 'hour' | 'day';
  /** Bucket starts, epoch ms, oldest first. */
  buckets: number[];
  /** One series per value of the dimension (`(none)` for calls without it), spend in USD per bucket. */
  series: Array<{ key: string; usd: number[]; totalUsd: number }>;
  totalUsd: number;
  calls: number;
}

interface CallFacts {
  provider: string;
  model: string;
  attribution: Record<string, string>;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
const NONE = '(none)';

export class AuditIndex {
  private nextSeq = 1;
  private readonly open = new Map<string, CallFacts>();
  /** dimension → hour start → value → nano-USD. */
  private readonly spend = new Map<SpendDimension, Map<number, Map<string, number>>>();
  private readonly blocked: BlockedCall[] = [];
  private calls = 0;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly store: Pick<GovernanceStore, 'readAudit'>,
    private readonly limits = { retentionHours: 24 * 90, maxBlocked: 500, maxOpenCalls: 100_000, pageSize: 1_000 },
  ) {
    for (const dimension of SPEND_DIMENSIONS) this.spend.set(dimension, new Map());
  }

  /** Seq of the newest record read. */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Reads the records appended since the last refresh (concurrent callers share one read). */
  refresh(): Promise<void> {
    this.refreshing ??= this.readNew().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Blocked calls, newest first. */
  blockedCalls(limit = 100): BlockedCall[] {
    return this.blocked.slice(-limit).reverse();
  }

  /** Spend by `dimension` in the last `count` buckets (UTC hours or days), the current one included. */
  spendSeries(dimension: SpendDimension, bucket: 'hour' | 'day', count: number, now: number): SpendSeries {
    const size = bucket === 'hour' ? HOUR : DAY;
    const last = Math.floor(now / size) * size;
    const buckets: number[] = [];
    for (let position = Math.min(count, 10_000) - 1; position >= 0; position--) buckets.push(last - position * size);
    const index = new Map(buckets.map((start, position) => [start, position]));
    const byValue = new Map<string, number[]>();
    let total = 0;
    for (const [hour, values] of this.spend.get(dimension) ?? []) {
      const position = index.get(Math.floor(hour / size) * size);
      if (position === undefined) continue;
      for (const [value, nanos] of values) {
        let row = byValue.get(value);
        if (!row) byValue.set(value, (row = buckets.map(() => 0)));
        row[position] = (row[position] ?? 0) + nanos;
        total += nanos;
      }
    }
    const series = [...byValue]
      .map(([key, nanos]) => ({
        key,
        usd: nanos.map(toUsd),
        totalUsd: toUsd(nanos.reduce((sum, value) => sum + value, 0)),
      }))
      .sort((a, b) => b.totalUsd - a.totalUsd || a.key.localeCompare(b.key));
    return { dimension, bucket, buckets, series, totalUsd: toUsd(total), calls: this.calls };
  }

  private async readNew(): Promise<void> {
    for (;;) {
      const page = await this.store.readAudit({ fromSeq: this.nextSeq, limit: this.limits.pageSize });
      for (const record of page) {
        if (record.seq < this.nextSeq) continue;
        this.nextSeq = record.seq + 1;
        this.take(record);
      }
      if (page.length < this.limits.pageSize) break;
    }
    this.prune();
  }

  private take(record: AuditRecord): void {
    const data = record.data ?? {};
    if (record.type === 'decision') {
      const facts: CallFacts = {
        provider: text(data.provider) ?? '(unknown)',
        model: text(data.model) ?? '(unknown)',
        attribution: stringsOf(data.attribution),
      };
      if (data.result === 'BLOCKED' || data.result === 'RATE_LIMITED') {
        this.blocked.push({
          id: record.subject,
          at: record.at,
          result: data.result,
          reasonCode: text(data.reasonCode) ?? null,
          rule: text(data.rule) ?? null,
          provider: facts.provider,
          model: facts.model,
          operation: text(data.operation) ?? '(unknown)',
          attribution: facts.attribution,
          policyVersion: text(data.policyVersion) ?? null,
        });
        if (this.blocked.length > this.limits.maxBlocked)
          this.blocked.splice(0, this.blocked.length - this.limits.maxBlocked);
        return;
      }
      this.open.set(record.subject, facts);
      if (this.open.size > this.limits.maxOpenCalls) {
        const oldest = this.open.keys().next().value;
        if (oldest !== undefined) this.open.delete(oldest);
      }
      return;
    }
    if (record.type !== 'settlement') return;
    const facts = this.open.get(record.subject) ?? { provider: '(unknown)', model: '(unknown)', attribution: {} };
    this.open.delete(record.subject);
    const nanos = settledNanos(data);
    this.calls += 1;
    const hour = Math.floor(record.at / HOUR) * HOUR;
    for (const dimension of SPEND_DIMENSIONS) {
      const value =
        dimension === 'model'
          ? facts.model
          : dimension === 'provider'
            ? facts.provider
            : (facts.attribution[dimension] ?? NONE);
      const hours = this.spend.get(dimension)!;
      let values = hours.get(hour);
      if (!values) hours.set(hour, (values = new Map()));
      values.set(value, (values.get(value) ?? 0) + nanos);
    }
  }

  private prune(): void {
    const oldest = Date.now() - this.limits.retentionHours * HOUR;
    for (const hours of this.spend.values()) for (const hour of hours.keys()) if (hour < oldest) hours.delete(hour);
  }
}

function settledNanos(data: Record<string, unknown>): number {
  if (typeof data.actualNanos === 'number' && Number.isSafeInteger(data.actualNanos) && data.actualNanos >= 0)
    return data.actualNanos;
  return typeof data.actualUsd === 'number' && Number.isFinite(data.actualUsd) && data.actualUsd >= 0
    ? usdToNanos(data.actualUsd)
    : 0;
}

function toUsd(nanos: number): number {
  return nanos / 1e9;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function stringsOf(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return out;
  for (const [key, member] of Object.entries(value)) if (typeof member === 'string') out[key] = member;
  return out;
}
