/** Exit codes of every `genops` command. */
export const EXIT_OK = 0;
/** The check ran and found problems: an invalid policy, a broken audit chain. */
export const EXIT_PROBLEMS = 1;
/** The command could not run: bad usage, a missing or unreadable file, a feature not installed. */
export const EXIT_USAGE = 2;

/**
 * An error a person can act on: printed as its message alone (no stack trace), and the command exits
 * with `exitCode`.
 */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT_USAGE, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/**
 * The one shape of what the CLI writes to stderr: `genops: error: <what> (<how to fix>)` when the command
 * fails (exit 1 or 2), `genops: warning: <what>` when it reports a problem and goes on. Verdicts of a check
 * (`✔ 10 records, chain intact`, `✘ 2 problems in 9 records`) are the command's output, on stdout.
 */
export function errorLine(message: string): string {
  return `genops: error: ${message}`;
}

/** `genops: warning: <what>`: a problem reported while the command goes on (see `errorLine`). */
export function warningLine(message: string): string {
  return `genops: warning: ${message}`;
}

const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** `cannot read audit.jsonl (ENOENT: no such file)` for a file-system error; `undefined` for any other error. */
export function describeReadError(file: string, error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return undefined;
  return `cannot read ${file} (${code}: ${READ_ERRORS[code] ?? (error as Error).message})`;
}
