// The docs' relative links, their #anchors and the repository paths they name in backticks all exist.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { docsPages, repoRoot } from './pages';

/** The page's lines outside fenced code blocks. */
function prose(markdown: string): string[] {
  const lines: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    const trimmed = line.trimStart();
    if (trimmed.startsWith('```') || trimmed.startsWith('~~~')) fenced = !fenced;
    else if (!fenced) lines.push(line);
  }
  return lines;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to `-`, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of prose(markdown)) {
    const heading = /^#{1,6}\s+(.+)$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    let anchor = base;
    for (let n = 1; anchors.has(anchor); n++) anchor = `${base}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}

const pages = docsPages();

describe.each(pages.map((path) => [relative(repoRoot, path), path] as const))('%s', (_page, path) => {
  const markdown = readFileSync(path, 'utf8');
  const lines = prose(markdown);

  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const line of lines) {
      for (const match of line.matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = match[1]!;
        if (/^[a-z]+:/i.test(link)) continue; // https:, mailto:
        const [target = '', anchor] = link.split('#');
        const file = target === '' ? path : join(dirname(path), target);
        if (!existsSync(file)) broken.push(`${link}: no ${relative(repoRoot, file)}`);
        else if (anchor !== undefined && file.endsWith('.md') && !anchorsOf(readFileSync(file, 'utf8')).has(anchor)) {
          broken.push(`${link}: no heading #${anchor} in ${relative(repoRoot, file)}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('names only repository paths that exist', () => {
    const missing: string[] = [];
    for (const line of lines) {
      for (const match of line.matchAll(/`((?:packages|examples|benchmarks|scripts|docs)\/[\w./-]+)`/g)) {
        if (!existsSync(join(repoRoot, match[1]!))) missing.push(match[1]!);
      }
    }
    expect(missing).toEqual([]);
  });
});

it('computes anchors as GitHub does', () => {
  expect([...anchorsOf('# Legacy `@google/generative-ai`\n## A b\n## A b\n```\n# not a heading\n```\n')]).toEqual([
    'legacy-googlegenerative-ai',
    'a-b',
    'a-b-1',
  ]);
});
