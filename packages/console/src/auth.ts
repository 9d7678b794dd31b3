import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { optionError } from './errors';
import type { ConsoleAuthOptions, ConsolePrincipal } from './types';

// Who is calling the console. In order: the `authenticate` hook (OIDC through a proxy, SSO headers),
// `Authorization: Bearer <token>`, then the session cookie the sign-in page set (HMAC-signed
// `<name>.<expiry>`, HttpOnly, SameSite=Strict, path-scoped). A state-changing request authenticated by
// anything but a bearer token (a cookie or a proxy: credentials the browser attaches by itself) must
// carry `x-genops-csrf` (an HMAC of the principal, read from `GET api/session`) and, when the browser
// sends an Origin, a same-origin one: a page on another site can neither read the token nor send the header
// without a CORS preflight the console never grants.

export const SESSION_COOKIE = 'genops_console_session';
const DEFAULT_TTL_MS = 12 * 3_600_000;
const MAX_COOKIE = 512;

export type Authenticated = { principal: ConsolePrincipal; via: 'hook' | 'bearer' | 'session' };

export interface ConsoleAuth {
  /** The caller, or `undefined` (a 401). */
  identify(request: FastifyRequest): Promise<Authenticated | undefined>;
  /** The user a token belongs to (constant-time over every configured token). */
  userOf(token: string): ConsolePrincipal | undefined;
  csrfToken(principal: ConsolePrincipal): string;
  /** `true` when a state-changing request may go on. */
  csrfOk(request: FastifyRequest, who: Authenticated): boolean;
  startSession(reply: FastifyReply, request: FastifyRequest, principal: ConsolePrincipal, path: string): void;
  endSession(reply: FastifyReply, path: string): void;
}

export function createConsoleAuth(options: ConsoleAuthOptions | undefined): ConsoleAuth {
  if (!options || typeof options !== 'object')
    throw optionError(
      'auth',
      'the console needs authentication',
      '{ users: [{ name, token }] } and/or { authenticate(request) }',
      options,
    );
  const users = (options.users ?? []).map((user, index) => {
    if (!user || typeof user.name !== 'string' || user.name.trim() === '')
      throw optionError(
        `auth.users[${index}].name`,
        'a user has no name',
        'the name decisions are recorded under',
        user?.name,
      );
    if (typeof user.token !== 'string' || user.token.length < 16)
      throw optionError(
        `auth.users[${index}].token`,
        'the token is missing or shorter than 16 characters',
        'a random token, e.g. from `openssl rand -hex 24`',
        typeof user?.token === 'string' ? `a string of ${user.token.length} characters` : undefined,
      );
    return { name: user.name.trim(), digest: digest(user.token) };
  });
  if (users.length === 0 && typeof options.authenticate !== 'function')
    throw optionError('auth', 'no way to sign in is configured', 'auth.users and/or auth.authenticate', options);
  const secret = options.sessionSecret ?? randomBytes(32).toString('base64url');
  if (typeof secret !== 'string' || secret.length < 32)
    throw optionError(
      'auth.sessionSecret',
      'the session secret is shorter than 32 characters',
      'at least 32 characters',
      undefined,
    );
  const ttlMs = options.sessionTtlMs ?? DEFAULT_TTL_MS;
  const mac = (text: string) => createHmac('sha256', secret).update(text).digest('base64url');

  const userOf = (token: string): ConsolePrincipal | undefined => {
    const given = digest(token);
    let found: ConsolePrincipal | undefined;
    // Every token is compared, so the time taken does not say which one matched.
    for (const user of users) if (timingSafeEqual(given, user.digest) && !found) found = { name: user.name };
    return found;
  };

  const fromCookie = (request: FastifyRequest): ConsolePrincipal | undefined => {
    const value = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (!value || value.length > MAX_COOKIE) return undefined;
    const dot = value.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const payload = value.slice(0, dot);
    const expected = Buffer.from(mac(`session|${payload}`));
    const given = Buffer.from(value.slice(dot + 1));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const split = payload.lastIndexOf('.');
    const name = Buffer.from(payload.slice(0, split), 'base64url').toString('utf8');
    const expiresAt = Number.parseInt(payload.slice(split + 1), 36);
    if (!(expiresAt > Date.now()) || name === '') return undefined;
    return { name };
  };

  return {
    userOf,
    async identify(request) {
      if (options.authenticate) {
        const principal = await options.authenticate(request);
        if (principal && typeof principal.name === 'string' && principal.name !== '') return { principal, via: 'hook' };
      }
      const authorization = request.headers.authorization;
      if (typeof authorization === 'string' && authorization.startsWith('Bearer ')) {
        const principal = userOf(authorization.slice('Bearer '.length).trim());
        return principal ? { principal, via: 'bearer' } : undefined;
      }
      const principal = fromCookie(request);
      return principal ? { principal, via: 'session' } : undefined;
    },
    csrfToken: (principal) => mac(`csrf|${principal.name}`),
    csrfOk(request, who) {
      if (who.via === 'bearer') return true;
      const origin = request.headers.origin;
      if (typeof origin === 'string' && origin !== 'null') {
        let host: string | undefined;
        try {
          host = new URL(origin).host;
        } catch {
          return false;
        }
        if (host !== request.headers.host) return false;
      }
      const header = request.headers['x-genops-csrf'];
      if (typeof header !== 'string') return false;
      const expected = Buffer.from(mac(`csrf|${who.principal.name}`));
      const given = Buffer.from(header);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
    startSession(reply, request, principal, path) {
      const payload = `${Buffer.from(principal.name, 'utf8').toString('base64url')}.${(Date.now() + ttlMs).toString(36)}`;
      const secure = request.protocol === 'https' ? '; Secure' : '';
      reply.header(
        'set-cookie',
        `${SESSION_COOKIE}=${payload}.${mac(`session|${payload}`)}; Path=${path}; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(ttlMs / 1000)}${secure}`,
      );
    },
    endSession(reply, path) {
      reply.header('set-cookie', `${SESSION_COOKIE}=; Path=${path}; HttpOnly; SameSite=Strict; Max-Age=0`);
    },
  };
}

/**
 * Failed sign-ins per client address: after `max` failures within `windowMs` the address is refused
 * (429) until the window ends, so tokens cannot be guessed at speed. Memory is bounded: at most
 * `maxClients` addresses are tracked (the oldest entry is dropped first).
 */
export class SignInLimiter {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly max = 10,
    private readonly windowMs = 60_000,
    private readonly maxClients = 10_000,
  ) {}

  /** Seconds until `client` may try again; 0 when it may now. */
  retryAfter(client: string, now = Date.now()): number {
    const entry = this.failures.get(client);
    if (!entry) return 0;
    if (entry.resetAt <= now) {
      this.failures.delete(client);
      return 0;
    }
    return entry.count >= this.max ? Math.ceil((entry.resetAt - now) / 1000) : 0;
  }

  fail(client: string, now = Date.now()): void {
    const entry = this.failures.get(client);
    if (entry && entry.resetAt > now) {
      entry.count += 1;
      return;
    }
    this.failures.delete(client);
    if (this.failures.size >= this.maxClients) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    this.failures.set(client, { count: 1, resetAt: now + this.windowMs });
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** The value of cookie `name` in a `Cookie` header (first match; no decoding: ours are base64url). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (typeof header !== 'string' || header.length > 8_192) return undefined;
  for (const part of header.split(';')) {
    const equals = part.indexOf('=');
    if (equals > 0 && part.slice(0, equals).trim() === name) return part.slice(equals + 1).trim();
  }
  return undefined;
}
