import { applyRunPatch, TERMINAL_RUN_STATUSES, type WorkflowRun } from '@deploybot/shared';
import {
  type CommitOptions,
  ConcurrencyConflict,
  type EventRecord,
  LeaseLostError,
  type RunFilter,
  StaleRunError,
  type WorkflowStore,
} from '../engine/ports';
import { commitTextOf, eventsOfCommits, type StoredEvent } from './commit-row';
import type { Db } from './db';
import { TurnBatch } from './turn-batch';

/** A run's row as readers select it: the document and the commits after it (`RUN_COLUMNS`). */
export interface RunRow {
  doc: WorkflowRun;
  tail: StoredEvent[][] | null;
}

/**
 * The columns that rebuild a run: its document and, when the document is older than the run (it stands at
 * `doc_seq`), the events of the commits after it, in order. Selected from `workflow_runs r`.
 */
export const RUN_COLUMNS = `r.doc,
  CASE WHEN r.doc_seq < r.seq THEN
    (SELECT jsonb_agg(b.commits -> c.pos ORDER BY c.seq)
       FROM workflow_commits c JOIN workflow_batches b ON b.id = c.batch_id
      WHERE c.run_id = r.id AND c.seq > r.doc_seq)
  END AS tail`;

/** The run a row of `RUN_COLUMNS` describes. */
export function runOfRow(row: RunRow): WorkflowRun {
  let run = row.doc;
  for (const commit of row.tail ?? []) {
    for (const [seq, , , atMs, , patch] of commit) {
      // A document is written at the end of a commit, so a commit is either all after it or all before it.
      if (seq > run.seq) run = applyRunPatch(run, { seq, at: new Date(atMs).toISOString() }, patch);
    }
  }
  return run;
}

interface PendingCommit {
  run: WorkflowRun;
  events: readonly EventRecord[];
  asOwner: boolean;
  /** A new run (its `run.started`): inserted, not updated. */
  insert?: boolean;
  onDurable?: () => void;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * What the store knows of a run's stored document, to decide when to write it again: its size, the size of the
 * patches committed after it, and the values the history reads from it (`docColumnsOf`).
 */
interface StoredDoc {
  bytes: number;
  tailBytes: number;
  /** Commits since the document: a reader opens one batch for each. */
  tailCommits: number;
  columns: string;
}

/**
 * What SQL reads from a run's document rather than from its patches: the history's generated columns (title,
 * repository, agent, migration 013), its error, and trends' failed steps. A change to any of them writes the
 * document, so those readers never see a stale one.
 */
function docColumnsOf(run: WorkflowRun): string {
  const c = run.context;
  let failed = 0;
  for (const s of run.steps) if (s.status === 'failed') failed += 1;
  return JSON.stringify([run.title, c.repository, c.agent_hostname, c.hostname, run.error, failed]);
}

/**
 * The group commit's input as JSON, each commit's document, events and marks spliced in as the JSON text they
 * already are: as strings they would be escaped (every quote doubled) and sent, then parsed, twice over.
 */
function batchJson(
  input: readonly ({ doc: string | null; events: string; marks: string | null } & Record<string, unknown>)[],
): string {
  const rows = input.map(({ doc, events, marks, ...row }) => {
    const head = JSON.stringify(row);
    return `${head.slice(0, -1)},"doc":${doc ?? 'null'},"events":${events},"marks":${marks ?? 'null'}}`;
  });
  return `[${rows.join(',')}]`;
}

/**
 * Group commits on their way to the database at once. One, as a database's own group commit does: what arrives
 * while a statement is out goes together in the next one. Measured against ten at once (the pool's size; `pnpm
 * bench`, throughput on PostgreSQL, three alternating runs each): 285 µs of Node CPU per step instead of 324, with
 * lower commit latency too (p50 18 ms instead of 24), since fewer, larger statements cost the controller and the
 * database less per transition.
 */
const MAX_FLUSHES_IN_FLIGHT = 1;

/** A document this small is rewritten whenever its patches outgrow it; smaller tails are not worth the write. */
const MIN_DOC_BYTES = 2048;
/**
 * How many times the document's size its patches may add up to before it is rewritten. The document is stored
 * compressed (about 4:1 for a run's JSON) and patches are not, so 4 makes a rewrite cost about what the patches
 * it replaces did; a reader then applies up to four documents' worth of patches (a fraction of a millisecond).
 */
const TAIL_PER_DOC = 4;

/**
 * Commits an ended run may keep after its document. Whoever reads an ended run (its page, the list of past runs)
 * opens one batch per commit since the document, so a longer tail is written out as the run ends; a short one is
 * not: rewriting the document of every run that ended took a third of an approval's time (README, Performance).
 */
const ENDED_TAIL_COMMITS = 4;

/** Unfinished runs whose stored document one store remembers by default (about 100 bytes each). */
const MAX_REMEMBERED_DOCS = 50_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const PARKED = new Set(['awaiting_approval', 'awaiting_input', 'awaiting_event']);

/** The earliest deadline of the run's parked steps, in a column so expired runs are found by an index. */
function deadlineOf(run: WorkflowRun): string | null {
  if (run.status !== 'waiting' && run.status !== 'running') return null;
  let earliest: string | null = null;
  for (const s of run.steps) {
    if (
      PARKED.has(s.status) &&
      s.deadline &&
      (earliest === null || Date.parse(s.deadline) < Date.parse(earliest))
    )
      earliest = s.deadline;
  }
  return earliest;
}

/** The keys of the durable waits the run's parked steps hold, so the event that ends one finds the run. */
function waitKeysOf(run: WorkflowRun): string[] | null {
  const keys = run.steps.filter((s) => s.status === 'awaiting_event' && s.wait).map((s) => s.wait!.key);
  return keys.length > 0 ? keys : null;
}

/** A unique violation of the one-active-run-per-concurrency-key index. */
function isKeyConflict(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string; message?: string };
  return (
    e?.code === '23505' &&
    (e.constraint === undefined ||
      e.constraint === 'workflow_runs_one_active_per_key' ||
      String(e.message).includes('workflow_runs_one_active_per_key'))
  );
}

