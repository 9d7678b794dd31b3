// Nesting: a model call a framework adapter already governs is not governed again one layer down.
import type { GovernedRequest } from '../types';
import { activeGovernedCall, type Call } from './call';

/** Operations that call a model (a framework's and an SDK's view of one such call are one unit). */
const MODEL_OPERATIONS: ReadonlySet<string> = new Set(['chat', 'text_completion', 'generate_content', 'embeddings']);
/** How long a claim waits for its SDK call (a framework begins the SDK call right after its hook returns). */
const CLAIM_TTL_MS = 60_000;

interface Claim {
  call: Call;
  model?: string;
  text?: string;
  expiresAt: number;
}

export class Claims {
  /** Model calls framework adapters expect an SDK adapter to begin next (see `adoptNextCall`). */
  private readonly claims: Claim[] = [];

  /**
   * The governed model call `request` is part of, when a framework adapter already governs it: the call
   * whose `runInContext` is active, else one that claimed it with `adoptNextCall`.
   */
  enclosing(request: GovernedRequest): Call | undefined {
    if (!MODEL_OPERATIONS.has(request.operation)) return undefined;
    const active = activeGovernedCall();
    if (active?.open && MODEL_OPERATIONS.has(active.operation)) return active;
    if (this.claims.length === 0) return undefined;
    const now = performance.now();
    let texts: string[] | undefined;
    for (let index = 0; index < this.claims.length; index++) {
      const claim = this.claims[index]!;
      if (!claim.call.open || claim.expiresAt < now) {
        this.claims.splice(index--, 1);
        continue;
      }
      if (claim.model !== undefined && claim.model !== request.model) continue;
      if (claim.text !== undefined) {
        texts ??= safeTexts(request);
        const needle = claim.text;
        if (!texts.some((text) => text.includes(needle))) continue;
      }
      this.claims.splice(index, 1);
      return claim.call;
    }
    return undefined;
  }

  claim(call: Call, match: { model?: string; text?: string }): () => void {
    const claim: Claim = { call, ...match, expiresAt: performance.now() + CLAIM_TTL_MS };
    if (this.claims.length >= 1000) this.claims.shift();
    this.claims.push(claim);
    return () => {
      const index = this.claims.indexOf(claim);
      if (index >= 0) this.claims.splice(index, 1);
    };
  }
}

function safeTexts(request: GovernedRequest): string[] {
  try {
    return request.text?.() ?? [];
  } catch {
    return [];
  }
}
