import { z } from 'zod';
import { showValue } from './errors/show-value';

// Turning zod issues into messages a person can act on: shared by GenOps.init() options and policy files.

/** `budgets[0].limit` from `['budgets', 0, 'limit']`; `(options)` for the root. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(options)';
  return joinPath(path);
}

/** Like {@link formatPath}, but the root is the empty string. */
export function joinPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  );
}

/** What is wrong, for `GenOps.init()` options: the issue's message and the value received. */
export function describeIssue(issue: z.core.$ZodIssue, received: unknown): string {
  switch (issue.code) {
    case 'invalid_value':
      return `got ${showValue(received)}`;
    case 'unrecognized_keys':
      return `unknown option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
    case 'too_small':
    case 'too_big':
    case 'invalid_type':
    case 'custom':
    case 'invalid_format':
      return `${issue.message.replace(/^Invalid input: /, '')}, got ${showValue(received)}`;
    case 'invalid_union':
      // zod says only "Invalid input": say whether the value is missing or just of none of the accepted forms.
      return `${received === undefined ? 'required' : 'not one of the accepted forms'}, got ${showValue(received)}`;
    default:
      return `${issue.message}, got ${showValue(received)}`;
  }
}

/** What `GenOps.init()` expected where the issue is, when the issue says. */
export function expectedFor(issue: z.core.$ZodIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_value':
      return `one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `at least ${issue.minimum} item(s)`
        : issue.origin === 'string'
          ? `a string of at least ${issue.minimum} character(s)`
          : `a number ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    case 'too_big':
      return `a number ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    case 'invalid_type':
      return issue.expected;
    case 'custom':
      return (issue.params as { expected?: string } | undefined)?.expected;
    case 'unrecognized_keys':
      return 'only documented options (see the GenOpsOptions type)';
    case 'invalid_union': {
      // What each alternative expected, e.g. `one of "day", "week", "month", "total" or string`.
      const forms = [...new Set(issue.errors.map((branch) => (branch[0] ? expectedFor(branch[0]) : undefined)))];
      return forms.every((form) => form !== undefined) && forms.length > 0 ? forms.join(' or ') : undefined;
    }
    default:
      return undefined;
  }
}

// ---- Suggestions ------------------------------------------------------------------------------------

/** Edit distance (insertions, deletions, substitutions, and swaps of two neighbours count 1). */
export function levenshtein(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The candidate closest to `word` (case-insensitive): at most `maxDistance` edits away, else the only
 * candidate that contains `word` (3+ characters, e.g. `ssn` for `us_ssn`).
 */
export function closestMatch(word: string, candidates: Iterable<string>, maxDistance = 2): string | undefined {
  let best: string | undefined;
  let bestDistance = maxDistance + 1;
  const lower = word.toLowerCase();
  const containing: string[] = [];
  for (const candidate of candidates) {
    const distance = levenshtein(lower, candidate.toLowerCase());
    if (distance < bestDistance && distance < Math.max(lower.length, candidate.length)) {
      best = candidate;
      bestDistance = distance;
    }
    if (lower.length >= 3 && candidate.toLowerCase().includes(lower)) containing.push(candidate);
  }
  return best ?? (containing.length === 1 ? containing[0] : undefined);
}

// ---- Walking a schema alongside the data --------------------------------------------------------------

type AnyDef = z.core.$ZodTypes['_zod']['def'];

function defOf(schema: z.core.$ZodType): AnyDef {
  return schema._zod.def as AnyDef;
}

/** The schema under optional, default, nullable, readonly, catch and pipe (input side) wrappers. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (let depth = 0; depth < 20; depth++) {
    const def = defOf(current);
    switch (def.type) {
      case 'optional':
      case 'default':
      case 'prefault':
      case 'nullable':
      case 'nonoptional':
      case 'readonly':
      case 'catch':
        current = def.innerType;
        break;
      case 'pipe':
        current = def.in;
        break;
      default:
        return current;
    }
  }
  return current;
}

/** The union option that `data` is meant for: by discriminator, else the first option that can hold `key`. */
function pickOption(
  def: z.core.$ZodUnionDef | z.core.$ZodDiscriminatedUnionDef,
  data: unknown,
  key: PropertyKey | undefined,
): z.core.$ZodType | undefined {
  const discriminator = 'discriminator' in def ? def.discriminator : undefined;
  const options = def.options.map(unwrap);
  if (discriminator !== undefined && typeof data === 'object' && data !== null) {
    const tag = (data as Record<string, unknown>)[discriminator];
    for (const option of options) {
      const optionDef = defOf(option);
      if (optionDef.type !== 'object') continue;
      const literal = optionDef.shape[discriminator];
      if (literal && unwrap(literal)._zod.values?.has(tag as never)) return option;
    }
    return undefined;
  }
  for (const option of options) {
    const optionDef = defOf(option);
    if (key === undefined) {
      if (optionDef.type === 'object' && typeof data === 'object' && data !== null && !Array.isArray(data))
        return option;
      continue;
    }
    if (typeof key === 'number' && optionDef.type === 'array') return option;
    if (typeof key === 'string' && optionDef.type === 'object' && key in optionDef.shape) return option;
    if (typeof key === 'string' && optionDef.type === 'record') return option;
  }
  return undefined;
}

/**
 * The schema that validates the value at `path` in `data`, following objects, arrays, records, wrappers
 * and unions (by discriminator, or by what the next path segment needs). `undefined` when it cannot tell.
 */
export function schemaAt(
  schema: z.core.$ZodType,
  path: readonly PropertyKey[],
  data: unknown,
): z.core.$ZodType | undefined {
  let current: z.core.$ZodType | undefined = unwrap(schema);
  let value = data;
  for (const key of path) {
    if (!current) return undefined;
    let def = defOf(current);
    if (def.type === 'union') {
      current = pickOption(def, value, key);
      if (!current) return undefined;
      def = defOf(current);
    }
    if (def.type === 'object' && typeof key === 'string') current = def.shape[key];
    else if (def.type === 'array' && typeof key === 'number') current = def.element;
    else if (def.type === 'record') current = def.valueType;
    else return undefined;
    current = current ? unwrap(current) : undefined;
    value =
      typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key as string] : undefined;
  }
  return current;
}

