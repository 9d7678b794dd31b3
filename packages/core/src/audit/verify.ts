import type { AuditRecord, GovernanceStore } from '../store/types';
import { type CheckpointVerifier, checkpointPayload, createCheckpointVerifier } from './checkpoint';
import { GENESIS_HASH, hashAuditRecord } from './hash';
import { auditRecordShapeError, describeRecord, isAuditProblem, readableSeq, shortSubject } from './record-shape';
import type { AuditProblem, AuditProblemKind, AuditVerification, VerifyAuditOptions } from './types';

export type { AuditProblem, AuditProblemKind, AuditVerification, VerifyAuditOptions } from './types';

/** An item of a stream to verify: a record, or a problem found while reading one (see `readAuditFile`). */
export type AuditStreamItem = AuditRecord | AuditProblem;

/**
 * Checks an audit chain, streaming: memory stays bounded however long the chain (a window of the last
 * 4096 seen seqs and hashes is kept to recognise duplicates and late records; the problems list is capped
 * by `maxProblems`).
 *
 * It tells apart:
 * - `edited`: a record whose hash does not match its content (`data`, `at`, `type`, `subject`, `seq` or
 *   `prevHash` changed after it was written);
 * - `broken_link`: a record whose own hash is right but whose `prevHash` is not the previous record's hash
 *   (one of the two was changed and re-hashed, or a record was replaced), or whose seq skips while it
 *   still links to the previous record;
 * - `reordered`: a record that is not where its seq says (moved earlier or later; a swap of two
 *   neighbours is one problem, on the record that comes too early);
 * - `missing`: a seq that never appears (one problem per run of missing seqs);
 * - `duplicate`: a seq that appears again (an exact copy, or a second record with different content);
 * - `malformed`: an item that is not a record (from a file: a line that is not one).
 *
 * After a problem, checking continues from the records' own links, so every problem in the stream is
 * reported. What no hash chain can show on its own: records removed from the end (compare `lastSeq` and
 * `lastHash` with an anchor kept elsewhere), and a tail rewritten with every hash recomputed.
 *
 * Never throws for bad records; rejects only if iterating `records` does (e.g. the file cannot be read).
 */
export async function verifyAuditChain(
  records: Iterable<AuditStreamItem> | AsyncIterable<AuditStreamItem>,
  options: VerifyAuditOptions = {},
): Promise<AuditVerification> {
  const verifier = new ChainVerifier(options);
  for await (const item of records) verifier.add(item);
  return verifier.finish();
}

/**
 * Reads a store's whole audit chain (or from `fromSeq`) page by page, oldest first, for
 * {@link verifyAuditChain}: `verifyAuditChain(readStoreAudit(store))`.
 */
export async function* readStoreAudit(
  store: Pick<GovernanceStore, 'readAudit'>,
  options: { fromSeq?: number; pageSize?: number } = {},
): AsyncGenerator<AuditRecord, void, undefined> {
  let fromSeq = options.fromSeq ?? 1;
  const limit = options.pageSize ?? 1000;
  for (;;) {
    const page = await store.readAudit({ fromSeq, limit });
    yield* page;
    const last = page[page.length - 1];
    if (page.length < limit || last === undefined || last.seq < fromSeq) return;
    fromSeq = last.seq + 1;
  }
}

/** Seqs and hashes remembered to recognise duplicates and check the links of late records. */
const RECENT_WINDOW = 4096;
/** Open gaps (seqs not seen yet) remembered; beyond it the oldest gap is reported as missing at once. */
const MAX_GAPS = 1024;
/** Records that came before their predecessor, kept until the chain reaches them. */
const MAX_EARLY = 1024;

interface Link {
  seq: number;
  /** `undefined` when the first record's `prevHash` is not checked (`fromSeq` > 1 without `expectedPrevHash`). */
  hash: string | undefined;
}

interface Seen {
  hash: string;
  prevHash: string;
}

interface Early extends Seen {
  seq: number;
  type: string;
  subject: string;
}

/** Seqs from..to not seen (yet) when the chain jumped past them. */
interface Gap {
  from: number;
  to: number;
  /** The record the chain jumped to. */
  next: { seq: number; type: string; subject: string };
  /** Whether `next.prevHash` differed from the hash of record `from - 1` at the jump. */
  linkMismatch: boolean;
}

/** A run of consecutive records that came after later ones: reported once. */
interface LateRun {
  first: number;
  last: number;
  label: string;
  after: number;
  problem: AuditProblem | undefined;
}

interface Jump {
  record: Early;
  prevTip: Link;
  malformedBefore: number;
  gapsPushed: number;
  consumedEarly: Early[];
}

