// Leaf types of the console's options (no runtime imports).
import type { GenOpsHandle, GovernanceStore } from '@genops/core';
import type { CompiledPolicy } from '@genops/core/internal';
import type { FastifyRequest } from 'fastify';
import type { ApprovalLinks } from './links';

/** Who is using the console: the name recorded as `decidedBy` when they approve or deny a call. */
export interface ConsolePrincipal {
  /** Shown in the console and written to the audit trail as the approval's `decidedBy`. */
  name: string;
}

/**
 * Plugs in your own authentication (OIDC through a proxy such as oauth2-proxy, mTLS, an SSO header):
 * return the principal of the request, or `undefined` to fall back to the console's tokens. Runs on
 * every API request, so keep it fast; a throw is a 401.
 */
export type ConsoleAuthenticate = (
  request: FastifyRequest,
) => ConsolePrincipal | undefined | Promise<ConsolePrincipal | undefined>;

export interface ConsoleAuthOptions {
  /**
   * People (or robots) who sign in with a token: `Authorization: Bearer <token>` on the API, or the token
   * typed into the sign-in page (which sets a session cookie). Tokens are compared in constant time.
   */
  users?: ReadonlyArray<{ name: string; token: string }>;
  /** Your own authentication (OIDC-ready), tried before the tokens. */
  authenticate?: ConsoleAuthenticate;
  /**
   * Secret that signs session cookies and CSRF tokens. Default: random per process (sessions end when it
   * restarts). Give the same secret to every replica behind one load balancer.
   */
  sessionSecret?: string;
  /** How long a sign-in lasts, ms. Default 12 hours. */
  sessionTtlMs?: number;
}

/**
 * Where the console reads from: a running GenOps instance, or a store (with the policy in force, if
 * known). Give neither when the console is mounted on the gateway: it then uses the gateway's instance.
 */
export interface ConsoleSourceOptions {
  /** A running instance (`GenOps.init()`): its store, its policy (reloads included) and its approvals. */
  genops?: GenOpsHandle;
  /** A store shared with the governed processes, when the console runs on its own (`genops console`). */
  store?: GovernanceStore;
  /** The policy in force, for the budget table's windows and the policy page (with `store`). */
  policy?: CompiledPolicy | (() => CompiledPolicy | undefined);
  /** Where the policy came from (a file path), shown on the policy page. */
  policySource?: string;
}

export interface ConsoleOptions extends ConsoleSourceOptions {
  /** Required: who may use the console. */
  auth: ConsoleAuthOptions;
  /** Signed approve/deny links (the ones {@link approvalWebhook} sends) that this console accepts. */
  links?: ApprovalLinks;
  /** Path the console is served under. Default `/console`. */
  prefix?: string;
  /** How often the pages refresh, ms. Default 5000. */
  refreshMs?: number;
}
