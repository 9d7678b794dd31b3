import { createHash } from 'node:crypto';
import type { AuditEntry, AuditRecord } from '../store/types';

/** `prevHash` of the first record in a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Canonical JSON: object keys sorted, no whitespace, `undefined` members dropped. Two processes (or a
 * verifier years later) serialise the same record to the same bytes.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const keys = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
}

/** The hash of a record: SHA-256 over `prevHash` and the canonical JSON of `{seq, type, at, subject, data}`. */
export function hashAuditRecord(prevHash: string, seq: number, entry: AuditEntry): string {
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(canonicalJson({ seq, type: entry.type, at: entry.at, subject: entry.subject, data: entry.data }))
    .digest('hex');
}

/** Links `entries` onto a chain whose last record is `tip` (or starts a chain). Stores call this inside their atomic append. */
export function chainAuditEntries(tip: Pick<AuditRecord, 'seq' | 'hash'> | undefined, entries: readonly AuditEntry[]): AuditRecord[] {
  let seq = tip?.seq ?? 0;
  let prevHash = tip?.hash ?? GENESIS_HASH;
  const records: AuditRecord[] = [];
  for (const entry of entries) {
    seq += 1;
    const hash = hashAuditRecord(prevHash, seq, entry);
    records.push({ seq, type: entry.type, at: entry.at, subject: entry.subject, data: entry.data, prevHash, hash });
    prevHash = hash;
  }
  return records;
}
