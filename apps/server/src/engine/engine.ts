import { randomUUID } from 'node:crypto';
import {
  checkInput,
  type Decision,
  type RunTrigger,
  type StepRecord,
  TERMINAL_RUN_STATUSES,
  type WorkflowDefinitionDto,
  type WorkflowRun,
} from '@deploybot/shared';
import { DefinitionCatalog } from './definition-catalog';
import { EngineError, RunCancelledError } from './errors';
import {
  type Clock,
  ConcurrencyConflict,
  type EventRecord,
  type EventSink,
  LeaseLostError,
  type RunFilter,
  type RunLeases,
  systemClock,
  type WorkflowStore,
} from './ports';
import { rollbackWorkflow } from './rollback-workflow';
import { RunDriver, ShutdownError } from './run-driver';
import { RunJournal } from './run-journal';
import {
  completeStep,
  contextOf,
  finishRun,
  isParked,
  newRun,
  patchStep,
  runTitleOf,
  scopeOf,
} from './run-state';
import { isSealed, mapSecrets, REDACTED, SecretBox } from './secrets';
import { validateStartInputs } from './start-inputs';
import type { StepContext, StepDef, StepResult, WorkflowDefinition } from './types';
import { gateInput, waitingStep } from './waiting-step';

export interface StartOptions {
  /** A stored version to run instead of the latest. */
  version?: number;
  /** The run and step of a `workflow` step that starts this run as its child. */
  parent?: { runId: string; stepId: string };
  /** For a rollback run: the run it undoes. */
  rollbackOf?: string;
  /** The run's id (a child's follows from its parent step, so a re-run finds it). Default: a new UUID. */
  id?: string;
  /** For a run a trigger starts: recorded on the run (loop guard, four-eyes, where it came from). */
  trigger?: RunTrigger;
}

export interface EngineOptions {
  store: WorkflowStore;
  definitions: WorkflowDefinition[];
  /** Default: the system clock. */
  clock?: Clock;
  /** Receives every committed transition (realtime forwards it to sockets). */
  onEvent?: EventSink;
  /** Default: random UUIDs. */
  newId?: () => string;
  /** Seals secret inputs at rest. Default: a key that lives as long as this process. */
  secrets?: SecretBox;
  /** Where handler failures that are not step failures go (e.g. a store outage while committing). */
  onError?: (err: unknown, runId: string) => void;
  /**
   * Several controllers on one database: this one drives only the runs it owns (started or claimed), its commits
   * are fenced by ownership, and commands for other controllers' runs are recorded here and handed to their
   * owners. Unset: this engine is the only one and owns every run.
   */
  leases?: RunLeases;
}

export interface DecideCommand {
  approved: boolean;
  by: string;
  note?: string | null;
  input?: unknown;
  /** When set, refused unless this is the step waiting. */
  stepId?: string;
  /**
   * Whether the decision may be made (who may decide what): called with the run as it stands under its lock,
   * and the step waiting, just before deciding; throws to refuse. Checked on that read, not a separate one.
   */
  check?: (run: WorkflowRun, step: StepRecord) => void;
}

export interface InputCommand {
  value: unknown;
  by: string;
  note?: string | null;
  stepId?: string;
}

/**
 * The durable workflow engine. Every transition is committed through the store before its event is emitted;
 * commands on one run are serialised; a run being driven has one driver at a time.
 */
export class WorkflowEngine {
  private readonly defs = new DefinitionCatalog();
  private readonly store: WorkflowStore;
  private readonly clock: Clock;
  private readonly onEvent: EventSink;
  private readonly newId: () => string;
  private readonly onError: (err: unknown, runId: string) => void;
  private readonly secrets: SecretBox;
  private readonly journal: RunJournal;
  private readonly driver: RunDriver;
  private readonly leases: RunLeases | undefined;
  private stopping = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeTimerAt = Number.POSITIVE_INFINITY;