class ChainVerifier {
  private readonly fromSeq: number;
  private readonly maxProblems: number;
  private tip: Link;
  private checked = 0;
  private position = 0;
  private firstSeq: number | undefined;
  private readonly problems: AuditProblem[] = [];
  private omitted = 0;
  private readonly recent = new Map<number, Seen>();
  private readonly gaps: Gap[] = [];
  private readonly early = new Map<number, Early>();
  /** Unreadable items since the tip: they stand in for the records expected there. */
  private malformedSinceTip = 0;
  /** Set while the record just read made the chain jump: the next record may show that it came early. */
  private lastJump: Jump | undefined;
  private previous: { seq: number; hash: string; late: LateRun | undefined } | undefined;
  private readonly verifiers: Map<string, CheckpointVerifier> | undefined;
  private checkpoints = 0;
  /** The last checkpoint that verified: its own seq, the seq it signs, and whether it is final. */
  private anchor: { seq: number; signs: number; final: boolean } | undefined;
  private highestSeq = 0;

  constructor(options: VerifyAuditOptions) {
    const fromSeq = options.fromSeq ?? 1;
    if (!Number.isSafeInteger(fromSeq) || fromSeq < 1)
      throw new RangeError(`fromSeq must be a positive integer, got ${fromSeq}`);
    this.fromSeq = fromSeq;
    this.maxProblems = options.maxProblems ?? 1000;
    this.tip = { seq: fromSeq - 1, hash: options.expectedPrevHash ?? (fromSeq === 1 ? GENESIS_HASH : undefined) };
    if (options.keys && options.keys.length > 0) {
      this.verifiers = new Map();
      for (const key of options.keys) {
        const verifier = 'verify' in key ? key : createCheckpointVerifier(key);
        this.verifiers.set(verifier.keyId, verifier);
      }
    }
  }

  add(item: unknown): void {
    this.position += 1;
    if (isAuditProblem(item)) {
      this.malformed(item.seq, item.message, item.line, item.kind);
      return;
    }
    const shapeError = auditRecordShapeError(item);
    if (shapeError !== undefined) {
      const seq = readableSeq(item);
      this.malformed(
        seq,
        seq > 0
          ? `record ${seq} is malformed: ${shapeError}`
          : `item ${this.position} is not an audit record: ${shapeError}`,
      );
      return;
    }
    const record = item as AuditRecord;
    this.record(record);
    if (record.seq > this.highestSeq) this.highestSeq = record.seq;
    if (record.type === 'checkpoint') this.checkpoint(record);
  }

  /** A checkpoint record: with keys, its signature and the hash it signs are checked. */
  private checkpoint(record: AuditRecord): void {
    this.checkpoints += 1;
    if (!this.verifiers) return;
    const label = describeRecord(record, record.seq);
    const data = record.data as Record<string, unknown>;
    const { alg, keyId, seq, hash, count, final, sig } = data;
    if (
      (alg !== 'hmac-sha256' && alg !== 'ed25519') ||
      typeof keyId !== 'string' ||
      typeof seq !== 'number' ||
      !Number.isSafeInteger(seq) ||
      typeof hash !== 'string' ||
      typeof count !== 'number' ||
      typeof final !== 'boolean' ||
      typeof sig !== 'string' ||
      Object.keys(data).length !== 7
    ) {
      this.report(record.seq, 'bad_checkpoint', `${label} is not a checkpoint: its data lacks or adds a field`);
      return;
    }
    const verifier = this.verifiers.get(keyId);
    if (!verifier || verifier.alg !== alg) {
      this.report(
        record.seq,
        'bad_checkpoint',
        `${label} is signed with key ${keyId} (${alg}), which was not given: pass that key, or the checkpoint is forged`,
      );
      return;
    }
    if (!verifier.verify(checkpointPayload({ alg, keyId, seq, hash, count, final }, record.at), sig)) {
      this.report(
        record.seq,
        'bad_checkpoint',
        `${label} has a signature that does not verify: it was forged or changed`,
      );
      return;
    }
    const signed = this.recent.get(seq);
    if (!signed) {
      if (seq >= this.fromSeq && seq < record.seq)
        this.report(
          record.seq,
          'bad_checkpoint',
          `${label} signs record ${seq}, which was not read (missing, or too far back to compare)`,
        );
    } else if (signed.hash !== hash) {
      this.report(
        record.seq,
        'bad_checkpoint',
        `${label} signs hash ${hash.slice(0, 12)}… for record ${seq}, but the chain has ${signed.hash.slice(0, 12)}…: records up to ${seq} were changed and re-hashed`,
      );
      return;
    }
    if (!this.anchor || record.seq > this.anchor.seq) this.anchor = { seq: record.seq, signs: seq, final };
  }

