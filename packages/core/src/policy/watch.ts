// Reloading a policy file when it changes: all or nothing, never half-configured.
import { type FSWatcher, readFileSync, type Stats, unwatchFile, watch, watchFile } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { diag } from '@opentelemetry/api';
import { ConfigError } from '../errors/config-error';
import { PolicyFileError } from '../errors/policy-file-error';
import { parsePolicy, readError, readPolicyTextSync } from './load';
import type { PolicyDocument } from './schema';

/** Options of {@link watchPolicyFile}. */
export interface WatchPolicyFileOptions<T> {
  /** Turns a valid document into what the caller uses (e.g. a compiled policy engine). A throw counts as a bad file. */
  compile: (document: PolicyDocument) => T;
  /** Called once per successful reload, after `current` has been swapped to `compiled`. */
  onChange: (compiled: T, document: PolicyDocument) => void;
  /**
   * Called when a changed file cannot be used (unreadable, invalid, or `compile` threw); the last good
   * policy stays in force. Called once per bad content: saving the same bad file again does not repeat it.
   */
  onError: (error: PolicyFileError) => void;
  /** Quiet time after the last change event before the file is read, ms. Default 100. */
  debounceMs?: number;
  /** Interval of the polling fallback (`fs.watchFile`), ms. Default 1000. */
  pollMs?: number;
}

/** A watched policy file. */
export interface PolicyFileWatcher<T> {
  /** Stops watching. Idempotent. */
  close(): void;
  /** The policy compiled from the last good version of the file. */
  readonly current: T;
}

/** How often a missing file is looked for again before it is reported (editors delete, then write). */
const MISSING_RETRIES = 2;

/**
 * Loads and compiles a policy file now (synchronously), then reloads it whenever it changes. It watches
 * the directory (editors and deploy tools replace files by renaming) and polls as a fallback. A reload
 * reads, parses, validates and compiles; only when all of that succeeds is `current` swapped (one
 * reference) and `onChange` called once. Otherwise the last good policy stays and `onError` says why.
 * The watcher never keeps the process alive.
 * @throws {PolicyFileError} when the file cannot be read, is invalid, or `compile` throws at start.
 */
export function watchPolicyFile<T>(path: string, options: WatchPolicyFileOptions<T>): PolicyFileWatcher<T> {
  const absolute = resolve(path);
  const debounceMs = options.debounceMs ?? 100;
  const pollMs = options.pollMs ?? 1000;

  const build = (text: string): { compiled: T; document: PolicyDocument } => {
    const document = parsePolicy(text, { file: path });
    try {
      return { compiled: options.compile(document), document };
    } catch (error) {
      throw compileError(path, error);
    }
  };

  let goodText = readPolicyTextSync(path);
  let current = build(goodText).compiled;
  /** What the last reported failure was about (the bad content, or a read error), to report it once. */
  let reported: string | undefined;
  let missing = 0;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const report = (key: string, error: PolicyFileError): void => {
    if (reported === key) return;
    reported = key;
    try {
      options.onError(error);
    } catch (hookError) {
      diag.warn('genops: the onError hook of a policy file watcher threw (ignored)', hookError);
    }
  };

  const reload = (): void => {
    timer = undefined;
    if (closed) return;
    let text: string;
    try {
      text = readFileSync(absolute, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && missing < MISSING_RETRIES) {
        missing++;
        schedule();
        return;
      }
      report(`read:${code ?? String(error)}`, readError(path, error));
      return;
    }
    missing = 0;
    if (text === goodText) {
      reported = undefined;
      return;
    }
    if (reported === `text:${text}`) return;
    let next: { compiled: T; document: PolicyDocument };
    try {
      next = build(text);
    } catch (error) {
      report(`text:${text}`, compileError(path, error));
      return;
    }
    goodText = text;
    reported = undefined;
    current = next.compiled;
    try {
      options.onChange(next.compiled, next.document);
    } catch (hookError) {
      diag.warn('genops: the onChange hook of a policy file watcher threw (ignored)', hookError);
    }
  };

  const schedule = (): void => {
    if (closed) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(reload, debounceMs);
    timer.unref();
  };

  // The directory, not the file: a rename-replace gives the path a new inode that a file watch would miss.
  // `..data` entries are how Kubernetes swaps a mounted ConfigMap.
  const name = basename(absolute);
  let directoryWatcher: FSWatcher | undefined;
  try {
    directoryWatcher = watch(dirname(absolute), { persistent: false }, (_event, changed) => {
      if (!changed || changed === name || String(changed).startsWith('..')) schedule();
    });
    directoryWatcher.on('error', (error) => {
      diag.warn(`genops: cannot watch the directory of ${path}; polling every ${pollMs}ms instead`, error);
      directoryWatcher?.close();
    });
    directoryWatcher.unref();
  } catch (error) {
    diag.warn(`genops: cannot watch the directory of ${path}; polling every ${pollMs}ms instead`, error);
  }
  const poll = (now: Stats, before: Stats): void => {
    if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino || now.size !== before.size) schedule();
  };
  watchFile(absolute, { persistent: false, interval: pollMs }, poll);
  // A change between the first read and the watchers starting would otherwise go unseen.
  schedule();

  return {
    close(): void {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      directoryWatcher?.close();
      unwatchFile(absolute, poll);
    },
    get current(): T {
      return current;
    },
  };
}

/** A `compile` failure as a {@link PolicyFileError} that names the file (and the path, for a ConfigError). */
function compileError(file: string, error: unknown): PolicyFileError {
  if (PolicyFileError.isInstance(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new PolicyFileError({
    file,
    issues: [
      {
        path: ConfigError.isInstance(error) ? error.path : '',
        message: `the policy is valid but could not be compiled: ${reason}`,
        expected: 'a policy the policy engine accepts',
      },
    ],
    cause: error,
  });
}
