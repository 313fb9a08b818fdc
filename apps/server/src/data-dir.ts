import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository's root: this file is apps/server/src/data-dir.ts. */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');

/**
 * DEPLOYBOT_DATA_DIR → an absolute path. Unset: `data` at the repository root, wherever the controller was
 * started from (`pnpm start` runs in apps/server, `./scripts/start.sh` anywhere). A relative path is taken from
 * the directory the person ran the command in: pnpm records it in INIT_CWD before it changes directory.
 */
export function resolveDataDir(setting: string | undefined, env: NodeJS.ProcessEnv): string {
  if (!setting) return join(REPO_ROOT, 'data');
  if (setting === 'memory://') return setting;
  return resolve(env.INIT_CWD || process.cwd(), setting);
}

/** Where releases before this one kept their data when started with `pnpm start`: apps/server/data. */
const LEGACY_DATA_DIR = join(REPO_ROOT, 'apps', 'server', 'data');

/**
 * The old apps/server/data, when the default location is used, is still absent, and the old one holds a
 * database or a sealing key: the controller keeps using it and says how to move it. Nothing is moved behind the operator's back:
 * agents were enrolled with paths beside it and the demo repository is registered by its path.
 */
export function legacyDataDir(
  dataDir: string,
  defaulted: boolean,
  exists: (path: string) => boolean = existsSync,
): { dir: string; advice: string } | null {
  if (!defaulted || exists(dataDir)) return null;
  // pgdata: the embedded database; secret.key: what seals secret inputs, also when the database is PostgreSQL.
  if (!['pgdata', 'secret.key'].some((name) => exists(join(LEGACY_DATA_DIR, name)))) return null;
  return {
    dir: LEGACY_DATA_DIR,
    advice:
      `using ${LEGACY_DATA_DIR}, where earlier versions kept their data; the default is now ${dataDir}. ` +
      'To move it, stop the controller and run from the repository root: mv apps/server/data data ' +
      '(agents enrolled with a --workdir under apps/server/data-agents keep using that directory). ' +
      'Or keep it where it is with DEPLOYBOT_DATA_DIR.',
  };
}