export interface WorkflowStoreOptions {
  /**
   * This controller's id, when several controllers share the database: runs it inserts are its own, commits
   * `asOwner` are fenced by it, and deadlines are looked for among its own runs. Unset: one controller, no owners.
   */
  owner?: string;
  /** How many unfinished runs' stored documents it remembers (see `rememberDoc`); default 50,000. */
  rememberedDocs?: number;
}

/** Workflow runs and their append-only events, in the SQL both PGlite and PostgreSQL speak. */
export class SqlWorkflowStore implements WorkflowStore {
  private readonly owner: string | null;
  private readonly rememberedDocs: number;

  constructor(
    private readonly db: Db,
    options: WorkflowStoreOptions = {},
  ) {
    this.owner = options.owner ?? null;
    this.rememberedDocs = options.rememberedDocs ?? MAX_REMEMBERED_DOCS;
  }

  /**
   * A new run and its first event, in the group commit like any transition (runs started together are one
   * statement, not one each). A run with a concurrency key goes alone: if another run holds the key, only its own
   * insert is refused, with the holder named.
   */
  async insertRun(
    run: WorkflowRun,
    event: EventRecord,
    opts: Pick<CommitOptions, 'onDurable'> = {},
  ): Promise<void> {
    if (run.concurrencyKey) {
      await this.insertKeyed(run, event, run.concurrencyKey);
      return opts.onDurable?.();
    }
    return new Promise((resolve, reject) => {
      this.pending.push({
        run,
        events: [event],
        asOwner: false,
        insert: true,
        onDurable: opts.onDurable,
        resolve,
        reject,
      });
      this.scheduleFlush();
    });
  }

  private async insertKeyed(run: WorkflowRun, event: EventRecord, key: string): Promise<void> {
    let committed: Set<string>;
    try {
      committed = await this.write([{ run, events: [event], asOwner: false, insert: true }]);
    } catch (err) {
      this.docs.delete(run.id);
      throw err;
    }
    if (!committed.has(run.id)) {
      this.docs.delete(run.id);
      throw new ConcurrencyConflict(key, await this.activeRunOf(key));
    }
  }

  private async activeRunOf(key: string): Promise<string | null> {
    const rows = await this.db.query<{ id: string }>(
      `SELECT id FROM workflow_runs WHERE concurrency_key = $1 AND status IN ('running', 'waiting') LIMIT 1`,
      [key],
    );
    return rows[0]?.id ?? null;
  }

