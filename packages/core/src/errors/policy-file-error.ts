import { ConfigError } from './config-error';
import { showValue } from './show-value';

const name = 'PolicyFileError';

/** How many problems the message lists; all of them are in `issues`. */
const LISTED = 5;

/** One problem in a policy document. */
export interface PolicyIssue {
  /** Where in the document, e.g. `rules[2].allow[0]`; empty for the file or document as a whole. */
  path: string;
  /** 1-based line of the problem, when the document came from text. */
  line?: number;
  /** 1-based column of the problem, when the document came from text. */
  column?: number;
  /** What is wrong, e.g. `bad glob: unclosed "[" at position 4`. */
  message: string;
  /** What would be accepted there. */
  expected?: string;
  /** The value found there, when there is one to show (the message then ends with "got <value>"). */
  received?: { value: unknown };
}

/**
 * A policy file (or policy object) that cannot be used: unreadable, not valid YAML or JSON, or not a
 * valid policy document. The message names the file, the line and column, the path in the document,
 * what was found and what was expected, e.g.
 * `genops.policy.yaml:14:9: rules[2].allow[0]: bad glob: unclosed "[" at position 4 (expected a glob such as "gpt-4o*"), got "gpt-[4o"`.
 * Also a {@link ConfigError}: `ConfigError.isInstance(error)` is true.
 */
export class PolicyFileError extends ConfigError {
  static override readonly errorName: string = name;
  readonly errorNames: readonly string[] = [ConfigError.errorName, name];
  /** The file as it was named (not resolved), when the policy came from a file. */
  readonly file: string | undefined;
  /** 1-based line of the first problem, when the policy came from text. */
  readonly line: number | undefined;
  /** 1-based column of the first problem, when the policy came from text. */
  readonly column: number | undefined;
  /** Every problem found, first one first (the one the other fields describe). */
  readonly issues: readonly PolicyIssue[];

  /**
   * @param source Names the policy in messages: the file, or for an object in code a label such as
   *   `GenOps.init({ policy })`.
   */
  constructor({
    file,
    source,
    issues,
    cause,
  }: {
    file?: string;
    source?: string;
    issues: readonly [PolicyIssue, ...PolicyIssue[]];
    cause?: unknown;
  }) {
    const [first] = issues;
    super({
      path: first.path,
      message: first.message,
      expected: first.expected,
      received: first.received?.value,
      cause,
    });
    const label = file ?? source ?? 'policy';
    let message = formatPolicyIssue(label, first);
    if (issues.length > 1) {
      const more = issues.slice(1, LISTED).map((issue) => `\n  - ${formatPolicyIssue(label, issue)}`);
      const rest = issues.length - LISTED;
      message += `\n${issues.length - 1} more problem${issues.length > 2 ? 's' : ''}:${more.join('')}`;
      if (rest > 0) message += `\n  - ... and ${rest} more (see error.issues)`;
    }
    this.name = name;
    this.message = message;
    this.file = file;
    this.line = first.line;
    this.column = first.column;
    this.issues = issues;
  }
}

/** `file:line:column: path: message (expected ...), got ...`, leaving out the parts an issue lacks. */
export function formatPolicyIssue(label: string, issue: PolicyIssue): string {
  const where = issue.line === undefined ? label : `${label}:${issue.line}:${issue.column ?? 1}`;
  const path = issue.path ? ` ${issue.path}:` : '';
  const expected = issue.expected ? ` (expected ${issue.expected})` : '';
  const received = issue.received ? `, got ${showValue(issue.received.value)}` : '';
  return `${where}:${path} ${issue.message}${expected}${received}`;
}
