import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/config-error';
import { MemoryStore } from '../store/memory-store';
import type { AuditRecord } from '../store/types';
import { AuditTrail, auditTrailOptions } from './audit-trail';
import { type AuditSigningKey, type AuditVerifyingKey, createCheckpointSigner } from './checkpoint';
import { formatAuditRecord, hashAuditRecord } from './index';
import { parseAuditLine, readAuditFile } from './jsonl';
import type { AuditProblemKind, AuditVerification } from './types';
import { verifyAuditChain } from './verify';

const HMAC = 'k'.repeat(40);
const OTHER_HMAC = 'o'.repeat(40);
const ed = generateKeyPairSync('ed25519');
const ED_PRIVATE = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const ED_PUBLIC = ed.publicKey.export({ type: 'spki', format: 'pem' }) as string;

let dir: string;
let diagnostics: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'genops-checkpoint-'));
  diagnostics = [];
  const logger: DiagLogger = {
    error: (message) => diagnostics.push(`error: ${message}`),
    warn: (message) => diagnostics.push(`warn: ${message}`),
    info: (message) => diagnostics.push(`info: ${message}`),
    debug: () => undefined,
    verbose: () => undefined,
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.INFO, suppressOverrideMessage: true });
});

afterEach(() => {
  diag.disable();
  rmSync(dir, { recursive: true, force: true });
});

/** 12 calls' worth of records through a real trail and memory store, with a checkpoint every 4 records. */
async function writeTrail(key: AuditSigningKey | undefined, name = 'audit.jsonl'): Promise<string[]> {
  const file = join(dir, name);
  const trail = new AuditTrail({
    store: new MemoryStore(),
    file,
    ...(key ? { checkpoint: { key, everyRecords: 4, intervalMs: 3_600_000 } } : {}),
  });
  for (let index = 1; index <= 12; index++) {
    trail.record({
      type: index % 2 ? 'decision' : 'settlement',
      at: 1_796_472_000_000 + index,
      subject: `awu-${index}`,
      data: { index, actualUsd: 0.001 * index },
    });
    // One batch per call, as calls spread over time.
    await trail.flush();
  }
  await trail.close();
  return readFileSync(file, 'utf8').trimEnd().split('\n');
}

function verifyLines(lines: readonly string[], keys?: AuditVerifyingKey[]): Promise<AuditVerification> {
  return verifyAuditChain(
    lines.map((line, index) => parseAuditLine(line, index + 1)),
    keys ? { keys } : {},
  );
}

function kinds(result: AuditVerification): AuditProblemKind[] {
  return [...new Set(result.problems.map((problem) => problem.kind))].sort();
}

function records(lines: readonly string[]): AuditRecord[] {
  return lines.map((line) => JSON.parse(line) as AuditRecord);
}

/** Recomputes every hash from `from` (0-based line) on, as someone rewriting the tail would. */
function rehash(list: AuditRecord[], from: number): string[] {
  for (let index = from; index < list.length; index++) {
    const record = list[index] as AuditRecord;
    const prevHash = index === 0 ? record.prevHash : (list[index - 1] as AuditRecord).hash;
    record.prevHash = prevHash;
    record.hash = hashAuditRecord(prevHash, record.seq, record);
  }
  return list.map((record) => formatAuditRecord(record));
}

