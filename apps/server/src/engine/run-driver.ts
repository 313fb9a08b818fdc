import type { StepRecord, WorkflowRun } from '@deploybot/shared';
import { backoffMs, messageOf, runAttempt, sleep } from './attempt';
import type { Clock } from './ports';
import type { RunJournal } from './run-journal';
import { completeStep, currentStepOf, finishRun, patchStep } from './run-state';
import type { StepContext, StepDef, StepResult } from './types';

/** What the driver needs from the engine besides the journal. */
export interface DriverDeps {
  journal: RunJournal;
  clock: Clock;
  stepDef: (run: WorkflowRun, stepId: string) => StepDef;
  /** The handler's view of the run: its context with secrets opened. */
  contextFor: (run: WorkflowRun, step: StepRecord, attempt: number, signal: AbortSignal) => StepContext;
  /** A step result as it is stored: its `secrets` sealed into its outputs. */
  sealResult: (result: StepResult) => StepResult;
  /** A value given with an approval, with any sealed secret opened for `apply`. */
  openSecrets: (value: unknown) => unknown;
  onError: (err: unknown, runId: string) => void;
}

export class ShutdownError extends Error {
  constructor() {
    super('engine stopped');
  }
}

/**
 * Drives runs forward, one driver per run: each step is started, run (with its timeout, retries and `when` /
 * `validate`), and recorded, or parked at a gate or an input step. Aborting a run's signal drops whatever its
 * step in flight returns.
 */
export class RunDriver {
  /** Runs this process is driving right now, with the signal that aborts their step in flight. */
  private readonly drivers = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private stopping = false;

  constructor(private readonly deps: DriverDeps) {}

  /** Starts driving the run unless it already has a driver. */
  kick(runId: string): void {
    if (this.drivers.has(runId) || this.stopping) return;
    const controller = new AbortController();
    const entry = { controller, done: Promise.resolve() };
    this.drivers.set(runId, entry);
    entry.done = this.drive(runId, controller.signal)
      .catch((err) => this.deps.onError(err, runId))
      .finally(() => {
        if (this.drivers.get(runId) === entry) this.drivers.delete(runId);
      });
  }

  /** Aborts the step in flight of a run (its result will be dropped). */
  abort(runId: string, reason: Error): void {
    this.drivers.get(runId)?.controller.abort(reason);
  }

  async idle(): Promise<void> {
    while (this.drivers.size > 0) await Promise.all([...this.drivers.values()].map((d) => d.done));
  }

  /** Stops every driver without changing any run. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const d of this.drivers.values()) d.controller.abort(new ShutdownError());
    await this.idle();
  }

  private async drive(runId: string, signal: AbortSignal): Promise<void> {
    const { journal } = this.deps;
    for (;;) {
      if (signal.aborted) return;
      const next = await journal.withLock(runId, async () => {
        const run = await journal.load(runId);
        if (run.status === 'running') {
          const step = currentStepOf(run);
          if (step) return { run, step };
          await journal.commit(run, finishRun(run, 'completed', {}, this.now()), 'run.completed', null, null);
        }
        // Leave under the lock, so a decision committed right after this sees no driver and starts one.
        this.drivers.delete(runId);
        if (run.status !== 'running') journal.release(runId);
        return null;
      });
      if (!next) return;
      await this.advance(next.run, next.step, signal);
    }
  }

  /** Moves one step forward by one or more transitions. */
  private async advance(run: WorkflowRun, step: StepRecord, signal: AbortSignal): Promise<void> {
    const { journal, contextFor } = this.deps;
    try {
      const def = this.deps.stepDef(run, step.id);
      if (step.status === 'pending') {
        if (def.when && !(await def.when(contextFor(run, step, 1, signal)))) {
          const skipped = {
            status: 'skipped' as const,
            summary: 'Skipped: condition not met',
            finishedAt: this.now(),
          };
          await journal.commitIf(
            run.id,
            step.id,
            'pending',
            (r) => patchStep(r, step.id, skipped, this.now()),
            'step.skipped',
          );
          return;
        }
        const started = await journal.commitIf(
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
        const problem = await def.validate(contextFor(run, step, step.attempt, signal));
        if (problem) throw new Error(problem);
      }
      await this.execute(run, step, def, signal);
    } catch (err) {
      if (signal.aborted) return; // cancelled or shutting down: the result no longer matters
      const error = messageOf(err);
      await journal.commitIf(
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
        await this.complete(run.id, step.id, result);
        return;
      }
      case 'gate': {
        const approval = [...step.decisions].reverse().find((d) => d.decision === 'approved');
        if (step.plan && approval) {
          const plan = step.plan;
          // A secret given with the approval is sealed at rest; apply gets it in clear, like every handler.
          const decision = {
            by: approval.by,
            note: approval.note,
            input: this.deps.openSecrets(approval.input),
          };
          const result = await this.attempts(run, step, def, signal, (ctx) => def.apply(ctx, plan, decision));
          await this.complete(run.id, step.id, result);
          return;
        }
        const planned = await this.attempts(run, step, def, signal, (ctx) => def.plan(ctx));
        const plan = { summary: planned.summary, data: planned.data ?? null };
        const input = def.input
          ? await def.input(this.deps.contextFor(run, step, step.attempt, signal), plan)
          : null;
        await this.park(run.id, step.id, 'awaiting_approval', def.deadlineMs, {
          plan,
          input,
          summary: plan.summary,
        });
        return;
      }
      case 'input': {
        const input = await def.input(this.deps.contextFor(run, step, step.attempt, signal));
        await this.park(run.id, step.id, 'awaiting_input', def.deadlineMs, {
          input,
          summary: `Waiting for ${input.label}`,
        });
      }
    }
  }

  private complete(runId: string, stepId: string, result: StepResult): Promise<WorkflowRun | null> {
    const stored = this.deps.sealResult(result);
    return this.deps.journal.commitIf(
      runId,
      stepId,
      'in_progress',
      (r) => completeStep(r, stepId, stored, this.now()),
      'step.completed',
    );
  }

  private async park(
    runId: string,
    stepId: string,
    status: 'awaiting_approval' | 'awaiting_input',
    deadlineMs: number | undefined,
    patch: Partial<StepRecord>,
  ): Promise<void> {
    const deadline = deadlineMs ? new Date(this.deps.clock.now().getTime() + deadlineMs).toISOString() : null;
    await this.deps.journal.commitIf(
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
        return await runAttempt(
          (s) => call(this.deps.contextFor(run, step, attempt, s)),
          signal,
          def.timeoutMs,
        );
      } catch (err) {
        if (signal.aborted || attempt >= policy.attempts) throw err;
        const delayMs = backoffMs(policy, attempt + 1);
        const error = messageOf(err);
        const retried = await this.deps.journal.commitIf(
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

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}
