import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../store/types';
import { AUDIT_DATA_JSON, canonicalJson, chainAuditEntries, type PreparedAuditEntry, preparedAuditEntry } from './hash';

describe('preparedAuditEntry', () => {
  it('returns an entry AuditTrail prepared as it is (no second serialisation)', () => {
    const entry = {
      type: 'decision',
      at: 1,
      subject: 'call-1',
      data: { a: 1 },
      [AUDIT_DATA_JSON]: '{"a":1}',
    } as PreparedAuditEntry;
    expect(preparedAuditEntry(entry)).toBe(entry);
  });

  it('serialises any other entry once: data as JSON reads it back, its canonical JSON, the same hash', () => {
    const when = new Date(Date.UTC(2026, 10, 23));
    const entry: AuditEntry = {
      type: 'settlement',
      at: 2,
      subject: 'call-2',
      data: { z: 1, a: { y: undefined, when }, list: [1, Number.NaN] },
    };
    const prepared = preparedAuditEntry(entry);
    expect(prepared).not.toBe(entry);
    expect(prepared.data).toEqual(JSON.parse(JSON.stringify(entry.data)));
    expect(prepared[AUDIT_DATA_JSON]).toBe(canonicalJson(JSON.parse(JSON.stringify(entry.data))));
    // The hash the stores computed before: of a copy whose data went through JSON.stringify and JSON.parse.
    const roundTripped = { ...entry, data: JSON.parse(JSON.stringify(entry.data)) as Record<string, unknown> };
    expect(chainAuditEntries(undefined, [prepared])[0]!.hash).toBe(
      chainAuditEntries(undefined, [roundTripped])[0]!.hash,
    );
  });
});
