import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../store/types';
import { chainAuditEntries } from './hash';
import { appendAuditFile, formatAuditRecord, parseAuditLine, readAuditFile } from './jsonl';
import type { AuditProblem } from './types';
import { verifyAuditChain } from './verify';

function chain(count: number): AuditRecord[] {
  return chainAuditEntries(
    undefined,
    Array.from({ length: count }, (_, index) => ({
      type: 'settlement' as const,
      at: 1_767_225_600_000 + index,
      subject: `awu-${index + 1}`,
      data: { actualUsd: 0.25 * (index + 1), model: 'gpt-4o', tags: ['a', 'b'], nested: { tokens: 120 + index } },
    })),
  );
}

function tempFile(name = 'audit.jsonl'): string {
  return join(mkdtempSync(join(tmpdir(), 'genops-audit-')), 'nested', 'dir', name);
}

async function collect(path: string): Promise<Array<AuditRecord | AuditProblem>> {
  const items: Array<AuditRecord | AuditProblem> = [];
  for await (const item of readAuditFile(path)) items.push(item);
  return items;
}

describe('audit JSON Lines files', () => {
  it('formats a record as canonical JSON and parses it back', () => {
    const [record] = chain(1);
    if (!record) throw new Error('no record');
    const line = formatAuditRecord({ ...record, extra: 'ignored' } as AuditRecord);
    expect(line).toBe(
      `{"at":1767225600000,"data":{"actualUsd":0.25,"model":"gpt-4o","nested":{"tokens":120},"tags":["a","b"]},"hash":"${record.hash}","prevHash":"${record.prevHash}","seq":1,"subject":"awu-1","type":"settlement"}`,
    );
    expect(parseAuditLine(line, 1)).toEqual(record);
  });

  it('reports lines that are not records with their line number', () => {
    expect(parseAuditLine('{"seq":1', 7)).toMatchObject({
      seq: 0,
      kind: 'malformed',
      line: 7,
      message: expect.stringMatching(/^line 7 is not an audit record: invalid JSON \(/),
    });
    expect(parseAuditLine('[1,2]', 2)).toEqual({
      seq: 0,
      kind: 'malformed',
      line: 2,
      message: 'line 2 is not an audit record: it is not a JSON object',
    });
    const [record] = chain(1);
    const { hash: _hash, ...withoutHash } = record ?? ({} as AuditRecord);
    expect(parseAuditLine(JSON.stringify(withoutHash), 3)).toEqual({
      seq: 1,
      kind: 'malformed',
      line: 3,
      message: 'line 3 (record 1) is not an audit record: it has no "hash"',
    });
    expect(parseAuditLine(JSON.stringify({ ...record, note: 'added by hand' }), 4)).toMatchObject({
      kind: 'malformed',
      message: 'line 4 (record 1) is not an audit record: it has an unexpected field "note"',
    });
    expect(parseAuditLine(JSON.stringify({ ...record, seq: 1.5 }), 5)).toMatchObject({
      kind: 'malformed',
      message: 'line 5 is not an audit record: "seq" is not a positive integer',
    });
  });

  it('appends to a new file in a new directory, then appends more, and reads it back verified', async () => {
    const path = tempFile();
    const records = chain(50);
    await appendAuditFile(path, records.slice(0, 20));
    await appendAuditFile(path, records.slice(20), { fsync: true });
    await appendAuditFile(path, []);
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n')).toHaveLength(51);
    expect(text.endsWith('\n')).toBe(true);
    expect(await collect(path)).toEqual(records);
    expect(await verifyAuditChain(readAuditFile(path))).toEqual({
      ok: true,
      checked: 50,
      firstSeq: 1,
      lastSeq: 50,
      lastHash: records[49]?.hash,
      problems: [],
      checkpoints: 0,
    });
  });

  it('detects a file edited by hand: one byte of one line changed', async () => {
    const path = tempFile();
    await appendAuditFile(path, chain(10));
    const bytes = readFileSync(path);
    const lines = bytes.toString('utf8').split('\n');
    // Line 7 (record 7): `"tokens":126` becomes `"tokens":127`.
    const offset =
      lines.slice(0, 6).join('\n').length + 1 + (lines[6]?.indexOf('"tokens":126') ?? -1) + '"tokens":12'.length;
    expect(String.fromCharCode(bytes[offset] ?? 0)).toBe('6');
    bytes[offset] = '7'.charCodeAt(0);
    writeFileSync(path, bytes);

    const result = await verifyAuditChain(readAuditFile(path));
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      {
        seq: 7,
        kind: 'edited',
        message: 'record 7 (settlement of awu-7) was edited: its hash does not match its content',
      },
    ]);
  });

  it('detects a line made unreadable by a one-byte change, and a line added by hand', async () => {
    const path = tempFile();
    await appendAuditFile(path, chain(6));
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[3] = `x${lines[3]?.slice(1)}`;
    lines.splice(5, 0, 'not a record');
    writeFileSync(path, lines.join('\n'));

    const result = await verifyAuditChain(readAuditFile(path));
    expect(result.problems).toEqual([
      {
        seq: 4,
        kind: 'malformed',
        line: 4,
        message: expect.stringMatching(
          /^line 4 is not an audit record: invalid JSON .*\(record 4 was expected there\)$/,
        ),
      },
      {
        seq: 6,
        kind: 'malformed',
        line: 6,
        message: expect.stringMatching(
          /^line 6 is not an audit record: invalid JSON .*\(record 6 was expected there\)$/,
        ),
      },
    ]);
    expect(result).toMatchObject({ checked: 5, lastSeq: 6 });
  });

  it('accepts CRLF line ends, a byte-order mark and blank lines', async () => {
    const path = tempFile();
    const records = chain(3);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `\uFEFF${records.map((record) => formatAuditRecord(record)).join('\r\n\r\n')}\r\n`);
    expect(await collect(path)).toEqual(records);
  });

  it('keeps U+2028 and U+2029 (unescaped in JSON strings) inside their line, and reads lines longer than a chunk', async () => {
    const path = tempFile();
    const records = chainAuditEntries(undefined, [
      { type: 'decision', at: 1, subject: 'a\u2028b', data: { model: 'x\u2029y', note: 'z'.repeat(200_000) } },
      { type: 'settlement', at: 2, subject: 'c', data: { line: 'one\u2028two\u2029three' } },
    ]);
    await appendAuditFile(path, records);
    expect(readFileSync(path, 'utf8')).toContain('\u2028');
    expect(await collect(path)).toEqual(records);
    expect(await verifyAuditChain(readAuditFile(path))).toMatchObject({ ok: true, checked: 2 });
  });

  it('rejects when the file cannot be read', async () => {
    await expect(collect(join(tmpdir(), 'genops-no-such-dir', 'audit.jsonl'))).rejects.toThrow(/ENOENT/);
  });

  it('stops reading when the consumer stops', async () => {
    const path = tempFile();
    await appendAuditFile(path, chain(100));
    const seen: number[] = [];
    for await (const item of readAuditFile(path)) {
      seen.push(item.seq);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([1, 2, 3]);
  });
});
