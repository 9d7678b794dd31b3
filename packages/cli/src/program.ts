import { GenOpsError } from '@genops/core';
import { Command, CommanderError } from 'commander';
import { CliError, EXIT_PROBLEMS, EXIT_USAGE, errorLine } from './errors';
import { type CliIo, type CommandContext, createContext } from './io';
import { DEFAULT_STORE } from './store';
import { VERSION } from './version';

/** Adds one command group (`policy`, `audit`, ...) to the program; its actions set `context.exitCode`. */
export type CommandGroup = (program: Command, context: CommandContext) => void;

/**
 * The `genops` program with `groups`. Subcommands inherit its settings (output to `context.io`,
 * errors thrown instead of `process.exit`), as long as groups add them with `.command()`.
 */
export function createProgram(context: CommandContext, groups: readonly CommandGroup[]): Command {
  const { io, out, err } = context;
  const program = new Command('genops')
    .description('GenOps: runtime governance for AI calls, from the command line')
    .version(VERSION, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .exitOverride()
    .showHelpAfterError()
    .showSuggestionAfterError()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Commander's own messages (`error: unknown option '--fiel'`) in the CLI's one error shape.
      outputError: (text, write) => write(err.red(text.startsWith('error: ') ? `genops: ${text}` : errorLine(text))),
      getOutHasColors: () => out.isColorSupported,
      getErrHasColors: () => err.isColorSupported,
      getOutHelpWidth: () => io.stdout.columns ?? 100,
      getErrHelpWidth: () => io.stderr.columns ?? 100,
    });
  for (const group of groups) group(program, context);
  program.addHelpText(
    'after',
    `
Exit codes: 0 success, 1 the check found problems (invalid policy, broken audit chain, an approval
already decided), 2 the command could not run (bad usage, unreadable file, a store that cannot be opened).
Store: --store <url>, else GENOPS_STORE, else ${DEFAULT_STORE}.
Environment: NO_COLOR turns colours off; GENOPS_DEBUG=1 prints stack traces of unexpected errors.`,
  );
  return program;
}

/**
 * Parses `argv` (the arguments after `genops`) and runs the command. Resolves to the exit code; never
 * throws and never calls `process.exit`.
 */
export async function runCommandGroup(
  argv: readonly string[],
  io: CliIo,
  groups: readonly CommandGroup[],
): Promise<number> {
  const context = createContext(io);
  const program = createProgram(context, groups);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return context.exitCode;
  } catch (error) {
    return reportError(error, context);
  }
}

/** Writes an error the way a person can act on it; the stack only for unexpected errors under GENOPS_DEBUG=1. */
export function reportError(error: unknown, context: CommandContext): number {
  const { io, err } = context;
  // Commander has already written its message (and the help after it).
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
  if (error instanceof CliError) {
    io.stderr.write(`${err.red(errorLine(error.message))}\n`);
    // A store that failed: its driver's stack, for a bug report.
    if (context.debug && error.cause instanceof Error && error.cause.stack)
      io.stderr.write(`${err.dim(error.cause.stack)}\n`);
    return error.exitCode;
  }
  if (GenOpsError.isInstance(error)) {
    io.stderr.write(`${err.red(errorLine(error.message))}\n`);
    if (context.debug && error.stack) io.stderr.write(`${err.dim(error.stack)}\n`);
    return EXIT_PROBLEMS;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`${err.red(errorLine(`unexpected: ${message}`))}\n`);
  if (context.debug)
    io.stderr.write(`${err.dim(error instanceof Error && error.stack ? error.stack : String(error))}\n`);
  else io.stderr.write(`${err.dim('Set GENOPS_DEBUG=1 to see the stack trace, and report it if it is a bug.')}\n`);
  return EXIT_PROBLEMS;
}
