// Reading policy documents from YAML/JSON text, files and objects, with errors that point at the line,
// column and path of each problem.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type ParsedNode,
  parseDocument,
  visit,
  type YAMLError,
} from 'yaml';
import type { z } from 'zod';
import { PolicyFileError, type PolicyIssue } from '../errors/policy-file-error';
import { type ExplainedIssue, explainIssue, joinPath } from '../zod-issue';
import { type PolicyDocument, policyDocumentSchema } from './schema';

/** The text format of a policy document. */
export type PolicyFormat = 'yaml' | 'json';

/** Options of {@link parsePolicy}. */
export interface ParsePolicyOptions {
  /** The file the text came from: named in errors, and its extension (.yaml, .yml, .json) sets the format. */
  file?: string;
  /** `yaml` or `json`; default: from the file's extension, else `json` when the text starts with `{`, else `yaml`. */
  format?: PolicyFormat;
}

/**
 * The deepest nesting of objects and lists a policy document may have (a real one has about 6). Deeper
 * documents are refused with a `PolicyFileError` before anything recurses into them.
 */
export const MAX_POLICY_DEPTH = 64;

const TOO_DEEP = `objects and lists nested deeper than ${MAX_POLICY_DEPTH} levels`;
const TOO_DEEP_EXPECTED = `a policy document nested at most ${MAX_POLICY_DEPTH} levels deep`;

/** The path of a value nested deeper than `max` levels in `value`, or `undefined` (iterative: no recursion). */
export function deepestPath(value: unknown, max: number): string | undefined {
  const stack: Array<{ value: unknown; depth: number; path: PropertyKey[] }> = [{ value, depth: 0, path: [] }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value !== 'object' || item.value === null) continue;
    if (item.depth >= max) return joinPath(item.path) || '(the document)';
    const entries: Array<[PropertyKey, unknown]> = Array.isArray(item.value)
      ? item.value.map((child, index) => [index, child])
      : Object.entries(item.value);
    for (const [key, child] of entries) {
      if (typeof child === 'object' && child !== null)
        stack.push({ value: child, depth: item.depth + 1, path: [...item.path, key] });
    }
  }
  return undefined;
}

/** The smallest valid document, shown when a file is empty. */
const MINIMAL: Record<PolicyFormat, string> = { yaml: '`version: 1`', json: '`{ "version": 1 }`' };

/**
 * Parses and validates a policy document written in YAML or JSON (JSON is read with the same YAML 1.2
 * parser, after a strict JSON syntax check, so both report line and column).
 * @throws {PolicyFileError} naming the file, line, column and path of the first problem (all of them in `issues`).
 */
export function parsePolicy(text: string, options: ParsePolicyOptions = {}): PolicyDocument {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const format = options.format ?? formatOf(options.file, source);
  const lines = new LineCounter();
  const fail = (issues: PolicyIssue[]): never => {
    throw new PolicyFileError({ file: options.file, issues: nonEmpty(issues) });
  };

  if (format === 'json') {
    const problem = checkJsonSyntax(source);
    if ('offset' in problem)
      return fail([
        syntaxIssue(source, problem.offset, `JSON syntax error: ${problem.message}`, problem.expected, problem.path),
      ]);
    // Well-formed JSON without duplicate keys, at most MAX_POLICY_DEPTH deep: JSON.parse reads it as the
    // YAML parser would, ~10× faster; the YAML parser runs only to place the problems of an invalid one.
    if (!problem.duplicateKeys && source.trim() !== '') {
      const parsed = policyDocumentSchema.safeParse(JSON.parse(source));
      if (parsed.success) return parsed.data;
    }
  }
  const tooDeep = (): never =>
    fail([{ path: '', line: 1, column: 1, message: `the document has ${TOO_DEEP}`, expected: TOO_DEEP_EXPECTED }]);
  let document: Document.Parsed;
  try {
    document = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
  } catch (error) {
    // Only nesting deep enough to exhaust the stack makes the YAML parser throw.
    if (error instanceof RangeError) tooDeep();
    throw error;
  }
  const syntax = [...document.errors, ...document.warnings];
  if (syntax.length > 0) fail(yamlIssues(document, source, syntax));
  if (document.contents === null)
    fail([
      {
        path: '',
        line: 1,
        column: 1,
        message: 'the policy file is empty',
        expected: `a policy document; the smallest valid one is ${MINIMAL[format]}`,
      },
    ]);
  const unresolved = unresolvedAliases(document, source);
  if (unresolved.length > 0) fail(unresolved);

  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message)) tooDeep();
    // Aliases that expand into a huge document ("billion laughs"); unresolved ones were reported above.
    fail([
      {
        path: '',
        line: 1,
        column: 1,
        message: `cannot expand the YAML aliases: ${(error as Error).message}`,
        expected: 'fewer aliases (*name) that expand to large values',
      },
    ]);
  }
  const deep = deepestPath(data, MAX_POLICY_DEPTH);
  if (deep !== undefined)
    fail([{ path: deep, line: 1, column: 1, message: `the document has ${TOO_DEEP}`, expected: TOO_DEEP_EXPECTED }]);
  const parsed = policyDocumentSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  const located = explainAll(parsed.error.issues, data).map((issue) => {
    const { offset, order } = placeOf(document, issue);
    const { line, col } = lines.linePos(offset);
    return { issue, order, line, column: col };
  });
  located.sort((a, b) => a.order - b.order || rank(a.issue) - rank(b.issue));
  return fail(located.map(({ issue, line, column }) => toPolicyIssue(issue, line, column)));
}