  constructor(opts: EngineOptions) {
    for (const def of opts.definitions) this.defs.add(def, { latest: true });
    this.defs.add(
      rollbackWorkflow({
        load: (id) => this.journal.load(id),
        plan: (run) => this.rollbackPlan(run),
        compensate: (runId, stepId, by, signal, undoing) =>
          this.compensate(runId, stepId, by, signal, undoing),
      }),
      { latest: true },
    );
    this.store = opts.store;
    this.clock = opts.clock ?? systemClock;
    this.onEvent = opts.onEvent ?? (() => {});
    this.newId = opts.newId ?? randomUUID;
    this.onError = opts.onError ?? (() => {});
    this.secrets = opts.secrets ?? SecretBox.ephemeral();
    this.leases = opts.leases;
    this.journal = new RunJournal(
      this.store,
      (event, run) => this.announced(event, run),
      (run) => this.derived(run),
      {
        leased: this.leases !== undefined,
        // Taken over while we were away: what is in flight here is dropped; the new owner re-runs it.
        onLeaseLost: (runId, err) => this.driver.abort(runId, err),
      },
    );
    this.driver = new RunDriver({
      journal: this.journal,
      clock: this.clock,
      definitionOf: (run) => this.definitionOf(run),
      contextFor: (run, step, attempt, signal) => this.ctx(run, step, attempt, signal),
      scopeFor: (run) => scopeOf(run, (v) => this.open(v)),
      sealResult: (result) => this.sealSecrets(result),
      openSecrets: (value) => this.open(value),
      onDeadline: (deadline) => this.wakeAt(deadline),
      onRecheck: (runId, stepId, key, payload) => this.receive(runId, stepId, key, payload).then(() => {}),
      onError: this.onError,
    });
  }

  // ---------------------------------------------------------------- queries

  /** The latest version of every workflow that may be started. */
  definitions(): WorkflowDefinitionDto[] {
    // The rollback workflow is started through `rollback`, never by name.
    return this.defs
      .latest()
      .filter((d) => d.name !== ROLLBACK_WORKFLOW)
      .map((d) => definitionDto(d));
  }

  /** One workflow's definition: the latest, or a given version (deleted ones included, for runs that use them). */
  definition(name: string, version?: number): WorkflowDefinition | undefined {
    return version === undefined ? this.defs.latestOf(name) : this.defs.get(name, version);
  }

  /** One version's shape as the API shows it (steps, needs, conditions), or null when it is not known. */
  definitionDto(name: string, version: number): WorkflowDefinitionDto | null {
    const def = this.defs.get(name, version);
    return def ? definitionDto(def) : null;
  }

  /** Makes a definition version known (a stored or newly saved document); `latest` makes it the one new runs use. */
  register(def: WorkflowDefinition, opts: { latest: boolean }): void {
    this.defs.add(def, opts);
  }

  /** No new runs of `name`; runs in flight go on with their version. */
  retire(name: string): void {
    this.defs.retire(name);
  }

  /** The run as callers may see it: secret inputs read `••••••`. */
  async get(runId: string): Promise<WorkflowRun> {
    return this.redact(await this.journal.load(runId));
  }

  async list(filter: RunFilter): Promise<WorkflowRun[]> {
    return (await this.store.listRuns(filter)).map((r) => this.redact(r));
  }

  /**
   * The run's sealed top-level values (secret inputs, secret outputs such as a join token) in clear. Callers
   * decide who may see them (the HTTP layer: the person who started the run, or an admin) and audit it.
   */
  async revealSecrets(runId: string): Promise<Record<string, string>> {
    const run = await this.journal.load(runId);
    const revealed: Record<string, string> = {};
    for (const [key, value] of Object.entries(run.context)) {
      if (isSealed(value)) revealed[key] = this.secrets.open(value);
    }
    return revealed;
  }

  /**
   * The run's committed transitions after `afterSeq`, oldest first (its audit trail). Without their patches:
   * those are how the run is stored (secrets in them sealed, not masked), and the run itself is read whole.
   */
  async events(runId: string, afterSeq = 0): Promise<EventRecord[]> {
    return (await this.store.eventsAfter(runId, afterSeq)).map(({ patch: _, ...event }) => event);
  }

  // ---------------------------------------------------------------- commands

