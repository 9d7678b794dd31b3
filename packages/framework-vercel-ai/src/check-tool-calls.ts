import { PolicyViolationError } from '@genops/core';
import {
  type Attribution,
  describeToolCall,
  type GovernedRequest,
  type Governor,
  ruleDecisionOf,
} from '@genops/core/adapter';

/** A tool call the model asked for (a V4 `tool-call` content or stream part). */
export interface ModelToolCall {
  toolCallId: string;
  toolName: string;
  /** JSON-encoded input, as the V4 spec sends it. */
  input: string;
  providerExecuted?: boolean;
}

/** The first tool call the policy's rules deny, with the request and error that say why. */
export interface DeniedToolCall {
  request: GovernedRequest;
  error: PolicyViolationError;
}

/**
 * Decides the model's tool calls with the same rules `governToolCall` applies before running a tool
 * (tool allow/deny, content rules on the arguments, ...), without running anything or reserving.
 * Provider-executed tools already ran at the provider and are not checked. Returns the first denied one.
 */
export function findDeniedToolCall(
  governor: Governor,
  attribution: Readonly<Attribution>,
  calls: readonly ModelToolCall[],
  provider: string,
): DeniedToolCall | undefined {
  if (calls.length === 0) return undefined;
  const engine = governor.currentPolicy.engine;
  for (const call of calls) {
    if (call.providerExecuted) continue;
    const request = describeToolCall({
      name: call.toolName,
      provider,
      callId: call.toolCallId,
      type: 'function',
      arguments: parseInput(call.input),
    });
    const evaluation = engine.evaluate({ request, attribution, outputBound: 0, worstCaseMicros: 0, now: Date.now() });
    if (!evaluation.blocking) continue;
    const decision = ruleDecisionOf(evaluation);
    return {
      request,
      error: new PolicyViolationError({
        rule: decision.rule ?? evaluation.blocking.rule,
        reasonCode: decision.reasonCode ?? evaluation.blocking.reasonCode,
        message: decision.message ?? evaluation.blocking.message,
      }),
    };
  }
  return undefined;
}

/**
 * Records the denied tool call as its own blocked `execute_tool` unit (span with `BLOCKED` and the
 * rule's reason code) by beginning it in the governor, which refuses it; returns the error to throw.
 */
export async function recordDeniedToolCall(governor: Governor, denied: DeniedToolCall): Promise<unknown> {
  try {
    const call = await governor.begin(denied.request);
    // The policy changed between the check and now and allows it: the tool still does not run here,
    // because the generation already failed; the unit ends as not executed.
    await call.fail(denied.error);
    return denied.error;
  } catch (error) {
    return error;
  }
}

function parseInput(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}