/** The keys the object schema at `path` accepts (resolving unions by the data), or `undefined`. */
export function objectKeysAt(
  schema: z.core.$ZodType,
  path: readonly PropertyKey[],
  data: unknown,
): string[] | undefined {
  let target = schemaAt(schema, path, data);
  if (!target) return undefined;
  const value = valueAt(data, path);
  let def = defOf(target);
  if (def.type === 'union') {
    target = pickOption(def, value, undefined);
    if (!target) return undefined;
    def = defOf(target);
  }
  return def.type === 'object' ? Object.keys(def.shape) : undefined;
}

/**
 * How a union at `path` could otherwise be satisfied: `alternatives` describes its enum, literal and
 * number options; `values` lists its enum and literal strings (for "did you mean").
 */
export function unionAlternatives(
  schema: z.core.$ZodType,
  path: readonly PropertyKey[],
  data: unknown,
): { alternatives: string[]; values: string[] } {
  const out = { alternatives: [] as string[], values: [] as string[] };
  const target = schemaAt(schema, path, data);
  if (!target) return out;
  const def = defOf(target);
  if (def.type !== 'union') return out;
  for (const option of def.options.map(unwrap)) {
    const optionDef = defOf(option);
    const values =
      optionDef.type === 'enum'
        ? Object.values(optionDef.entries)
        : optionDef.type === 'literal'
          ? optionDef.values
          : undefined;
    if (values) {
      out.alternatives.push(`one of ${values.map((entry) => JSON.stringify(entry)).join(', ')}`);
      out.values.push(...values.filter((entry): entry is string => typeof entry === 'string'));
    } else if (optionDef.type === 'number') out.alternatives.push('a number');
  }
  return out;
}

/** What a schema accepts, in words: enum values, a `.meta()` description, or its type. */
function describeSchema(schema: z.core.$ZodType): string | undefined {
  const target = unwrap(schema);
  const def = defOf(target);
  if (def.type === 'enum')
    return `one of ${Object.values(def.entries)
      .map((entry) => JSON.stringify(entry))
      .join(', ')}`;
  if (def.type === 'literal') return def.values.map((entry) => JSON.stringify(entry)).join(' or ');
  // A description's lead (`A glob: * any run of characters, ...` → `a glob`).
  const description = z.globalRegistry.get(target)?.description?.split(': ')[0];
  if (description) return description.charAt(0).toLowerCase() + description.slice(1);
  if (def.type === 'union') return def.options.map(describeSchema).filter(Boolean).join(' or ') || undefined;
  return TYPE_NAMES[def.type];
}

/** The value at `path` in `data`, or `undefined` when some segment is missing. */
export function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key as string];
  }
  return value;
}

/** Whether the last segment of `path` is absent from its (existing) parent object. */
export function isMissingKey(data: unknown, path: readonly PropertyKey[]): boolean {
  if (path.length === 0) return false;
  const parent = valueAt(data, path.slice(0, -1));
  if (typeof parent !== 'object' || parent === null) return false;
  return !Object.hasOwn(parent, path[path.length - 1] as string);
}

// ---- Explaining an issue ------------------------------------------------------------------------------

