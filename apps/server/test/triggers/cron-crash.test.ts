import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FiringDto, WorkflowRun } from '@deploybot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIdForKey } from '../../src/triggers/firing-key';
import { type ChildServer, killAll, killHard, spawnServer } from '../helpers/child-server';
import { type ApiClient, apiClient, WORKFLOWS } from '../helpers/http-client';
import { createTrigger, firingsOf, waitForFirings } from './support';

/**
 * A cron trigger firing every second in a real controller process (PGlite on disk), killed with SIGKILL and
 * started again, twice: every slot while a controller ran is started exactly once, none twice, and the slots
 * that passed while it was down follow the trigger's `missed` policy (`run_once`, then `skip`).
 */

const NAME = 'every-second';
let dataDir: string;
let server: ChildServer;
let api: ApiClient;
let triggerId: string;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'deploybot-cron-crash-'));
});

afterAll(async () => {
  await killAll();
  rmSync(dataDir, { recursive: true, force: true });
});

const start = async (): Promise<void> => {
  server = await spawnServer({
    DEPLOYBOT_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    CRASH_MARKER_FILE: join(dataDir, 'marker.log'),
    CRASH_SLOW_MS: '10',
    CRASH_DEADLINE_MS: '60000',
  });
  api = apiClient(server.url);
};

const started = (firings: FiringDto[]) => firings.filter((f) => f.outcome === 'started');
const ms = (iso: string) => Date.parse(iso);

/** The started slots, oldest first, cut where consecutive slots are more than a second apart. */
function blocks(firings: FiringDto[]): FiringDto[][] {
  const out: FiringDto[][] = [];
  for (const f of [...started(firings)].sort((a, b) => ms(a.at) - ms(b.at))) {
    const last = out.at(-1)?.at(-1);
    if (last && ms(f.at) - ms(last.at) === 1000) out.at(-1)!.push(f);
    else out.push([f]);
  }
  return out;
}

async function tickRuns(): Promise<WorkflowRun[]> {
  const res = await api.get<{ runs: WorkflowRun[] }>(`${WORKFLOWS}?state=all&name=tick&limit=500`);
  expect(res.status, res.text).toBe(200);
  return res.body.runs;
}

/** Exactly once: one run per started firing, its id from the key, none without a firing, no key twice. */
async function expectEachSlotOnce(): Promise<FiringDto[]> {
  const firings = await firingsOf(api, triggerId);
  const keys = firings.filter((f) => f.outcome !== 'deduplicated').map((f) => f.key);
  expect(new Set(keys).size, 'a key decided twice').toBe(keys.length);
  const runs = await tickRuns();
  const byKey = new Map(runs.map((r) => [r.trigger!.key, r]));
  expect(byKey.size, 'two runs for one key').toBe(runs.length);
  for (const f of started(firings)) {
    expect(f.runId).toBe(runIdForKey(f.key));
    expect(byKey.get(f.key), `run of ${f.key}`).toMatchObject({
      id: f.runId,
      startedBy: `trigger:${NAME}`,
      trigger: { id: triggerId, name: NAME, key: f.key, depth: 0 },
    });
  }
  expect(runs.length, 'runs without a started firing').toBe(started(firings).length);
  for (const f of firings.filter((x) => x.outcome !== 'started')) expect(byKey.has(f.key)).toBe(false);
  return firings;
}

describe('a cron trigger through kill -9 of the controller', () => {
  it('first life: fires every second', async () => {
    await start();
    const saved = await api.post(`${WORKFLOWS}/definitions`, {
      name: 'tick',
      title: 'Tick',
      steps: [{ id: 'note', title: 'Note', uses: 'set', with: { ticked: true } }],
    });
    expect(saved.status, saved.text).toBe(201);
    const trigger = await createTrigger(api, {
      name: NAME,
      workflow: 'tick',
      rate_limit: 600,
      source: { type: 'cron', expression: '* * * * * *', timezone: 'UTC', missed: 'run_once' },
    });
    triggerId = trigger.id;
    await waitForFirings(api, triggerId, (f) => started(f).length >= 4, 'four slots started', 30_000);
    await killHard(server.child);
    expect(server.child.signalCode).toBe('SIGKILL');
  }, 120_000);

  it('second life (missed: run_once): the latest missed slot runs once, then every second again', async () => {
    const killedAt = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    await start();
    await waitForFirings(
      api,
      triggerId,
      (f) => started(f).filter((x) => ms(x.at) > killedAt + 3000).length >= 3,
      'three slots after the restart',
      60_000,
    );
    const firings = await expectEachSlotOnce();
    expect(firings.every((f) => f.outcome === 'started')).toBe(true);
    const [before, after, ...rest] = blocks(firings);
    // One run of consecutive seconds per life, and the missed slot starts the second one.
    expect(rest).toEqual([]);
    expect(before!.length).toBeGreaterThanOrEqual(4);
    const catchUp = after![0]!;
    const missed = (ms(catchUp.at) - ms(before!.at(-1)!.at)) / 1000;
    expect(missed).toBeGreaterThanOrEqual(3);
    expect(catchUp.reason).toBe(
      `missed: ${missed} slots (${new Date(ms(before!.at(-1)!.at) + 1000).toISOString()} … ${catchUp.at}) passed while no controller was running; ran once for the latest`,
    );
    for (const f of [...before!, ...after!.slice(1)]) {
      expect(f.reason === null || f.reason.startsWith('recorded after a restart'), f.reason ?? '').toBe(true);
    }
  }, 120_000);

  it('third life (missed: skip): the missed slots are recorded as one missed firing and nothing runs for them', async () => {
    const res = await api.request('PATCH', `/v1/triggers/${triggerId}`, {
      source: { type: 'cron', expression: '* * * * * *', timezone: 'UTC', missed: 'skip' },
    });
    expect(res.status, res.text).toBe(200);
    const patchedAt = Date.now();
    await waitForFirings(
      api,
      triggerId,
      (f) => started(f).filter((x) => ms(x.at) > patchedAt).length >= 3,
      'three slots after the change',
      30_000,
    );
    await killHard(server.child);
    const killedAt = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    await start();
    await waitForFirings(
      api,
      triggerId,
      (f) => started(f).filter((x) => ms(x.at) > killedAt + 3000).length >= 3,
      'three slots after the restart',
      60_000,
    );
    const firings = await expectEachSlotOnce();
    const missedFirings = firings.filter((f) => f.outcome === 'missed');
    expect(missedFirings).toHaveLength(1);
    const missed = missedFirings[0]!;
    expect(missed.runId).toBeNull();
    expect((await api.get(`${WORKFLOWS}/${runIdForKey(missed.key)}`)).status).toBe(404);
    const all = blocks(firings);
    const last = all.at(-1)!;
    const beforeKill = all.at(-2)!;
    // Nothing ran between the last slot before the kill and the missed one; the next slot runs.
    expect(ms(last[0]!.at)).toBe(ms(missed.at) + 1000);
    const count = (ms(missed.at) - ms(beforeKill.at(-1)!.at)) / 1000;
    expect(count).toBeGreaterThanOrEqual(3);
    expect(missed.reason).toBe(
      `${count} slots (${new Date(ms(beforeKill.at(-1)!.at) + 1000).toISOString()} … ${missed.at}) passed while no controller was running; skipped (missed: skip)`,
    );
    expect(firings.filter((f) => !['started', 'missed'].includes(f.outcome))).toEqual([]);
    await killHard(server.child);
  }, 150_000);
});
