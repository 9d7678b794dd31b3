import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build, type Format } from 'esbuild';
import type { ExampleProgram } from './catalogue';
import { PACKAGE_DIR } from './runner';

const VENDOR = join(PACKAGE_DIR, 'vendor');
/** Where the compiled examples go: inside the package, so that their bare imports resolve from its node_modules. */
export const COMPILED_DIR = join(PACKAGE_DIR, '.compiled');

/**
 * Compiles the examples' TypeScript once, as tsx would on each run, so that every run is a plain
 * `node example.js`: the example's own code and the local files it imports (vercel/ai's `lib/`) become one
 * `.js` file at the same relative path under `.compiled/`; packages stay imports, resolved from this package's
 * node_modules exactly as from `vendor/`. The module format is the one tsx picks: the `type` of the nearest
 * package.json (openai-node's examples have none: CommonJS). Names are kept (`keepNames`) and no tsconfig is
 * read, as tsx run from the examples' temporary working directory does. The source files are unchanged.
 * Returns the compiled path of each example, by its `file`.
 */
export async function compileExamples(examples: readonly ExampleProgram[]): Promise<Map<string, string>> {
  rmSync(COMPILED_DIR, { recursive: true, force: true });
  const byFormat = new Map<Format, string[]>();
  for (const example of examples) {
    const format = moduleFormatOf(join(VENDOR, example.file));
    byFormat.set(format, [...(byFormat.get(format) ?? []), example.file]);
  }
  const compiled = new Map<string, string>();
  for (const [format, files] of byFormat) {
    await build({
      absWorkingDir: VENDOR,
      entryPoints: files,
      outbase: VENDOR,
      outdir: COMPILED_DIR,
      outExtension: { '.js': '.js' },
      bundle: true,
      packages: 'external',
      platform: 'node',
      target: 'node24',
      format,
      keepNames: true,
      tsconfigRaw: '{}',
      logLevel: 'silent',
    });
    for (const file of files) {
      const out = join(COMPILED_DIR, file.replace(/\.(ts|mjs)$/, '.js'));
      // A package.json beside each compiled file says its format, as `vendor/`'s package.json files do for tsx.
      const marker = join(dirname(out), 'package.json');
      if (!existsSync(marker))
        writeFileSync(marker, JSON.stringify({ type: format === 'cjs' ? 'commonjs' : 'module' }));
      copyDataFiles(dirname(join(VENDOR, file)), dirname(out));
      compiled.set(file, out);
    }
  }
  return compiled;
}

/** Source and manifest files: compiled (or written) above; every other file of an example's directory is data. */
const CODE_FILE = /\.(ts|tsx|mts|cts|js|mjs|cjs|json)$/;

/**
 * Copies the data files of an example's directory (Anthropic's `data.csv`, `greeting-SKILL.md`) beside its
 * compiled file: examples read them by `__dirname`, which is now `.compiled/…`.
 */
function copyDataFiles(from: string, to: string): void {
  for (const entry of readdirSync(from, { withFileTypes: true }))
    if (entry.isFile() && !CODE_FILE.test(entry.name) && !existsSync(join(to, entry.name)))
      copyFileSync(join(from, entry.name), join(to, entry.name));
}

/** `cjs` or `esm`, from the `type` of the package.json nearest to `file` (CommonJS when it has none). */
function moduleFormatOf(file: string): Format {
  for (let directory = dirname(file); relative(PACKAGE_DIR, directory) !== '..'; directory = dirname(directory)) {
    const manifest = join(directory, 'package.json');
    if (existsSync(manifest)) {
      const type = (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: unknown }).type;
      return type === 'module' ? 'esm' : 'cjs';
    }
    if (directory === dirname(directory)) break;
  }
  return 'cjs';
}