/**
 * Validates a policy document given as an object (e.g. written in code). Errors name the path; there
 * are no lines.
 * @param source names the policy in messages, e.g. `GenOps.init({ policy })`; default `policy`.
 * @throws {PolicyFileError} describing the first problem (all of them in `issues`).
 */
export function parsePolicyObject(value: unknown, source = 'policy'): PolicyDocument {
  const deep = deepestPath(value, MAX_POLICY_DEPTH);
  if (deep !== undefined)
    throw new PolicyFileError({
      source,
      issues: [{ path: deep, message: `the policy has ${TOO_DEEP}`, expected: TOO_DEEP_EXPECTED }],
    });
  const parsed = policyDocumentSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = explainAll(parsed.error.issues, value)
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => rank(a.issue) - rank(b.issue) || a.index - b.index)
    .map(({ issue }) => toPolicyIssue(issue, undefined, undefined));
  throw new PolicyFileError({ source, issues: nonEmpty(issues) });
}

/** Zod never fails without an issue; should it, the error still says something. */
function nonEmpty(issues: PolicyIssue[]): [PolicyIssue, ...PolicyIssue[]] {
  const [first, ...rest] = issues;
  return first
    ? [first, ...rest]
    : [{ path: '', message: 'invalid policy document', expected: 'a valid policy document' }];
}

/**
 * Reads, parses and validates a policy file (`.yaml`, `.yml` or `.json`).
 * @throws {PolicyFileError} when the file cannot be read or is not a valid policy document.
 */
export async function loadPolicyFile(path: string): Promise<PolicyDocument> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw readError(path, error);
  }
  return parsePolicy(text, { file: path });
}

/** Like {@link loadPolicyFile}, synchronously (for start-up code). */
export function loadPolicyFileSync(path: string): PolicyDocument {
  return parsePolicy(readPolicyTextSync(path), { file: path });
}

/** Reads a policy file's text; a missing or unreadable file becomes a {@link PolicyFileError}. */
export function readPolicyTextSync(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw readError(path, error);
  }
}

/** A {@link PolicyFileError} that says why `path` could not be read and what to do about it. */
export function readError(path: string, error: unknown): PolicyFileError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const absolute = resolve(path);
  const [message, expected] =
    code === 'ENOENT'
      ? [
          `cannot read the policy file: no such file (looked for ${absolute})`,
          'the path of a YAML or JSON policy file; create the file or fix the path (relative paths start at the working directory)',
        ]
      : code === 'EACCES' || code === 'EPERM'
        ? [
            `cannot read the policy file: permission denied (${absolute})`,
            'a file this process may read; check its permissions and owner',
          ]
        : code === 'EISDIR'
          ? [`cannot read the policy file: ${absolute} is a directory`, 'the path of a file, e.g. genops.policy.yaml']
          : [
              `cannot read the policy file: ${(error as Error | undefined)?.message ?? String(error)}`,
              'a readable YAML or JSON policy file',
            ];
  return new PolicyFileError({ file: path, issues: [{ path: '', message, expected }], cause: error });
}

// ---- Format -------------------------------------------------------------------------------------------