  async start(
    name: string,
    rawInputs: Record<string, unknown>,
    startedBy: string,
    opts: StartOptions = {},
  ): Promise<WorkflowRun> {
    this.assertRunning();
    const def =
      name === ROLLBACK_WORKFLOW && !opts.rollbackOf
        ? undefined // started only through `rollback`, which checks the run it undoes
        : opts.version === undefined
          ? this.defs.latestOf(name)
          : this.defs.get(name, opts.version);
    if (!def) {
      const known = this.defs.latest().map((d) => d.name);
      throw new EngineError(
        'not_found',
        opts.version === undefined || !this.defs.latestOf(name)
          ? `unknown workflow "${name}"; known: ${known.join(', ')}`
          : `workflow "${name}" has no version ${opts.version}`,
      );
    }
    const inputs = validateStartInputs(def, rawInputs);
    const issues = def.checkStart ? await def.checkStart(inputs) : [];
    if (issues.length > 0) {
      // The first problem in the message too: a chat tool or a CLI often shows only the message.
      throw new EngineError(
        'validation_failed',
        `cannot start ${def.name}: ${issues.map((i) => i.message).join('; ')}`,
        issues,
      );
    }
    for (const spec of def.inputs) {
      // Secret inputs are sealed before anything is stored; only handlers see them in clear.
      if (spec.type === 'secret' && typeof inputs[spec.key] === 'string')
        inputs[spec.key] = this.secrets.seal(inputs[spec.key] as string);
    }
    const at = this.now();
    const fresh = newRun(def, opts.id ?? this.newId(), inputs, startedBy, at);
    const run: WorkflowRun = {
      ...fresh,
      concurrencyKey: def.concurrency ? this.concurrencyKeyOf(def, inputs) : null,
      rollbackOf: opts.rollbackOf ?? null,
      parent: opts.parent ?? null,
      ...(opts.trigger && { trigger: opts.trigger }),
    };
    const event = { runId: run.id, seq: 1, type: 'run.started' as const, stepId: null, at, detail: null };
    try {
      await this.journal.insert(run, event);
    } catch (err) {
      if (!(err instanceof ConcurrencyConflict) || !def.concurrency) throw err;
      // Another run holds the key: refuse, naming it, or queue behind it.
      if (def.concurrency.onConflict === 'refuse') {
        throw new EngineError(
          'conflict',
          `${def.name} is already running for ${run.concurrencyKey} (run ${err.activeRunId ?? 'unknown'}); wait for it to finish or cancel it`,
          { activeRunId: err.activeRunId, concurrencyKey: run.concurrencyKey },
        );
      }
      const queued: WorkflowRun = { ...run, status: 'queued' };
      await this.journal.insert(queued, {
        ...event,
        type: 'run.queued',
        detail: { behind: err.activeRunId, concurrencyKey: run.concurrencyKey },
      });
      return this.redact(queued);
    }
    this.driver.kick(run.id); // inserted here, so ours
    return this.redact(run);
  }

  /**
   * Starts a run that undoes `runId`: a gate shows which completed steps will be undone, in reverse order, and
   * how; once approved each compensation runs and the original step becomes `compensated`.
   */
  async rollback(runId: string, by: string, opts: { automatic?: boolean } = {}): Promise<WorkflowRun> {
    const target = await this.journal.load(runId);
    if (target.status !== 'completed' && target.status !== 'failed') {
      throw new EngineError(
        'conflict',
        `run ${runId} is ${target.status}: only a completed or failed run can be rolled back`,
      );
    }
    if (target.name === ROLLBACK_WORKFLOW)
      throw new EngineError('conflict', 'a rollback run cannot be rolled back');
    return this.start(ROLLBACK_WORKFLOW, { run_id: runId, automatic: opts.automatic ? 'yes' : 'no' }, by, {
      rollbackOf: runId,
    });
  }

  /** What a rollback of `run` would undo, most recent first: each completed step and its compensation. */
  rollbackPlan(run: WorkflowRun): RollbackItem[] {
    const def = this.definitionOf(run);
    // Steps that finished within the same millisecond: the later in the document goes first (a step never
    // finishes before one it needs, so for those this is the order they finished in).
    const done = run.steps
      .map((step, index) => ({ step, index }))
      .filter(({ step }) => step.status === 'completed')
      .sort((a, b) => (b.step.finishedAt ?? '').localeCompare(a.step.finishedAt ?? '') || b.index - a.index)
      .map(({ step }) => step);
    return done.map((step) => {
      const compensation = def.steps.find((d) => d.id === step.id)?.compensation;
      const record = { outputs: this.open(step.outputs ?? {}), data: this.open(step.data) };
      let undo: string | null = null;
      if (compensation) {
        const ctx = this.ctx(run, step, 1, new AbortController().signal);
        undo = compensation.describe(ctx, record);
      }
      return { stepId: step.id, title: step.title, undo };
    });
  }

