// Creates a PGlite cluster in the directory given as argv[2], then exits. Run by pglite-db.ts in a process of its
// own: initdb runs a second WebAssembly PostgreSQL beside the first and leaves the controller ~600 MB heavier for
// good, while a process that ends gives all of it back. Plain JavaScript so it needs no loader (tsx, vitest).
import { PGlite } from '@electric-sql/pglite';

const [dir, startParams] = process.argv.slice(2);
if (!dir || !startParams) {
  process.stderr.write('usage: pglite-initdb.mjs <data dir> <start params as JSON>\n');
  process.exit(2);
}
const pg = await PGlite.create(dir, { startParams: JSON.parse(startParams) });
await pg.close();
