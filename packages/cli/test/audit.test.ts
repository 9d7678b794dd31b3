import { generateKeyPairSync } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { MemoryStore } from '@genops/core';
import { AuditTrail, chainAuditEntries } from '@genops/core/internal';
import type { SqliteStore } from '@genops/store-sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AT, assertBuilt, runCli, sampleEntries, sampleRecords, startCli, toJsonl, waitFor } from './helpers';
import { sqliteStore } from './stores';

// `genops audit ...` against audit files written with core's chainAuditEntries, then tampered with.
let directory: string;
const records = sampleRecords();
const lines = toJsonl(records).trimEnd().split('\n');

async function auditFile(name: string, content: readonly string[]): Promise<string> {
  const file = join(directory, name);
  await writeFile(file, `${content.join('\n')}\n`);
  return file;
}

beforeAll(async () => {
  assertBuilt();
  directory = await mkdtemp(join(tmpdir(), 'genops-cli-audit-'));
});

afterAll(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('genops audit verify', () => {
  it('exits 0 and reports an intact chain with its last hash', async () => {
    const file = await auditFile('intact.jsonl', lines);
    const result = await runCli(['audit', 'verify', '--file', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `✔ 11 records, chain intact (seq 1–11, last hash ${records[10]!.hash.slice(0, 12)}…)`,
    );
  });

  it('finds a record edited by one byte', async () => {
    const edited = [...lines];
    expect(edited[4]).toContain('"actualUsd":0.001234');
    edited[4] = edited[4]!.replace('"actualUsd":0.001234', '"actualUsd":0.001235');
    const result = await runCli(['audit', 'verify', '--file', await auditFile('edited.jsonl', edited)]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✘ 1 problem in 11 records');
    expect(result.stdout).toContain('seq 5  edited  record 5 (settlement of 1f2c41aa…) was edited');
  });

  it('finds a deleted line', async () => {
    const deleted = lines.filter((_, index) => index !== 2);
    const result = await runCli(['audit', 'verify', '--file', await auditFile('deleted.jsonl', deleted)]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✘ 1 problem in 10 records');
    expect(result.stdout).toContain('seq 3  missing  record 3 is missing');
  });

  it('finds two swapped lines', async () => {
    const swapped = [...lines];
    [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
    const result = await runCli(['audit', 'verify', '--file', await auditFile('swapped.jsonl', swapped)]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'seq 5  reordered  record 5 (settlement of 1f2c41aa…) is out of order: it comes before record 4',
    );
  });

  it('finds a line that is not a record', async () => {
    const broken = [...lines];
    broken[5] = '{"seq": 6, "type": ';
    const result = await runCli(['audit', 'verify', '--file', await auditFile('malformed.jsonl', broken)]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('seq 6  malformed  line 6 is not an audit record: invalid JSON');
  });

  it('prints the verification as JSON', async () => {
    const deleted = lines.filter((_, index) => index !== 2);
    const file = await auditFile('deleted-json.jsonl', deleted);
    const result = await runCli(['audit', 'verify', '--file', file, '--json']);
    expect(result.code).toBe(1);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({
      file,
      ok: false,
      checked: 10,
      firstSeq: 1,
      lastSeq: 11,
      lastHash: records[10]!.hash,
    });
    expect(output.problems).toHaveLength(1);
    expect(output.problems[0]).toMatchObject({ seq: 3, kind: 'missing' });
  });

  it('accepts the file as an argument too, and says when the file has no records', async () => {
    const result = await runCli(['audit', 'verify', await auditFile('empty.jsonl', [])]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('has no audit records yet');
  });

  it('exits 2 for a missing file', async () => {
    const result = await runCli(['audit', 'verify', '--file', join(directory, 'nope.jsonl')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`genops: error: cannot read ${join(directory, 'nope.jsonl')} (ENOENT: no such file)\n`);
  });

  it('exits 2 for a file and --store together', async () => {
    const result = await runCli(['audit', 'verify', '--file', 'audit.jsonl', '--store', 'sqlite:genops.db']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('genops: error: give either an audit file or --store, not both\n');
  });

  it('without a file, reads the default store, and exits 2 saying how to name one when there is none', async () => {
    const empty = await mkdtemp(join(directory, 'no-store-'));
    const result = await runCli(['audit', 'verify'], {}, { cwd: empty });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'genops: error: no store at ./.genops/state.db (the default store, sqlite:./.genops/state.db). Pass --store <url> or set GENOPS_STORE to the store your app uses (GenOps.init({ store }), e.g. sqlite:./.genops/state.db or redis://127.0.0.1:6379), or --file <audit.jsonl> to read an audit file\n',
    );
  });
});

describe('genops audit verify with a key', () => {
  const key = 'k'.repeat(40);
  const ed = generateKeyPairSync('ed25519');

  /** A file written by core's AuditTrail, signing checkpoints every 3 records and a final one at close(). */
  async function signedFile(name: string, signing: { hmac: string } | { privateKey: string }): Promise<string[]> {
    const file = join(directory, name);
    const trail = new AuditTrail({ store: new MemoryStore(), file, checkpoint: { key: signing, everyRecords: 3 } });
    for (const entry of sampleEntries()) {
      trail.record(entry);
      await trail.flush();
    }
    await trail.close();
    return (await readFile(file, 'utf8')).trimEnd().split('\n');
  }

  it('checks the checkpoints with --key or GENOPS_AUDIT_KEY, and says when they were not checked', async () => {
    const signed = await signedFile('signed.jsonl', { hmac: key });
    const file = join(directory, 'signed.jsonl');
    const keyed = await runCli(['audit', 'verify', '--file', file, '--key', key]);
    expect(keyed.code).toBe(0);
    expect(keyed.stdout).toMatch(/Anchored: \d+ checkpoints, the last valid one final/);
    const fromEnv = await runCli(['audit', 'verify', file], { GENOPS_AUDIT_KEY: key });
    expect(fromEnv.code).toBe(0);
    const unkeyed = await runCli(['audit', 'verify', file]);
    expect(unkeyed.code).toBe(0);
    expect(unkeyed.stdout).toContain('checkpoints not checked: pass --key or --public-key');
    expect(signed.some((line) => line.includes('"type":"checkpoint"'))).toBe(true);
  });

  it('finds the last records removed only with the key', async () => {
    const signed = await signedFile('to-truncate.jsonl', { hmac: key });
    const file = await auditFile('truncated-signed.jsonl', signed.slice(0, -2));
    expect((await runCli(['audit', 'verify', file])).code).toBe(0);
    const keyed = await runCli(['audit', 'verify', file, '--key', key]);
    expect(keyed.code).toBe(1);
    expect(keyed.stdout).toContain('unanchored');
    expect(keyed.stdout).not.toContain(key);
  });

  it('verifies Ed25519 checkpoints with --public-key (a PEM file)', async () => {
    const privateKey = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await signedFile('ed25519.jsonl', { privateKey });
    const pem = join(directory, 'audit.pub.pem');
    await writeFile(pem, ed.publicKey.export({ type: 'spki', format: 'pem' }) as string);
    const result = await runCli(['audit', 'verify', join(directory, 'ed25519.jsonl'), '--public-key', pem]);
    expect(result.code).toBe(0);
    const wrong = await runCli(['audit', 'verify', join(directory, 'ed25519.jsonl'), '--key', key]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('bad_checkpoint');
  });

  it('exits 2 for a key too short to sign with, or a public key file that cannot be read', async () => {
    const file = await auditFile('any.jsonl', lines);
    const short = await runCli(['audit', 'verify', file, '--key', 'short']);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('too short');
    const missing = await runCli(['audit', 'verify', file, '--public-key', join(directory, 'nope.pem')]);
    expect(missing.code).toBe(2);
  });
});

describe('genops audit tail', () => {
  it('prints the last N records as a table with a summary of each', async () => {
    const file = await auditFile('tail.jsonl', lines);
    const result = await runCli(['audit', 'tail', '--file', file, '-n', '4']);
    expect(result.code).toBe(0);
    const output = result.stdout.trimEnd().split('\n');
    expect(output).toHaveLength(5);
    expect(output[0]).toMatch(/^\s+SEQ\s+TIME\s+TYPE\s+SUBJECT\s+SUMMARY$/);
    expect(output.slice(1).map((line) => line.trim().split(/\s+/)[0])).toEqual(['8', '9', '10', '11']);
    expect(output[1]).toBe(
      '     8  2026-11-23T10:00:03.500Z  settlement   3f2c41aa…  actual $0.001234 of $0.010088 reserved · 456 tokens',
    );
    expect(output[2]).toBe(
      '     9  2026-11-23T10:00:04.000Z  decision     4f2c41aa…  ALLOWED · openai/gpt-4o · reserved $0.010088',
    );
    expect(output[4]).toContain('approval     9f2c41aa…  approved by alice · rule requireApprovalOver');
  });

  it('reports a line that is not a record as a warning on stderr, and goes on', async () => {
    const file = await auditFile('tail-bad-line.jsonl', [...lines.slice(0, 2), 'not a record', ...lines.slice(2, 4)]);
    const result = await runCli(['audit', 'tail', '--file', file, '-n', '10']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^genops: warning: .*line 3/);
    expect(result.stdout.trimEnd().split('\n')).toHaveLength(5);
  });

  it('summarises a blocked decision with its reason and rule', async () => {
    const file = await auditFile('tail-blocked.jsonl', lines.slice(0, 6));
    const result = await runCli(['audit', 'tail', '--file', file, '-n', '1']);
    expect(result.stdout).toContain(
      'decision     2f2c41aa…  BLOCKED POLICY_DENY_MODEL rule approved-models · openai/gpt-3.5-turbo',
    );
  });

  it('prints records as JSON Lines with --json', async () => {
    const file = await auditFile('tail-json.jsonl', lines);
    const result = await runCli(['audit', 'tail', '--file', file, '-n', '2', '--json']);
    expect(result.code).toBe(0);
    const output = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(output).toEqual([records[9], records[10]]);
  });

  it('follows the file as records are appended, and exits 0 on Ctrl-C', async () => {
    const file = await auditFile('follow.jsonl', lines);
    const tail = startCli(['audit', 'tail', '--file', file, '-n', '1', '--follow']);
    try {
      await waitFor(
        () => tail.output().includes('approved by alice'),
        () => `initial output: ${tail.output()} ${tail.errors()}`,
      );
      const more = chainAuditEntries(records[10], [
        {
          type: 'settlement',
          at: AT + 20_000,
          subject: 'aaaaaaaa-0000-4000-8000-000000000001',
          data: { actualUsd: 0.5 },
        },
        {
          type: 'decision',
          at: AT + 21_000,
          subject: 'bbbbbbbb-0000-4000-8000-000000000002',
          data: { result: 'WARNING' },
        },
      ]);
      // Written in two steps, the second line at first without its newline: only complete lines are printed.
      const text = toJsonl(more);
      const cut = text.indexOf('\n') + 10;
      await appendFile(file, text.slice(0, cut));
      await waitFor(
        () => tail.output().includes('actual $0.500000'),
        () => `after the first append: ${tail.output()} ${tail.errors()}`,
      );
      expect(tail.output()).not.toContain('WARNING');
      await appendFile(file, text.slice(cut));
      await waitFor(
        () => tail.output().includes('WARNING'),
        () => `after the second append: ${tail.output()} ${tail.errors()}`,
      );
      const seqs = tail
        .output()
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(/\s+/)[0]);
      expect(seqs).toEqual(['11', '12', '13']);
    } finally {
      tail.child.kill('SIGINT');
    }
    expect(await tail.exited).toBe(0);
    expect(tail.errors()).toBe('');
  });
});

// The same commands on the audit chain of a real SQLite store (--store), written by this process.
describe('genops audit verify|tail --store', () => {
  let url: string;
  let store: SqliteStore;

  beforeAll(async () => {
    ({ url, store } = sqliteStore(directory, 'audit-store.db'));
    await store.appendAudit(sampleEntries());
  });

  afterAll(async () => {
    await store?.close();
  });

  it('verifies the chain of a store', async () => {
    const result = await runCli(['audit', 'verify', '--store', url]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `✔ 11 records, chain intact (seq 1–11, last hash ${records[10]!.hash.slice(0, 12)}…)\n` +
        'Records removed from the end leave no trace in the store itself: sign checkpoints (audit: { key }) and verify with --key, or compare the last seq and hash with a copy kept elsewhere.\n',
    );
    const json = await runCli(['audit', 'verify', '--json'], { GENOPS_STORE: url });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ store: url, ok: true, checked: 11, lastSeq: 11 });
  });

  it('tails the last records of a store, as it does a file', async () => {
    const result = await runCli(['audit', 'tail', '--store', url, '-n', '4']);
    expect(result.code).toBe(0);
    const fromFile = await runCli(['audit', 'tail', '--file', await auditFile('same.jsonl', lines), '-n', '4']);
    expect(result.stdout).toBe(fromFile.stdout);
    const json = await runCli(['audit', 'tail', '--store', url, '-n', '2', '--json']);
    expect(
      json.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([records[9], records[10]]);
  });

  it('follows a store as another process appends, and exits 0 on Ctrl-C', async () => {
    const followed = sqliteStore(directory, 'audit-follow.db');
    await followed.store.appendAudit(sampleEntries().slice(0, 3));
    const tail = startCli(['audit', 'tail', '--store', followed.url, '-n', '1', '--follow']);
    try {
      await waitFor(
        () => tail.output().includes('     3  '),
        () => `initial output: ${tail.output()} ${tail.errors()}`,
      );
      await followed.store.appendAudit([
        {
          type: 'settlement',
          at: AT + 20_000,
          subject: 'aaaaaaaa-0000-4000-8000-000000000001',
          data: { actualUsd: 0.5 },
        },
        {
          type: 'decision',
          at: AT + 21_000,
          subject: 'bbbbbbbb-0000-4000-8000-000000000002',
          data: { result: 'WARNING' },
        },
      ]);
      await waitFor(
        () => tail.output().includes('WARNING'),
        () => `after appending: ${tail.output()} ${tail.errors()}`,
      );
      const seqs = tail
        .output()
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(/\s+/)[0]);
      expect(seqs).toEqual(['3', '4', '5']);
      expect(tail.output()).toContain('actual $0.500000');
    } finally {
      tail.child.kill('SIGINT');
    }
    expect(await tail.exited).toBe(0);
    expect(tail.errors()).toBe('');
    await followed.store.close();
  });

  it('finds a record edited in the database', async () => {
    const tampered = sqliteStore(directory, 'audit-tampered.db');
    await tampered.store.appendAudit(sampleEntries());
    await tampered.store.close();
    const db = new DatabaseSync(tampered.path);
    db.prepare("UPDATE audit SET data = replace(data, '0.001234', '0.001235') WHERE seq = 5").run();
    db.prepare('DELETE FROM audit WHERE seq = 8').run();
    db.close();
    const result = await runCli(['audit', 'verify', '--store', tampered.url]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`✘ 2 problems in 10 records of ${tampered.url}`);
    expect(result.stdout).toContain('seq 5  edited  record 5 (settlement of 1f2c41aa…) was edited');
    expect(result.stdout).toContain('seq 8  missing  record 8 is missing');
  });

  it('says when the store has no audit records, and exits 2 for a store that cannot be opened', async () => {
    const fresh = sqliteStore(directory, 'audit-empty.db');
    await fresh.store.close();
    const result = await runCli(['audit', 'verify', '--store', fresh.url]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`✔ ${fresh.url} has no audit records yet\n`);
    const tail = await runCli(['audit', 'tail', '--store', fresh.url]);
    expect(tail.code).toBe(0);
    expect(tail.stdout.trimEnd().split('\n')).toHaveLength(1);
    const missing = await runCli(['audit', 'tail', '--store', `sqlite:${join(directory, 'nope.db')}`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('genops: error: no store at');
  });
});
