import { randomBytes } from 'node:crypto';
import { createApprovalLinks, startConsole } from '@genops/console';
import { watchPolicyFile } from '@genops/core';
import { type CompiledPolicy, compilePolicy } from '@genops/core/internal';
import { type Command, InvalidArgumentError } from 'commander';
import { CliError, EXIT_OK, warningLine } from '../errors';
import type { CliIo, CommandContext } from '../io';
import { runCommandGroup } from '../program';
import { STORE_OPTION_HELP, withStore } from '../store';
import { defaultDecider } from './approvals';
import { loadStatusPolicy } from './status';

/** `genops console`'s default port (the gateway's is 4000). */
export const CONSOLE_PORT = 4100;

interface ConsoleCommandOptions {
  store?: string;
  policy?: string;
  host: string;
  port: number;
  user?: string;
  publicUrl?: string;
}

/** Adds `genops console` to `program`. */
export function registerConsoleCommands(program: Command, context: CommandContext): void {
  program
    .command('console')
    .description(
      'run the web console: budgets, spend, blocked calls, approvals, audit status and policy, on the shared store',
    )
    .option('--store <url>', STORE_OPTION_HELP)
    .option(
      '--policy <file>',
      'the policy file in force, for budget windows and the policy page (reloaded when it changes)',
    )
    .option('--host <host>', 'the address to listen on (other machines reach it only if you say so)', '127.0.0.1')
    .option('--port <port>', `the port (0: any free port)`, port, CONSOLE_PORT)
    .option('--user <name>', 'who decisions made with the token are recorded as (default: $USER@hostname)')
    .option(
      '--public-url <url>',
      'the console as people reach it, for signed approve/deny links (needs GENOPS_CONSOLE_LINK_SECRET)',
    )
    .addHelpText(
      'after',
      `
Environment:
  GENOPS_CONSOLE_TOKEN           the sign-in token (default: a random one, printed at start)
  GENOPS_CONSOLE_SESSION_SECRET  signs session cookies (default: random; sessions end at restart)
  GENOPS_CONSOLE_LINK_SECRET     signs approve/deny links (at least 32 characters; with --public-url)

Examples:
  $ genops console --store sqlite:./.genops/state.db --policy genops-policy.yaml
  $ GENOPS_CONSOLE_TOKEN=$(openssl rand -hex 24) genops console --store redis://127.0.0.1:6379 --port 8080

Runs until Ctrl-C.`,
    )
    .action(async (options: ConsoleCommandOptions) => {
      context.exitCode = await runConsole(options, context);
    });
}

/** Runs `genops console <argv...>`; resolves to the exit code once the console stops. */
export function runConsoleCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommandGroup(['console', ...argv], io, [registerConsoleCommands]);
}

function port(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || number > 65_535) throw new InvalidArgumentError('expected a port, 0 to 65535');
  return number;
}

/** `genops console [--store <url>] [--policy <file>] [--host] [--port] [--user] [--public-url]` */
export async function runConsole(options: ConsoleCommandOptions, context: CommandContext): Promise<number> {
  const env = context.io.env ?? {};
  const loaded = await loadStatusPolicy(options.policy, context);
  if ('exitCode' in loaded) return loaded.exitCode;
  const fromEnv = env.GENOPS_CONSOLE_TOKEN?.trim();
  if (fromEnv !== undefined && fromEnv !== '' && fromEnv.length < 16)
    throw new CliError('GENOPS_CONSOLE_TOKEN is shorter than 16 characters; use a random one (openssl rand -hex 24)');
  const token = fromEnv || randomBytes(24).toString('hex');
  const linkSecret = env.GENOPS_CONSOLE_LINK_SECRET?.trim();
  if (options.publicUrl !== undefined && !linkSecret)
    throw new CliError(
      '--public-url is for signed approve/deny links: set GENOPS_CONSOLE_LINK_SECRET too (at least 32 characters)',
    );
  const user = options.user?.trim() || defaultDecider(env);
  const { io, err } = context;
  // The file was checked above (with the CLI's error format); from here it follows the file's changes.
  const file = loaded.policy?.file;
  const watcher =
    file === undefined
      ? undefined
      : watchPolicyFile(file, {
          compile: (document) => compilePolicy(document),
          onChange: (compiled) => io.stdout.write(`Policy ${file} reloaded: version ${compiled.version}\n`),
          onError: (error) =>
            io.stderr.write(`${err.yellow(warningLine(`${error.message} (the last good policy stays in force)`))}\n`),
        });
  try {
    return await serve(options, context, {
      token,
      user,
      tokenFromEnv: fromEnv !== undefined && fromEnv !== '',
      linkSecret,
      sessionSecret: env.GENOPS_CONSOLE_SESSION_SECRET,
      policy: watcher && file ? { watcher, file } : undefined,
    });
  } finally {
    watcher?.close();
  }
}

/** What `runConsole` resolved from the options and the environment. */
interface ServeSettings {
  token: string;
  user: string;
  tokenFromEnv: boolean;
  linkSecret: string | undefined;
  sessionSecret: string | undefined;
  policy: { watcher: { readonly current: CompiledPolicy }; file: string } | undefined;
}

/** Opens the store, runs the console on it until the signal aborts (Ctrl-C, SIGTERM), then closes both. */
async function serve(
  options: ConsoleCommandOptions,
  context: CommandContext,
  settings: ServeSettings,
): Promise<number> {
  const { io, out } = context;
  const { token, user, tokenFromEnv, linkSecret, sessionSecret, policy } = settings;
  return withStore(options.store, context, async (opened) => {
    let running: Awaited<ReturnType<typeof startConsole>>;
    try {
      running = await startConsole({
        store: opened.store,
        ...(policy ? { policy: () => policy.watcher.current, policySource: policy.file } : {}),
        host: options.host,
        port: options.port,
        auth: {
          users: [{ name: user, token }],
          ...(sessionSecret ? { sessionSecret } : {}),
        },
        ...(linkSecret
          ? {
              links: createApprovalLinks({
                secret: linkSecret,
                baseUrl: options.publicUrl ?? `http://${options.host}:${options.port}/console`,
              }),
            }
          : {}),
      });
    } catch (error) {
      throw new CliError(`cannot start the console: ${(error as Error).message}`);
    }
    io.stdout.write(
      `GenOps console on ${out.bold(running.url)} · store ${opened.url}${policy ? ` · policy ${policy.file}` : ''}\n`,
    );
    io.stdout.write(
      tokenFromEnv
        ? `Sign in with GENOPS_CONSOLE_TOKEN (as ${user}).\n`
        : `Sign in as ${user}: ${running.url}#token=${token}\n(the token changes at each start; set GENOPS_CONSOLE_TOKEN to keep one)\n`,
    );
    await new Promise<void>((resolve) => {
      const { signal } = io;
      if (!signal) return;
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await running.close();
    io.stdout.write('Console stopped.\n');
    return EXIT_OK;
  });
}
