import {
  currentGovernor,
  describeToolCall,
  governToolCall,
  startGovernedCall,
  type ToolCallInfo,
} from '@genops/core/adapter';
import type { ToolSet } from 'ai';
import { DEFAULT_TOOL_PROVIDER } from './genops-middleware';
import type { GovernToolsOptions } from './types';

type Execute = (input: unknown, options: { toolCallId?: string }) => unknown;

/**
 * Returns the tool set with each tool's `execute` governed as one `execute_tool {name}` unit: tool
 * rules (`allow`, `deny`, `requireApproval`), per-tool rate limits and call-count budgets decide before
 * the tool runs. A denied call does not run: its `execute` rejects with the `GovernanceError`, which the
 * AI SDK hands back to the model as the tool's error result. Tools without `execute` are unchanged;
 * a streaming tool (`async function*`) is one unit from its first to its last yielded value.
 *
 * @example
 * await generateText({ model, tools: governTools({ search, deploy }), prompt });
 */
export function governTools<TOOLS extends ToolSet>(tools: TOOLS, options: GovernToolsOptions = {}): TOOLS {
  const provider = options.provider ?? DEFAULT_TOOL_PROVIDER;
  const governed: Record<string, unknown> = {};
  for (const [name, tool] of Object.entries(tools)) {
    const execute = (tool as { execute?: unknown }).execute;
    governed[name] =
      typeof execute === 'function' ? { ...tool, execute: governExecute(name, execute as Execute, provider) } : tool;
  }
  return governed as TOOLS;
}

function governExecute(name: string, execute: Execute, provider: string): Execute {
  const info = (input: unknown, options: { toolCallId?: string } | undefined) => ({
    name,
    provider,
    type: 'function',
    ...(options?.toolCallId ? { callId: options.toolCallId } : {}),
    arguments: input,
  });
  if (execute.constructor?.name === 'AsyncGeneratorFunction') {
    return (input, options) =>
      governGenerator(info(input, options), () => execute(input, options) as AsyncIterable<unknown>);
  }
  return (input, options) => governToolCall(info(input, options), () => execute(input, options));
}

/** A streaming tool: one unit, begun before its first value and settled when it returns or throws. */
async function* governGenerator(tool: ToolCallInfo, run: () => AsyncIterable<unknown>): AsyncGenerator<unknown> {
  const governor = currentGovernor();
  if (!governor) {
    yield* run();
    return;
  }
  const { call, sent } = await startGovernedCall(governor, describeToolCall(tool), { input: tool, execute: run });
  try {
    yield* sent;
  } catch (error) {
    await call.fail(error);
    throw error;
  }
  await call.end({});
}