/** One issue explained for a person: where, what is wrong, what would be accepted, what was found. */
export interface ExplainedIssue {
  /** Path of the value concerned (for an unknown key: the key itself, e.g. `rules[0].alow`). */
  path: PropertyKey[];
  /** What is wrong, e.g. `bad glob: unclosed "["`. */
  message: string;
  /** What would be accepted. */
  expected: string | undefined;
  /** `value` when the message should end with "got <value>"; absent for missing and unknown keys. */
  received?: { value: unknown };
  /** Where to point: the value at `path`, the key of an unknown entry, or (`missing`) the map that lacks the key. */
  locate: 'value' | 'key' | 'missing';
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map of keys to values',
  record: 'a map of keys to values',
  null: 'null',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a whole number' : 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
}

/** Primitives and short lists are shown after "got"; maps and long values are not (the path says where). */
function shown(value: unknown): { value: unknown } | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return undefined;
  if (Array.isArray(value) && (JSON.stringify(value) ?? '').length > 60) return undefined;
  return { value };
}

/** The "expected" text of each failed union option (by type), e.g. `a string or a list`. */
function unionExpected(issue: z.core.$ZodIssueInvalidUnion): string | undefined {
  const parts: string[] = [];
  for (const branch of issue.errors) {
    const first = branch[0];
    if (!first) continue;
    const text =
      first.code === 'invalid_type'
        ? typeName(first.expected)
        : first.code === 'custom'
          ? (first.params as { expected?: string } | undefined)?.expected
          : first.code === 'invalid_value'
            ? `one of ${first.values.map((value) => JSON.stringify(value)).join(', ')}`
            : undefined;
    if (text && !parts.includes(text)) parts.push(text);
  }
  return parts.length > 0 ? parts.join(' or ') : undefined;
}

/**
 * Explains one zod issue against the data that was validated and its schema: names unknown keys one
 * by one with the closest known key ("did you mean `allow`?"), lists the valid values of a
 * discriminator, says when a required key is missing, and what each check expected.
 */
