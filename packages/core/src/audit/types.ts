import type { AuditVerifyingKey, CheckpointVerifier } from './checkpoint';

/** What is wrong with one place in an audit chain. */
export type AuditProblemKind =
  | 'edited'
  | 'reordered'
  | 'missing'
  | 'duplicate'
  | 'broken_link'
  | 'malformed'
  /** A `checkpoint` record whose signature does not verify, signed by an unknown key, or that signs a hash the chain does not have. */
  | 'bad_checkpoint'
  /** With keys: no valid checkpoint at all, records after the last one, or a trail that ends without a final one. */
  | 'unanchored';

/** One problem found in an audit chain, for a person at a terminal. */
export interface AuditProblem {
  /**
   * The record the problem is about. For `missing`, the first missing seq (a run of missing records is one
   * problem). For `malformed`, the seq the unreadable item carries when it has one, otherwise the seq expected
   * at its place (from `verifyAuditChain`), or 0 when unknown (from `parseAuditLine` alone).
   */
  seq: number;
  kind: AuditProblemKind;
  /** Which record (seq, type, subject) and what is wrong, e.g. `record 17 (settlement of 3f2c41aa…) was edited: …`. */
  message: string;
  /** 1-based line in the audit file, for problems found while reading a file. */
  line?: number;
}

/** The result of `verifyAuditChain`. */
export interface AuditVerification {
  /** `true` when no problem was found. */
  ok: boolean;
  /** Number of records checked (unreadable items are not records and are not counted). */
  checked: number;
  /** Seq of the first record read. */
  firstSeq?: number;
  /** Seq of the head of the chain (the highest seq the chain reached), to compare with an anchor kept elsewhere. */
  lastSeq?: number;
  /** Hash of the head of the chain. */
  lastHash?: string;
  /** Problems, ordered by seq (at most `maxProblems`). */
  problems: AuditProblem[];
  /** Problems found beyond `maxProblems` and left out of `problems`; absent when none. */
  omittedProblems?: number;
  /** `checkpoint` records read (whatever their signatures). */
  checkpoints: number;
  /** With keys: the highest seq a valid checkpoint signs (everything up to it is anchored). */
  anchoredSeq?: number;
}

/** Options of `verifyAuditChain`. */
export interface VerifyAuditOptions {
  /**
   * Seq the records start at (default 1). With 1, the first record must link to the genesis hash; with a
   * later seq, pass `expectedPrevHash` (the hash of record `fromSeq - 1`) to check the first link too.
   */
  fromSeq?: number;
  /** `prevHash` the first record must have. Default: the genesis hash when `fromSeq` is 1, unchecked otherwise. */
  expectedPrevHash?: string;
  /** Most problems to list (default 1000); the rest are only counted in `omittedProblems`. */
  maxProblems?: number;
  /**
   * Keys that verify checkpoints (HMAC secrets, Ed25519 public keys; several for rotation). With keys,
   * every `checkpoint` record's signature is checked, the hash it signs must be the chain's, and the
   * chain must end with a valid final checkpoint (truncation, appended records and a replaced file are
   * then found). Without, checkpoints are checked as records only.
   */
  keys?: ReadonlyArray<AuditVerifyingKey | CheckpointVerifier>;
}
