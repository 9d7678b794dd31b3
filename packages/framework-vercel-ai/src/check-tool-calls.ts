import { type Attribution, checkToolCall, type DeniedToolCall, type Governor } from '@genops/core/adapter';
import type { ModelToolCall } from './read-vercel-response';

/**
 * The first of the model's tool calls the policy denies (the kit's `checkToolCall`: the rules
 * `governToolCall` applies before running a tool, without running anything or reserving).
 * Provider-executed tools already ran at the provider and are not checked.
 */
export function findDeniedToolCall(
  governor: Governor,
  attribution: Readonly<Attribution>,
  calls: readonly ModelToolCall[],
  provider: string,
): DeniedToolCall | undefined {
  for (const call of calls) {
    if (call.providerExecuted) continue;
    const denied = checkToolCall(governor, attribution, {
      name: call.toolName,
      provider,
      callId: call.toolCallId,
      type: 'function',
      arguments: parseInput(call.input),
    });
    if (denied) return denied;
  }
  return undefined;
}

function parseInput(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}