describe('signed checkpoints', () => {
  it('writes checkpoint records into the chain, to the store and the file, and a final one at close()', async () => {
    const store = new MemoryStore();
    const file = join(dir, 'audit.jsonl');
    const trail = new AuditTrail({ store, file, checkpoint: { key: { hmac: HMAC }, everyRecords: 3 } });
    for (let index = 1; index <= 3; index++)
      trail.record({ type: 'decision', at: index, subject: `awu-${index}`, data: { index } });
    await trail.flush();
    trail.record({ type: 'decision', at: 4, subject: 'awu-4', data: { index: 4 } });
    await trail.close();
    const stored = await store.readAudit();
    expect(stored.map((record) => record.type)).toEqual([
      'decision',
      'decision',
      'decision',
      'checkpoint',
      'decision',
      'checkpoint',
    ]);
    const keyId = createCheckpointSigner({ hmac: HMAC }).keyId;
    expect(stored[3]?.data).toMatchObject({ alg: 'hmac-sha256', keyId, seq: 3, hash: stored[2]?.hash, final: false });
    expect(stored[5]?.data).toMatchObject({ seq: 5, hash: stored[4]?.hash, count: 5, final: true });
    expect(stored[5]?.data.sig).toMatch(/^[0-9a-f]{64}$/);
    const fromFile = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(fromFile).toEqual(stored.map((record) => formatAuditRecord(record)));
    const result = await verifyAuditChain(readAuditFile(file), { keys: [{ hmac: HMAC }] });
    expect(result).toMatchObject({ ok: true, checked: 6, checkpoints: 2, anchoredSeq: 5 });
  });

  it('signs with Ed25519: the public key verifies, another key does not', async () => {
    const lines = await writeTrail({ privateKey: ED_PRIVATE });
    expect(await verifyLines(lines, [{ publicKey: ED_PUBLIC }])).toMatchObject({ ok: true, checkpoints: 4 });
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const wrong = await verifyLines(lines, [{ publicKey: other }]);
    expect(kinds(wrong)).toEqual(['bad_checkpoint', 'unanchored']);
  });

  it('accepts several keys (rotation): each checkpoint is checked with the key it names', async () => {
    const before = await writeTrail({ hmac: OTHER_HMAC }, 'old.jsonl');
    expect(await verifyLines(before, [{ hmac: HMAC }, { hmac: OTHER_HMAC }])).toMatchObject({ ok: true });
    expect((await verifyLines(before, [{ hmac: HMAC }])).ok).toBe(false);
  });

  it('refuses keys that cannot sign with a ConfigError', () => {
    expect(() => createCheckpointSigner({ hmac: 'short' })).toThrow(ConfigError);
    expect(() => createCheckpointSigner({ privateKey: 'not a pem' })).toThrow(ConfigError);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => createCheckpointSigner({ privateKey: rsa })).toThrow(/not an Ed25519 private key/);
    expect(() => auditTrailOptions({ key: 'short' })).toThrow(ConfigError);
  });

  it('takes the key from GENOPS_AUDIT_KEY or GENOPS_AUDIT_PRIVATE_KEY when the options give none', () => {
    expect(auditTrailOptions(undefined, { GENOPS_AUDIT_KEY: HMAC }).checkpoint?.key).toEqual({ hmac: HMAC });
    expect(auditTrailOptions({}, { GENOPS_AUDIT_PRIVATE_KEY: ED_PRIVATE }).checkpoint?.key).toEqual({
      privateKey: ED_PRIVATE.trim(),
    });
    expect(auditTrailOptions({ key: HMAC }, { GENOPS_AUDIT_PRIVATE_KEY: ED_PRIVATE }).checkpoint?.key).toEqual({
      hmac: HMAC,
    });
    expect(auditTrailOptions(undefined, {}).checkpoint).toBeUndefined();
  });
});

describe('tamper matrix: what verify finds without and with the key', () => {
  const keys: AuditVerifyingKey[] = [{ hmac: HMAC }];
  let lines: string[];

  beforeEach(async () => {
    lines = await writeTrail({ hmac: HMAC });
    // 12 records and 4 checkpoints (after records 4, 8 and 12 of the calls, and the final one).
    expect(lines).toHaveLength(16);
    expect(await verifyLines(lines, keys)).toMatchObject({ ok: true, problems: [] });
    expect(await verifyLines(lines)).toMatchObject({ ok: true, problems: [] });
  });

  async function expectFound(
    tampered: string[],
    withoutKey: AuditProblemKind[] | 'undetected',
    withKey: AuditProblemKind[],
  ): Promise<void> {
    const plain = await verifyLines(tampered);
    if (withoutKey === 'undetected') expect(plain).toMatchObject({ ok: true, problems: [] });
    else expect(kinds(plain)).toEqual(withoutKey);
    const keyed = await verifyLines(tampered, keys);
    expect(keyed.ok).toBe(false);
    expect(kinds(keyed)).toEqual(withKey);
  }

  it('1. an edited record: found with and without the key', async () => {
    const tampered = [...lines];
    tampered[5] = (tampered[5] as string).replace('"actualUsd":0.005', '"actualUsd":0.0001');
    expect(tampered[5]).not.toBe(lines[5]);
    await expectFound(tampered, ['edited'], ['edited']);
  });

  it('2. a deleted record: found with and without the key', async () => {
    await expectFound(
      lines.filter((_, index) => index !== 6),
      ['missing'],
      ['missing'],
    );
  });

  it('3. two records swapped: found with and without the key', async () => {
    const tampered = [...lines];
    [tampered[5], tampered[6]] = [tampered[6] as string, tampered[5] as string];
    await expectFound(tampered, ['reordered'], ['reordered']);
  });

  it('4. a duplicated record: found with and without the key', async () => {
    const tampered = [...lines];
    tampered.splice(7, 0, tampered[6] as string);
    await expectFound(tampered, ['duplicate'], ['duplicate']);
  });

  it('5. the last records removed: found only with the key', async () => {
    await expectFound(lines.slice(0, -3), 'undetected', ['unanchored']);
    // Cut exactly after a periodic checkpoint: that one is not final.
    const cut = lines.findIndex((line) => line.includes('"final":false'));
    await expectFound(lines.slice(0, cut + 1), 'undetected', ['unanchored']);
  });

  it('6. a forged record appended with a correct hash: found only with the key', async () => {
    const list = records(lines);
    const last = list.at(-1) as AuditRecord;
    const forged = { type: 'decision' as const, at: last.at + 1, subject: 'awu-99', data: { index: 99 } };
    const hash = hashAuditRecord(last.hash, last.seq + 1, forged);
    const tampered = [...lines, formatAuditRecord({ ...forged, seq: last.seq + 1, prevHash: last.hash, hash })];
    await expectFound(tampered, 'undetected', ['unanchored']);
  });

  it('7. the tail edited and re-hashed: found only with the key', async () => {
    const list = records(lines);
    (list[9] as AuditRecord).data.actualUsd = 0;
    // The checkpoints after the change sign hashes the chain no longer has, the final one among them.
    await expectFound(rehash(list, 9), 'undetected', ['bad_checkpoint', 'unanchored']);
  });

  it('8. the whole file replaced by another chain: found only with the key', async () => {
    const unsigned = await writeTrail(undefined, 'other.jsonl');
    await expectFound(unsigned, 'undetected', ['unanchored']);
    const otherKey = await writeTrail({ hmac: OTHER_HMAC }, 'other-key.jsonl');
    await expectFound(otherKey, 'undetected', ['bad_checkpoint', 'unanchored']);
  });

  it('9. a duplicate JSON key in a line: refused with and without the key', async () => {
    const tampered = [...lines];
    tampered[5] = (tampered[5] as string).replace('"data":{', '"data":{"index":0,');
    await expectFound(tampered, ['malformed'], ['malformed']);
  });

  it('10. a checkpoint changed: found with and without the key; changed and re-hashed, only with it', async () => {
    const at = lines.findIndex((line) => line.includes('"type":"checkpoint"'));
    const edited = [...lines];
    edited[at] = (edited[at] as string).replace('"final":false', '"final":true');
    await expectFound(edited, ['edited'], ['bad_checkpoint', 'edited']);
    const list = records(lines);
    (list[at] as AuditRecord).data.seq = 2;
    await expectFound(rehash(list, at), 'undetected', ['bad_checkpoint', 'unanchored']);
  });
});

