import { GenOps, type GenOpsHandle, type GovernanceStore, withAttribution } from '@genops/core';

// A real GenOps with a policy (a model rule, two budgets, approvals over $1), and real governed units
// (`governor.begin` / `end`, the kit every adapter runs on) that write the audit trail the console reads.
// Prices are set here, so every amount is exact:
//   search  ranker  acme    openai/gpt-4o       1000 in, 200 out  → $0.0045
//   search  ranker          openai/gpt-4o-mini 10000 in, 1000 out → $0.0021
//   ads     banner  globex  openai/gpt-4o        400 in, 40 out   → $0.0014
//   ads                     openai/gpt-4-turbo  blocked (rule no-turbo, POLICY_DENY_MODEL)

export const POLICY = {
  version: 1,
  rules: [{ name: 'no-turbo', type: 'model', deny: ['gpt-4-turbo'] }],
  budgets: [
    { name: 'team-daily', limit: 20, window: 'day', per: ['team'] },
    { name: 'org-monthly', limit: 100, window: 'month' },
  ],
  approvals: { over: 5, timeout: '30s' },
} as const;

export const PRICES = {
  openai: {
    'gpt-4o': { input: 2.5, output: 10 },
    'gpt-4o-mini': { input: 0.15, output: 0.6 },
    'o1-pro': { input: 150, output: 600 },
  },
};

export function startGenOps(store: GovernanceStore, extra: Parameters<typeof GenOps.init>[0] = {}): GenOpsHandle {
  return GenOps.init({
    store,
    exporter: 'none',
    autoInstrument: false,
    egress: 'off',
    policy: structuredClone(POLICY) as never,
    prices: PRICES,
    ...extra,
  });
}

export async function runCalls(genops: GenOpsHandle): Promise<void> {
  const calls: Array<[Record<string, string>, string, number, number]> = [
    [{ team: 'search', project: 'ranker', customer: 'acme' }, 'gpt-4o', 1000, 200],
    [{ team: 'search', project: 'ranker' }, 'gpt-4o-mini', 10_000, 1000],
    [{ team: 'ads', project: 'banner', customer: 'globex' }, 'gpt-4o', 400, 40],
  ];
  for (const [attribution, model, inputTokens, outputTokens] of calls) {
    const call = await withAttribution(attribution, () =>
      genops.governor.begin({
        provider: 'openai',
        operation: 'chat',
        model,
        estimatedInputTokens: inputTokens,
        maxOutputTokens: outputTokens,
      }),
    );
    await call.end({ usage: { inputTokens, outputTokens } });
  }
  await withAttribution({ team: 'ads' }, () =>
    genops.governor.begin({
      provider: 'openai',
      operation: 'chat',
      model: 'gpt-4-turbo',
      estimatedInputTokens: 10,
      maxOutputTokens: 10,
    }),
  ).then(
    () => {
      throw new Error('gpt-4-turbo should have been blocked');
    },
    (error: { reasonCode?: string }) => {
      if (error.reasonCode !== 'POLICY_DENY_MODEL') throw error;
    },
  );
  await genops.flushAudit();
}

/** A governed call over the approval threshold ($5): o1-pro with 10,000 output tokens may cost $6.0x. */
export function heldCall(
  genops: GenOpsHandle,
  attribution: Record<string, string> = { team: 'research', project: 'reports' },
) {
  return withAttribution(attribution, async () => {
    const call = await genops.governor.begin({
      provider: 'openai',
      operation: 'chat',
      model: 'o1-pro',
      estimatedInputTokens: 100,
      maxOutputTokens: 10_000,
    });
    await call.end({ usage: { inputTokens: 100, outputTokens: 50 } });
    return 'ran';
  });
}

/** Waits until `check` returns a value (polling; bounded). */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const TOKEN = 'test-token-0123456789abcdef';
export const LINK_SECRET = 'link-secret-0123456789abcdef-0123456789';

/** Holds a call (see {@link heldCall}) and waits until it is pending in the store; the held promise never rejects unhandled. */
export async function holdPending(genops: GenOpsHandle) {
  const held = heldCall(genops);
  held.catch(() => undefined); // the tests assert its outcome
  const pending = await eventually(
    async () => (await genops.approvals.list({ status: 'pending' }))[0],
    'a pending approval',
  );
  return { held, pending };
}
