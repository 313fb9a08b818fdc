import { randomUUID } from 'node:crypto';
import {
  checkInput,
  type Decision,
  type StepRecord,
  TERMINAL_RUN_STATUSES,
  type WorkflowDefinitionDto,
  type WorkflowEventType,
  type WorkflowRun,
} from '@deploybot/shared';
import { backoffMs, messageOf, runAttempt, sleep } from './attempt';
import { EngineError, RunCancelledError } from './errors';
import { KeyedMutex } from './keyed-mutex';
import {
  type Clock,
  type EventRecord,
  type EventSink,
  type RunFilter,
  systemClock,
  type WorkflowStore,
} from './ports';
import { completeStep, contextOf, currentStepOf, finishRun, newRun, patchStep } from './run-state';
import { isSealed, mapSecrets, REDACTED, SecretBox } from './secrets';
import { validateStartInputs } from './start-inputs';
import type { StepContext, StepDef, StepResult, WorkflowDefinition } from './types';

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
}

export interface DecideCommand {
  approved: boolean;
  by: string;
  note?: string | null;
  input?: unknown;
  /** When set, refused unless this is the step waiting. */
  stepId?: string;
}

export interface InputCommand {
  value: unknown;
  by: string;
  note?: string | null;
  stepId?: string;
}

class ShutdownError extends Error {
  constructor() {
    super('engine stopped');
  }
}

/**
 * The durable workflow engine. Every transition is committed through the store before its event is emitted;
 * commands on one run are serialised; a run being driven has one driver at a time.
 */
export class WorkflowEngine {
  private readonly defs = new Map<string, WorkflowDefinition>();
  private readonly store: WorkflowStore;
  private readonly clock: Clock;
  private readonly onEvent: EventSink;
  private readonly newId: () => string;
  private readonly onError: (err: unknown, runId: string) => void;
  private readonly locks = new KeyedMutex();
  private readonly secrets: SecretBox;
  /** Runs this process is driving right now, with the signal that aborts their step in flight. */
  private readonly drivers = new Map<string, { controller: AbortController; done: Promise<void> }>();
  /** Latest state of runs being driven; waiting and finished runs are read from the store. */
  private readonly cache = new Map<string, WorkflowRun>();
  private stopping = false;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(opts: EngineOptions) {
    for (const def of opts.definitions) {
      if (this.defs.has(def.name)) throw new Error(`duplicate workflow definition ${def.name}`);
      const ids = new Set(def.steps.map((s) => s.id));
      if (ids.size !== def.steps.length) throw new Error(`workflow ${def.name} has duplicate step ids`);
      this.defs.set(def.name, def);
    }
    this.store = opts.store;
    this.clock = opts.clock ?? systemClock;
    this.onEvent = opts.onEvent ?? (() => {});
    this.newId = opts.newId ?? randomUUID;
    this.onError = opts.onError ?? (() => {});
    this.secrets = opts.secrets ?? SecretBox.ephemeral();
  }

  // ---------------------------------------------------------------- queries

  definitions(): WorkflowDefinitionDto[] {
    return [...this.defs.values()].map((d) => ({
      name: d.name,
      title: d.title,
      description: d.description,
      version: d.version,
      inputs: d.inputs,
      steps: d.steps.map((s) => ({
        id: s.id,
        title: s.title,
        description: s.description,
        kind: s.kind,
        needsApproval: s.kind === 'gate',
      })),
    }));
  }

  /** The run as callers may see it: secret inputs read `••••••`. */
  async get(runId: string): Promise<WorkflowRun> {
    return this.redact(await this.load(runId));
  }

  async list(filter: RunFilter): Promise<WorkflowRun[]> {
    return (await this.store.listRuns(filter)).map((r) => this.redact(r));
  }

  /**
   * The run's sealed top-level values (secret inputs, secret outputs such as a join token) in clear. Callers
   * decide who may see them (the HTTP layer: the person who started the run, or an admin) and audit it.
   */
  async revealSecrets(runId: string): Promise<Record<string, string>> {
    const run = await this.load(runId);
    const revealed: Record<string, string> = {};
    for (const [key, value] of Object.entries(run.context)) {
      if (isSealed(value)) revealed[key] = this.secrets.open(value);
    }
    return revealed;
  }

