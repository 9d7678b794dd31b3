// Bundles the browser app (ui/) into dist/ui/: index.html, app.js and app.css, minified, with React in
// production mode. Run by `pnpm build` after tsup (which cleans dist/).
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'ui');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: join(root, 'ui', 'main.tsx') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome120', 'firefox120', 'safari17'],
  jsx: 'automatic',
  outdir: out,
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync(join(root, 'ui', 'index.html'), join(out, 'index.html'));
const size = (name) => `${(statSync(join(out, name)).size / 1024).toFixed(0)} kB`;
console.log(`@genops/console ui: app.js ${size('app.js')}, app.css ${size('app.css')}`);
