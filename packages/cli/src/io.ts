import picocolors from 'picocolors';

/** Where a command writes: `process.stdout` / `process.stderr`, or a test's collecting stream. */
export interface OutputStream {
  write(chunk: string): unknown;
  /** Colours are used only when the stream is a terminal. */
  isTTY?: boolean;
  /** Terminal width; tables wrap their last column to fit it. */
  columns?: number;
}

/** Everything a command reads from or writes to outside its arguments, so tests can run it in-process. */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  /** Environment (`NO_COLOR`, `FORCE_COLOR`, `TERM`, `GENOPS_DEBUG`); default: none set. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Ends long-running commands (`audit tail --follow`) cleanly, e.g. on Ctrl-C. */
  signal?: AbortSignal;
  /** Clock, epoch ms; default `Date.now`. */
  now?: () => number;
}

export type Colors = ReturnType<typeof picocolors.createColors>;

/** What command actions get: the streams, a colour palette per stream and the exit code to return. */
export interface CommandContext {
  io: CliIo;
  /** Colours for stdout. */
  out: Colors;
  /** Colours for stderr. */
  err: Colors;
  /** `GENOPS_DEBUG=1`: print stack traces of unexpected errors. */
  debug: boolean;
  now: () => number;
  /** The exit code the command sets; 0 unless an action sets another. */
  exitCode: number;
}

/**
 * Colours on a terminal only: never when `NO_COLOR` is set (https://no-color.org) or `TERM=dumb`,
 * always when `FORCE_COLOR` is set (and not `0`).
 */
export function colorsEnabled(stream: OutputStream, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function createContext(io: CliIo): CommandContext {
  const env = io.env ?? {};
  return {
    io,
    out: picocolors.createColors(colorsEnabled(io.stdout, env)),
    err: picocolors.createColors(colorsEnabled(io.stderr, env)),
    debug: env.GENOPS_DEBUG === '1' || env.GENOPS_DEBUG === 'true',
    now: io.now ?? Date.now,
    exitCode: 0,
  };
}