  /**
   * Runs the compensation of one completed step of `runId` and marks it `compensated` (idempotent). `undoing`, the
   * rollback run's attempt, is in the compensation's idempotency key and attempt: a compensation whose key answers
   * with the same result even when it failed (an activation) starts afresh when a later rollback asks again.
   */
  async compensate(
    runId: string,
    stepId: string,
    by: string,
    signal: AbortSignal,
    undoing: { runId: string; attempt: number },
  ): Promise<string | null> {
    const run = await this.journal.load(runId);
    const step = run.steps.find((s) => s.id === stepId);
    if (!step || step.status === 'compensated') return null;
    const compensation = this.definitionOf(run).steps.find((d) => d.id === stepId)?.compensation;
    if (!compensation || step.status !== 'completed') return null;
    const record = { outputs: this.open(step.outputs ?? {}), data: this.open(step.data) };
    // It reads the original run's scope, but acts for the rollback run: a job it starts belongs to that run.
    const ctx = {
      ...this.ctx(run, step, undoing.attempt, signal),
      runId: undoing.runId,
      startedBy: by,
      idempotencyKey: `${run.id}:${stepId}:undo:${undoing.runId}`,
    };
    const result = await compensation.run(ctx, record);
    await this.journal.withLockRetrying(runId, async () => {
      const current = await this.journal.load(runId);
      const now = current.steps.find((s) => s.id === stepId);
      if (now?.status !== 'completed') return;
      const next = patchStep(
        current,
        stepId,
        { status: 'compensated', summary: `${now.summary ?? ''} Undone: ${result.summary}`.trim() },
        this.now(),
      );
      await this.journal.commit(current, next, 'step.compensated', stepId, { by, summary: result.summary });
    });
    return result.summary;
  }

  /**
   * A durable wait ended: every step parked on `key` takes `payload` (recorded under the run's seq) and turns
   * it into its result. Returns how many steps it woke.
   */
  async resolveWait(key: string, payload: unknown): Promise<number> {
    let woken = 0;
    for (const runId of await this.store.listWaiting(key)) {
      const run = await this.journal.load(runId);
      for (const step of run.steps) {
        if (step.status === 'awaiting_event' && step.wait?.key === key) {
          if (await this.receive(runId, step.id, key, payload)) woken++;
        }
      }
    }
    return woken;
  }

  /** Records that the wait of one parked step ended, and drives the step on. */
  private async receive(runId: string, stepId: string, key: string, payload: unknown): Promise<boolean> {
    const received = await this.journal.withLockRetrying(runId, async () => {
      const run = await this.journal.load(runId);
      const step = run.steps.find((s) => s.id === stepId);
      if (step?.status !== 'awaiting_event' || step.wait?.key !== key) return false;
      if (run.status !== 'running' && run.status !== 'waiting') return false;
      const next = patchStep(
        run,
        stepId,
        { status: 'in_progress', deadline: null, wait: { ...step.wait, received: { payload } } },
        this.now(),
      );
      await this.journal.commit(run, next, 'step.event_received', stepId, { key });
      return true;
    });
    if (received) this.wake(runId);
    return received;
  }

  /** Approves or rejects the gate the run is waiting on. */
  async decide(runId: string, cmd: DecideCommand): Promise<WorkflowRun> {
    this.assertRunning();
    const result = await this.journal.withLockRetrying(runId, async () => {
      const run = await this.journal.load(runId);
      const step = waitingStep(run, 'awaiting_approval', cmd.stepId);
      cmd.check?.(run, step);
      const at = this.now();
      const note = cmd.note?.trim() || null;
      if (!cmd.approved) {
        const decision: Decision = { by: cmd.by, decision: 'rejected', note, at };
        const def = this.stepDef(run, step.id);
        const outcome = def.kind === 'gate' ? def.rejectSummary : undefined;
        const reason = `Rejected by ${cmd.by} at step "${step.title}"${note ? `: ${note}` : ''}${outcome ? ` — ${outcome}` : ''}`;
        const withDecision = patchStep(
          run,
          step.id,
          { decisions: [...step.decisions, decision], summary: outcome ?? step.summary },
          at,
        );
        const next = finishRun(
          withDecision,
          'cancelled',
          { error: reason, stepId: step.id, stepStatus: 'cancelled' },
          at,
        );
        return { run: await this.journal.commit(run, next, 'step.rejected', step.id, { note }), kick: false };
      }
      const input = gateInput(step, cmd.input, (value) => this.secrets.seal(value));
      const decision: Decision = {
        by: cmd.by,
        decision: 'approved',
        note,
        at,
        ...(input !== undefined && { input }),
      };
      const next = patchStep(
        run,
        step.id,
        { status: 'in_progress', attempt: 1, decisions: [...step.decisions, decision], deadline: null },
        at,
      );
      return { run: await this.journal.commit(run, next, 'step.approved', step.id, { note }), kick: true };
    });
    // A rejection ended the run: its owner, if elsewhere, stops what it has in flight.
    if (result.kick || !this.journal.owns(runId)) this.wake(runId);
    return this.redact(result.run);
  }