  /** With keys: the chain must end with a valid final checkpoint. */
  private checkAnchor(): void {
    if (!this.verifiers || this.checked === 0) return;
    const anchor = this.anchor;
    if (!anchor) {
      this.report(
        this.highestSeq,
        'unanchored',
        'no valid signed checkpoint: nothing anchors this chain (it was written without a key, with another key, or replaced)',
      );
      return;
    }
    if (this.highestSeq > anchor.seq) {
      const from = anchor.seq + 1;
      const range = from === this.highestSeq ? `record ${from}` : `records ${from}–${this.highestSeq}`;
      this.report(
        from,
        'unanchored',
        `${range} come after the last valid checkpoint (record ${anchor.seq}): they may have been appended, or the records and checkpoint after them removed (a process still running anchors them at its next checkpoint)`,
      );
    } else if (!anchor.final) {
      this.report(
        anchor.seq,
        'unanchored',
        `the chain ends with a periodic checkpoint (record ${anchor.seq}), not a final one: records after it may have been removed (or the process is still running, or did not shut down)`,
      );
    }
  }

  finish(): AuditVerification {
    // Records that came early but whose predecessors never came: the chain jumps to them.
    for (const early of [...this.early.values()].sort((a, b) => a.seq - b.seq)) {
      if (early.seq <= this.tip.seq) continue;
      const from = this.tip.seq + 1 + Math.min(this.malformedSinceTip, early.seq - this.tip.seq - 1);
      if (from <= early.seq - 1)
        this.pushGap({ from, to: early.seq - 1, next: early, linkMismatch: this.tip.hash !== early.prevHash });
      this.tip = { seq: early.seq, hash: early.hash };
      this.malformedSinceTip = 0;
    }
    this.early.clear();
    for (const gap of this.gaps) this.reportMissing(gap);
    this.gaps.length = 0;
    this.checkAnchor();
    this.problems.sort((a, b) => a.seq - b.seq || (a.line ?? 0) - (b.line ?? 0));
    const result: AuditVerification = {
      ok: this.problems.length === 0 && this.omitted === 0,
      checked: this.checked,
      problems: this.problems,
      checkpoints: this.checkpoints,
    };
    if (this.anchor) result.anchoredSeq = this.anchor.signs;
    if (this.firstSeq !== undefined) result.firstSeq = this.firstSeq;
    if (this.checked > 0) {
      result.lastSeq = this.tip.seq;
      if (this.tip.hash !== undefined) result.lastHash = this.tip.hash;
    }
    if (this.omitted > 0) result.omittedProblems = this.omitted;
    return result;
  }

  private record(record: AuditRecord): void {
    this.checked += 1;
    this.firstSeq ??= record.seq;
    const selfOk = hashAuditRecord(record.prevHash, record.seq, record) === record.hash;
    let seq = record.seq;
    if (!selfOk) {
      // An edited seq is not trusted when the record's link says where it stands.
      if (this.tip.hash !== undefined && record.prevHash === this.tip.hash) seq = this.tip.seq + 1;
      const note = seq === record.seq ? '' : ` (its seq now says ${record.seq})`;
      this.report(
        seq,
        'edited',
        `${describeRecord(record, seq)} was edited: its hash does not match its content${note}`,
      );
    }

    const jump = this.lastJump;
    this.lastJump = undefined;
    if (jump && seq > jump.prevTip.seq && seq < jump.record.seq && record.prevHash !== jump.record.hash) {
      this.undoJump(jump);
      this.report(
        jump.record.seq,
        'reordered',
        `${describeRecord(jump.record, jump.record.seq)} is out of order: it comes before record ${seq}`,
      );
    }

    if (seq === this.tip.seq + 1) {
      if (selfOk && this.tip.hash !== undefined && record.prevHash !== this.tip.hash)
        this.reportBrokenLink(record, seq);
      this.accept(record, seq);
    } else if (seq > this.tip.seq + 1) {
      this.jumpTo(record, seq, selfOk);
    } else {
      this.backwards(record, seq, selfOk);
      return;
    }
    this.previous = { seq, hash: record.hash, late: undefined };
  }

