import { PolicyViolationError } from '../errors/policy-violation-error';
import type { Governor } from '../governor';
import { describeToolCall, type ToolCallInfo } from '../tool';
import type { Attribution, GovernedRequest } from '../types';

/** A tool call the policy's rules deny, with the request and the error that say why. */
export interface DeniedToolCall {
  request: GovernedRequest;
  error: PolicyViolationError;
}

/**
 * Decides a tool call a model asked for with the same rules `governToolCall` applies before running a
 * tool (tool allow/deny, content rules on the arguments, ...), without running anything or reserving:
 * for frameworks that execute the model's tool calls themselves (Vercel AI), where a denied call must be
 * held back before the framework sees it. Returns the denial, or `undefined` when the rules allow it.
 *
 * @example
 * const denied = checkToolCall(governor, call.attribution, { name: 'deploy', provider: 'vercel.ai', arguments });
 * if (denied) throw await recordDeniedToolCall(governor, denied);
 */
export function checkToolCall(
  governor: Governor,
  attribution: Readonly<Attribution>,
  tool: ToolCallInfo,
): DeniedToolCall | undefined {
  const request = describeToolCall(tool);
  const evaluation = governor.currentPolicy.engine.evaluate({
    request,
    attribution,
    outputBound: 0,
    worstCaseNanos: 0,
    now: Date.now(),
  });
  const blocking = evaluation.blocking;
  if (!blocking) return undefined;
  return {
    request,
    error: new PolicyViolationError({
      rule: blocking.rule,
      reasonCode: blocking.reasonCode,
      message: blocking.message,
    }),
  };
}

/**
 * Records a denied tool call as its own blocked `execute_tool` unit (a span with `BLOCKED` and the
 * rule's reason code) by beginning it in the governor, which refuses it; returns the error to throw.
 */
export async function recordDeniedToolCall(governor: Governor, denied: DeniedToolCall): Promise<unknown> {
  try {
    const call = await governor.begin(denied.request);
    // The policy changed between the check and now and allows it: the tool still does not run, because
    // the caller already failed; the unit ends as not executed.
    await call.fail(denied.error);
    return denied.error;
  } catch (error) {
    return error;
  }
}
