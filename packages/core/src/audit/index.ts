// Public API of the audit module: hash chain, verification, JSON Lines files, the governor's audit trail.
export {
  type AuditAttributeValue,
  type AuditLogger,
  type AuditLogRecord,
  AuditTrail,
  type AuditTrailOptions,
  getAuditLogger,
} from './audit-trail';
export {
  type AuditCheckpointAlgorithm,
  type AuditCheckpointData,
  type AuditSigningKey,
  type AuditVerifyingKey,
  auditKeyId,
  type CheckpointSigner,
  type CheckpointVerifier,
  checkpointPayload,
  createCheckpointSigner,
  createCheckpointVerifier,
} from './checkpoint';
export { canonicalJson, chainAuditEntries, GENESIS_HASH, hashAuditRecord } from './hash';
export {
  type AppendAuditFileOptions,
  appendAuditFile,
  formatAuditRecord,
  parseAuditLine,
  readAuditFile,
} from './jsonl';
export type { AuditProblem, AuditProblemKind, AuditVerification, VerifyAuditOptions } from './types';
export { type AuditStreamItem, readStoreAudit, verifyAuditChain } from './verify';
