import { ConfigError, loadPolicyFile, type PolicyDocument, PolicyFileError } from '@genops/core';
import { type CompiledPolicy, compilePolicy, showValue as showReceived } from '@genops/core/internal';

/** One problem in a policy file, as `--json` prints it. */
export interface PolicyProblem {
  file: string;
  line?: number;
  column?: number;
  /** Where in the document, e.g. `rules[2].allow[0]`; empty for the file as a whole. */
  path: string;
  message: string;
  expected?: string;
  /** The value found there, when there is one. */
  received?: unknown;
}

export type LoadedPolicy =
  | { ok: true; document: PolicyDocument; compiled: CompiledPolicy }
  | {
      ok: false;
      /** The file could not be read at all (missing, a directory, no permission). */
      unreadable: boolean;
      /** The whole error as a person reads it: `file:line:column: path: message (expected ...), got ...`. */
      message: string;
      problems: PolicyProblem[];
    };

type PolicyIssue = PolicyFileError['issues'][number];

const UNREADABLE = new Set(['ENOENT', 'EISDIR', 'EACCES', 'EPERM', 'ENOTDIR']);

/** Loads, validates and compiles a policy file; never throws for a bad file. */
export async function loadPolicy(file: string): Promise<LoadedPolicy> {
  let document: PolicyDocument;
  try {
    document = await loadPolicyFile(file);
  } catch (error) {
    if (!PolicyFileError.isInstance(error)) throw error;
    const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
    return {
      ok: false,
      unreadable: code !== undefined && UNREADABLE.has(code),
      message: error.message,
      problems: error.issues.map((issue) => toProblem(file, issue)),
    };
  }
  try {
    return { ok: true, document, compiled: compilePolicy(document) };
  } catch (error) {
    // Problems only compiling finds (none the schema lets through today), reported the same way.
    if (!ConfigError.isInstance(error)) throw error;
    const problem: PolicyProblem = { file, path: error.path, message: error.message };
    if (error.expected !== undefined) problem.expected = error.expected;
    return { ok: false, unreadable: false, message: `${file}: ${error.message}`, problems: [problem] };
  }
}

function toProblem(file: string, issue: PolicyIssue): PolicyProblem {
  const problem: PolicyProblem = { file, path: issue.path, message: issue.message };
  if (issue.line !== undefined) {
    problem.line = issue.line;
    problem.column = issue.column ?? 1;
  }
  if (issue.expected !== undefined) problem.expected = issue.expected;
  if (issue.received) problem.received = issue.received.value;
  return problem;
}

/**
 * `file:line:column: path: message (expected ...), got ...`, as `PolicyFileError` writes its first
 * problem (core's `formatPolicyIssue` is not exported from `@genops/core`).
 */
export function formatProblem(problem: PolicyProblem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}:${problem.column ?? 1}`;
  const path = problem.path ? ` ${problem.path}:` : '';
  const expected = problem.expected ? ` (expected ${problem.expected})` : '';
  const received = 'received' in problem ? `, got ${showValue(problem.received)}` : '';
  return `${where}:${path} ${problem.message}${expected}${received}`;
}

function showValue(value: unknown): string {
  return value === null ? 'null (an empty value)' : showReceived(value);
}
