import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { GovernanceStore } from '@genops/core';
import type { ApprovalRecord } from '@genops/core/internal';
import { optionError } from './errors';

// Signed, single-use, expiring approve/deny links (`<console>/approve/<token>`), sent by the approval
// webhook and decided by the console. A token is `<approval id>.<a|d>.<expiry, base 36 ms>.<nonce>.<mac>`
// where mac = HMAC-SHA256(secret, everything before it), base64url. Single use: the console marks the
// nonce once in the governance store (`markOnce`), so every replica sharing the store refuses a reuse.

export type LinkDecision = 'approve' | 'deny';

export interface ApprovalLinksOptions {
  /** HMAC-SHA256 key, at least 32 characters (e.g. `openssl rand -base64 32`). Keep it out of the policy file. */
  secret: string;
  /** The console's public URL, e.g. `https://genops.example.com/console`: links are `<baseUrl>/approve/<token>`. */
  baseUrl: string;
  /** How long a link is valid, ms; never past the held call's own expiry. Default 1 hour. */
  ttlMs?: number;
}

/** Why a link was refused. */
export type LinkProblem = 'malformed' | 'tampered' | 'expired' | 'reused' | 'unknown' | 'already_decided';

export interface VerifiedLink {
  approvalId: string;
  decision: LinkDecision;
  expiresAt: number;
  nonce: string;
}

export type LinkCheck = { ok: true; link: VerifiedLink } | { ok: false; problem: LinkProblem };

export interface ApprovalLinks {
  readonly baseUrl: string;
  /** The approve and deny links of a pending approval. */
  linksFor(approval: Pick<ApprovalRecord, 'id' | 'expiresAt'>, now?: number): { approve: string; deny: string };
  /** A token for one decision (what `linksFor` puts in the URLs). */
  sign(approvalId: string, decision: LinkDecision, expiresAt: number, nonce?: string): string;
  /** Checks a token's form, signature and expiry (not its use, nor the approval's state). */
  verify(token: string, now?: number): LinkCheck;
  /**
   * Uses a verified link once: `false` when it was used before (by any process sharing `store`). The mark
   * is kept until the link expires.
   */
  consume(store: GovernanceStore, link: VerifiedLink): Promise<boolean>;
}

const MIN_SECRET = 32;
const DEFAULT_TTL_MS = 3_600_000;
/** Longest token accepted: an id of 128 characters plus the fixed parts; anything longer is malformed. */
const MAX_TOKEN = 256;
const ID_CHARS = /^[A-Za-z0-9_-]{1,128}$/;
const NONCE_CHARS = /^[A-Za-z0-9_-]{16,64}$/;
const EXPIRY_CHARS = /^[0-9a-z]{1,12}$/;
const MAC_CHARS = /^[A-Za-z0-9_-]{43}$/;

/** Signs and checks approve/deny links; give the same options to the webhook and to the console. */
export function createApprovalLinks(options: ApprovalLinksOptions): ApprovalLinks {
  const { secret } = options ?? ({} as ApprovalLinksOptions);
  if (typeof secret !== 'string' || secret.length < MIN_SECRET)
    throw optionError(
      'links.secret',
      'the link secret is missing or too short',
      `a string of at least ${MIN_SECRET} characters, e.g. from \`openssl rand -base64 32\``,
      typeof secret === 'string' ? `a string of ${secret.length} characters` : undefined,
    );
  const baseUrl = parseBaseUrl(options.baseUrl);
  const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0)
    throw optionError('links.ttlMs', 'the link lifetime is not a positive whole number of ms', 'e.g. 3600000', ttlMs);

  const mac = (payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');
  const sign = (approvalId: string, decision: LinkDecision, expiresAt: number, nonce = newNonce()): string => {
    if (!ID_CHARS.test(approvalId)) throw new TypeError(`approval id ${JSON.stringify(approvalId)} cannot be linked`);
    const payload = `${approvalId}.${decision === 'approve' ? 'a' : 'd'}.${Math.floor(expiresAt).toString(36)}.${nonce}`;
    return `${payload}.${mac(payload)}`;
  };

  return {
    baseUrl,
    sign,
    linksFor(approval, now = Date.now()) {
      const expiresAt = Math.min(approval.expiresAt, now + ttlMs);
      return {
        approve: `${baseUrl}/approve/${sign(approval.id, 'approve', expiresAt)}`,
        deny: `${baseUrl}/approve/${sign(approval.id, 'deny', expiresAt)}`,
      };
    },
    verify(token, now = Date.now()) {
      if (typeof token !== 'string' || token.length > MAX_TOKEN) return { ok: false, problem: 'malformed' };
      const parts = token.split('.');
      if (parts.length !== 5) return { ok: false, problem: 'malformed' };
      const [approvalId = '', code = '', expiry = '', nonce = '', given = ''] = parts;
      if (
        !ID_CHARS.test(approvalId) ||
        (code !== 'a' && code !== 'd') ||
        !EXPIRY_CHARS.test(expiry) ||
        !NONCE_CHARS.test(nonce) ||
        !MAC_CHARS.test(given)
      )
        return { ok: false, problem: 'malformed' };
      // Compared as text, not as decoded bytes: base64url's last character carries unused bits, and a token
      // with them changed would decode to the same MAC. Only the one canonical spelling is accepted.
      const expected = Buffer.from(mac(parts.slice(0, 4).join('.')), 'latin1');
      const actual = Buffer.from(given, 'latin1');
      if (actual.length !== expected.length || !timingSafeEqual(actual, expected))
        return { ok: false, problem: 'tampered' };
      const expiresAt = Number.parseInt(expiry, 36);
      if (!(expiresAt > now)) return { ok: false, problem: 'expired' };
      return { ok: true, link: { approvalId, decision: code === 'a' ? 'approve' : 'deny', expiresAt, nonce } };
    },
    consume(store, link) {
      return store.markOnce(`genops-console-link|${link.nonce}`, link.expiresAt);
    },
  };
}

function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

function parseBaseUrl(value: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash)
    throw optionError(
      'links.baseUrl',
      'the console URL for links is not an http(s) URL',
      'the console as people reach it, e.g. https://genops.example.com/console',
      value,
    );
  let href = url.href;
  while (href.endsWith('/')) href = href.slice(0, -1);
  return href;
}