  /** The run's committed transitions after `afterSeq`, oldest first (its audit trail). */
  events(runId: string, afterSeq = 0): Promise<EventRecord[]> {
    return this.store.eventsAfter(runId, afterSeq);
  }

  // ---------------------------------------------------------------- commands

  async start(name: string, rawInputs: Record<string, unknown>, startedBy: string): Promise<WorkflowRun> {
    this.assertRunning();
    const def = this.defs.get(name);
    if (!def) {
      throw new EngineError(
        'not_found',
        `unknown workflow "${name}"; known: ${[...this.defs.keys()].join(', ')}`,
      );
    }
    const inputs = validateStartInputs(def, rawInputs);
    for (const spec of def.inputs) {
      // Secret inputs are sealed before anything is stored; only handlers see them in clear.
      if (spec.type === 'secret' && typeof inputs[spec.key] === 'string')
        inputs[spec.key] = this.secrets.seal(inputs[spec.key] as string);
    }
    const at = this.now();
    const run = newRun(def, this.newId(), inputs, startedBy, at);
    const event = { runId: run.id, seq: 1, type: 'run.started' as const, stepId: null, at, detail: null };
    await this.store.insertRun(run, event);
    this.cache.set(run.id, run);
    this.onEvent({ ...event, run: this.redact(run) });
    this.kick(run.id);
    return this.redact(run);
  }

