import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const docsDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = join(docsDir, '..');

function pagesUnder(dir: string): string[] {
  const pages: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.') || entry.name === 'test') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) pages.push(...pagesUnder(path));
    else if (entry.name.endsWith('.md')) pages.push(path);
  }
  return pages;
}

/** README.md and every page under docs/ (not docs/test), absolute paths, sorted. */
export function docsPages(): string[] {
  return [join(repoRoot, 'README.md'), ...pagesUnder(docsDir)].sort();
}
