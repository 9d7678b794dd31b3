import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuditEntry, AuditEntryType, AuditRecord } from '../store/types';
import { canonicalJson, chainAuditEntries, GENESIS_HASH, hashAuditRecord } from './hash';
import type { AuditProblem } from './types';
import { readStoreAudit, verifyAuditChain } from './verify';

const TYPES: AuditEntryType[] = ['decision', 'reservation', 'settlement', 'approval'];

function entry(index: number): AuditEntry {
  return {
    type: TYPES[(index - 1) % TYPES.length] ?? 'decision',
    at: 1_767_225_600_000 + index * 1000,
    subject: `awu-${index}`,
    data: { amount: index, result: index % 5 === 0 ? 'BLOCKED' : 'ALLOWED' },
  };
}

/** A valid chain of `count` records, seq 1..count. */
function chain(count: number): AuditRecord[] {
  return chainAuditEntries(
    undefined,
    Array.from({ length: count }, (_, index) => entry(index + 1)),
  );
}

/** Record with seq `seq` of `records` (1-based). */
function at(records: AuditRecord[], seq: number): AuditRecord {
  const record = records[seq - 1];
  if (!record) throw new Error(`no record ${seq}`);
  return record;
}

/** The records in the order of `seqs`. */
function order(records: AuditRecord[], seqs: number[]): AuditRecord[] {
  return seqs.map((seq) => at(records, seq));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

function kinds(problems: AuditProblem[]): Array<Pick<AuditProblem, 'seq' | 'kind'>> {
  return problems.map(({ seq, kind }) => ({ seq, kind }));
}

describe('verifyAuditChain', () => {
  it('accepts a valid chain and reports its head', async () => {
    const records = chain(10);
    const result = await verifyAuditChain(records);
    expect(result).toEqual({
      ok: true,
      checked: 10,
      firstSeq: 1,
      lastSeq: 10,
      lastHash: at(records, 10).hash,
      problems: [],
      checkpoints: 0,
    });
  });

  it('accepts an empty chain', async () => {
    expect(await verifyAuditChain([])).toEqual({ ok: true, checked: 0, problems: [], checkpoints: 0 });
  });

  it('detects a record whose data was edited, and only that record', async () => {
    const records = chain(10);
    const edited = { ...at(records, 5), data: { ...at(records, 5).data, amount: 500 } };
    const result = await verifyAuditChain(records.map((record) => (record.seq === 5 ? edited : record)));
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      {
        seq: 5,
        kind: 'edited',
        message: 'record 5 (decision of awu-5) was edited: its hash does not match its content',
      },
    ]);
    expect(result.lastSeq).toBe(10);
  });

  it('detects a record whose time was edited', async () => {
    const records = chain(10);
    const edited = { ...at(records, 3), at: at(records, 3).at - 60_000 };
    const result = await verifyAuditChain(records.map((record) => (record.seq === 3 ? edited : record)));
    expect(kinds(result.problems)).toEqual([{ seq: 3, kind: 'edited' }]);
  });

  it('names the record by its position when its seq was edited', async () => {
    const records = chain(10);
    const edited = { ...at(records, 5), seq: 50 };
    const result = await verifyAuditChain(records.map((record) => (record.seq === 5 ? edited : record)));
    expect(result.problems).toEqual([
      {
        seq: 5,
        kind: 'edited',
        message: 'record 5 (decision of awu-5) was edited: its hash does not match its content (its seq now says 50)',
      },
    ]);
  });

  it('detects two neighbours swapped as one reordered record', async () => {
    const records = chain(10);
    const result = await verifyAuditChain(order(records, [1, 2, 3, 5, 4, 6, 7, 8, 9, 10]));
    expect(result.problems).toEqual([
      { seq: 5, kind: 'reordered', message: 'record 5 (decision of awu-5) is out of order: it comes before record 4' },
    ]);
    expect(result.lastSeq).toBe(10);
    expect(result.lastHash).toBe(at(records, 10).hash);
  });

  it('detects two distant records swapped', async () => {
    const records = chain(10);
    const result = await verifyAuditChain(order(records, [1, 2, 8, 4, 5, 6, 7, 3, 9, 10]));
    expect(kinds(result.problems)).toEqual([
      { seq: 3, kind: 'reordered' },
      { seq: 8, kind: 'reordered' },
    ]);
    expect(result.problems[0]?.message).toBe(
      'record 3 (settlement of awu-3) is out of order: it appears after record 7',
    );
    expect(result.problems[1]?.message).toBe('record 8 (approval of awu-8) is out of order: it comes before record 4');
  });

  it('reports a block of records moved later once', async () => {
    const records = chain(10);
    const result = await verifyAuditChain(order(records, [1, 2, 6, 7, 8, 3, 4, 5, 9, 10]));
    expect(result.problems).toEqual([
      {
        seq: 3,
        kind: 'reordered',
        message: 'records 3–5 (the first: settlement of awu-3) are out of order: they appear after record 8',
      },
    ]);
  });

  it('detects a deleted record', async () => {
    const records = chain(10);
    const result = await verifyAuditChain(records.filter((record) => record.seq !== 6));
    expect(result.problems).toEqual([
      {
        seq: 6,
        kind: 'missing',
        message:
          "record 6 is missing: record 7 (settlement of awu-7) follows record 5 and its prevHash does not match that record's hash",
      },
    ]);
    expect(result.checked).toBe(9);
  });

  it('reports a run of deleted records as one problem', async () => {
    const records = chain(10);
    const result = await verifyAuditChain(records.filter((record) => record.seq < 4 || record.seq > 6));
    expect(result.problems).toEqual([
      {
        seq: 4,
        kind: 'missing',
        message:
          "records 4–6 are missing (3 records): record 7 (settlement of awu-7) follows record 3 and its prevHash does not match that record's hash",
      },
    ]);
  });

  it('detects records missing at the start', async () => {
    const records = chain(10);
    const result = await verifyAuditChain(records.slice(2));
    expect(result.problems).toEqual([
      {
        seq: 1,
        kind: 'missing',
        message: 'records 1–2 are missing (2 records): the chain begins at record 3 (settlement of awu-3)',
      },
    ]);
  });

  it('detects a duplicated record, next to its original or far from it', async () => {
    const records = chain(10);
    const adjacent = await verifyAuditChain(order(records, [1, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10]));
    expect(adjacent.problems).toEqual([
      { seq: 5, kind: 'duplicate', message: 'record 5 (decision of awu-5) appears twice: this copy is a duplicate' },
    ]);
    const far = await verifyAuditChain(order(records, [1, 2, 3, 4, 5, 6, 7, 2, 8, 9, 10]));
    expect(kinds(far.problems)).toEqual([{ seq: 2, kind: 'duplicate' }]);
    expect(far.lastSeq).toBe(10);
  });

  it('tells a second record with the same seq from a duplicate', async () => {
    const records = chain(10);
    const other = chainAuditEntries({ seq: 3, hash: at(records, 3).hash }, [entry(99)])[0];
    if (!other) throw new Error('no record');
    const result = await verifyAuditChain([...order(records, [1, 2, 3, 4]), other, ...order(records, range(5, 10))]);
    expect(result.problems).toEqual([
      {
        seq: 4,
        kind: 'duplicate',
        message:
          'record 4 (settlement of awu-99) appears twice with different content: a second chain or an inserted record has the same seq',
      },
    ]);
  });

  it('detects an item that is not a record, standing in for one or added', async () => {
    const records = chain(10);
    const garbage = { hello: 'world' } as unknown as AuditRecord;
    const replaced = await verifyAuditChain(records.map((record) => (record.seq === 5 ? garbage : record)));
    expect(replaced.problems).toEqual([
      {
        seq: 5,
        kind: 'malformed',
        message: 'item 5 is not an audit record: it has no "seq" (record 5 was expected there)',
      },
    ]);
    const added = await verifyAuditChain([...order(records, [1, 2, 3]), garbage, ...order(records, range(4, 10))]);
    expect(kinds(added.problems)).toEqual([{ seq: 4, kind: 'malformed' }]);
    const problemItem: AuditProblem = { seq: 0, kind: 'malformed', message: 'line 5 is not an audit record', line: 5 };
    const fromFile = await verifyAuditChain([
      ...order(records, [1, 2, 3, 4]),
      problemItem,
      ...order(records, range(6, 10)),
    ]);
    expect(fromFile.problems).toEqual([
      { seq: 5, kind: 'malformed', message: 'line 5 is not an audit record (record 5 was expected there)', line: 5 },
    ]);
  });

  it('detects an edited record whose hash was recomputed as a broken link', async () => {
    const records = chain(10);
    const original = at(records, 5);
    const forged = { ...original, data: { ...original.data, amount: 0 } };
    forged.hash = hashAuditRecord(forged.prevHash, forged.seq, forged);
    const result = await verifyAuditChain(records.map((record) => (record.seq === 5 ? forged : record)));
    expect(result.problems).toEqual([
      {
        seq: 6,
        kind: 'broken_link',
        message:
          "record 6 (reservation of awu-6) does not link to record 5: its prevHash is not that record's hash (one of the two was changed and re-hashed, or replaced)",
      },
    ]);
  });

  it('reports a seq that skips while the link holds as a broken link, not a missing record', async () => {
    const records = chain(4);
    const renumbered = { ...at(records, 4), seq: 6 };
    renumbered.hash = hashAuditRecord(renumbered.prevHash, renumbered.seq, renumbered);
    const result = await verifyAuditChain([...order(records, [1, 2, 3]), renumbered]);
    expect(result.problems).toEqual([
      {
        seq: 6,
        kind: 'broken_link',
        message: 'record 6 (approval of awu-4) links to record 3 but its seq skips 4–5: the numbering is wrong',
      },
    ]);
  });

  it('keeps checking after the first problem and reports every one, ordered by seq', async () => {
    const records = chain(20);
    const stream = records
      .filter((record) => record.seq !== 12)
      .flatMap((record) => (record.seq === 15 ? [record, record] : [record]))
      .map((record) => (record.seq === 3 ? { ...record, subject: 'awu-x' } : record));
    const result = await verifyAuditChain(stream);
    expect(kinds(result.problems)).toEqual([
      { seq: 3, kind: 'edited' },
      { seq: 12, kind: 'missing' },
      { seq: 15, kind: 'duplicate' },
    ]);
    expect(result.lastSeq).toBe(20);
  });

  it('checks the first link: the genesis hash, or expectedPrevHash from a later seq', async () => {
    const records = chain(10);
    const bad = { ...at(records, 1), prevHash: 'f'.repeat(64) };
    bad.hash = hashAuditRecord(bad.prevHash, bad.seq, bad);
    const result = await verifyAuditChain([bad, ...records.slice(1)]);
    expect(kinds(result.problems)).toEqual([
      { seq: 1, kind: 'broken_link' },
      { seq: 2, kind: 'broken_link' },
    ]);
    expect(result.problems[0]?.message).toBe(
      'record 1 (decision of awu-1) does not start the chain: its prevHash is not the genesis hash (64 zeros)',
    );

    const tail = records.slice(5);
    expect(await verifyAuditChain(tail, { fromSeq: 6, expectedPrevHash: at(records, 5).hash })).toMatchObject({
      ok: true,
      firstSeq: 6,
      lastSeq: 10,
    });
    expect(await verifyAuditChain(tail, { fromSeq: 6 })).toMatchObject({ ok: true });
    const wrong = await verifyAuditChain(tail, { fromSeq: 6, expectedPrevHash: GENESIS_HASH });
    expect(kinds(wrong.problems)).toEqual([{ seq: 6, kind: 'broken_link' }]);
    expect(wrong.problems[0]?.message).toContain('does not start the chain: its prevHash is not the expected hash');
  });

  it('caps the problems listed and counts the rest', async () => {
    const records = chain(30).map((record) => ({ ...record, at: 0 }));
    const result = await verifyAuditChain(records, { maxProblems: 5 });
    expect(result.problems).toHaveLength(5);
    expect(result.omittedProblems).toBe(25);
    expect(result.ok).toBe(false);
  });

  it('reads a store page by page', async () => {
    const records = chain(25);
    const pages: Array<{ fromSeq?: number; limit?: number }> = [];
    const store = {
      async readAudit(options: { fromSeq?: number; limit?: number } = {}) {
        pages.push(options);
        const from = options.fromSeq ?? 1;
        return records.filter((record) => record.seq >= from).slice(0, options.limit ?? records.length);
      },
    };
    const result = await verifyAuditChain(readStoreAudit(store, { pageSize: 10 }));
    expect(result).toMatchObject({ ok: true, checked: 25, lastSeq: 25 });
    expect(pages).toEqual([
      { fromSeq: 1, limit: 10 },
      { fromSeq: 11, limit: 10 },
      { fromSeq: 21, limit: 10 },
    ]);
  });

  it('names the exact seq and kind for one random tampering of a random chain', async () => {
    type Case = { seqs: number[]; records: AuditRecord[]; expected: Array<Pick<AuditProblem, 'seq' | 'kind'>> };
    const tampering = fc
      .record({
        length: fc.integer({ min: 3, max: 60 }),
        pick: fc.nat(),
        other: fc.nat(),
        operation: fc.constantFrom('edit', 'delete', 'duplicate', 'swap', 'move'),
      })
      .map(({ length, pick, other, operation }): Case => {
        const records = chain(length);
        const k = (pick % length) + 1;
        const seqs = range(1, length);
        switch (operation) {
          case 'edit':
            records[k - 1] = { ...at(records, k), data: { tampered: true } };
            return { seqs, records, expected: [{ seq: k, kind: 'edited' }] };
          case 'delete':
            // Removing the last record is a truncation: a chain cannot show it on its own.
            seqs.splice(k - 1, 1);
            return { seqs, records, expected: k === length ? [] : [{ seq: k, kind: 'missing' }] };
          case 'duplicate': {
            const position = k + (other % (length - k + 1));
            seqs.splice(position, 0, k);
            return { seqs, records, expected: [{ seq: k, kind: 'duplicate' }] };
          }
          case 'swap': {
            const first = Math.min(k, length - 1);
            seqs.splice(first - 1, 2, first + 1, first);
            return { seqs, records, expected: [{ seq: first + 1, kind: 'reordered' }] };
          }
          default: {
            // Move record k at least two places (a move of one place is a swap of neighbours).
            const without = seqs.filter((seq) => seq !== k);
            const candidates = range(0, without.length).filter((index) => index < k - 2 || index > k);
            if (candidates.length === 0) return { seqs, records, expected: [] };
            const index = candidates[other % candidates.length] ?? 0;
            without.splice(index, 0, k);
            return { seqs: without, records, expected: [{ seq: k, kind: 'reordered' }] };
          }
        }
      });
    await fc.assert(
      fc.asyncProperty(tampering, async ({ seqs, records, expected }) => {
        const result = await verifyAuditChain(order(records, seqs));
        expect(kinds(result.problems)).toEqual(expected);
        expect(result.ok).toBe(expected.length === 0);
      }),
      { numRuns: 500 },
    );
  });

  it('verifies 10 000 records streamed from a generator without keeping them', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const alive: Array<WeakRef<AuditRecord>> = [];
    const count = 10_000;
    function* generate(): Generator<AuditRecord> {
      let tip: AuditRecord | undefined;
      for (let index = 1; index <= count; index += 1) {
        const [record] = chainAuditEntries(tip, [entry(index)]);
        if (!record) return;
        if (index % 10 === 0) alive.push(new WeakRef(record));
        tip = record;
        yield record;
      }
    }
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const result = await verifyAuditChain(generate());
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const heapAfter = process.memoryUsage().heapUsed;
    expect(result).toMatchObject({ ok: true, checked: count, firstSeq: 1, lastSeq: count, problems: [] });
    // No record object outlives the verification (the verifier keeps only seqs and hashes).
    expect(alive.filter((ref) => ref.deref() !== undefined).length).toBeLessThanOrEqual(1);
    // 10 000 records are ~4 MB as objects; what the verifier keeps (a window of 4096 hashes) is well under that.
    expect(heapAfter - heapBefore).toBeLessThan(3 * 1024 * 1024);
  });
});

describe('canonicalJson', () => {
  it('sorts keys, drops undefined members and writes holes and non-finite numbers as null', () => {
    // biome-ignore lint/suspicious/noSparseArray: a hole is what this test is about
    const sparse = [1, , 3];
    expect(canonicalJson({ b: 1, a: [undefined, Number.NaN, sparse], c: undefined, d: { z: 'x', y: null } })).toBe(
      '{"a":[null,null,[1,null,3]],"b":1,"d":{"y":null,"z":"x"}}',
    );
  });

  it('keeps the hash of a record stable (golden value)', () => {
    const [record] = chainAuditEntries(undefined, [
      { type: 'decision', at: 1_767_225_600_000, subject: 'awu-1', data: { result: 'ALLOWED', amount: 1 } },
    ]);
    expect(record?.prevHash).toBe(GENESIS_HASH);
    expect(record?.hash).toMatchInlineSnapshot(`"5f666b423033e0c687be64d0556157c1ded35727961cd65fd8646ecab8cf8674"`);
  });
});
