import { createHash } from 'node:crypto';
import type { AuditEntry, AuditRecord } from '../store/types';

/** `prevHash` of the first record in a chain: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Canonical JSON: object keys sorted (by UTF-16 code units, as `Array.prototype.sort` does), no
 * whitespace, `undefined` members dropped. Two processes (or a verifier years later) serialise the same
 * record to the same bytes.
 *
 * Exact semantics, which audit hashes depend on (do not change them without a chain format version):
 * - strings, finite numbers, booleans and `null` as `JSON.stringify` writes them;
 * - non-finite numbers (`NaN`, `Infinity`) and values JSON has no form for (`undefined`, functions,
 *   symbols) become `null` where they stand, and object members whose value is `undefined` are left out;
 * - arrays element by element (a hole counts as `undefined`, so `null`);
 * - any other object by its own enumerable string keys; `toJSON` is **not** called, so a `Date` or a
 *   `Map` serialises as `{}`. Audit data should be plain JSON (`AuditTrail` normalises it before
 *   appending, so what is hashed is exactly what a JSON-based store or file reads back).
 *
 * Throws on a `bigint` and on a circular structure.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    return JSON.stringify(value) ?? 'null';
  }
  // Written with plain loops and string concatenation: this runs for every audit record on the hot path.
  if (Array.isArray(value)) {
    let out = '[';
    for (let index = 0; index < value.length; index++) {
      if (index > 0) out += ',';
      out += canonicalJson(value[index]);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${out}}`;
}

/**
 * The hash of a record: lowercase hex SHA-256 over the UTF-8 bytes of `prevHash`, a newline (`\n`), and
 * the canonical JSON (see {@link canonicalJson}) of `{at, data, seq, subject, type}`. Because `prevHash`
 * is inside the hash, each record commits to the whole chain before it.
 */
export function hashAuditRecord(prevHash: string, seq: number, entry: AuditEntry): string {
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(canonicalJson({ seq, type: entry.type, at: entry.at, subject: entry.subject, data: entry.data }))
    .digest('hex');
}

/**
 * Links `entries` onto a chain whose last record is `tip` (or starts a chain at seq 1 with
 * {@link GENESIS_HASH} when `tip` is `undefined`). Stores call this inside their atomic append.
 */
export function chainAuditEntries(
  tip: Pick<AuditRecord, 'seq' | 'hash'> | undefined,
  entries: readonly AuditEntry[],
): AuditRecord[] {
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