function formatOf(file: string | undefined, text: string): PolicyFormat {
  const extension = file ? extname(file).toLowerCase() : '';
  if (extension === '.json') return 'json';
  if (extension === '.yaml' || extension === '.yml') return 'yaml';
  return text.trimStart().startsWith('{') ? 'json' : 'yaml';
}

// ---- From zod issues to located policy issues ---------------------------------------------------------

function explainAll(issues: readonly z.core.$ZodIssue[], data: unknown): ExplainedIssue[] {
  const explained = issues.flatMap((issue) => explainIssue(issue, policyDocumentSchema, data));
  // `versoin: 1` is one mistake: report the unknown key (with its suggestion), not also the missing `version`.
  return explained.filter(
    (issue) =>
      issue.locate !== 'missing' ||
      !explained.some(
        (other) =>
          other.locate === 'key' &&
          other.path.length === issue.path.length &&
          joinPath(other.path.slice(0, -1)) === joinPath(issue.path.slice(0, -1)) &&
          other.message.includes(`did you mean \`${String(issue.path[issue.path.length - 1])}\``),
      ),
  );
}

/** Among issues at the same place: unknown keys first, then bad values, then missing keys. */
function rank(issue: ExplainedIssue): number {
  return issue.locate === 'key' ? 0 : issue.locate === 'value' ? 1 : 2;
}

function toPolicyIssue(issue: ExplainedIssue, line: number | undefined, column: number | undefined): PolicyIssue {
  const out: PolicyIssue = { path: joinPath(issue.path), message: issue.message };
  if (line !== undefined) {
    out.line = line;
    out.column = column ?? 1;
  }
  if (issue.expected !== undefined) out.expected = issue.expected;
  if (issue.received) out.received = issue.received;
  return out;
}

interface Found {
  /** The deepest node reached (the value at the whole path when `complete`). */
  node: Node | null;
  /** The key node of the last map entry reached. */
  key: Node | null;
  /** Whether every segment of the path was found. */
  complete: boolean;
}

function follow(document: Document, path: readonly PropertyKey[]): Found {
  let node = document.contents as Node | null;
  let key: Node | null = null;
  for (const segment of path) {
    if (isAlias(node)) node = (node.resolve(document) as Node | undefined) ?? null;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) return { node, key, complete: false };
      key = pair.key as Node;
      node = (pair.value as Node | null) ?? null;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      key = null;
      node = node.items[segment] as Node;
    } else {
      return { node, key, complete: false };
    }
  }
  return { node, key, complete: true };
}

/** Where a node starts; an empty value (`allow:` with nothing after it) points at its key. */
function startOf(node: Node | null, key: Node | null): number | undefined {
  const range = node?.range;
  const empty = !range || (isScalar(node) && node.value === null && range[0] === range[1]);
  if (!empty) return range[0];
  return key?.range?.[0];
}

/**
 * Where to point for an issue (`offset`), and where it sorts (`order`): an issue about a whole map or
 * list (a missing key, "set at least one of ...") sorts at the collection's end, after the problems
 * inside it, which are usually the cause (`alow:` before "set at least one of allow, deny").
 */
function placeOf(document: Document, issue: ExplainedIssue): { offset: number; order: number } {
  const rootStart = (document.contents as Node | null)?.range?.[0] ?? 0;
  const found = follow(document, issue.path);
  const whole = (node: Node | null): number | undefined => (isMap(node) || isSeq(node) ? node.range?.[1] : undefined);
  if (!found.complete || issue.locate === 'missing') {
    const parent = found.complete ? follow(document, issue.path.slice(0, -1)) : found;
    const offset = startOf(parent.node, parent.key) ?? rootStart;
    return { offset, order: whole(parent.node) ?? offset };
  }
  if (issue.locate === 'key') {
    const offset = found.key?.range?.[0] ?? startOf(found.node, found.key) ?? rootStart;
    return { offset, order: offset };
  }
  const offset = startOf(found.node, found.key) ?? rootStart;
  return { offset, order: whole(found.node) ?? offset };
}

// ---- YAML syntax ------------------------------------------------------------------------------------

