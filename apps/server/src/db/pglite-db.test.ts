import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PgliteDb } from './pglite-db';

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'deploybot-pglite-'));
  dirs.push(dir);
  return dir;
};
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('PGlite on disk', () => {
  it('creates the cluster on first open (initdb in a process of its own) and reopens it with its data', async () => {
    const dir = join(await tempDir(), 'pgdata');
    const first = await PgliteDb.open(dir);
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);
    await first.exec('CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$still here$$)');
    await first.close();

    const again = await PgliteDb.open(dir);
    try {
      expect(await again.query('SELECT v FROM kept')).toEqual([{ v: 'still here' }]);
      expect(await again.query('SHOW shared_buffers')).toEqual([{ shared_buffers: '8MB' }]);
    } finally {
      await again.close();
    }
  });

  it('says which directory it could not create a database in, with initdb’s reason', async () => {
    const file = join(await tempDir(), 'not-a-dir');
    await writeFile(file, 'x');
    await expect(PgliteDb.open(join(file, 'pgdata'))).rejects.toThrow(
      /could not create the PGlite database in .*not-a-dir\/pgdata: .+/,
    );
  });
});