  /** The record extends the chain; records that came early and follow it join too. */
  private accept(record: Seen, seq: number): Early[] {
    this.tip = { seq, hash: record.hash };
    this.malformedSinceTip = 0;
    this.remember(seq, record);
    const consumed: Early[] = [];
    for (let next = this.early.get(seq + 1); next; next = this.early.get(this.tip.seq + 1)) {
      this.early.delete(next.seq);
      consumed.push(next);
      if (next.prevHash !== this.tip.hash) this.reportBrokenLink(next, next.seq);
      this.tip = { seq: next.seq, hash: next.hash };
      this.remember(next.seq, next);
    }
    return consumed;
  }

  private jumpTo(record: AuditRecord, seq: number, selfOk: boolean): void {
    const prevTip = { ...this.tip };
    const malformedBefore = this.malformedSinceTip;
    const to = seq - 1;
    // Unreadable items read since the tip stood where these records were expected.
    const from = this.tip.seq + 1 + Math.min(this.malformedSinceTip, to - this.tip.seq);
    // Records that came early and belong in the gap are not missing.
    const consumed: Early[] = [];
    const ranges: Array<[number, number]> = [];
    let cursor = from;
    if (from <= to && this.early.size > 0) {
      const inside = [...this.early.values()].filter((early) => early.seq >= from && early.seq <= to);
      for (const early of inside.sort((a, b) => a.seq - b.seq)) {
        if (early.seq > cursor) ranges.push([cursor, early.seq - 1]);
        cursor = early.seq + 1;
        this.early.delete(early.seq);
        consumed.push(early);
        const before = this.recent.get(early.seq - 1);
        if (before && early.prevHash !== before.hash) this.reportBrokenLink(early, early.seq);
        this.remember(early.seq, early);
      }
    }
    if (cursor <= to) ranges.push([cursor, to]);

    let gapsPushed = 0;
    if (ranges.length === 0) {
      const before = this.recent.get(seq - 1);
      if (selfOk && consumed.length > 0 && before && record.prevHash !== before.hash)
        this.reportBrokenLink(record, seq);
    } else if (
      selfOk &&
      this.tip.hash !== undefined &&
      record.prevHash === this.tip.hash &&
      consumed.length === 0 &&
      from === this.tip.seq + 1
    ) {
      const skipped = from === to ? `${from}` : `${from}–${to}`;
      this.report(
        seq,
        'broken_link',
        `${describeRecord(record, seq)} links to record ${this.tip.seq} but its seq skips ${skipped}: the numbering is wrong`,
      );
    } else {
      for (const [gapFrom, gapTo] of ranges) {
        const borders = gapTo === to;
        this.pushGap({
          from: gapFrom,
          to: gapTo,
          next: borders ? record : (consumed.find((early) => early.seq === gapTo + 1) ?? record),
          linkMismatch: borders && gapFrom === this.tip.seq + 1 && this.tip.hash !== record.prevHash,
        });
        gapsPushed += 1;
      }
    }
    const consumedAtAccept = this.accept(record, seq);
    if (gapsPushed > 0)
      this.lastJump = {
        record: { seq, type: record.type, subject: record.subject, hash: record.hash, prevHash: record.prevHash },
        prevTip,
        malformedBefore,
        gapsPushed,
        consumedEarly: [...consumed, ...consumedAtAccept],
      };
  }

  /** The record read before this one came early: the chain goes back to where it was. */
  private undoJump(jump: Jump): void {
    this.gaps.splice(Math.max(0, this.gaps.length - jump.gapsPushed), jump.gapsPushed);
    this.tip = jump.prevTip;
    this.malformedSinceTip = jump.malformedBefore;
    for (const early of [jump.record, ...jump.consumedEarly]) {
      this.recent.delete(early.seq);
      this.addEarly(early);
    }
  }

