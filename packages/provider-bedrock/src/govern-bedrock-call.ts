import { currentGovernor, runGovernedCall } from '@genops/core/adapter';
import { applyBedrockEdits } from './bedrock-request-text';
import { governBedrockStream } from './bedrock-stream-observer';
import { bedrockEndpointOf, describeBedrockRequest, GOVERNED_COMMANDS } from './describe-bedrock-request';
import { readBedrockResponse } from './read-bedrock-response';
import type { BedrockClientLike } from './types';

/** The name GenOps's middleware has in a client's `middlewareStack`. */
export const MIDDLEWARE_NAME = 'genopsGovernanceMiddleware';

const INSTRUMENTED = Symbol.for('genops.bedrock.instrumented');

/** Adds the governance middleware to a client once; `true` when the client has it. */
export function addGovernanceMiddleware(client: BedrockClientLike): boolean {
  const target = client as BedrockClientLike & { [INSTRUMENTED]?: boolean };
  if (target[INSTRUMENTED]) return true;
  if (typeof client.middlewareStack?.add !== 'function') return false;
  // `initialize` runs once per logical call (the retry middleware is in `finalizeRequest`), before the
  // input is serialized: a deny throws before anything is sent, and an edit changes what is sent.
  client.middlewareStack.add(governanceMiddleware(client), {
    step: 'initialize',
    name: MIDDLEWARE_NAME,
    priority: 'high',
    tags: ['GENOPS'],
    override: true,
  });
  Object.defineProperty(target, INSTRUMENTED, { value: true });
  return true;
}

function governanceMiddleware(client: BedrockClientLike) {
  return (next: (args: any) => Promise<any>, context: { commandName?: string }) =>
    async (args: { input: Record<string, any> }): Promise<any> => {
      const governor = currentGovernor();
      const commandName = context?.commandName ?? '';
      const command = GOVERNED_COMMANDS[commandName];
      if (!governor || !command) return next(args);
      const request = describeBedrockRequest(commandName, args.input, await bedrockEndpointOf(client));
      if (!request) return next(args);
      // The model the request goes to: a budget's downgrade, or the one asked for.
      const modelOf = (call: { edits?: { model?: string } }) => call.edits?.model ?? request.model;
      return runGovernedCall(governor, request, {
        input: args.input,
        edit: (input, edits) => applyBedrockEdits(command, input, edits),
        execute: (input) => next({ ...args, input }),
        outcome: (result, call) => readBedrockResponse(commandName, result, modelOf(call)),
        stream: command.stream
          ? (result, call) => governBedrockStream(result, call, command, modelOf(call))
          : undefined,
      });
    };
}
