import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/db';
import { JobsStore } from '../../src/fleet/jobs.store';
import { TEST_DATABASES } from '../../src/testing/test-db';

/** Byte-bounded log pages (finding 2 of issue 10) on both databases: the SQL sums sizes, pages never overlap. */
describe.each(TEST_DATABASES)('log pages on $name', ({ create }) => {
  let db: Db;
  let store: JobsStore;
  let jobId: string;

  /** Lines 0..n-1; line i is `i` followed by `sizes(i)` x's. */
  async function writeLog(n: number, sizes: (i: number) => number): Promise<void> {
    const seqs = Array.from({ length: n }, (_, i) => i);
    await db.query(
      `INSERT INTO job_logs (job_id, seq, stream, line, at)
       SELECT $1, s, 'stdout', s::text || ' ' || repeat('x', z), now() FROM unnest($2::int[], $3::int[]) AS t(s, z)`,
      [jobId, seqs, seqs.map(sizes)],
    );
  }

  beforeAll(async () => {
    db = await create();
    store = new JobsStore(db);
  }, 60_000);
  afterAll(async () => db?.close());

  beforeAll(async () => {
    jobId = randomUUID();
    const [agentId, repositoryId] = [randomUUID(), randomUUID()];
    await db.query(
      `INSERT INTO agents (id, hostname, environment, registered_by, created_at) VALUES ($1, $2, 'staging', 'admin', now())`,
      [agentId, `pages-${agentId.slice(0, 8)}`],
    );
    await db.query(
      `INSERT INTO repositories (id, name, url, default_ref, created_at) VALUES ($1, $2, 'https://git.example/x.git', 'main', now())`,
      [repositoryId, `pages/${repositoryId.slice(0, 8)}`],
    );
    await db.query(
      `INSERT INTO jobs (id, repository_id, ref, sha, agent_id, status, timeout_sec, created_by, created_at)
       VALUES ($1, $2, 'main', repeat('a', 40), $3, 'success', 60, 'admin', now())`,
      [jobId, repositoryId, agentId],
    );
    // Small lines, then one line of 16 KB among them, then small lines again.
    await writeLog(500, (i) => (i === 250 ? 16_000 : 100));
  });

  it('the newest lines fit the byte budget, and paging back returns every line once, in order', async () => {
    const budget = 8 * 1024;
    const seen: number[] = [];
    let before: number | null = null;
    let pages = 0;
    do {
      const page = await store.logPageBefore(jobId, before, 5000, budget);
      expect(page.lines.length).toBeGreaterThan(0);
      const bytes = JSON.stringify(page.lines).length;
      // One line is always returned, even past the budget, so paging moves on.
      if (page.lines.length > 1) expect(bytes).toBeLessThanOrEqual(budget);
      seen.unshift(...page.lines.map((l) => l.seq));
      before = page.before;
      pages += 1;
    } while (before !== null && pages < 1000);
    expect(seen).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(pages).toBeGreaterThan(500 / (budget / 100));
  });

  it('the line limit ends a page before the budget does; no line, no cursor', async () => {
    const page = await store.logPageBefore(jobId, null, 10, 1024 * 1024);
    expect(page.lines.map((l) => l.seq)).toEqual([490, 491, 492, 493, 494, 495, 496, 497, 498, 499]);
    expect(page.before).toBe(490);
    const last = await store.logPageBefore(jobId, 3, 10, 1024 * 1024);
    expect(last).toMatchObject({ before: null, lines: [{ seq: 0 }, { seq: 1 }, { seq: 2 }] });
    expect(await store.logPageBefore(randomUUID(), null, 10, 1024)).toEqual({ lines: [], before: null });
  });

  it('REST pages forward the same way: within the budget, every line once, `next` null at the end', async () => {
    const budget = 8 * 1024;
    const seen: number[] = [];
    let after = -1;
    for (let pages = 0; pages < 1000; pages++) {
      const page = await store.logs(jobId, after, 10_000, budget);
      expect(page.lines.length).toBeGreaterThan(0);
      if (page.lines.length > 1) expect(JSON.stringify(page.lines).length).toBeLessThanOrEqual(budget);
      seen.push(...page.lines.map((l) => l.seq));
      if (page.next === null) break;
      expect(page.next).toBe(page.lines.at(-1)!.seq);
      after = page.next;
    }
    expect(seen).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(await store.logs(jobId, 496, 10, budget)).toMatchObject({
      next: null,
      lines: [{ seq: 497 }, { seq: 498 }, { seq: 499 }],
    });
    expect(await store.logs(jobId, 499, 10, budget)).toEqual({ lines: [], next: null });
  });
});
