import type { AuditRecord } from '../store/types';
import type { AuditProblem } from './types';

const HASH_PATTERN = /^[0-9a-f]{64}$/;
const RECORD_KEYS = new Set(['seq', 'type', 'at', 'subject', 'data', 'prevHash', 'hash']);

/**
 * Why `value` is not an {@link AuditRecord} (`undefined` when it is one): the seven fields with their
 * types, and nothing else (a field the hash does not cover could be added to a file without detection).
 */
export function auditRecordShapeError(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'it is not a JSON object';
  const record = value as Record<string, unknown>;
  for (const key of RECORD_KEYS) if (!(key in record)) return `it has no "${key}"`;
  for (const key of Object.keys(record)) if (!RECORD_KEYS.has(key)) return `it has an unexpected field "${key}"`;
  if (typeof record.seq !== 'number' || !Number.isSafeInteger(record.seq) || record.seq < 1)
    return '"seq" is not a positive integer';
  if (typeof record.type !== 'string' || record.type === '') return '"type" is not a non-empty string';
  if (typeof record.at !== 'number' || !Number.isFinite(record.at)) return '"at" is not a number (epoch ms)';
  if (typeof record.subject !== 'string') return '"subject" is not a string';
  if (typeof record.data !== 'object' || record.data === null || Array.isArray(record.data))
    return '"data" is not an object';
  if (typeof record.prevHash !== 'string' || !HASH_PATTERN.test(record.prevHash))
    return '"prevHash" is not 64 lowercase hex digits';
  if (typeof record.hash !== 'string' || !HASH_PATTERN.test(record.hash))
    return '"hash" is not 64 lowercase hex digits';
  return undefined;
}

/** The `seq` of something that is not a valid record, when it has a readable one; 0 otherwise. */
export function readableSeq(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const seq = (value as { seq?: unknown }).seq;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq > 0 ? seq : 0;
}

/** Whether an item of a verified stream is a problem (from `readAuditFile`) rather than a record. */
export function isAuditProblem(value: unknown): value is AuditProblem {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { kind?: unknown }).kind === 'string' &&
    typeof (value as { message?: unknown }).message === 'string' &&
    !('hash' in value)
  );
}

/** A subject as a person reads it in a message: short ids whole, long ones cut to 8 characters. */
export function shortSubject(subject: string): string {
  return subject.length > 16 ? `${subject.slice(0, 8)}…` : subject;
}

/** `record 17 (settlement of 3f2c41aa…)`: how messages name a record. */
export function describeRecord(record: { type: string; subject: string }, seq: number): string {
  return `record ${seq} (${record.type} of ${shortSubject(record.subject)})`;
}
