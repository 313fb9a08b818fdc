/**
 * Builds the controller to JavaScript for production: apps/server/src/main.ts bundled by esbuild into
 * dist/main.js (ESM), with @deploybot/shared inlined (it is TypeScript source) and every npm package left to
 * node_modules. `pnpm start` runs the bundle with plain Node: tsx at run time costs about 80 MB and a second.
 *
 * Files found next to the code: a module finds its files through `import.meta.dirname` (migrations, the PGlite
 * initdb script, the built-in workflow YAML, package.json, the web app's dist, the demo agent's binary). In a
 * bundle every module would see dist/, so each module's `import.meta.dirname` is rewritten to the directory it
 * would have in a dist/ that mirrors src/ (src/db/migrate.ts sees dist/db), and the files beside the code are
 * copied there. Paths that climb out of src/ (`..` to package.json, the web app, the agent) therefore hold in
 * both layouts, and tests and tsx keep running src/ as it is.
 *
 * Usage: `pnpm build` (in apps/server); about a second.
 */
import { cp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { build, type Plugin } from 'esbuild';

const SERVER_DIR = import.meta.dirname;
const SRC_DIR = join(SERVER_DIR, 'src');
export const DIST_DIR = join(SERVER_DIR, 'dist');

/**
 * The files beside the code, as directories or files under src/, copied to the same place under dist/.
 * A module reading a file next to it needs it listed here (the bundle test starts the build and would fail).
 */
const ASSETS = ['db/migrations', 'db/pglite-initdb.mjs', 'workflows/builtin'];
/** Of the asset directories, what is code or tests rather than a file read at run time. */
const NOT_ASSETS = /\.(ts|tsx)$/;

/** Rewrites `import.meta.dirname` in src/ modules to their mirror directory under dist/; refuses it elsewhere. */
const mirrorDirname: Plugin = {
  name: 'mirror-import-meta-dirname',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const dir = relative(SRC_DIR, dirname(args.path));
      const inSrc = !dir.startsWith('..') && !dir.startsWith(sep);
      if (/import\.meta\.(url|filename)\b/.test(text) || (!inSrc && text.includes('import.meta.dirname'))) {
        // The bundle would resolve those against dist/main.js: find files through import.meta.dirname in src/.
        throw new Error(
          `${args.path}: import.meta.url/filename, or import.meta.dirname outside apps/server/src`,
        );
      }
      if (!inSrc || dir === '' || !text.includes('import.meta.dirname'))
        return { contents: text, loader: 'ts' };
      const mirror = `(import.meta.dirname + ${JSON.stringify(`/${dir.split(sep).join('/')}`)})`;
      return { contents: text.replaceAll('import.meta.dirname', mirror), loader: 'ts' };
    });
  },
};

/** npm packages stay in node_modules (resolved from dist/ as from src/); our workspace packages are inlined. */
const externalPackages: Plugin = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@deploybot/') ? undefined : { path: args.path, external: true },
    );
  },
};

/**
 * Builds into a staging directory beside dist/ (same depth, so the mirrored paths hold) and swaps it in: no file
 * of an earlier build survives (a renamed migration must not run twice), and a build that fails leaves dist/ alone.
 */
export async function buildServer(): Promise<void> {
  const staging = join(SERVER_DIR, `.dist-staging-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  try {
    await build({
      absWorkingDir: SERVER_DIR,
      entryPoints: ['src/main.ts'],
      outfile: join(staging, 'main.js'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20.19',
      // Stack traces with `NODE_OPTIONS=--enable-source-maps`; without the flag Node never reads the map.
      sourcemap: 'linked',
      logLevel: 'warning',
      plugins: [externalPackages, mirrorDirname],
    });
    for (const asset of ASSETS) {
      await cp(join(SRC_DIR, asset), join(staging, asset), {
        recursive: true,
        filter: (source) => !NOT_ASSETS.test(source),
      });
    }
    await rm(DIST_DIR, { recursive: true, force: true });
    await rename(staging, DIST_DIR);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

if (process.argv[1] === import.meta.filename) {
  const started = performance.now();
  await buildServer();
  const files = await readdir(DIST_DIR, { recursive: true });
  console.log(
    `built ${relative(process.cwd(), DIST_DIR) || '.'} (${files.length} files) in ${Math.round(performance.now() - started)} ms`,
  );
}