  /** Approves or rejects the gate the run is waiting on. */
  async decide(runId: string, cmd: DecideCommand): Promise<WorkflowRun> {
    this.assertRunning();
    const result = await this.locks.run(runId, async () => {
      const run = await this.load(runId);
      const step = this.waitingStep(run, 'awaiting_approval', cmd.stepId);
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
        return { run: await this.commit(run, next, 'step.rejected', step.id, { note }), kick: false };
      }
      const input = this.checkGateInput(step, cmd.input);
      const decision: Decision = {
        by: cmd.by,
        decision: 'approved',
        note,
        at,
        ...(input !== undefined && { input }),
      };
      const next = patchStep(
        { ...run, status: 'running' },
        step.id,
        { status: 'in_progress', attempt: 1, decisions: [...step.decisions, decision], deadline: null },
        at,
      );
      return { run: await this.commit(run, next, 'step.approved', step.id, { note }), kick: true };
    });
    if (result.kick) this.kick(runId);
    return this.redact(result.run);
  }

  /** Gives the value an input step is waiting for; the value is validated against the step's spec. */
  async submitInput(runId: string, cmd: InputCommand): Promise<WorkflowRun> {
    this.assertRunning();
    const run = await this.locks.run(runId, async () => {
      const current = await this.load(runId);
      const step = this.waitingStep(current, 'awaiting_input', cmd.stepId);
      const spec = step.input!;
      const checked = checkInput(spec, cmd.value);
      if (!checked.ok) {
        throw new EngineError('validation_failed', checked.message, [
          { path: 'value', message: checked.message },
        ]);
      }
      const at = this.now();
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
      const withDecision = patchStep(
        { ...current, status: 'running' },
        step.id,
        { decisions: [...step.decisions, decision] },
        at,
      );
      const next = completeStep(
        withDecision,
        step.id,
        {
          summary: `${spec.label}: ${shown}`,
          data: { [spec.key]: stored },
          outputs: { [spec.key]: stored },
        },
        at,
      );
      return this.commit(current, next, 'step.input_received', step.id, null);
    });
    this.kick(runId);
    return this.redact(run);
  }

  /** Cancels a run that has not finished; the step in flight is aborted and its result discarded. */
  async cancel(runId: string, cmd: { by: string; reason?: string | null }): Promise<WorkflowRun> {
    this.assertRunning();
    const run = await this.locks.run(runId, async () => {
      const current = await this.load(runId);
      if (TERMINAL_RUN_STATUSES.includes(current.status)) {
        throw new EngineError('conflict', `run ${runId} is already ${current.status}`);
      }
      const reason = cmd.reason?.trim() || null;
      const error = `Cancelled by ${cmd.by}${reason ? `: ${reason}` : ''}`;
      const next = finishRun(
        current,
        'cancelled',
        { error, stepStatus: 'cancelled', restStatus: 'cancelled' },
        this.now(),
      );
      return this.commit(current, next, 'run.cancelled', current.currentStep, { reason });
    });
    this.drivers.get(runId)?.controller.abort(new RunCancelledError());
    return this.redact(run);
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Picks up where a previous process left off: running runs are driven again (a step found in progress is
   * re-run; handlers are idempotent by run + step), waiting runs keep waiting, and expired deadlines fire.
   */
  async recover(): Promise<number> {
    const running = await this.store.listRunning();
    for (const run of running) {
      this.cache.set(run.id, run);
      this.kick(run.id);
    }
    await this.expireDeadlines();
    return running.length;
  }

  /** Starts the deadline sweeper (every `intervalMs`). */
  startDeadlineSweeper(intervalMs = 1000): void {
    this.sweepTimer = setInterval(() => {
      this.expireDeadlines().catch((err) => this.onError(err, '*'));
    }, intervalMs);
    this.sweepTimer.unref();
  }

  /** Fails every waiting run whose deadline has passed: an expired approval is never a silent approve. */
  async expireDeadlines(): Promise<number> {
    const now = this.clock.now();
    const ids = await this.store.listExpired(now.toISOString());
    let expired = 0;
    for (const id of ids) {
      const done = await this.locks.run(id, async () => {
        const run = await this.load(id);
        const step = currentStepOf(run);
        if (run.status !== 'waiting' || !step?.deadline || Date.parse(step.deadline) > now.getTime())
          return false;
        const error = step.status === 'awaiting_approval' ? 'approval expired' : 'input expired';
        const next = finishRun(
          run,
          'failed',
          { error, stepId: step.id, stepStatus: 'failed', restStatus: 'pending' },
          this.now(),
        );
        await this.commit(run, next, 'step.failed', step.id, { error });
        return true;
      });
      if (done) expired++;
    }
    return expired;
  }

  /** Resolves when no run is being driven by this process (tests and benchmarks wait on it). */
  async idle(): Promise<void> {
    while (this.drivers.size > 0) await Promise.all([...this.drivers.values()].map((d) => d.done));
  }

  /** Stops driving without changing any run: what was in flight is picked up by `recover` on the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const d of this.drivers.values()) d.controller.abort(new ShutdownError());
    await this.idle();
  }

  // ---------------------------------------------------------------- driving

  private kick(runId: string): void {
    if (this.drivers.has(runId) || this.stopping) return;
    const controller = new AbortController();
    const entry = { controller, done: Promise.resolve() };
    this.drivers.set(runId, entry);
    entry.done = this.drive(runId, controller.signal)
      .catch((err) => this.onError(err, runId))
      .finally(() => {
        if (this.drivers.get(runId) === entry) this.drivers.delete(runId);
      });
  }

  private async drive(runId: string, signal: AbortSignal): Promise<void> {
    for (;;) {
      if (signal.aborted) return;
      const next = await this.locks.run(runId, async () => {
        const run = await this.load(runId);
        if (run.status === 'running') {
          const step = currentStepOf(run);
          if (step) return { run, step };
          await this.commit(run, finishRun(run, 'completed', {}, this.now()), 'run.completed', null, null);
        }
        // Leave under the lock, so a decision committed right after this sees no driver and starts one.
        this.drivers.delete(runId);
        if (run.status !== 'running') this.cache.delete(runId);
        return null;
      });
      if (!next) return;
      await this.advance(next.run, next.step, signal);
    }
  }

  /** Moves one step forward by one or more transitions. */
  private async advance(run: WorkflowRun, step: StepRecord, signal: AbortSignal): Promise<void> {
    try {
      const def = this.stepDef(run, step.id);
      if (step.status === 'pending') {
        if (def.when && !(await def.when(this.ctx(run, step, 1, signal)))) {
          await this.commitIf(
            run.id,
            step.id,
            'pending',
            (r) =>
              patchStep(
                r,
                step.id,
                { status: 'skipped', summary: 'Skipped: condition not met', finishedAt: this.now() },
                this.now(),
              ),
            'step.skipped',
          );
          return;
        }
        const started = await this.commitIf(
          run.id,
          step.id,
          'pending',
          (r) =>
            patchStep(r, step.id, { status: 'in_progress', attempt: 1, startedAt: this.now() }, this.now()),
          'step.started',
        );
        if (!started) return;
        run = started;
        step = started.steps.find((s) => s.id === step.id)!;
      }
      if (def.validate) {
        const problem = await def.validate(this.ctx(run, step, step.attempt, signal));
        if (problem) throw new Error(problem);
      }
      await this.execute(run, step, def, signal);
    } catch (err) {
      if (signal.aborted) return; // cancelled or shutting down: the result no longer matters
      const error = messageOf(err);
      await this.commitIf(
        run.id,
        step.id,
        step.status,
        (r) =>
          finishRun(
            r,
            'failed',
            { error, stepId: step.id, stepStatus: 'failed', restStatus: 'pending' },
            this.now(),
          ),
        'step.failed',
        { error },
      );
    }
  }

  private async execute(
    run: WorkflowRun,
    step: StepRecord,
    def: StepDef,
    signal: AbortSignal,
  ): Promise<void> {
    switch (def.kind) {
      case 'automatic': {
        const result = await this.attempts(run, step, def, signal, (ctx) => def.run(ctx));
        await this.commitIf(
          run.id,
          step.id,
          'in_progress',
          (r) => completeStep(r, step.id, this.sealSecrets(result), this.now()),
          'step.completed',
        );
        return;
      }
      case 'gate': {
        const approval = [...step.decisions].reverse().find((d) => d.decision === 'approved');
        if (step.plan && approval) {
          const plan = step.plan;
          // A secret given with the approval is sealed at rest; apply gets it in clear, like every handler.
          const input = mapSecrets(approval.input, (sealed) => this.secrets.open(sealed));
          const decision = { by: approval.by, note: approval.note, input };
          const result = await this.attempts(run, step, def, signal, (ctx) => def.apply(ctx, plan, decision));
          await this.commitIf(
            run.id,
            step.id,
            'in_progress',
            (r) => completeStep(r, step.id, this.sealSecrets(result), this.now()),
            'step.completed',
          );
          return;
        }
        const planned = await this.attempts(run, step, def, signal, (ctx) => def.plan(ctx));
        const plan = { summary: planned.summary, data: planned.data ?? null };
        const input = def.input ? await def.input(this.ctx(run, step, step.attempt, signal), plan) : null;
        await this.park(run.id, step.id, 'awaiting_approval', def.deadlineMs, {
          plan,
          input,
          summary: plan.summary,
        });
        return;
      }
      case 'input': {
        const input = await def.input(this.ctx(run, step, step.attempt, signal));
        await this.park(run.id, step.id, 'awaiting_input', def.deadlineMs, {
          input,
          summary: `Waiting for ${input.label}`,
        });
      }
    }
  }

  private async park(
    runId: string,
    stepId: string,
    status: 'awaiting_approval' | 'awaiting_input',
    deadlineMs: number | undefined,
    patch: Partial<StepRecord>,
  ): Promise<void> {
    const deadline = deadlineMs ? new Date(this.clock.now().getTime() + deadlineMs).toISOString() : null;
    await this.commitIf(
      runId,
      stepId,
      'in_progress',
      (r) => patchStep({ ...r, status: 'waiting' }, stepId, { ...patch, status, deadline }, this.now()),
      status === 'awaiting_approval' ? 'step.awaiting_approval' : 'step.awaiting_input',
      deadline ? { deadline } : null,
    );
  }

  /** Calls a handler with the step's timeout, retrying with backoff under its policy; each retry is committed. */
  private async attempts(
    run: WorkflowRun,
    step: StepRecord,
    def: StepDef,
    signal: AbortSignal,
    call: (ctx: StepContext) => Promise<StepResult>,
  ): Promise<StepResult> {
    const policy = def.retry ?? { attempts: 1, backoffMs: 0 };
    for (let attempt = Math.max(1, step.attempt); ; attempt++) {
      try {
        return await runAttempt((s) => call(this.ctx(run, step, attempt, s)), signal, def.timeoutMs);
      } catch (err) {
        if (signal.aborted || attempt >= policy.attempts) throw err;
        const delayMs = backoffMs(policy, attempt + 1);
        const error = messageOf(err);
        const retried = await this.commitIf(
          run.id,
          step.id,
          'in_progress',
          (r) => patchStep(r, step.id, { attempt: attempt + 1, error }, this.now()),
          'step.retrying',
          { attempt: attempt + 1, error, delayMs },
        );
        if (!retried) throw err;
        run = retried;
        await sleep(delayMs, signal);
      }
    }
  }

  // ---------------------------------------------------------------- commits

  /**
   * Commits `change` if the run is still running and the step still has `expected` status; otherwise the run
   * moved on (cancelled, say) while the handler worked, and its result is dropped. Returns the new run or null.
   */
  private commitIf(
    runId: string,
    stepId: string,
    expected: StepRecord['status'],
    change: (run: WorkflowRun) => WorkflowRun,
    type: WorkflowEventType,
    detail: Record<string, unknown> | null = null,
  ): Promise<WorkflowRun | null> {
    return this.locks.run(runId, async () => {
      const run = await this.load(runId);
      const step = run.steps.find((s) => s.id === stepId);
      if (run.status !== 'running' || step?.status !== expected) return null;
      return this.commit(run, change(run), type, stepId, detail);
    });
  }

  /** The one place a transition is made durable, then announced. Call under the run's lock. */
  private async commit(
    prev: WorkflowRun,
    next: WorkflowRun,
    type: WorkflowEventType,
    stepId: string | null,
    detail: Record<string, unknown> | null,
  ): Promise<WorkflowRun> {
    // The transition's time is the one its builder stamped (patchStep / completeStep / finishRun), so a
    // decision's `at` and its event's `at` are the same instant.
    const at = next.updatedAt;
    const run: WorkflowRun = { ...next, seq: prev.seq + 1 };
    const event = { runId: run.id, seq: run.seq, type, stepId, at, detail };
    try {
      await this.store.commit(run, event);
    } catch (err) {
      this.cache.delete(run.id); // whatever we held may be stale now; the store is the truth
      throw err;
    }
    if (run.status === 'running') this.cache.set(run.id, run);
    else this.cache.delete(run.id);
    this.onEvent({ ...event, run: this.redact(run) });
    return run;
  }

  // ---------------------------------------------------------------- helpers

  private waitingStep(
    run: WorkflowRun,
    status: 'awaiting_approval' | 'awaiting_input',
    stepId?: string,
  ): StepRecord {
    const step = currentStepOf(run);
    if (
      run.status !== 'waiting' ||
      !step ||
      (step.status !== 'awaiting_approval' && step.status !== 'awaiting_input')
    ) {
      throw new EngineError('conflict', `run ${run.id} is ${run.status}: no step is waiting for a person`);
    }
    if (stepId !== undefined && stepId !== step.id) {
      throw new EngineError('conflict', `step "${stepId}" is not the waiting step; "${step.id}" is`);
    }
    if (step.status !== status) {
      const wants = step.status === 'awaiting_approval' ? 'an approval' : 'an input value';
      throw new EngineError('conflict', `step "${step.id}" is waiting for ${wants}`);
    }
    return step;
  }

  private checkGateInput(step: StepRecord, raw: unknown): unknown {
    if (step.input) {
      const checked = checkInput(step.input, raw);
      if (!checked.ok) {
        throw new EngineError('validation_failed', checked.message, [
          { path: 'user_input', message: checked.message },
        ]);
      }
      return step.input.type === 'secret' && typeof checked.value === 'string'
        ? this.secrets.seal(checked.value)
        : checked.value;
    }
    if (raw === undefined || raw === null || raw === '') return undefined;
    if (typeof raw !== 'string' || raw.length > 2000) {
      const message = 'user_input must be text of at most 2000 characters for this step';
      throw new EngineError('validation_failed', message, [{ path: 'user_input', message }]);
    }
    return raw;
  }

  private async load(runId: string): Promise<WorkflowRun> {
    const run = this.cache.get(runId) ?? (await this.store.getRun(runId));
    if (!run) throw new EngineError('not_found', `no workflow run ${runId}`);
    return run;
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

  private stepDef(run: WorkflowRun, stepId: string): StepDef {
    const step = this.defs.get(run.name)?.steps.find((s) => s.id === stepId);
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
    };
  }

  private now(): string {
    return this.clock.now().toISOString();
  }

  private assertRunning(): void {
    if (this.stopping) throw new ShutdownError();
  }
}