const YAML_HINTS: Record<string, { message?: string; expected: string }> = {
  TAB_AS_INDENT: { message: 'tabs are not allowed as indentation', expected: 'spaces for indentation' },
  BLOCK_AS_IMPLICIT_KEY: {
    expected: 'one `key: value` per line, the keys of one map indented alike; quote a value that contains ": "',
  },
  MULTILINE_IMPLICIT_KEY: { expected: 'a key and its value on one line, the keys of one map indented alike' },
  BAD_INDENT: { expected: 'consistent indentation with spaces' },
  MULTIPLE_DOCS: {
    message: 'more than one YAML document in the file (a `---` separator)',
    expected: 'one policy document per file',
  },
  TAG_RESOLVE_FAILED: { expected: 'plain values without YAML tags (`!something`)' },
  BAD_ALIAS: { expected: 'a quoted string when a value starts with "*" or "&"' },
};

/**
 * The YAML parser's errors as issues. Duplicate keys are all reported; of the other errors only the
 * first, because the parser's recovery turns one mistake (a tab, a missing quote) into several.
 */
function yamlIssues(document: Document, text: string, errors: readonly YAMLError[]): PolicyIssue[] {
  const sorted = [...errors].sort((a, b) => a.pos[0] - b.pos[0]);
  const first = sorted.find((error) => error.code !== 'DUPLICATE_KEY');
  return sorted
    .filter((error) => error.code === 'DUPLICATE_KEY' || error === first)
    .map((error) =>
      error === first
        ? (overIndented(document, text, sorted, error) ?? yamlIssue(document, text, error))
        : yamlIssue(document, text, error),
    );
}

/**
 * `limit: 100` followed by a line indented deeper (`    window: day`) makes YAML read `100 window` as
 * one key spanning two lines; the mistake is the indentation of the second line, so point there.
 */
function overIndented(
  document: Document,
  text: string,
  errors: readonly YAMLError[],
  first: YAMLError,
): PolicyIssue | undefined {
  const multiline = errors.find((error) => error.code === 'MULTILINE_IMPLICIT_KEY' && error.pos[0] === first.pos[0]);
  if (!multiline) return undefined;
  const newline = text.indexOf('\n', multiline.pos[0]);
  if (newline === -1 || newline >= multiline.pos[1]) return undefined;
  let at = newline + 1;
  while (text[at] === ' ') at++;
  const previous = text.slice(text.lastIndexOf('\n', newline - 1) + 1, newline).trim();
  return syntaxIssue(
    text,
    at,
    `YAML syntax error: this line is indented more than the line above, so YAML reads it as part of ${JSON.stringify(previous)}`,
    'the keys of one map indented alike',
    joinPath(pathAtOffset(document, first.pos[0], false)),
  );
}

function yamlIssue(document: Document, text: string, error: YAMLError): PolicyIssue {
  const offset = error.pos[0];
  if (error.code === 'DUPLICATE_KEY') {
    const path = pathAtOffset(document, offset, true);
    const key = path[path.length - 1];
    return syntaxIssue(
      text,
      offset,
      `duplicate key${key === undefined ? '' : ` "${String(key)}"`}: YAML allows each key once per map`,
      'each key at most once in a map; merge the two entries or remove one',
      joinPath(path),
    );
  }
  // Unclosed brackets and quotes are reported where the parser gave up (often the end of the file);
  // point at where they were opened instead.
  const close = /end with an? ([\]}])/.exec(error.message)?.[1];
  const opened = close
    ? innermost(document, offset, (node) => (isSeq(node) || isMap(node)) && node.flow === true)
    : error.code === 'MISSING_CHAR' && /quote/.test(error.message)
      ? innermost(
          document,
          offset,
          (node) => isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE'),
        )
      : undefined;
  if (opened?.range) {
    const at = opened.range[0];
    const char = text[at] ?? '';
    return syntaxIssue(
      text,
      at,
      close ? `YAML syntax error: unclosed "${char}"` : 'YAML syntax error: unclosed quoted string',
      close ? `a matching "${close}"` : `a closing ${char} at the end of the value`,
      joinPath(pathAtOffset(document, at, true)),
    );
  }
  const hint = YAML_HINTS[error.code];
  const reason = hint?.message ?? error.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '');
  return syntaxIssue(
    text,
    offset,
    `YAML syntax error: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`,
    hint?.expected ?? 'valid YAML',
    joinPath(pathAtOffset(document, offset, false)),
  );
}

