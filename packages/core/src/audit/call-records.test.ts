import { hash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store';
import type { AuditEntry } from '../store/types';
import { type AuditCallRecord, auditCalls } from './__fixtures__/audit-calls';
import { AuditTrail } from './audit-trail';
import {
  type DecisionAuditFields,
  decisionAuditEntry,
  type SettlementAuditFields,
  settlementAuditEntry,
} from './call-records';
import {
  AUDIT_DATA_JSON,
  auditLineFromBody,
  auditRecordBody,
  canonicalJson,
  GENESIS_HASH,
  hashAuditBody,
  hashAuditRecord,
  PreparedEntry,
} from './hash';
import { formatAuditRecord, readAuditFile } from './jsonl';
import { verifyAuditChain } from './verify';

// Written by main 4a7e4b6 (plain entries, serialised by the generic walk) for the calls of auditCalls().
const FIXTURE = join(import.meta.dirname, '__fixtures__', 'audit-calls-v1.jsonl');

function entryOf(record: AuditCallRecord): AuditEntry {
  return record.type === 'decision'
    ? decisionAuditEntry(record.at, record.subject, record.fields)
    : settlementAuditEntry(record.at, record.subject, record.fields);
}

/** What the record's hash is over, by definition: canonical JSON of the entry as JSON reads it back. */
function canonicalBody(seq: number, entry: AuditEntry): string {
  const data = JSON.parse(JSON.stringify(entry.data)) as unknown;
  return canonicalJson({ at: entry.at, data, seq, subject: entry.subject, type: entry.type });
}

describe('call records (decision, settlement)', () => {
  it('are written to the lines main 4a7e4b6 wrote, byte for byte, and verify', async () => {
    const calls = auditCalls();
    const dir = mkdtempSync(join(tmpdir(), 'genops-call-records-'));
    try {
      const file = join(dir, 'audit.jsonl');
      const store = new MemoryStore(() => calls[0]!.at);
      const trail = new AuditTrail({ store, file });
      for (const call of calls) trail.record(entryOf(call));
      await trail.close();
      expect(readFileSync(file, 'utf8')).toBe(readFileSync(FIXTURE, 'utf8'));
      const verified = await verifyAuditChain(readAuditFile(FIXTURE));
      expect(verified).toMatchObject({ ok: true, checked: 16, lastSeq: 16 });
      // The memory store keeps each record as the text it hashed: read back, they are the file's records.
      const lines = readFileSync(FIXTURE, 'utf8').trim().split('\n');
      expect(await store.readAudit()).toEqual(lines.map((line) => JSON.parse(line)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('take the hand-written path for the shapes the recorder makes, the generic one for the rest', () => {
    const kinds = auditCalls().map((call) => (entryOf(call) instanceof PreparedEntry ? 'hand' : 'generic'));
    // Decisions: 0 ordinary, 1 every optional field, 2 escapes, 3 integer-like attribution keys, 4 unsorted
    // attribution, 5 -0, 6 NaN, 7 empty members. Settlements: 1 every optional field, 2 NaN and -0.
    expect(kinds.filter((_, index) => index % 2 === 0)).toEqual([
      'hand',
      'hand',
      'hand',
      'generic',
      'generic',
      'generic',
      'generic',
      'hand',
    ]);
    expect(kinds.filter((_, index) => index % 2 === 1)).toEqual([
      'hand',
      'hand',
      'generic',
      'hand',
      'hand',
      'hand',
      'hand',
      'hand',
    ]);
  });

  it('hash and keep the canonical text whatever the field values (property)', () => {
    const text = fc.string({ unit: 'binary', maxLength: 12 });
    const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(-0, 0, 1e21, 1e-7));
    const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
    const decision: fc.Arbitrary<DecisionAuditFields> = fc.record({
      approval: optional(text),
      attribution: fc.dictionary(text, text, { maxKeys: 4 }),
      downgradedFrom: optional(text),
      leaseMs: optional(number),
      lines: optional(
        fc.array(fc.record({ amount: number, enforce: fc.boolean(), key: text, unit: text }), { maxLength: 3 }),
      ),
      model: text,
      operation: text,
      policyVersion: text,
      provider: text,
      reasonCode: optional(text),
      redactions: optional(fc.dictionary(text, number, { maxKeys: 3 })),
      reservedNanos: optional(number),
      reservedUsd: optional(number),
      result: text,
      rule: optional(text),
      shadow: optional(fc.array(text, { maxLength: 3 })),
      tool: optional(text),
    });
    const settlement: fc.Arbitrary<SettlementAuditFields> = fc.record({
      actualNanos: number,
      actualTokens: number,
      actualUsd: number,
      error: optional(text),
      estimated: fc.boolean(),
      incomplete: fc.boolean(),
      leaseOpen: fc.boolean(),
      outputBlocked: optional(text),
      reservedNanos: number,
      reservedUsd: number,
      violation: optional(fc.record({ problems: fc.array(text, { maxLength: 3 }), reasonCode: text })),
    });
    const at = fc.integer({ min: 0, max: 4_102_444_800_000 });
    const seq = fc.integer({ min: 1, max: 2 ** 40 });
    const entries = fc.oneof(
      fc.tuple(at, text, decision).map(([when, subject, fields]) => decisionAuditEntry(when, subject, fields)),
      fc.tuple(at, text, settlement).map(([when, subject, fields]) => settlementAuditEntry(when, subject, fields)),
    );
    fc.assert(
      fc.property(entries, seq, (entry, at) => {
        const store = new MemoryStore();
        store.continueAuditChain({ seq: at - 1, hash: GENESIS_HASH });
        const prepared = entry instanceof PreparedEntry;
        const expected = canonicalBody(at, entry);
        if (prepared) {
          expect(entry.body(at)).toBe(expected);
          expect(entry[AUDIT_DATA_JSON]).toBe(canonicalJson(JSON.parse(JSON.stringify(entry.data))));
        }
        const [record] = store.appendAuditSync([entry]);
        const roundTripped = { ...entry, data: JSON.parse(JSON.stringify(entry.data)) as Record<string, unknown> };
        expect(record!.hash).toBe(hashAuditRecord(GENESIS_HASH, at, roundTripped));
        expect(auditRecordBody(at, entry)).toBe(expected);
        expect(auditLineFromBody(expected, record!.hash, record!.prevHash)).toBe(formatAuditRecord(record!));
      }),
      { numRuns: 300 },
    );
  });

  it('a record read back from the memory store does not change when the recorded fields do', async () => {
    const store = new MemoryStore();
    const attribution = { team: 'search' };
    const lines = [{ amount: 5, enforce: true, key: 'k', unit: 'USD' }];
    const entry = decisionAuditEntry(1, 'call-1', {
      attribution,
      lines,
      model: 'gpt-4o',
      operation: 'chat',
      policyVersion: 'v1',
      provider: 'openai',
      result: 'ALLOWED',
    });
    expect(entry).toBeInstanceOf(PreparedEntry);
    store.appendAuditSync([entry]);
    attribution.team = 'changed';
    lines[0]!.amount = 6;
    const [record] = await store.readAudit();
    expect(record!.data).toMatchObject({ attribution: { team: 'search' }, lines: [{ amount: 5 }] });
    expect(hashAuditRecord(record!.prevHash, record!.seq, record!)).toBe(record!.hash);
  });

  it('hash a record text through the reused buffer as SHA-256 of the concatenated string', () => {
    const texts = [
      '',
      'a',
      '{"k":"é ✓ 😀 \u2028"}',
      'lone \ud800 and \udc00 surrogates',
      'x'.repeat(40_000),
      '€'.repeat(400_000),
    ];
    for (const prevHash of [GENESIS_HASH, 'f'.repeat(64), 'not hex \ud83d']) {
      for (const body of texts)
        expect(hashAuditBody(prevHash, body)).toBe(hash('sha256', `${prevHash}\n${body}`, 'hex'));
    }
    // Every length, more of them than the reused views it keeps, before and after the buffer grew.
    for (let length = 0; length < 200; length++) {
      const body = 'b'.repeat(length);
      expect(hashAuditBody(GENESIS_HASH, body)).toBe(hash('sha256', `${GENESIS_HASH}\n${body}`, 'hex'));
    }
  });

  it('keep fields given in sorted order as the data, copy fields in any other order into it', () => {
    for (const call of auditCalls()) {
      const reversed = Object.fromEntries(Object.entries(call.fields).reverse());
      const inOrder = entryOf(call);
      const copied = entryOf({ ...call, fields: reversed } as AuditCallRecord);
      if (!(inOrder instanceof PreparedEntry)) continue;
      const keys = Object.keys(call.fields);
      if (keys.join() === [...keys].sort().join()) expect(inOrder.data).toBe(call.fields);
      else expect(inOrder.data).not.toBe(call.fields);
      expect(copied).toBeInstanceOf(PreparedEntry);
      expect(copied.data).not.toBe(reversed);
      expect((copied as PreparedEntry).body(7)).toBe(inOrder.body(7));
      expect((copied as PreparedEntry).body(7)).toBe(canonicalBody(7, inOrder));
    }
  });

  it('leave anything JSON.stringify would not write as it reads back to the generic path', () => {
    const shadow = Object.assign(['rule-a'], { toJSON: () => ['replaced'] });
    const fields: DecisionAuditFields = {
      attribution: { team: 'a', toJSON: 'not a function' },
      model: 'm',
      operation: 'chat',
      policyVersion: 'v',
      provider: 'p',
      result: 'ALLOWED',
      shadow,
    };
    const entry = decisionAuditEntry(1, 'call', fields);
    expect(entry).not.toBeInstanceOf(PreparedEntry);
    const store = new MemoryStore();
    const [record] = store.appendAuditSync([entry]);
    expect(record!.data.shadow).toEqual(['replaced']);
    expect(hashAuditRecord(GENESIS_HASH, 1, record!)).toBe(record!.hash);
    // A plain string member named toJSON is data like any other: the hand-written path keeps it.
    expect(decisionAuditEntry(1, 'call', { ...fields, shadow: ['rule-a'] })).toBeInstanceOf(PreparedEntry);
  });

  it('check a frozen attribution once, while attributions interleave, and one that can change every time', () => {
    // Attributions whose members count their reads: the check reads every member, the record's text
    // (not written here) reads them again later.
    let reads = 0;
    const counted = (team: string) => {
      const attribution = {};
      Object.defineProperty(attribution, 'team', {
        enumerable: true,
        get: () => {
          reads++;
          return team;
        },
      });
      return attribution as Record<string, string>;
    };
    const fields = (attribution: Record<string, string>): DecisionAuditFields => ({
      attribution,
      model: 'm',
      operation: 'chat',
      policyVersion: 'v',
      provider: 'p',
      result: 'ALLOWED',
    });
    const keys = [Object.freeze(counted('a')), Object.freeze(counted('b'))];
    const round = () => keys.map((attribution) => decisionAuditEntry(1, 'call', fields(attribution)));
    const first = round();
    expect(first.every((entry) => entry instanceof PreparedEntry)).toBe(true);
    expect(reads).toBe(2);
    const second = round();
    expect(second.every((entry) => entry instanceof PreparedEntry)).toBe(true);
    expect(reads).toBe(2);
    // One that can still change, between the frozen ones: checked again each time.
    const counting = counted('c');
    decisionAuditEntry(1, 'call', fields(counting));
    decisionAuditEntry(1, 'call', fields(keys[0]!));
    decisionAuditEntry(1, 'call', fields(counting));
    expect(reads).toBe(4);
    const open: Record<string, string> = { customer: 'x', team: 'c' };
    expect(decisionAuditEntry(1, 'call', fields(open))).toBeInstanceOf(PreparedEntry);
    expect(decisionAuditEntry(1, 'call', fields(keys[1]!))).toBeInstanceOf(PreparedEntry);
    Reflect.deleteProperty(open, 'customer');
    open.customer = 'x';
    expect(decisionAuditEntry(1, 'call', fields(open))).not.toBeInstanceOf(PreparedEntry);
    // The text of a record whose check was skipped is what it always was.
    for (const [index, entry] of second.entries())
      expect((entry as PreparedEntry).body(7)).toBe(canonicalBody(7, first[index]!));
  });
});