  /** Stored documents of the unfinished runs this store wrote or rewrote (see `StoredDoc`). */
  private readonly docs = new Map<string, StoredDoc>();

  /**
   * Remembers a run's stored document. Bounded: a run that ends through another controller never tells this one,
   * so the oldest entry goes once there are too many; forgetting one only costs that run a rewrite at its next
   * commit.
   */
  private rememberDoc(runId: string, doc: StoredDoc): void {
    if (!this.docs.has(runId) && this.docs.size >= this.rememberedDocs) {
      const oldest = this.docs.keys().next().value;
      if (oldest !== undefined) this.docs.delete(oldest);
    }
    this.docs.set(runId, doc);
  }

  /**
   * Whether this commit rewrites the run's document. Only when the patches since the last one add up to more
   * than `TAIL_PER_DOC` documents (so a reader applies a bounded tail of patches, and a transition's
   * share of rewriting stays the same however large the run grows), or a column read from the document would
   * change, or the store does not know the stored document (written by another controller, or before a
   * restart), or the run is left waiting, or it ends with more than `ENDED_TAIL_COMMITS` commits since its
   * document. Returns the document to write, as JSON, or null.
   */
  private documentFor(run: WorkflowRun, patches: readonly (string | undefined)[]): string | null {
    const stored = this.docs.get(run.id);
    const ended = TERMINAL_RUN_STATUSES.includes(run.status);
    let tailBytes = stored?.tailBytes ?? 0;
    const tailCommits = (stored?.tailCommits ?? 0) + 1;
    let unpatched = false;
    for (const patch of patches) {
      if (patch === undefined) unpatched = true;
      else tailBytes += patch.length;
    }
    const columns = docColumnsOf(run);
    // A transition that does not say what it changed (a caller that did not diff) is stored whole. So is a run left
    // waiting: nobody holds it in memory any more, and its next reader is a decision, on the way to its next step.
    const rewrite =
      unpatched ||
      run.status === 'waiting' ||
      (ended && tailCommits > ENDED_TAIL_COMMITS) ||
      !stored ||
      stored.columns !== columns ||
      tailBytes > TAIL_PER_DOC * Math.max(stored.bytes, MIN_DOC_BYTES);
    if (ended) this.docs.delete(run.id); // it commits no more here (a compensation is stored whole: unknown doc)
    if (!rewrite) {
      if (!ended) {
        stored!.tailBytes = tailBytes;
        stored!.tailCommits = tailCommits;
      }
      return null;
    }
    // Serialised once: its length is remembered, its text is what the statement carries.
    const doc = JSON.stringify(run);
    if (!ended) this.rememberDoc(run.id, { bytes: doc.length, tailBytes: 0, tailCommits: 0, columns });
    return doc;
  }

  /**
   * Group commit: the transitions asked for in one event-loop turn are written by one statement (they are of
   * different runs: the engine commits one transition per run at a time). Each caller's promise settles only
   * once its transition is durable, so "committed before emitted" holds; one statement per turn instead of
   * one per transition is what makes the store keep up with many runs at once (see `pnpm bench`).
   */
  commit(run: WorkflowRun, events: readonly EventRecord[], opts: CommitOptions = {}): Promise<void> {
    if (events.length === 0) return Promise.reject(new Error(`commit of run ${run.id} without an event`));
    const asOwner = (opts.asOwner ?? false) && this.owner !== null;
    if (events.some((e) => e.type === 'run.dequeued'))
      return this.commitDequeue(run, events, asOwner).then(() => opts.onDurable?.());
    return new Promise((resolve, reject) => {
      this.pending.push({ run, events, asOwner, onDurable: opts.onDurable, resolve, reject });
      this.scheduleFlush();
    });
  }

  private pending: PendingCommit[] = [];
  private flushScheduled = false;
  private flushesInFlight = 0;