/** An issue at `offset` of `text` that shows the source line as what was received. */
function syntaxIssue(text: string, offset: number, message: string, expected: string, path = ''): PolicyIssue {
  const { line, column } = lineColumn(text, offset);
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', start);
  const sourceLine = text.slice(start, end === -1 ? text.length : end).replace(/\r$/, '');
  const issue: PolicyIssue = { path, line, column, message, expected };
  if (sourceLine.trim()) issue.received = { value: sourceLine.trimEnd() };
  return issue;
}

/** 1-based line and column (in UTF-16 code units, like the YAML parser) of `offset`. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let index = text.indexOf('\n'); index !== -1 && index < offset; index = text.indexOf('\n', index + 1)) {
    line++;
    start = index + 1;
  }
  return { line, column: offset - start + 1 };
}

/**
 * The path of the innermost map entry or list item around `offset` (for syntax errors). An entry whose
 * key starts at `offset` counts only with `keyAt` (a duplicate key); otherwise it is usually debris of
 * the parser's recovery (`description: a: b` read as a map under `description`).
 */
function pathAtOffset(document: Document, offset: number, keyAt: boolean): PropertyKey[] {
  let best: PropertyKey[] = [];
  const walk = (node: unknown, path: PropertyKey[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const start = pair.key.range?.[0] ?? Number.POSITIVE_INFINITY;
        const end = (pair.value as ParsedNode | null)?.range?.[1] ?? pair.key.range?.[1] ?? start;
        if ((keyAt ? start <= offset : start < offset) && offset <= end) {
          best = [...path, String(pair.key.value)];
          walk(pair.value, best);
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const range = (item as ParsedNode | null)?.range;
        if (range && range[0] <= offset && offset <= range[1]) {
          best = [...path, index];
          walk(item, best);
        }
      });
    }
  };
  walk(document.contents, []);
  return best;
}

/** The innermost node around `offset` that satisfies `test`. */
function innermost(document: Document, offset: number, test: (node: Node) => boolean): Node | undefined {
  let found: Node | undefined;
  visit(document, (_key, node) => {
    const range = (node as ParsedNode).range;
    if (range && range[0] <= offset && offset <= range[2] && test(node as Node)) found = node as Node;
  });
  return found;
}

function unresolvedAliases(document: Document, text: string): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  visit(document, {
    Alias(_key, node) {
      if (node.resolve(document) !== undefined) return;
      const offset = node.range?.[0] ?? 0;
      const issue = syntaxIssue(
        text,
        offset,
        `"*${node.source}" is read as a YAML alias, and no anchor "&${node.source}" defines it`,
        `a quoted string for a glob that starts with "*", e.g. "*${node.source}"`,
        joinPath(pathAtOffset(document, offset, true)),
      );
      issue.received = { value: `*${node.source}` };
      issues.push(issue);
    },
  });
  return issues;
}

// ---- JSON syntax ------------------------------------------------------------------------------------

interface JsonProblem {
  offset: number;
  /** Path of the value being read, e.g. `rules[0]`. */
  path: string;
  message: string;
  expected: string;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z_$][\w$]*/y;
const VALUE = 'a value: a string in double quotes, a number, true, false, null, an object or an array';

/**
 * Finds the first JSON syntax error with a message for the usual mistakes (trailing commas, comments,
 * single quotes, unquoted keys, missing commas), which the YAML parser would accept or explain in YAML terms.
 */
