import { currentGovernor, type GovernedCall, governIterator, type StreamObserver } from '@genops/core/adapter';
import { createConverseStreamObserver, createInvokeStreamObserver } from './bedrock-stream-observer';
import { convertBedrockUsage, convertInvokeBodyUsage, convertTokenCountHeaders } from './convert-bedrock-usage';
import {
  applyBedrockEdits,
  type BedrockEndpoint,
  describeBedrockRequest,
  GOVERNED_COMMANDS,
  parseBody,
} from './describe-bedrock-request';
import { invokeFinishReason, invokeOutput } from './read-invoke-response';

/** The name GenOps's middleware has in a client's `middlewareStack`. */
export const MIDDLEWARE_NAME = 'genopsGovernanceMiddleware';

/** The parts of a `BedrockRuntimeClient` GenOps uses (kept structural: no SDK types in the public API). */
export interface BedrockClientLike {
  middlewareStack: { add(middleware: any, options: Record<string, unknown>): void };
  config: { region?: unknown; endpoint?: unknown };
}

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
      const request = describeBedrockRequest(commandName, args.input, await endpointOf(client));
      if (!request) return next(args);
      const call = await governor.begin(request);
      let result: any;
      try {
        const input = call.edits ? applyBedrockEdits(commandName, args.input, call.edits) : args.input;
        result = await call.runInContext(() => next({ ...args, input }));
      } catch (error) {
        await call.fail(error);
        throw error;
      }
      const output = result?.output;
      const model = call.edits?.model ?? request.model;
      if (command.stream) {
        const key = command.invoke ? 'body' : 'stream';
        const observer = command.invoke ? createInvokeStreamObserver(model) : createConverseStreamObserver(model);
        wrapStream(call, output, key, observer);
        return result;
      }
      await call.end(outcomeOf(commandName, output, result?.response, model));
      return result;
    };
}

function wrapStream(call: GovernedCall, output: any, key: string, observer: StreamObserver<any>): void {
  const stream = output?.[key];
  if (!stream || typeof stream[Symbol.asyncIterator] !== 'function') {
    void call.end({ incomplete: true });
    return;
  }
  const iterate = governIterator(call, () => stream[Symbol.asyncIterator](), observer);
  output[key] = { [Symbol.asyncIterator]: iterate };
}

function outcomeOf(commandName: string, output: any, response: any, model: string) {
  const requestId = typeof output?.$metadata?.requestId === 'string' ? output.$metadata.requestId : undefined;
  if (commandName === 'ConverseCommand') {
    return {
      usage: convertBedrockUsage(output?.usage),
      response: {
        id: requestId,
        model,
        finishReasons: typeof output?.stopReason === 'string' ? [output.stopReason] : [],
        output: () => output?.output?.message?.content,
      },
    };
  }
  const body = parseBody(output?.body);
  // The body's own usage (Anthropic, Nova, Llama, OpenAI-style) first; Mistral and Cohere bodies have
  // none, so their usage is the `x-amzn-bedrock-*-token-count` headers of the raw response.
  const usage = convertInvokeBodyUsage(body) ?? convertTokenCountHeaders(response?.headers);
  const stop = invokeFinishReason(body);
  return {
    usage,
    incomplete: usage === undefined,
    response: {
      id: typeof body?.id === 'string' ? body.id : typeof body?.response_id === 'string' ? body.response_id : requestId,
      model: typeof body?.model === 'string' ? body.model : model,
      finishReasons: stop ? [stop] : [],
      output: () => invokeOutput(body),
    },
  };
}

/** The client's region (`await client.config.region()`) and endpoint, for region rules and `server.*`. */
async function endpointOf(client: BedrockClientLike): Promise<BedrockEndpoint> {
  const endpoint: BedrockEndpoint = {};
  try {
    const region = await resolve(client.config?.region);
    if (typeof region === 'string' && region) endpoint.region = region;
  } catch {
    // A region provider that fails here fails the SDK call too; governance goes on without it.
  }
  try {
    const configured = (await resolve(client.config?.endpoint)) as
      | { hostname?: string; port?: number; protocol?: string }
      | undefined;
    if (configured?.hostname) {
      endpoint.serverAddress = configured.hostname;
      endpoint.serverPort = configured.port ?? (configured.protocol === 'http:' ? 80 : 443);
    } else if (endpoint.region) {
      endpoint.serverAddress = `bedrock-runtime.${endpoint.region}.amazonaws.com`;
      endpoint.serverPort = 443;
    }
  } catch {
    // No endpoint attributes.
  }
  return endpoint;
}

async function resolve(value: unknown): Promise<unknown> {
  return typeof value === 'function' ? await (value as () => unknown)() : value;
}