describe('a stuck audit file', () => {
  it('never holds up the store: close() leaves every record and the final checkpoint in the store', async () => {
    // A FIFO with no reader: opening it to append blocks in the thread pool, as a hung mount would.
    const fifo = join(dir, 'audit.fifo');
    execFileSync('mkfifo', [fifo]);
    const store = new MemoryStore();
    const trail = new AuditTrail({
      store,
      file: fifo,
      fileTimeoutMs: 50,
      checkpoint: { key: { hmac: HMAC } },
    });
    try {
      for (let index = 1; index <= 5; index++)
        trail.record({ type: 'decision', at: index, subject: `awu-${index}`, data: { index } });
      await trail.flush();
      trail.record({ type: 'decision', at: 6, subject: 'awu-6', data: { index: 6 } });
      await trail.close({ timeoutMs: 1_000 });
      const stored = await store.readAudit();
      expect(stored.map((record) => record.type)).toEqual([...Array(6).fill('decision'), 'checkpoint']);
      expect(await verifyAuditChain(stored, { keys: [{ hmac: HMAC }] })).toMatchObject({ ok: true });
      expect(trail.dropped).toBe(0);
      expect(diagnostics.some((line) => line.includes('has not finished after 50 ms'))).toBe(true);
      expect(diagnostics.some((line) => line.includes('not appended'))).toBe(false);
    } finally {
      // Let the stuck open finish: a reader comes, takes what was written, and goes.
      const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      await new Promise((resolve) => setTimeout(resolve, 50));
      closeSync(reader);
    }
  });
});

describe('GenOps.init({ audit: { key } })', () => {
  it('signs checkpoints into the audit file; shutdown() ends it with a final one that verifies', async () => {
    const { GenOps } = await import('../genops');
    const file = join(dir, 'init.jsonl');
    const handle = GenOps.init({ audit: { file, key: HMAC }, exporter: 'none' });
    await handle.shutdown();
    const result = await verifyAuditChain(readAuditFile(file), { keys: [{ hmac: HMAC }] });
    expect(result).toMatchObject({ ok: true, checkpoints: 1, anchoredSeq: 1 });
  });

  it('shutdown() with a stuck audit file keeps every record in the store, and says it is the file', async () => {
    const { GenOps } = await import('../genops');
    const fifo = join(dir, 'init.fifo');
    execFileSync('mkfifo', [fifo]);
    const handle = GenOps.init({ audit: { file: fifo, key: HMAC, fileTimeoutMs: 50 }, exporter: 'none' });
    const store = handle.governor.store;
    try {
      await handle.shutdown();
      const stored = await store.readAudit();
      expect(stored.map((record) => record.type)).toEqual(['policy', 'checkpoint']);
      expect(diagnostics.some((line) => line.includes('not appended'))).toBe(false);
      expect(diagnostics.some((line) => line.includes(`to ${fifo} has not finished after 50 ms`))).toBe(true);
    } finally {
      const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      await new Promise((resolve) => setTimeout(resolve, 50));
      closeSync(reader);
    }
  });

  it('refuses a key too short to sign with, before anything runs', async () => {
    const { GenOps } = await import('../genops');
    expect(() => GenOps.init({ audit: { key: 'short' }, exporter: 'none' })).toThrow(ConfigError);
  });
});
