// `genops gateway`: runs @genops/gateway, the OpenAI/Anthropic-compatible HTTP gateway that governs
// every request, until Ctrl-C or SIGTERM; then it drains (in-flight requests finish, or settle at
// their reservation after the drain timeout) and closes the store (docs/gateway.md).
import { GenOpsError, type GenOpsOptions } from '@genops/core';
import { openStoreUrl, optionsFromEnvironment } from '@genops/core/internal';
import { type Gateway, startGateway } from '@genops/gateway';
import { type Command, InvalidArgumentError } from 'commander';
import { CliError, EXIT_OK, EXIT_USAGE } from '../errors';
import type { CliIo, CommandContext } from '../io';
import { runCommandGroup } from '../program';
import { redactUrl, resolveStoreUrl, STORE_OPTION_HELP, storeError } from '../store';

/** The CLI's port when neither --port, GENOPS_GATEWAY_PORT nor the policy file sets one. */
export const DEFAULT_GATEWAY_PORT = 4000;

interface GatewayCommandOptions {
  policy?: string;
  store?: string;
  host?: string;
  port?: number;
  drainTimeout?: number;
}

/** Adds `genops gateway` to `program`. */
export function registerGatewayCommands(program: Command, context: CommandContext): void {
  program
    .command('gateway')
    .description('run the governance gateway: OpenAI/Anthropic-compatible endpoints for apps in any language')
    .option('--policy <file>', 'the policy file; its gateway: section sets upstreams and virtual keys')
    .option('--store <url>', STORE_OPTION_HELP)
    .option('--host <host>', 'interface to listen on (default $GENOPS_GATEWAY_HOST, else the file, else 127.0.0.1)')
    .option(
      '--port <port>',
      `port to listen on (default $GENOPS_GATEWAY_PORT, else the file, else ${DEFAULT_GATEWAY_PORT}; 0: a free one)`,
      parseGatewayPort,
    )
    .option('--drain-timeout <ms>', 'how long shutdown waits for in-flight requests (default 30000)', parseMilliseconds)
    .addHelpText(
      'after',
      `
Serves POST /v1/chat/completions, /v1/responses, /v1/embeddings, /v1/messages, GET /v1/models,
/healthz and /readyz. Clients send a virtual key (Authorization: Bearer <key> or x-api-key); provider
keys come from the policy file's gateway.upstreams or OPENAI_API_KEY / ANTHROPIC_API_KEY.

Examples:
  $ genops gateway --policy genops.policy.yaml
  $ genops gateway --policy genops.policy.yaml --store redis://127.0.0.1:6379 --host 0.0.0.0 --port 8080`,
    )
    .action(async (options: GatewayCommandOptions) => {
      context.exitCode = await serveGateway(options, context);
    });
}

/** Runs `genops gateway <argv...>`; resolves to the exit code once `io.signal` aborts. */
export function runGatewayCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommandGroup(['gateway', ...argv], io, [registerGatewayCommands]);
}

function parseGatewayPort(value: string): number {
  if (!/^\d{1,5}$/.test(value.trim()) || Number(value) > 65_535)
    throw new InvalidArgumentError('expected a port number from 0 (a free port) to 65535');
  return Number(value);
}

function parseMilliseconds(value: string): number {
  if (!/^\d{1,7}$/.test(value.trim())) throw new InvalidArgumentError('expected milliseconds, e.g. 30000');
  return Number(value);
}

/** `genops gateway`: serves until `context.io.signal` aborts, then drains and closes. */
export async function serveGateway(options: GatewayCommandOptions, context: CommandContext): Promise<number> {
  const { io } = context;
  const env = { ...(io.env ?? {}) } as NodeJS.ProcessEnv;
  const { url: storeUrl, source } = resolveStoreUrl(options.store, env);
  let genops: GenOpsOptions;
  try {
    genops = optionsFromEnvironment(env, process.cwd());
  } catch (error) {
    if (GenOpsError.isInstance(error)) throw new CliError(error.message, EXIT_USAGE, { cause: error });
    throw error;
  }
  if (options.policy !== undefined) genops.policy = options.policy;
  // A policy file change that cannot be applied (policy or gateway: section): the last good one stays.
  // biome-ignore lint/plugin: set once, at the gateway's start
  genops.onPolicyError = (error) => io.stderr.write(`genops gateway: ${error.message}\n`);
  let store: ReturnType<typeof openStoreUrl>;
  try {
    store = openStoreUrl(storeUrl, source === 'GENOPS_STORE' ? 'GENOPS_STORE' : 'store');
  } catch (error) {
    throw storeError(`cannot open the store ${redactUrl(storeUrl)}`, error, storeUrl);
  }
  let gateway: Gateway;
  try {
    gateway = await startGateway({
      genops: { ...genops, store },
      env,
      defaultPort: DEFAULT_GATEWAY_PORT,
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.drainTimeout !== undefined ? { drainTimeoutMs: options.drainTimeout } : {}),
    });
  } catch (error) {
    await store.close().catch(() => undefined);
    if (GenOpsError.isInstance(error)) throw new CliError(error.message, EXIT_USAGE, { cause: error });
    throw new CliError(`the gateway could not start: ${(error as Error).message}`, EXIT_USAGE, { cause: error });
  }
  io.stdout.write(
    `${context.out.bold('genops gateway')} listening on ${gateway.url} ` +
      `${context.out.dim(`· store ${redactUrl(storeUrl)} · Ctrl-C or SIGTERM to drain and stop`)}\n`,
  );
  await new Promise<void>((resolve) => {
    const { signal } = io;
    if (!signal) return; // No way to stop: serve until the process ends.
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  io.stdout.write(`genops gateway: draining ${gateway.inFlight} in-flight request(s)\n`);
  await gateway.close();
  io.stdout.write('genops gateway: stopped\n');
  return EXIT_OK;
}
