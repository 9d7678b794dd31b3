// One home for `createRequire`, imported under another name. Apps bundled by esbuild as ESM usually get
// the banner `import { createRequire } from 'module'; const require = createRequire(import.meta.url);`,
// and esbuild hoists core's own `node:module` import beside it: a core import named `createRequire`
// collided with the banner ("Identifier 'createRequire' has already been declared").
import { createRequire as nodeCreateRequire } from 'node:module';
import { join } from 'node:path';

/**
 * A `require` resolving from `from` (a file path or a `file:` URL). `from` is `import.meta.url` in
 * core's modules; bundled into a CommonJS file it is empty, and the working directory stands in.
 */
export function requireFrom(from: string | URL | undefined): NodeJS.Require {
  return nodeCreateRequire(from || join(process.cwd(), 'noop.js'));
}
