// One home for `createRequire`, imported under another name. Apps bundled by esbuild as ESM usually get
// the banner `import { createRequire } from 'module'; const require = createRequire(import.meta.url);`,
// and esbuild hoists core's own `node:module` import beside it: a core import named `createRequire`
// collided with the banner ("Identifier 'createRequire' has already been declared").
import { createRequire as nodeCreateRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * A `require` resolving from `from` (a file path or a `file:` URL). `from` is `import.meta.url` in
 * core's modules; bundled into a CommonJS file it is empty, and the working directory stands in.
 */
export function requireFrom(from: string | URL | undefined): NodeJS.Require {
  if (!from) return nodeCreateRequire(join(process.cwd(), 'noop.js'));
  // `createRequire` takes only absolute paths and URLs; `process.argv[1]` can be relative (`node -e ... x`).
  if (typeof from === 'string' && !from.startsWith('file:') && !isAbsolute(from))
    return nodeCreateRequire(resolve(from));
  return nodeCreateRequire(from);
}
