import type { z } from 'zod';

// Turning zod issues into messages a person can act on: shared by GenOps.init() options and policy files.

export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(options)';
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  );
}

export function describeIssue(issue: z.core.$ZodIssue, received: unknown): string {
  const shown = received === undefined ? 'nothing' : (JSON.stringify(received) ?? String(received));
  switch (issue.code) {
    case 'invalid_value':
      return `got ${shown}`;
    case 'unrecognized_keys':
      return `unknown option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
    case 'too_small':
    case 'too_big':
    case 'invalid_type':
    case 'custom':
    case 'invalid_format':
    case 'invalid_union':
      return `${issue.message.replace(/^Invalid input: /, '')}, got ${shown}`;
    default:
      return `${issue.message}, got ${shown}`;
  }
}

export function expectedFor(issue: z.core.$ZodIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_value':
      return `one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `at least ${issue.minimum} item(s)`
        : `a number ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    case 'too_big':
      return `a number ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    case 'invalid_type':
      return issue.expected;
    case 'custom':
      return (issue.params as { expected?: string } | undefined)?.expected;
    case 'unrecognized_keys':
      return 'only documented options (see the GenOpsOptions type)';
    default:
      return undefined;
  }
}