  private backwards(record: AuditRecord, seq: number, selfOk: boolean): void {
    const previous = this.previous;
    const gapIndex = this.gaps.findIndex((gap) => seq >= gap.from && seq <= gap.to);
    if (gapIndex >= 0) {
      this.fillGap(gapIndex, seq);
      let late: LateRun;
      if (previous?.late && previous.seq === seq - 1 && record.prevHash === previous.hash) {
        late = previous.late;
        late.last = seq;
        if (late.problem)
          late.problem.message = `records ${late.first}–${late.last} (the first: ${late.label}) are out of order: they appear after record ${late.after}`;
      } else {
        const before = this.recent.get(seq - 1);
        if (selfOk && before && record.prevHash !== before.hash) this.reportBrokenLink(record, seq);
        const label = describeRecord(record, seq);
        const after = previous?.seq ?? this.tip.seq;
        const problem = this.report(seq, 'reordered', `${label} is out of order: it appears after record ${after}`);
        late = { first: seq, last: seq, label: `${record.type} of ${shortSubject(record.subject)}`, after, problem };
      }
      const next = this.recent.get(seq + 1);
      if (next && next.prevHash !== record.hash)
        this.report(
          seq + 1,
          'broken_link',
          `record ${seq + 1} does not link to record ${seq}: its prevHash is not that record's hash`,
        );
      this.remember(seq, record);
      this.previous = { seq, hash: record.hash, late };
      return;
    }
    const label = describeRecord(record, seq);
    const seen = this.early.get(seq) ?? this.recent.get(seq);
    if (seq < this.fromSeq) {
      this.report(seq, 'reordered', `${label} comes before the first record checked (record ${this.fromSeq})`);
    } else if (seen?.hash === record.hash) {
      this.report(seq, 'duplicate', `${label} appears twice: this copy is a duplicate`);
    } else if (seen) {
      this.report(
        seq,
        'duplicate',
        `${label} appears twice with different content: a second chain or an inserted record has the same seq`,
      );
    } else {
      this.report(
        seq,
        'duplicate',
        `${label} appears again: record ${seq} was already read (too far back to compare the two)`,
      );
    }
    this.previous = { seq, hash: record.hash, late: undefined };
  }

  private malformed(seq: number, message: string, line?: number, kind: AuditProblemKind = 'malformed'): void {
    const expected = this.tip.seq + 1 + this.malformedSinceTip;
    if (kind === 'malformed') this.malformedSinceTip += 1;
    const text = seq > 0 ? message : `${message} (record ${expected} was expected there)`;
    this.report(seq > 0 ? seq : expected, kind, text, line);
  }

  private reportBrokenLink(record: { type: string; subject: string }, seq: number): void {
    const label = describeRecord(record, seq);
    if (seq - 1 < this.fromSeq) {
      const expected = this.fromSeq === 1 ? 'the genesis hash (64 zeros)' : 'the expected hash';
      this.report(seq, 'broken_link', `${label} does not start the chain: its prevHash is not ${expected}`);
    } else {
      this.report(
        seq,
        'broken_link',
        `${label} does not link to record ${seq - 1}: its prevHash is not that record's hash (one of the two was changed and re-hashed, or replaced)`,
      );
    }
  }

  private reportMissing(gap: Gap): void {
    const what =
      gap.from === gap.to
        ? `record ${gap.from} is missing`
        : `records ${gap.from}–${gap.to} are missing (${gap.to - gap.from + 1} records)`;
    const next = gap.to + 1 === gap.next.seq ? describeRecord(gap.next, gap.next.seq) : `record ${gap.to + 1}`;
    let context: string;
    if (gap.from <= this.fromSeq) context = `the chain begins at ${next}`;
    else {
      context = `${next} follows record ${gap.from - 1}`;
      if (gap.linkMismatch) context += ` and its prevHash does not match that record's hash`;
    }
    this.report(gap.from, 'missing', `${what}: ${context}`);
  }

  private fillGap(index: number, seq: number): void {
    const gap = this.gaps[index];
    if (!gap) return;
    if (gap.from === gap.to) this.gaps.splice(index, 1);
    else if (seq === gap.from) gap.from += 1;
    else if (seq === gap.to) gap.to -= 1;
    else this.gaps.splice(index, 1, { ...gap, to: seq - 1 }, { ...gap, from: seq + 1 });
  }

  private pushGap(gap: Gap): void {
    this.gaps.push(gap);
    if (this.gaps.length > MAX_GAPS) {
      const oldest = this.gaps.shift();
      if (oldest) this.reportMissing(oldest);
    }
  }

  private addEarly(early: Early): void {
    this.early.set(early.seq, early);
    // Bounded memory: forgetting an early record makes its seq look missing later, never hides a problem.
    if (this.early.size > MAX_EARLY) {
      const oldest = this.early.keys().next();
      if (!oldest.done) this.early.delete(oldest.value);
    }
  }

  private remember(seq: number, record: Seen): void {
    this.recent.delete(seq);
    this.recent.set(seq, { hash: record.hash, prevHash: record.prevHash });
    if (this.recent.size > RECENT_WINDOW) {
      const oldest = this.recent.keys().next();
      if (!oldest.done) this.recent.delete(oldest.value);
    }
  }

  private report(seq: number, kind: AuditProblemKind, message: string, line?: number): AuditProblem | undefined {
    if (this.problems.length >= this.maxProblems) {
      this.omitted += 1;
      return undefined;
    }
    const problem: AuditProblem = line === undefined ? { seq, kind, message } : { seq, kind, message, line };
    this.problems.push(problem);
    return problem;
  }
}
