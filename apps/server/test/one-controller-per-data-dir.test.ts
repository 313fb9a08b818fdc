import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildServer, killAll, killHard, spawnServer, stopGracefully } from './helpers/child-server';

/**
 * The embedded database serves one controller: a second controller process started on the same data directory
 * refuses to start and says why; once the first is gone (even killed with SIGKILL) the directory is free again.
 */

let dataDir: string;
const env = () => ({
  DEPLOYBOT_DATA_DIR: dataDir,
  LOG_LEVEL: 'warn',
  CRASH_MARKER_FILE: join(dataDir, 'marker'),
  CRASH_SLOW_MS: '10',
  CRASH_DEADLINE_MS: '60000',
});

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'deploybot-one-controller-'));
});
afterAll(async () => {
  await killAll();
  await rm(dataDir, { recursive: true, force: true });
});

describe('one controller per PGlite data directory', () => {
  it('refuses a second controller on the same data directory, and frees it when the first is killed', async () => {
    const first: ChildServer = await spawnServer(env());
    const refused = await spawnServer(env()).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(refused?.message).toMatch(/exited \(code 1/);
    expect(refused?.message).toMatch(/another DeployBot controller \(pid \d+.*is using the data directory/);
    expect(refused?.message).toMatch(/PostgreSQL \(DATABASE_URL\)/);
    // The first is unharmed.
    expect((await fetch(`${first.url}/health`)).status).toBe(200);

    await killHard(first.child);
    const next = await spawnServer(env());
    expect((await fetch(`${next.url}/health`)).status).toBe(200);
    expect(await stopGracefully(next.child)).toBe(0);
  });
});
