import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import { ConfigError } from '../errors/config-error';

/** How a checkpoint is signed: an HMAC-SHA256 with a shared secret, or an Ed25519 signature. */
export type AuditCheckpointAlgorithm = 'hmac-sha256' | 'ed25519';

/**
 * The `data` of a `checkpoint` audit record: a signed statement that the chain's record `seq` had hash
 * `hash` when this process had appended `count` records, at the record's `at`. `final` marks the last
 * checkpoint a trail writes (at `close()`/`shutdown()`).
 */
export interface AuditCheckpointData {
  alg: AuditCheckpointAlgorithm;
  /** Which key signed it (see {@link auditKeyId}): lets a verifier hold several keys (rotation). */
  keyId: string;
  seq: number;
  hash: string;
  count: number;
  final: boolean;
  /** The signature, lowercase hex. */
  sig: string;
}

/** A key that signs checkpoints: an HMAC secret, or an Ed25519 private key (PEM text or a `KeyObject`). */
export type AuditSigningKey = { hmac: string } | { privateKey: string | KeyObject };
/** A key that verifies checkpoints: the HMAC secret, or the Ed25519 public key (PEM, or a `KeyObject`). */
export type AuditVerifyingKey = { hmac: string } | { publicKey: string | KeyObject };

/** Signs checkpoints with one key. */
export interface CheckpointSigner {
  readonly alg: AuditCheckpointAlgorithm;
  readonly keyId: string;
  sign(payload: string): string;
}

/** Verifies checkpoints signed with one key. */
export interface CheckpointVerifier {
  readonly alg: AuditCheckpointAlgorithm;
  readonly keyId: string;
  verify(payload: string, sig: string): boolean;
}

/** Shortest HMAC secret accepted (bytes of UTF-8): a guessable key makes forged checkpoints easy. */
export const MIN_HMAC_KEY_LENGTH = 32;

/**
 * The text a checkpoint's signature covers (one line per field, so no field can run into another):
 * `genops.audit.checkpoint/1`, alg, keyId, seq, hash, count, at, `final` or `periodic`.
 */
export function checkpointPayload(data: Omit<AuditCheckpointData, 'sig'>, at: number): string {
  return `genops.audit.checkpoint/1\n${data.alg}\n${data.keyId}\n${data.seq}\n${data.hash}\n${data.count}\n${at}\n${data.final ? 'final' : 'periodic'}`;
}

/** A key's id: the first 16 hex digits of a SHA-256 of the HMAC secret, or of the Ed25519 public key (SPKI DER). */
export function auditKeyId(key: { hmac: string } | { publicKey: KeyObject }): string {
  if ('hmac' in key)
    return createHash('sha256').update('genops.audit.key-id\n').update(key.hmac).digest('hex').slice(0, 16);
  return createHash('sha256')
    .update(key.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

/** A signer for `key`; throws a `ConfigError` (at `path`) for a key that cannot sign. */
export function createCheckpointSigner(key: AuditSigningKey, path = 'audit'): CheckpointSigner {
  if ('hmac' in key) {
    const secret = hmacSecret(key.hmac, `${path}.key`);
    const keyId = auditKeyId({ hmac: secret });
    return { alg: 'hmac-sha256', keyId, sign: (payload) => createHmac('sha256', secret).update(payload).digest('hex') };
  }
  const privateKey = ed25519Key(key.privateKey, 'private', `${path}.privateKey`);
  const keyId = auditKeyId({ publicKey: createPublicKey(privateKey) });
  return { alg: 'ed25519', keyId, sign: (payload) => sign(null, Buffer.from(payload), privateKey).toString('hex') };
}

/** A verifier for `key`; throws a `ConfigError` (at `path`) for a key that cannot verify. */
export function createCheckpointVerifier(key: AuditVerifyingKey, path = 'key'): CheckpointVerifier {
  if ('hmac' in key) {
    const secret = hmacSecret(key.hmac, path);
    const keyId = auditKeyId({ hmac: secret });
    return {
      alg: 'hmac-sha256',
      keyId,
      verify(payload, sig) {
        const expected = createHmac('sha256', secret).update(payload).digest();
        const given = hexBytes(sig);
        return given !== undefined && given.length === expected.length && timingSafeEqual(given, expected);
      },
    };
  }
  const publicKey = ed25519Key(key.publicKey, 'public', path);
  const keyId = auditKeyId({ publicKey });
  return {
    alg: 'ed25519',
    keyId,
    verify(payload, sig) {
      const given = hexBytes(sig);
      return given !== undefined && given.length === 64 && verify(null, Buffer.from(payload), publicKey, given);
    },
  };
}

function hexBytes(text: string): Buffer | undefined {
  return /^(?:[0-9a-f]{2})+$/.test(text) ? Buffer.from(text, 'hex') : undefined;
}

function hmacSecret(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length < MIN_HMAC_KEY_LENGTH)
    throw new ConfigError({
      path,
      message: 'the audit HMAC key is missing or too short to resist guessing',
      expected: `a secret of at least ${MIN_HMAC_KEY_LENGTH} characters, e.g. \`openssl rand -hex 32\``,
      received: typeof value === 'string' ? `${value.length} characters` : typeof value,
    });
  return value;
}

function ed25519Key(value: string | KeyObject, kind: 'private' | 'public', path: string): KeyObject {
  let key: KeyObject;
  try {
    if (typeof value === 'string') key = kind === 'private' ? createPrivateKey(value) : createPublicKey(value);
    else key = kind === 'public' && value.type === 'private' ? createPublicKey(value) : value;
  } catch (error) {
    throw new ConfigError({
      path,
      message: `not a readable ${kind} key`,
      expected: `an Ed25519 ${kind} key in PEM (\`openssl genpkey -algorithm ed25519\`${kind === 'public' ? ', then `openssl pkey -pubout`' : ''})`,
      received: 'unreadable key text',
      cause: error,
    });
  }
  if (key.asymmetricKeyType !== 'ed25519' || key.type !== kind)
    throw new ConfigError({
      path,
      message: `not an Ed25519 ${kind} key (a ${key.asymmetricKeyType ?? 'secret'} ${key.type} key)`,
      expected: `an Ed25519 ${kind} key in PEM`,
      received: `${key.asymmetricKeyType ?? 'secret'} ${key.type} key`,
    });
  return key;
}
