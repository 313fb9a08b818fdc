// Prints the gzipped size of the JavaScript the browser loads before first render (the entry chunk and
// its static imports, from Vite's manifest) and fails the build above the budget.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 200;
const dist = join(import.meta.dirname, '..', 'dist');
const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8'));

const initial = new Set();
const visit = (key) => {
  const chunk = manifest[key];
  if (!chunk || initial.has(chunk.file)) return;
  initial.add(chunk.file);
  for (const dep of chunk.imports ?? []) visit(dep);
};
for (const [key, chunk] of Object.entries(manifest)) if (chunk.isEntry) visit(key);

let total = 0;
for (const file of initial) {
  const size = gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
  total += size;
  console.log(`  ${file}: ${(size / 1024).toFixed(1)} kB gzipped`);
}
const lazy = Object.values(manifest).filter((c) => c.file.endsWith('.js') && !initial.has(c.file)).length;
console.log(
  `initial JS: ${(total / 1024).toFixed(1)} kB gzipped (${initial.size} chunk(s); ${lazy} lazy chunk(s) not counted; budget ${BUDGET_KB} kB)`,
);
if (total / 1024 > BUDGET_KB) {
  console.error(`initial JS is over the ${BUDGET_KB} kB budget`);
  process.exit(1);
}