  /**
   * Flushes what is pending at the end of this event-loop turn, unless `MAX_FLUSHES_IN_FLIGHT` group commits are
   * already on their way: then what arrives meanwhile waits and goes as one statement when one of them is back.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled || this.pending.length === 0 || this.flushesInFlight >= MAX_FLUSHES_IN_FLIGHT)
      return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0 || this.flushesInFlight >= MAX_FLUSHES_IN_FLIGHT) return;
    this.flushesInFlight += 1;
    try {
      await this.flushBatch();
    } finally {
      this.flushesInFlight -= 1;
      this.scheduleFlush();
    }
  }

  private async flushBatch(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    // A run twice in one batch would race with itself; the engine never does that, but a caller could.
    const seen = new Set<string>();
    const now = batch.filter((c) => !seen.has(c.run.id) && seen.add(c.run.id));
    for (const later of batch.filter((c) => !now.includes(c))) {
      this.pending.push(later);
      this.scheduleFlush();
    }
    try {
      const committed = await this.write(now);
      const refused = now.filter((c) => !committed.has(c.run.id));
      for (const c of refused) this.docs.delete(c.run.id);
      const durable = now.filter((c) => committed.has(c.run.id));
      // Every durable transition's callback first, then the callers: see CommitOptions.onDurable.
      const failures = new Map<PendingCommit, unknown>();
      for (const c of durable) {
        try {
          c.onDurable?.();
        } catch (err) {
          failures.set(c, err);
        }
      }
      // Then one event-loop turn before the callers resume: socket.io sends a client's first frame at once and
      // queues the rest until that write's callback, which would otherwise wait behind every caller's next step.
      if (durable.some((c) => c.onDurable)) await new Promise((resolve) => setImmediate(resolve));
      for (const c of durable) {
        if (failures.has(c)) c.reject(failures.get(c));
        else c.resolve();
      }
      const taken = await this.takenOver(refused);
      for (const c of refused) {
        if (c.insert) c.reject(new Error(`run ${c.run.id} already exists`));
        else c.reject(taken.has(c.run.id) ? new LeaseLostError(c.run.id) : new StaleRunError(c.run.id));
      }
    } catch (err) {
      for (const c of now) {
        // Whether its document was written is unknown now: the next commit writes it.
        this.docs.delete(c.run.id);
        c.reject(err);
      }
    }
  }

  /** Of the refused fenced commits, those refused because another controller owns the run now (not a stale seq). */
  private async takenOver(refused: readonly Pick<PendingCommit, 'run' | 'asOwner'>[]): Promise<Set<string>> {
    const fenced = refused.filter((c) => c.asOwner).map((c) => c.run.id);
    if (fenced.length === 0) return new Set();
    const rows = await this.db.query<{ id: string }>(
      `SELECT id FROM workflow_runs WHERE id = ANY($1::uuid[]) AND owner IS DISTINCT FROM $2::uuid`,
      [fenced, this.owner],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** Taking a concurrency key may lose to another run: alone, so the unique index fails only this commit. */
  private async commitDequeue(
    run: WorkflowRun,
    events: readonly EventRecord[],
    asOwner: boolean,
  ): Promise<void> {
    let committed: Set<string>;
    try {
      committed = await this.write([{ run, events, asOwner }]);
    } catch (err) {
      this.docs.delete(run.id);
      if (run.concurrencyKey && isKeyConflict(err))
        throw new ConcurrencyConflict(run.concurrencyKey, await this.activeRunOf(run.concurrencyKey));
      throw err;
    }
    if (!committed.has(run.id)) {
      this.docs.delete(run.id);
      const taken = await this.takenOver([{ run, asOwner }]);
      throw taken.has(run.id) ? new LeaseLostError(run.id) : new StaleRunError(run.id);
    }
  }

  /**
   * Writes each run's new state (inserting the new runs) and appends its events, in one statement. Optimistic
   * concurrency: a run's update only matches if nobody committed since its first new event's seq - 1, and a new
   * run's insert only if its id and concurrency key are free; its events land only with it.
   * The events of every commit that lands go into one `workflow_batches` row, which PostgreSQL compresses (the
   * commits of a hundred runs are much alike), and each commit gets a small `workflow_commits` row saying where
   * its events are (migration 018).
   * The batch goes as one JSON document, not as parameter arrays: node-postgres writes a jsonb[] as an array
   * literal, escaping every quote of every run document character by character, which was the largest cost
   * of a busy controller.
   */
  private async write(
    batch: readonly Pick<PendingCommit, 'run' | 'events' | 'asOwner' | 'insert'>[],
  ): Promise<Set<string>> {
    const input = batch.map(({ run, events, asOwner, insert }, ord) => {
      // Serialised once: its length decides whether to rewrite the document, and the text is what is stored.
      const patches = events.map((e) => (e.patch === undefined ? undefined : JSON.stringify(e.patch)));
      const commit = commitTextOf(events, patches);
      return {
        id: run.id,
        status: run.status,
        current_step: run.currentStep,
        updated_at: events[events.length - 1]!.at,
        deadline_at: deadlineOf(run),
        seq: run.seq,
        from_seq: events[0]!.seq,
        doc: this.documentFor(run, patches),
        wait_keys: waitKeysOf(run),
        // Fencing: an owner's commit matches only while the row still names it.
        owner: asOwner ? this.owner : null,
        events: commit.events,
        marks: commit.marks,
        ord,
        // What only an insert writes; an update leaves these out, and the statement reads them as null.
        ...(insert && {
          is_new: true,
          name: run.name,
          version: run.version,
          started_by: run.startedBy,
          created_at: run.createdAt,
          definition_hash: run.definitionHash ?? null,
          concurrency_key: run.concurrencyKey ?? null,
        }),
      };
    });
    const rows = await this.db.query<{ run_id: string }>(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb)
           AS t(id uuid, status text, current_step text, updated_at timestamptz, deadline_at timestamptz, seq int,
                from_seq int, doc jsonb, wait_keys text[], owner uuid, events jsonb, marks jsonb, ord int,
                is_new boolean, name text, version int, started_by text, created_at timestamptz, definition_hash text,
                concurrency_key text)),
       upd AS (
         UPDATE workflow_runs r
            SET status = i.status, current_step = i.current_step, updated_at = i.updated_at,
                deadline_at = i.deadline_at, seq = i.seq, wait_keys = i.wait_keys,
                doc = coalesce(i.doc, r.doc),
                doc_seq = CASE WHEN i.doc IS NULL THEN r.doc_seq ELSE i.seq END
           FROM input i
          WHERE r.id = i.id AND r.seq = i.from_seq - 1 AND (i.owner IS NULL OR r.owner = i.owner)
         RETURNING r.id),
       ins AS (
         INSERT INTO workflow_runs (id, name, version, status, current_step, started_by, created_at, updated_at,
                                    deadline_at, seq, doc, doc_seq, definition_hash, concurrency_key, wait_keys, owner)
         SELECT i.id, i.name, i.version, i.status, i.current_step, i.started_by, i.created_at, i.created_at,
                i.deadline_at, i.seq, i.doc, i.seq, i.definition_hash, i.concurrency_key, i.wait_keys, $2::uuid
           FROM input i WHERE i.is_new
         -- An id or a concurrency key taken already: that run is refused, not the statement.
         ON CONFLICT DO NOTHING
         RETURNING id),
       done AS (
         SELECT i.id, i.seq, i.events, i.marks, (row_number() OVER (ORDER BY i.ord) - 1)::int AS pos
           FROM input i JOIN (SELECT id FROM upd UNION ALL SELECT id FROM ins) w ON w.id = i.id),
       batch AS (
         INSERT INTO workflow_batches (commits)
         SELECT jsonb_agg(d.events ORDER BY d.pos) FROM done d HAVING count(*) > 0
         RETURNING id)
       INSERT INTO workflow_commits (run_id, seq, batch_id, pos, marks)
       SELECT d.id, d.seq, batch.id, d.pos, d.marks FROM done d CROSS JOIN batch
       RETURNING run_id`,
      [batchJson(input), this.owner],
    );
    return new Set(rows.map((r) => r.run_id));
  }

  /**
   * Reads asked for in one event-loop turn go as one statement: a hundred approvals arriving together each read
   * their parked run, and one query instead of a hundred queued on the pool is most of what they wait for.
   */
  private readonly reads = new TurnBatch<string, WorkflowRun | null>(async (ids) => {
    const rows = await this.db.query<RunRow & { id: string }>(
      `SELECT r.id, ${RUN_COLUMNS} FROM workflow_runs r WHERE r.id = ANY($1::uuid[])`,
      [[...new Set(ids)]],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    const given = new Set<string>();
    return ids.map((id) => {
      const row = byId.get(id.toLowerCase());
      if (!row) return null;
      const run = runOfRow(row);
      // Two callers of one batch asking for the same run each get their own copy.
      if (given.has(row.id)) return structuredClone(run);
      given.add(row.id);
      return run;
    });
  });

  async getRun(id: string): Promise<WorkflowRun | null> {
    if (UUID.test(id)) return this.reads.submit(id);
    // Not a uuid: alone, so the database's refusal of it fails only this read.
    const rows = await this.db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM workflow_runs r WHERE r.id = $1`, [
      id,
    ]);
    return rows[0] ? runOfRow(rows[0]) : null;
  }

