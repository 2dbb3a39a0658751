// Copies the API docs viewers into dist/api-docs/ (the Go API serves them at
// /api/docs/* without a CDN) and restores dist/.gitkeep, which vite's
// emptyOutDir removes but the repository keeps so that go:embed always has a file.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const out = join(dist, 'api-docs');
mkdirSync(out, { recursive: true });

const files = [
  ['node_modules/swagger-ui-dist/swagger-ui-bundle.js', 'swagger-ui-bundle.js'],
  ['node_modules/swagger-ui-dist/swagger-ui.css', 'swagger-ui.css'],
  ['node_modules/redoc/bundles/redoc.standalone.js', 'redoc.standalone.js'],
];
// Redoc's bundle fetches its "powered by" logo from Redocly's CDN; the docs
// must work offline and load nothing from elsewhere, so it gets an inline image.
const CDN_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg';
const INLINE_LOGO = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E";

for (const [from, to] of files) {
  if (to === 'redoc.standalone.js') {
    const source = readFileSync(join(root, from), 'utf8');
    const patched = source.split(CDN_LOGO).join(INLINE_LOGO);
    if (/https:\/\/cdn\.redoc\.ly/.test(patched)) throw new Error('redoc bundle still references cdn.redoc.ly');
    writeFileSync(join(out, to), patched);
  } else {
    copyFileSync(join(root, from), join(out, to));
  }
}
writeFileSync(join(dist, '.gitkeep'), '');
console.log(`copied ${files.length} API docs assets into dist/api-docs/`);
