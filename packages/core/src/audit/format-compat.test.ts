import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store';
import { AuditTrail } from './audit-trail';
import { canonicalJson, serialiseAuditData } from './hash';
import { duplicateJsonKey, readAuditFile } from './jsonl';
import { verifyAuditChain } from './verify';

// Written by main's code before the single-serialisation change (chain format v1), with the script below.
const FIXTURE = join(import.meta.dirname, '__fixtures__', 'audit-v1.jsonl');

/** The entries of the fixture, recorded the same way (a fixed clock, one batch). */
async function writeLikeFixture(file: string): Promise<void> {
  let t = Date.UTC(2026, 11, 5, 12, 0, 0);
  const trail = new AuditTrail({ store: new MemoryStore(() => t), file });
  trail.record({ type: 'policy', at: t, subject: 'f00dfeed', data: { source: 'init', rules: 2, budgets: 1 } });
  for (let i = 0; i < 3; i++) {
    const id = `0000000${i}-aaaa-4bbb-8ccc-${String(i).padStart(12, '0')}`;
    t += 7;
    trail.record({
      type: 'reservation',
      at: t,
      subject: id,
      data: {
        reservedUsd: 0.0055,
        lines: [{ key: 'budget:team=search', unit: 'usd', amount: 5500, enforce: true }],
        leaseMs: 600000,
      },
    });
    trail.record({
      type: 'decision',
      at: t,
      subject: id,
      data: {
        result: i === 1 ? 'BLOCKED' : 'ALLOWED',
        reasonCode: i === 1 ? 'POLICY_DENY_MODEL' : undefined,
        provider: 'openai',
        model: 'gpt-4o',
        attribution: { team: 'search', user: 'ü ✓ "q"' },
        redactions: { email: 2 },
      },
    });
    t += 3;
    trail.record({
      type: 'settlement',
      at: t,
      subject: id,
      // Keys in any order: the line has them sorted.
      data: {
        nan: Number.NaN,
        ...{ leaseOpen: true, estimated: false, incomplete: false },
        ...{ actualTokens: 160, reservedUsd: 0.0055, actualUsd: 0.0013 },
      },
    });
  }
  await trail.close();
}

describe('chain format compatibility', () => {
  it('verifies a file written by the earlier code', async () => {
    expect(await verifyAuditChain(readAuditFile(FIXTURE))).toMatchObject({ ok: true, checked: 10, lastSeq: 10 });
  });

  it('writes the same entries to byte-identical lines as the earlier code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'genops-compat-'));
    try {
      const file = join(dir, 'audit.jsonl');
      await writeLikeFixture(file);
      expect(readFileSync(file, 'utf8')).toBe(readFileSync(FIXTURE, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serialises data once to what the earlier JSON round trip and canonical JSON gave', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const samples: unknown[] = [
      { b: 1, a: [1, undefined, () => 1, Number.NaN, -0], c: { z: new Date(0), y: null } },
      { s: new String('x'), n: new Number(2), t: new Boolean(false), u: undefined, f: () => 1 },
      { p: new Point(1, 2), m: new Map([[1, 2]]), nested: { deeper: [{ k: 'v' }, []] } },
      { '\u00e9': 1, e: 2, E: 3, '10': 4, '9': 5, __proto__: { hidden: 1 } },
      { toJSON: () => ({ replaced: true }) },
    ];
    for (const sample of samples)
      expect(serialiseAuditData(sample).json).toBe(canonicalJson(JSON.parse(JSON.stringify(sample))));
    expect(serialiseAuditData({ a: 1, b: { c: [1, 'x', null, true] }, d: undefined }).plain).toBe(true);
    for (const sample of samples) expect(serialiseAuditData(sample).plain).toBe(false);
  });

  it('data already in sorted order (the recorder writes it so) gives the same text and plainness', () => {
    const nullPrototype = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, b: 'x' });
    const plainSorted: unknown[] = [
      { a: 1, b: { c: [1, 'x', null, true], d: undefined }, e: 'é\u2028"\\', f: 1.5e-7, g: -3 },
      { E: 1, e: 2, é: 3, lines: [{ amount: 1, enforce: true, key: 'k|1', unit: 'USD' }], nested: nullPrototype },
      { '1': 'one', '2': 'two', a: [], b: {}, c: 'lone \ud800 surrogate' },
    ];
    for (const sample of plainSorted) {
      expect(serialiseAuditData(sample)).toEqual({
        json: canonicalJson(JSON.parse(JSON.stringify(sample))),
        plain: true,
      });
    }
    // Near misses of the sorted, plain shape: the same text as the walk gives, and its plainness.
    const notPlain: unknown[] = [
      { a: -0 },
      { a: [1, undefined] },
      // biome-ignore lint/suspicious/noSparseArray: a hole is what this sample is about.
      { a: [1, , 2] },
      { a: Number.POSITIVE_INFINITY },
      { a: new Date(0) },
      { a: { toJSON: () => 'x' } },
      { a: () => 1 },
    ];
    for (const sample of notPlain)
      expect(serialiseAuditData(sample)).toEqual({
        json: canonicalJson(JSON.parse(JSON.stringify(sample))),
        plain: false,
      });
    const unsorted: unknown[] = [{ b: 1, a: 2 }, { '10': 1, '9': 2 }, { a: { z: 1, y: 2 } }, { e: 1, E: 2 }];
    for (const sample of unsorted)
      expect(serialiseAuditData(sample)).toEqual({
        json: canonicalJson(JSON.parse(JSON.stringify(sample))),
        plain: true,
      });
  });

  it('refuses what the earlier code refused: a bigint, a circular structure', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => serialiseAuditData({ big: 1n })).toThrow(TypeError);
    expect(() => serialiseAuditData(circular)).toThrow(TypeError);
  });
});

describe('duplicateJsonKey', () => {
  it('finds a key given twice in one object, at any depth, escaped or not', () => {
    expect(duplicateJsonKey('{"a":1,"a":2}')).toBe('a');
    expect(duplicateJsonKey('{"a":1,"b":{"c":1,"\\u0063":2}}')).toBe('c');
    expect(duplicateJsonKey('[{"a":1},{"a":2}]')).toBeUndefined();
    expect(duplicateJsonKey('{"a":"a","b":["a","a"],"c":{"a":1}}')).toBeUndefined();
    expect(duplicateJsonKey('{"x\\"y":1,"x\\"y":2}')).toBe('x"y');
    expect(duplicateJsonKey('{"a":{"b":1},"a":{}}')).toBe('a');
  });

  it('reads 100,000 levels of nesting and 100,000 keys in one pass, without recursion', () => {
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    expect(duplicateJsonKey(deep)).toBeUndefined();
    const wide = `{${Array.from({ length: 100_000 }, (_, index) => `"k${index}":${index}`).join(',')},"k5":0}`;
    expect(duplicateJsonKey(wide)).toBe('k5');
  });
});