  /** Gives the value an input step is waiting for; the value is validated against the step's spec. */
  async submitInput(runId: string, cmd: InputCommand): Promise<WorkflowRun> {
    this.assertRunning();
    const run = await this.journal.withLockRetrying(runId, async () => {
      const current = await this.journal.load(runId);
      const step = waitingStep(current, 'awaiting_input', cmd.stepId);
      const spec = step.input!;
      const checked = checkInput(spec, cmd.value);
      if (!checked.ok) {
        throw new EngineError('validation_failed', checked.message, [
          { path: 'value', message: checked.message },
        ]);
      }
      const at = this.now();
      const promote = this.definitionOf(current).promoteStepOutputs !== false;
      const shown = spec.type === 'secret' ? REDACTED : String(checked.value ?? '(none)');
      const stored =
        spec.type === 'secret' && typeof checked.value === 'string'
          ? this.secrets.seal(checked.value)
          : checked.value;
      const decision: Decision = {
        by: cmd.by,
        decision: 'input',
        note: cmd.note?.trim() || null,
        input: stored,
        at,
      };
      const withDecision = patchStep(current, step.id, { decisions: [...step.decisions, decision] }, at);
      const next = completeStep(
        withDecision,
        step.id,
        {
          summary: `${spec.label}: ${shown}`,
          data: { [spec.key]: stored },
          // Documents read it as `steps.<id>.outputs.value` (the input kind's one output) or by its key.
          outputs: promote ? { [spec.key]: stored } : { [spec.key]: stored, value: stored },
        },
        at,
        promote,
      );
      return this.journal.commit(current, next, 'step.input_received', step.id, null);
    });
    this.wake(runId);
    return this.redact(run);
  }

