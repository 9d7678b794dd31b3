import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The browser app, bundled by scripts/build-ui.mjs into dist/ui/ (index.html, app.js, app.css), read
// once when the plugin is created and served from memory: no file path from a request touches the disk.

export interface UiAssets {
  index: Buffer;
  files: Map<string, { type: string; body: Buffer }>;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

export function loadUiAssets(): UiAssets {
  const directory = uiDirectory();
  const index = readFileSync(join(directory, 'index.html'));
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of readdirSync(directory)) {
    const type = TYPES[extname(name)];
    if (type) files.set(name, { type, body: readFileSync(join(directory, name)) });
  }
  return { index, files };
}

/** `dist/ui` next to the built module (`src/` → `../dist/ui` when run from source, as the tests do). */
function uiDirectory(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const candidate of [join(here, 'ui'), join(here, '..', 'dist', 'ui')])
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  throw new Error(
    `@genops/console: the web app is not built (no ui/index.html next to ${here}); run \`pnpm --filter @genops/console build\``,
  );
}