  async listRuns(filter: RunFilter): Promise<WorkflowRun[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.state === 'active') where.push(`status IN ('queued', 'running', 'waiting')`);
    if (filter.state === 'past') where.push(`status IN ('completed', 'failed', 'cancelled')`);
    if (filter.name) {
      params.push(filter.name);
      where.push(`name = $${params.length}`);
    }
    params.push(filter.limit);
    const rows = await this.db.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM workflow_runs r ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY r.created_at DESC, r.id LIMIT $${params.length}`,
      params,
    );
    return rows.map(runOfRow);
  }

  async listUnfinished(): Promise<WorkflowRun[]> {
    const rows = await this.db.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM workflow_runs r WHERE r.status IN ('running', 'waiting') ORDER BY r.created_at`,
    );
    return rows.map(runOfRow);
  }

  async listExpired(now: string): Promise<string[]> {
    // With owners, each controller looks after its own runs' deadlines (a dead one's are claimed first).
    const rows = await this.db.query<{ id: string }>(
      `SELECT id FROM workflow_runs
        WHERE status IN ('running', 'waiting') AND deadline_at <= $1
          AND ($2::uuid IS NULL OR owner = $2::uuid)
        ORDER BY deadline_at`,
      [now, this.owner],
    );
    return rows.map((r) => r.id);
  }

  async nextDeadline(): Promise<string | null> {
    const [row] = await this.db.query<{ next: Date | string | null }>(
      `SELECT min(deadline_at) AS next FROM workflow_runs
        WHERE status IN ('running', 'waiting') AND deadline_at IS NOT NULL
          AND ($1::uuid IS NULL OR owner = $1::uuid)`,
      [this.owner],
    );
    const next = row?.next ?? null;
    return next instanceof Date ? next.toISOString() : next;
  }

  async listWaiting(key: string): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `SELECT id FROM workflow_runs
        WHERE wait_keys @> ARRAY[$1]::text[] AND status IN ('running', 'waiting') ORDER BY created_at`,
      [key],
    );
    return rows.map((r) => r.id);
  }

  async oldestQueued(key: string): Promise<string | null> {
    const rows = await this.db.query<{ id: string }>(
      `SELECT id FROM workflow_runs q
        WHERE q.concurrency_key = $1 AND q.status = 'queued'
          AND NOT EXISTS (SELECT 1 FROM workflow_runs a
                           WHERE a.concurrency_key = $1 AND a.status IN ('running', 'waiting'))
        ORDER BY q.created_at, q.id LIMIT 1`,
      [key],
    );
    return rows[0]?.id ?? null;
  }

  async freeQueueKeys(): Promise<string[]> {
    const rows = await this.db.query<{ concurrency_key: string }>(
      `SELECT DISTINCT q.concurrency_key FROM workflow_runs q
        WHERE q.status = 'queued'
          AND NOT EXISTS (SELECT 1 FROM workflow_runs a
                           WHERE a.concurrency_key = q.concurrency_key AND a.status IN ('running', 'waiting'))`,
    );
    return rows.map((r) => r.concurrency_key);
  }

  async eventsAfter(runId: string, seq: number): Promise<EventRecord[]> {
    // A commit whose last event is after `seq` may begin before it: eventsOfCommits keeps only those after.
    const rows = await this.db.query<{ events: StoredEvent[] }>(
      `SELECT b.commits -> c.pos AS events FROM workflow_commits c JOIN workflow_batches b ON b.id = c.batch_id
        WHERE c.run_id = $1 AND c.seq > $2 ORDER BY c.seq`,
      [runId, seq],
    );
    return eventsOfCommits(
      runId,
      rows.map((r) => r.events),
      seq,
    );
  }
}
