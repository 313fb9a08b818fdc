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

describe.each(TEST_DATABASES)('AgentsStore presence on $name', ({ create }) => {
  let db: Db;
  let store: AgentsStore;
  const agentId = randomUUID();
  const [A, B] = ['controller-a', 'controller-b'];

  beforeAll(async () => {
    db = await create();
    store = new AgentsStore(db);
    await db.transaction((tx) =>
      store.insert(tx, {
        id: agentId,
        hostname: 'presence-host',
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
  });
  afterAll(() => db?.close());

  const holder = async () => {
    const row = await store.get(agentId);
    return {
      controller: row?.presence_controller_id ?? null,
      seen: row?.presence_seen_at?.toISOString() ?? null,
    };
  };

  it('names the controller that said hello last; only the holder releases or renews it', async () => {
    const [t1, t2, t3] = ['2026-01-01T10:00:00.000Z', '2026-01-01T10:00:01.000Z', '2026-01-01T10:00:02.000Z'];
    expect(await holder()).toEqual({ controller: null, seen: null });
    await store.claimPresence(agentId, A, t1);
    expect(await holder()).toEqual({ controller: A, seen: t1 });
    // The agent moved to B: A's late renew and release leave B's hold alone.
    await store.claimPresence(agentId, B, t2);
    await store.renewPresence(A, [agentId], t3);
    expect(await store.releasePresence(agentId, A)).toBe(false);
    expect(await holder()).toEqual({ controller: B, seen: t2 });
    await store.renewPresence(B, [agentId], t3);
    expect(await holder()).toEqual({ controller: B, seen: t3 });
    expect((await store.getByHostname('presence-host'))?.presence_controller_id).toBe(B);
    expect(await store.releasePresence(agentId, B)).toBe(true);
    expect(await holder()).toEqual({ controller: null, seen: null });
  });

  it('drops holds no controller renewed; the holder that was only slow gets its row back at its next renew', async () => {
    await store.claimPresence(agentId, A, hoursAgo(5));
    await store.dropStalePresence(hoursAgo(4));
    expect((await holder()).controller).toBeNull();
    await store.renewPresence(A, [agentId], hoursAgo(0));
    expect((await holder()).controller).toBe(A);
    await store.releaseAllPresence(A);
    expect((await holder()).controller).toBeNull();
  });
});