function checkJsonSyntax(text: string): JsonProblem | { duplicateKeys: boolean } {
  let at = 0;
  let duplicateKeys = false;
  const path: PropertyKey[] = [];
  class Stop {
    constructor(readonly problem: JsonProblem) {}
  }
  const fail = (offset: number, message: string, expected: string): never => {
    throw new Stop({ offset, path: joinPath(path), message, expected });
  };
  const show = (offset: number): string => (offset >= text.length ? 'end of file' : JSON.stringify(text[offset]));

  const space = (): void => {
    for (;;) {
      const char = text[at];
      if (char === ' ' || char === '\t' || char === '\n' || char === '\r') at++;
      else if ((char === '/' && (text[at + 1] === '/' || text[at + 1] === '*')) || char === '#')
        fail(at, 'comments are not allowed in JSON', 'no comments; write the policy in YAML to keep comments');
      else return;
    }
  };

  const string = (): void => {
    const start = at++;
    for (;;) {
      const char = text[at];
      if (char === undefined || char === '\n') fail(start, 'unterminated string', 'a closing double quote (")');
      else if (char === '"') {
        at++;
        return;
      } else if (char === '\\') {
        const escaped = text[at + 1];
        if (escaped === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) at += 6;
        else if (escaped !== undefined && '"\\/bfnrt'.includes(escaped)) at += 2;
        else
          fail(
            at,
            `bad escape ${JSON.stringify(`\\${escaped ?? ''}`)} in a string`,
            'one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX',
          );
      } else if (char < ' ') fail(at, 'control character in a string', 'an escape such as \\t or \\n');
      else at++;
    }
  };

  const word = (): string => {
    WORD.lastIndex = at;
    return WORD.exec(text)?.[0] ?? '';
  };

  const value = (): void => {
    space();
    const char = text[at];
    if (char === undefined) fail(at, 'unexpected end of file', VALUE);
    else if (char === '{') container('}');
    else if (char === '[') container(']');
    else if (char === '"') string();
    else if (char === "'") fail(at, 'strings must be in double quotes, not single quotes', 'a string in double quotes');
    else if (char === '-' || (char >= '0' && char <= '9')) {
      NUMBER.lastIndex = at;
      const match = NUMBER.exec(text)?.[0];
      if (!match || /[\w.]/.test(text[at + match.length] ?? ''))
        fail(at, 'not a JSON number', 'a number such as 10, 0.5 or 1e-3');
      at += match!.length;
    } else {
      const name = word();
      if (name === 'true' || name === 'false' || name === 'null') at += name.length;
      else if (name === 'NaN' || name === 'Infinity' || char === '+' || char === '.')
        fail(at, 'not a JSON number', 'a number such as 10, 0.5 or 1e-3');
      else if (name) fail(at, `unexpected word "${name}"`, `${VALUE} (strings need double quotes)`);
      else fail(at, `unexpected ${show(at)}`, VALUE);
    }
  };

  let depth = 0;
  const container = (close: '}' | ']'): void => {
    const open = at++;
    if (++depth > MAX_POLICY_DEPTH) fail(open, `the document has ${TOO_DEEP}`, TOO_DEEP_EXPECTED);
    const isObject = close === '}';
    space();
    if (text[at] === close) {
      at++;
      depth--;
      return;
    }
    const keys = new Set<string>();
    const unclosed = (): void => {
      if (at >= text.length)
        fail(open, `unclosed "${isObject ? '{' : '['}"`, `a matching "${close}" before the end of the file`);
    };
    for (let index = 0; ; index++) {
      space();
      unclosed();
      if (isObject) {
        const char = text[at];
        if (char === "'")
          fail(at, 'property names must be in double quotes, not single quotes', 'a property name in double quotes');
        else if (char !== '"') {
          const name = word();
          if (name) fail(at, `property name \`${name}\` is not in double quotes`, `"${name}"`);
          fail(at, `unexpected ${show(at)}`, 'a property name in double quotes');
        }
        const keyStart = at;
        string();
        const key = JSON.parse(text.slice(keyStart, at)) as string;
        if (keys.has(key)) duplicateKeys = true;
        keys.add(key);
        path.push(key);
        space();
        if (text[at] !== ':')
          fail(at, `missing ":" after the property name`, '":" between a property name and its value');
        at++;
        space();
        unclosed();
      } else path.push(index);
      value();
      path.pop();
      space();
      const char = text[at];
      if (char === ',') {
        const comma = at++;
        space();
        if (text[at] === close)
          fail(comma, `trailing comma before "${close}"`, `no comma after the last ${isObject ? 'entry' : 'item'}`);
      } else if (char === close) {
        at++;
        depth--;
        return;
      } else if (char === undefined) unclosed();
      else if (char === '"' || char === '{' || char === '[' || /[\w-]/.test(char))
        fail(
          at,
          `missing "," before this ${isObject ? 'entry' : 'item'}`,
          `"," between ${isObject ? 'entries' : 'items'}`,
        );
      else fail(at, `unexpected ${show(at)}`, `"," or "${close}"`);
    }
  };

  try {
    space();
    if (at >= text.length) return { duplicateKeys }; // empty: reported as an empty file
    value();
    space();
    if (at < text.length) fail(at, `unexpected ${show(at)} after the end of the document`, 'one JSON value per file');
    return { duplicateKeys };
  } catch (error) {
    if (error instanceof Stop) return error.problem;
    throw error;
  }
}
