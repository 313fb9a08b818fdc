import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/db';
import { TEST_DATABASES } from '../testing/test-db';
import { AgentsStore } from './agents.store';

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

describe.each(TEST_DATABASES)('AgentsStore.pruneHeartbeats on $name', ({ create }) => {
  let db: Db;
  let store: AgentsStore;
  const agentId = randomUUID();

  beforeAll(async () => {
    db = await create();
    store = new AgentsStore(db);
    await db.transaction((tx) =>
      store.insert(tx, {
        id: agentId,
        hostname: 'prune-host',
        environment: 'test',
        labels: {},
        credentialHash: randomUUID(),
        info: null,
        address: null,
        registeredBy: 'tests',
        runId: null,
        at: hoursAgo(0),
      }),
    );
    for (const h of [50, 49, 25, 23, 1]) {
      await db.query(
        'INSERT INTO agent_heartbeats (agent_id, at, load, running_jobs) VALUES ($1, $2, 0, 0)',
        [agentId, hoursAgo(h)],
      );
    }
  });
  afterAll(() => db?.close());

  it('deletes rows older than the cutoff in batches of at most `limit`, and nothing newer', async () => {
    expect(await store.pruneHeartbeats(hoursAgo(24), 2)).toBe(2);
    expect(await store.pruneHeartbeats(hoursAgo(24), 2)).toBe(1);
    expect(await store.pruneHeartbeats(hoursAgo(24), 2)).toBe(0);
    expect(await store.heartbeats(agentId, 10)).toHaveLength(2);
  });
});