  /** Cancels a run that has not finished; the step in flight is aborted and its result discarded. */
  async cancel(runId: string, cmd: { by: string; reason?: string | null }): Promise<WorkflowRun> {
    this.assertRunning();
    const reason = cmd.reason?.trim() || null;
    let parked: WorkflowRun | null = null;
    const run = await this.journal.withLockRetrying(runId, async () => {
      const current = await this.journal.load(runId);
      if (TERMINAL_RUN_STATUSES.includes(current.status)) {
        throw new EngineError('conflict', `run ${runId} is already ${current.status}`);
      }
      parked = current;
      const error = `Cancelled by ${cmd.by}${reason ? `: ${reason}` : ''}`;
      const next = finishRun(
        current,
        'cancelled',
        { error, stepStatus: 'cancelled', restStatus: 'cancelled' },
        this.now(),
      );
      return this.journal.commit(current, next, 'run.cancelled', current.currentStep, { reason });
    });
    // The step in flight stops wherever it runs: here, or on the owner once it hears of the cancel.
    if (this.journal.owns(runId)) this.driver.abort(runId, new RunCancelledError(cmd.by, reason));
    else this.wake(runId);
    if (parked) this.cancelWaits(parked, { by: cmd.by, reason });
    return this.redact(run);
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Picks up where a previous process left off: running runs are driven again (a step found in progress is
   * re-run; handlers are idempotent by run + step), waiting runs keep waiting, and expired deadlines fire. With
   * leases, "unfinished" means the runs nobody drives: those of a controller whose lease ran out.
   */
  async recover(): Promise<number> {
    if (!this.leases) return this.adopt(await this.store.listUnfinished());
    let running = 0;
    for (;;) {
      const claimed = await this.claimOrphans();
      running += claimed.running;
      if (claimed.claimed < CLAIM_BATCH) return running;
    }
  }

  /**
   * Claims one batch of runs whose owner's lease ran out (or that have none) and drives them, as after a
   * restart: each step that was in flight runs again, once. Returns how many, and how many another held.
   */
  async claimOrphans(): Promise<{ claimed: number; takenOver: number; running: number }> {
    if (!this.leases || this.stopping) return { claimed: 0, takenOver: 0, running: 0 };
    const claimed = await this.leases.claim(CLAIM_BATCH);
    const running = await this.adopt(claimed.map((c) => c.run));
    return {
      claimed: claimed.length,
      takenOver: claimed.filter((c) => c.takenFrom !== null).length,
      running,
    };
  }

  /** Drives runs that are now this controller's; returns how many were running. */
  private async adopt(runs: readonly WorkflowRun[]): Promise<number> {
    let running = 0;
    for (const run of runs) {
      this.journal.own(run.id, run.seq);
      if (run.status === 'running') {
        this.journal.hold(run);
        running++;
      }
      // Waiting runs are looked at once too: a parked step's wait may have ended while nobody listened, and a
      // step whose needs were met just before the stop may not have started.
      if (run.status === 'running' || run.status === 'waiting') this.driver.kick(run.id);
    }
    if (runs.length > 0 || !this.leases) {
      for (const key of await this.store.freeQueueKeys()) await this.dequeue(key);
      await this.expireDeadlines();
      await this.armNextDeadline();
    }
    return running;
  }

  /**
   * Another controller changed a run this one owns (a command, a wake-up): its events go out from here in seq
   * order, and the run is driven on, or, if it ended there (cancelled, rejected), what is in flight here stops.
   */
  async ownerWake(runId: string): Promise<void> {
    if (!this.leases || !this.journal.owns(runId)) return;
    const run = await this.journal.withLock(runId, async () => {
      this.journal.release(runId); // what we hold is older than what the other controller committed
      const current = await this.journal.load(runId);
      await this.journal.catchUp(current);
      return current;
    });
    if (TERMINAL_RUN_STATUSES.includes(run.status)) {
      this.journal.disown(runId);
      // Ended by a command given to another controller (its error says who and why): results are dropped.
      this.driver.abort(runId, new RunCancelledError(null, run.error ?? `run ${run.status}`));
    } else {
      this.driver.kick(runId);
    }
  }

  /** After a lost notification channel: every run this one owns is looked at again, as if woken. */
  async resync(): Promise<void> {
    for (const runId of this.journal.ownedIds()) await this.ownerWake(runId);
  }

  /**
   * This controller's lease ran out meanwhile: of the runs it thought it owned, those not in `stillOwned` were
   * taken over; it stops driving them (the new owner re-runs what was in flight).
   */
  reconcileOwnership(stillOwned: ReadonlySet<string>): number {
    let lost = 0;
    for (const runId of this.journal.ownedIds()) {
      if (stillOwned.has(runId)) continue;
      this.journal.disown(runId);
      this.driver.abort(runId, new LeaseLostError(runId));
      lost++;
    }
    return lost;
  }

  /** How many unfinished runs this controller drives (with leases; else every run is its own). */
  ownedCount(): number {
    return this.journal.ownedIds().length;
  }

  /**
   * Wakes up for deadlines: at the earliest deadline of this controller's parked steps (one query now, one after
   * each expiry), and at each deadline a step parks with. Nothing is polled while runs sit parked.
   */
  async startDeadlineTimer(): Promise<void> {
    await this.armNextDeadline();
  }

  /** Fails every waiting run whose deadline has passed: an expired approval is never a silent approve. */
  async expireDeadlines(): Promise<number> {
    const now = this.clock.now();
    const ids = await this.store.listExpired(now.toISOString());
    let expired = 0;
    for (const id of ids) {
      const steps = (await this.journal.load(id)).steps.filter(
        (s) => isParked(s) && s.deadline && Date.parse(s.deadline) <= now.getTime(),
      );
      for (const due of steps) {
        if (due.status === 'awaiting_event' && due.wait?.atDeadline === 'complete') {
          // A timer: its deadline is the event it waits for.
          if (await this.receive(id, due.id, due.wait.key, { deadline: due.deadline })) expired++;
          continue;
        }
        const done = await this.journal.withLockRetrying(id, async () => {
          const run = await this.journal.load(id);
          const step = run.steps.find((s) => s.id === due.id);
          if (!step || !isParked(step) || step.deadline !== due.deadline) return false;
          if (run.status !== 'waiting' && run.status !== 'running') return false;
          const error =
            step.status === 'awaiting_approval'
              ? 'approval expired'
              : step.status === 'awaiting_input'
                ? 'input expired'
                : (step.wait?.deadlineError ?? 'timed out waiting');
          const at = this.now();
          const next = step.continueOnError
            ? patchStep(
                run,
                step.id,
                { status: 'failed', error, finishedAt: at, deadline: null, wait: null },
                at,
              )
            : finishRun(
                run,
                'failed',
                { error, stepId: step.id, stepStatus: 'failed', restStatus: 'pending' },
                at,
              );
          await this.journal.commit(run, next, 'step.failed', step.id, { error });
          if (next.status !== 'failed') this.wake(id);
          return true;
        });
        if (done) expired++;
      }
    }
    return expired;
  }

  /** Resolves when no run is being driven by this process (tests and benchmarks wait on it). */
  idle(): Promise<void> {
    return this.driver.idle();
  }

  /** Stops driving without changing any run: what was in flight is picked up by `recover` on the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    await this.driver.stop();
  }

  // ---------------------------------------------------------------- helpers

  /**
   * A run changed: its driver looks again. Its owner's driver, that is: a run another controller owns is
   * handed over through the database (NOTIFY), and that controller drives and announces it.
   */
  private wake(runId: string): void {
    if (this.journal.owns(runId)) {
      this.driver.kick(runId);
      return;
    }
    this.leases?.notifyOwner(runId).catch((err) => this.onError(err, runId));
  }

  /** Moves a result's `secrets` into its outputs, sealed. */
  private sealSecrets(result: StepResult): StepResult {
    if (!result.secrets) return result;
    const sealed = Object.fromEntries(
      Object.entries(result.secrets).map(([k, v]) => [k, this.secrets.seal(v)]),
    );
    return { ...result, secrets: undefined, outputs: { ...result.outputs, ...sealed } };
  }

  private redact(run: WorkflowRun): WorkflowRun {
    return mapSecrets(run, () => REDACTED);
  }

  /** The definition a run executes: the version it was started with (by hash), whatever changed since. */
  definitionOf(run: WorkflowRun): WorkflowDefinition {
    const def = this.defs.forRun(run);
    if (!def) throw new Error(`workflow ${run.name} v${run.version} is not known to this controller`);
    return def;
  }

  /** Title and declared outputs follow the run's state; computed with every transition. */
  private derived(run: WorkflowRun): WorkflowRun {
    const def = this.defs.forRun(run);
    if (!def) return run;
    const title = runTitleOf(def, run);
    if (!def.runOutputs) return title === run.title ? run : { ...run, title };
    let outputs: Record<string, unknown> = {};
    try {
      outputs = def.runOutputs(scopeOf(run));
    } catch {
      // An output whose steps have not run yet is simply absent.
    }
    return { ...run, title, context: { ...run.context, ...outputs } };
  }

  /**
   * Runs whose last announced state held no sealed secret, with that event's seq. Masking walks the whole run,
   * on every event; a run known to hold none whose next patch adds none holds none either (a patch is exactly
   * what changed), so it is shown without the walk and a transition's cost does not grow with the run.
   */
  private readonly secretFree = new Map<string, number>();

  /** The run as an event shows it: secrets masked. */
  private shownRun(event: EventRecord, run: WorkflowRun, patchAddsSecret: boolean): WorkflowRun {
    const current = event.seq === run.seq; // a relayed event carries the run as it is now, not as it was then
    const known = current && !patchAddsSecret && this.secretFree.get(run.id) === event.seq - 1;
    const shown = known ? run : this.redact(run);
    if (current && shown === run && !TERMINAL_RUN_STATUSES.includes(run.status))
      this.secretFree.set(run.id, run.seq);
    else this.secretFree.delete(run.id);
    return shown;
  }

  /** After a commit: the event goes out, and a run that just ended lets others move. */
  private announced(event: EventRecord, run: WorkflowRun): void {
    const patch = event.patch && mapSecrets(event.patch, () => REDACTED);
    this.onEvent({ ...event, patch, run: this.shownRun(event, run, patch !== event.patch) });
    // A compensation is committed to a run that already ended: only the transition that ended it lets others
    // move (else each undone step of a failed `on_failure: rollback` run would start yet another rollback).
    // Only the transition that ended it: an event relayed from another controller carries the run as it is now.
    if (
      !TERMINAL_RUN_STATUSES.includes(run.status) ||
      event.seq === 1 ||
      event.type === 'step.compensated' ||
      event.seq !== run.seq
    )
      return;
    const after = async () => {
      if (run.concurrencyKey) await this.dequeue(run.concurrencyKey);
      if (run.parent) {
        await this.resolveWait(`run:${run.id}`, {
          runId: run.id,
          status: run.status,
          error: run.error,
          outputs: run.context,
        });
      }
      if (run.status === 'failed' && this.defs.forRun(run)?.onFailure === 'rollback' && !run.rollbackOf) {
        await this.rollback(run.id, `rollback of ${run.id.slice(0, 8)}`, { automatic: true });
      }
    };
    after().catch((err) => this.onError(err, run.id));
  }

  /** Starts the oldest run queued behind `key`, if the key is free. */
  private async dequeue(key: string): Promise<void> {
    const next = await this.store.oldestQueued(key);
    if (!next) return;
    try {
      await this.journal.withLockRetrying(next, async () => {
        const run = await this.journal.load(next);
        if (run.status !== 'queued') return;
        const moved = { ...run, status: 'running' as const, updatedAt: this.now() };
        await this.journal.commit(run, moved, 'run.dequeued', null, { concurrencyKey: key });
      });
    } catch (err) {
      if (err instanceof ConcurrencyConflict) return; // another run took the key first; this one waits on
      throw err;
    }
    this.wake(next);
  }

  /** Parked steps whose waits hold something outside (a job) stop it, in the canceller's name. */
  private cancelWaits(run: WorkflowRun, cancelled: { by: string; reason: string | null }): void {
    const def = this.defs.forRun(run);
    for (const step of run.steps) {
      const stepDef = def?.steps.find((d) => d.id === step.id);
      if (step.status !== 'awaiting_event' || !step.wait || !stepDef?.cancelWait) continue;
      const ctx = this.ctx(run, step, step.attempt, new AbortController().signal);
      stepDef.cancelWait(ctx, step.wait.key, cancelled).catch((err) => this.onError(err, run.id));
    }
  }

  /** Arms the deadline timer at the earliest deadline the store has for this controller's runs. */
  private async armNextDeadline(): Promise<void> {
    if (this.stopping) return;
    const next = await this.store.nextDeadline();
    if (next) this.wakeAt(next);
  }

  /**
   * Looks at deadlines at `deadline`. One timer, at the earliest deadline known: a later one is found again by
   * the query that follows each expiry (armNextDeadline), so none is forgotten and none needs polling.
   */
  private wakeAt(deadline: string): void {
    if (this.stopping) return;
    const at = Date.parse(deadline);
    if (this.wakeTimer && this.wakeTimerAt <= at) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimerAt = at;
    // setTimeout holds at most ~24.8 days; a later deadline is looked at again then.
    const delay = Math.min(Math.max(0, at - this.clock.now().getTime()), MAX_TIMER_MS);
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeTimerAt = Number.POSITIVE_INFINITY;
      this.expireDeadlines()
        .then(() => this.armNextDeadline())
        .catch((err) => this.onError(err, '*'));
    }, delay);
    this.wakeTimer.unref();
  }

  private concurrencyKeyOf(def: WorkflowDefinition, inputs: Record<string, unknown>): string {
    try {
      return `${def.name}:${def.concurrency!.key(this.open(inputs))}`;
    } catch (err) {
      throw new EngineError('validation_failed', `concurrency.key: ${(err as Error).message}`);
    }
  }

  private open<T>(value: T): T {
    return mapSecrets(value, (sealed) => this.secrets.open(sealed)) as T;
  }

  private stepDef(run: WorkflowRun, stepId: string): StepDef {
    const step = this.defs.forRun(run)?.steps.find((s) => s.id === stepId);
    // A run whose definition lost the step cannot be resumed by guessing; fail loudly (DBOS does the same).
    if (!step) throw new Error(`workflow ${run.name} v${run.version} has no step "${stepId}"`);
    return step;
  }

  private ctx(run: WorkflowRun, step: StepRecord, attempt: number, signal: AbortSignal): StepContext {
    return {
      runId: run.id,
      stepId: step.id,
      attempt,
      context: mapSecrets(contextOf(run), (sealed) => this.secrets.open(sealed)),
      signal,
      idempotencyKey: `${run.id}:${step.id}`,
      startedBy: run.startedBy,
      scope: scopeOf(run, (v) => this.open(v)),
      now: () => this.clock.now(),
    };
  }

  private now(): string {
    return this.clock.now().toISOString();
  }

  private assertRunning(): void {
    if (this.stopping) throw new ShutdownError();
  }
}

/** The longest delay setTimeout keeps (2^31 - 1 ms); a deadline further away is re-armed when it elapses. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Runs claimed per query: recovery of many runs goes in batches, each driven as soon as it is claimed. */
const CLAIM_BATCH = 100;

/** The engine's own workflow that undoes a run (see `rollback`). */
export const ROLLBACK_WORKFLOW = 'rollback';

export interface RollbackItem {
  stepId: string;
  title: string;
  /** What undoing it does, or null: nothing to undo. */
  undo: string | null;
}

function definitionDto(d: WorkflowDefinition): WorkflowDefinitionDto {
  return {
    name: d.name,
    title: d.title,
    description: d.description,
    version: d.version,
    inputs: d.inputs,
    hash: d.hash ?? null,
    builtIn: d.builtIn ?? false,
    steps: d.steps.map((s, i) => ({
      id: s.id,
      title: s.title,
      description: s.description,
      kind: s.kind,
      needsApproval: s.kind === 'gate',
      uses: s.uses ?? null,
      needs: s.needs ?? (i > 0 ? [d.steps[i - 1]!.id] : []),
      condition: s.condition?.expression ?? null,
      compensable: s.compensation !== undefined,
    })),
  };
}
