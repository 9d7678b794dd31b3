// Finds the TypeScript and JavaScript code blocks of the docs, with the marker that may precede each.
//
// A marker is an HTML comment on the line right before the opening fence (invisible on GitHub):
//
//   <!-- snippet: no-run (needs a Redis server) -->
//   <!-- snippet: context=openai-client -->
//   <!-- snippet: context=openai-client; no-run (waits for a human) -->
//   <!-- snippet: name=worked-config -->          ... and further down the page:
//   <!-- snippet: continues=worked-config -->
//   <!-- snippet: skip (a type declaration excerpt, not code to copy) -->
//
// Directives, separated by `;`:
//   skip (why)      neither type-checked nor run; the reason is required
//   no-run (why)    type-checked, not run; the reason is required
//   context=A[,B]   the block assumes what the contexts declare (docs/test/contexts.ts): their preludes are
//                   prepended to the block, their files written beside it, when it is type-checked and run
//   name=NAME       names the block, so that a later block of the same page can continue it
//   continues=NAME  the block goes on from the named block above it on the page (the text says so:
//                   "after the call above"): that block's code is prepended to it
// Unmarked blocks are type-checked and run as they are written.

export type SnippetLanguage = 'ts' | 'js';

export interface Snippet {
  /** `docs/budgets.md:41`: the page, relative to the repository root, and the line of the opening fence. */
  readonly id: string;
  readonly page: string;
  /** 1-based line of the opening fence; the code starts on the next line. */
  readonly line: number;
  readonly language: SnippetLanguage;
  readonly code: string;
  readonly skip?: string;
  readonly noRun?: string;
  readonly contexts?: readonly string[];
  readonly name?: string;
  readonly continues?: string;
}

export class SnippetMarkerError extends Error {
  override readonly name = 'SnippetMarkerError';
}

const LANGUAGES: Record<string, SnippetLanguage> = { ts: 'ts', typescript: 'ts', js: 'js', javascript: 'js' };
const MARKER_START = '<!-- snippet:';
const MARKER_END = '-->';
const CONTEXT_NAME = /^[a-z][a-z0-9-]*$/;

interface Marker {
  skip?: string;
  noRun?: string;
  contexts?: string[];
  name?: string;
  continues?: string;
}

function nameOf(where: string, directive: string, name: string): string {
  if (!CONTEXT_NAME.test(name)) {
    throw new SnippetMarkerError(`${where}: "${directive}" needs a name of lower-case letters, digits and -`);
  }
  return name;
}

function reasonOf(where: string, directive: string, rest: string): string {
  const text = rest.trim();
  if (!text.startsWith('(') || !text.endsWith(')') || text.length < 3) {
    throw new SnippetMarkerError(`${where}: "${directive}" needs a reason in parentheses, e.g. "${directive} (why)"`);
  }
  return text.slice(1, -1).trim();
}

/** Parses `<!-- snippet: ... -->`; `where` is `page:line` for the error message. */
export function parseMarker(where: string, comment: string): Marker {
  const text = comment.trim();
  if (!text.startsWith(MARKER_START) || !text.endsWith(MARKER_END)) {
    throw new SnippetMarkerError(`${where}: a snippet marker is one line, "<!-- snippet: ... -->"`);
  }
  const body = text.slice(MARKER_START.length, -MARKER_END.length);
  const marker: Marker = {};
  for (const part of body.split(';')) {
    const directive = part.trim();
    if (directive.startsWith('skip')) marker.skip = reasonOf(where, 'skip', directive.slice('skip'.length));
    else if (directive.startsWith('no-run')) marker.noRun = reasonOf(where, 'no-run', directive.slice('no-run'.length));
    else if (directive.startsWith('context=')) {
      const names = directive
        .slice('context='.length)
        .split(',')
        .map((name) => name.trim());
      for (const name of names) {
        if (!CONTEXT_NAME.test(name)) {
          throw new SnippetMarkerError(`${where}: "${name}" is not a context name (lower-case letters, digits, -)`);
        }
      }
      marker.contexts = names;
    } else if (directive.startsWith('name=')) {
      marker.name = nameOf(where, directive, directive.slice('name='.length).trim());
    } else if (directive.startsWith('continues=')) {
      marker.continues = nameOf(where, directive, directive.slice('continues='.length).trim());
    } else {
      throw new SnippetMarkerError(
        `${where}: unknown snippet directive "${directive}" (expected "skip (why)", "no-run (why)", "context=NAME[,NAME]", "name=NAME" or "continues=NAME")`,
      );
    }
  }
  if (marker.skip !== undefined && Object.keys(marker).length > 1) {
    throw new SnippetMarkerError(`${where}: "skip" cannot be combined with other directives`);
  }
  return marker;
}

/** The fenced TypeScript/JavaScript blocks of one Markdown page, with their markers. */
export function extractSnippets(page: string, markdown: string): Snippet[] {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index] ?? '';
    const trimmed = line.trimStart();
    if (trimmed.startsWith(MARKER_START)) {
      const next = (lines[index + 1] ?? '').trimStart();
      const info = next.startsWith('```') ? next.slice(3).trim().split(/\s/)[0] : undefined;
      if (info === undefined || LANGUAGES[info] === undefined) {
        throw new SnippetMarkerError(
          `${page}:${index + 1}: a snippet marker must be on the line right before a ts/js code fence`,
        );
      }
    }
    const fence = trimmed.startsWith('```') ? '```' : trimmed.startsWith('~~~') ? '~~~' : undefined;
    if (fence === undefined) {
      index++;
      continue;
    }
    const indent = line.length - trimmed.length;
    let fenceLength = 0;
    while (trimmed[fenceLength] === fence[0]) fenceLength++;
    const info = trimmed.slice(fenceLength).trim().split(/\s/)[0] ?? '';
    const body: string[] = [];
    let end = index + 1;
    for (; end < lines.length; end++) {
      const candidate = (lines[end] ?? '').trim();
      if (candidate.startsWith(fence[0]!.repeat(fenceLength)) && candidate.replaceAll(fence[0]!, '') === '') break;
      const raw = lines[end] ?? '';
      body.push(raw.slice(Math.min(indent, raw.length - raw.trimStart().length)));
    }
    const language = LANGUAGES[info];
    if (language !== undefined) {
      const previous = (lines[index - 1] ?? '').trim();
      const marker = previous.startsWith(MARKER_START) ? parseMarker(`${page}:${index}`, previous) : {};
      snippets.push({ id: `${page}:${index + 1}`, page, line: index + 1, language, code: body.join('\n'), ...marker });
    }
    index = end + 1;
  }
  const named = new Map<string, Snippet>();
  for (const snippet of snippets) {
    if (snippet.continues !== undefined && !named.has(snippet.continues)) {
      throw new SnippetMarkerError(
        `${snippet.id}: "continues=${snippet.continues}" names no block above it on the page`,
      );
    }
    if (snippet.name !== undefined) {
      if (named.has(snippet.name))
        throw new SnippetMarkerError(`${snippet.id}: a second block named "${snippet.name}"`);
      named.set(snippet.name, snippet);
    }
  }
  return snippets;
}

/** The code of the blocks a block continues (empty, or ending with a newline), to run before its own. */
export function continuedCode(snippet: Snippet, all: readonly Snippet[]): string {
  if (snippet.continues === undefined) return '';
  const from = all.find((other) => other.page === snippet.page && other.name === snippet.continues);
  return from === undefined ? '' : `${continuedCode(from, all)}${from.code}\n`;
}