export function explainIssue(issue: z.core.$ZodIssue, schema: z.core.$ZodType, data: unknown): ExplainedIssue[] {
  const path = [...issue.path];
  const received = valueAt(data, path);
  const missing = isMissingKey(data, path) || (path.length > 0 && received === undefined);
  const last = path[path.length - 1];
  const missingKey = (expected: string | undefined): ExplainedIssue => ({
    path,
    message: `missing required key \`${String(last)}\``,
    expected,
    locate: 'missing',
  });
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = objectKeysAt(schema, path, data) ?? [];
      return issue.keys.map((key) => {
        const suggestion = closestMatch(key, known);
        return {
          path: [...path, key],
          message: `unknown key "${key}"${suggestion ? `; did you mean \`${suggestion}\`?` : ''}`,
          expected: known.length > 0 ? `one of the keys ${known.join(', ')}` : undefined,
          locate: 'key',
        };
      });
    }
    case 'invalid_type': {
      const expected = typeName(issue.expected);
      if (missing) return [missingKey(expected)];
      let message = `wrong type: ${kindOf(received)}`;
      if (received === null) message = 'empty value';
      else if (typeof received === 'string' && issue.expected === 'number' && received.trim() !== '') {
        if (Number.isFinite(Number(received))) message = 'a number in quotes is a string; remove the quotes';
        else if (/^\s*(?:\$|USD)\s*\d|\d\s*(?:\$|USD)\s*$/.test(received))
          message = 'a string; write the amount as a plain number, without a currency sign';
      } else if (issue.expected === 'int' && typeof received === 'number') message = 'not a whole number';
      return [{ path, message, expected, received: shown(received), locate: 'value' }];
    }
    case 'invalid_value': {
      const expected =
        issue.values.length === 1
          ? JSON.stringify(issue.values[0])
          : `one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
      if (missing) return [missingKey(expected)];
      const strings = issue.values.filter((value): value is string => typeof value === 'string');
      const suggestion = typeof received === 'string' ? closestMatch(received, strings) : undefined;
      const message =
        path.length === 1 && last === 'version'
          ? 'unsupported policy format version'
          : `not an allowed value${suggestion ? `; did you mean "${suggestion}"?` : ''}`;
      return [{ path, message, expected, received: shown(received), locate: 'value' }];
    }
    case 'invalid_union': {
      if (issue.discriminator !== undefined && 'options' in issue && issue.options) {
        const options = issue.options.map(String);
        const expected = `one of ${options.join(', ')}`;
        const parent = valueAt(data, path.slice(0, -1));
        if (received === undefined && typeof parent === 'object' && parent !== null) {
          // A typo of the discriminator's key reads better as an unknown key.
          const typo = Object.keys(parent).find((key) => closestMatch(key, [issue.discriminator!]) !== undefined);
          if (typo)
            return [
              {
                path: [...path.slice(0, -1), typo],
                message: `unknown key "${typo}"; did you mean \`${issue.discriminator}\`?`,
                expected: `\`${issue.discriminator}\`: ${expected}`,
                locate: 'key',
              },
            ];
        }
        if (received === undefined)
          return [{ path, message: `missing required key \`${issue.discriminator}\``, expected, locate: 'missing' }];
        const suggestion = typeof received === 'string' ? closestMatch(received, options) : undefined;
        const noun = issue.discriminator === 'type' && path.length >= 2 && path[0] === 'rules' ? 'rule type' : 'type';
        return [
          {
            path,
            message: `unknown ${noun} ${showValue(received)}${suggestion ? `; did you mean \`${suggestion}\`?` : ''}`,
            expected,
            locate: 'value',
          },
        ];
      }
      const target = schemaAt(schema, path, data);
      const expected = (target && describeSchema(target)) ?? unionExpected(issue);
      if (missing) return [missingKey(expected)];
      return [
        { path, message: `wrong type: ${kindOf(received)}`, expected, received: shown(received), locate: 'value' },
      ];
    }
    case 'too_small': {
      if (missing) return [missingKey(undefined)];
      if (issue.origin === 'array')
        return [
          {
            path,
            message: Array.isArray(received) && received.length === 0 ? 'empty list' : 'too few items',
            expected: `at least ${issue.minimum} item${Number(issue.minimum) === 1 ? '' : 's'}`,
            received: shown(received),
            locate: 'value',
          },
        ];
      if (issue.origin === 'string')
        return [
          {
            path,
            message: received === '' ? 'empty string' : 'too short',
            expected: `a string of at least ${issue.minimum} character${Number(issue.minimum) === 1 ? '' : 's'}`,
            received: shown(received),
            locate: 'value',
          },
        ];
      return [
        {
          path,
          message: `too small`,
          expected: `a number ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`,
          received: shown(received),
          locate: 'value',
        },
      ];
    }
    case 'too_big':
      return [
        {
          path,
          message: issue.origin === 'array' ? 'too many items' : issue.origin === 'string' ? 'too long' : 'too large',
          expected:
            issue.origin === 'array'
              ? `at most ${issue.maximum} items`
              : `a number ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`,
          received: shown(received),
          locate: 'value',
        },
      ];
    case 'invalid_format': {
      if (issue.format === 'url')
        return [
          {
            path,
            message: typeof received === 'string' && URL.canParse(received) ? 'unsupported URL scheme' : 'not a URL',
            expected: 'an http:// or https:// URL, e.g. "https://hooks.example.com/genops"',
            received: shown(received),
            locate: 'value',
          },
        ];
      const custom = !/^Invalid/.test(issue.message);
      return [
        {
          path,
          message: 'bad format',
          expected: custom ? issue.message.replace(/^use /, '') : `a string matching ${issue.pattern ?? issue.format}`,
          received: shown(received),
          locate: 'value',
        },
      ];
    }
    case 'custom': {
      let expected = (issue.params as { expected?: string } | undefined)?.expected;
      const union = unionAlternatives(schema, path, data);
      // Add what the other options of a union accept, unless the check already says it.
      const stated = expected ?? '';
      const missingAlternatives = union.alternatives.filter((alternative) => {
        const values = alternative.match(/"[^"]*"/g);
        return !values?.every((value) => stated.includes(value));
      });
      if (missingAlternatives.length > 0) expected = [...missingAlternatives, expected].filter(Boolean).join(', or ');
      const suggestion = typeof received === 'string' ? closestMatch(received, union.values) : undefined;
      if (received === undefined && path.length > 0)
        return [{ path, message: issue.message, expected, locate: 'missing' }];
      // `bad glob: unclosed "[" at position 4 in "gpt-[4o"`: the value is shown after "got" anyway.
      let message =
        typeof received === 'string' ? issue.message.replace(` in ${JSON.stringify(received)}`, '') : issue.message;
      if (suggestion) message += `; did you mean "${suggestion}"?`;
      return [{ path, message, expected, received: shown(received), locate: 'value' }];
    }
    case 'invalid_key': {
      const inner = issue.issues[0];
      return [
        {
          path,
          message: `bad key: ${inner?.message.replace(/^Invalid input: /, '') ?? issue.message}`,
          expected: inner ? expectedFor(inner) : undefined,
          received: shown(received),
          locate: 'value',
        },
      ];
    }
    default:
      return [{ path, message: issue.message, expected: undefined, received: shown(received), locate: 'value' }];
  }
}
