import type { StepRecord, WorkflowRun } from '@deploybot/shared';
import { isRetryable } from '../errors/deploybot-error';
import { withLogContext } from '../observability/log-context';
import { backoffMs, messageOf, runAttempt, sleep } from './attempt';
import { type Clock, LeaseLostError, StaleRunError } from './ports';
import type { RunJournal, Transition } from './run-journal';
import { completeStep, finishRun, patchStep } from './run-state';
import { type Action, nextActions } from './scheduler';
import {
  type ExpressionScope,
  isStepWait,
  type StepContext,
  type StepDef,
  type StepResult,
  type StepWait,
  type WorkflowDefinition,
} from './types';

/** What the driver needs from the engine besides the journal. */
export interface DriverDeps {
  journal: RunJournal;
  clock: Clock;
  /** The definition version the run executes (pinned by its hash). */
  definitionOf: (run: WorkflowRun) => WorkflowDefinition;
  /** The handler's view of the run: its context with secrets opened. */
  contextFor: (run: WorkflowRun, step: StepRecord, attempt: number, signal: AbortSignal) => StepContext;
  /** What conditions see (secrets opened). */
  scopeFor: (run: WorkflowRun) => ExpressionScope;
  /** A step result as it is stored: its `secrets` sealed into its outputs. */
  sealResult: (result: StepResult) => StepResult;
  /** A value given with an approval, with any sealed secret opened for `apply`. */
  openSecrets: (value: unknown) => unknown;
  /** A step parked with a deadline: the engine arranges to look at it then. */
  onDeadline: (deadline: string) => void;
  /** A durable wait ended while nobody listened (found by `recheck`). */
  onRecheck: (runId: string, stepId: string, key: string, payload: unknown) => Promise<void>;
  onError: (err: unknown, runId: string) => void;
}

export class ShutdownError extends Error {
  constructor() {
    super('engine stopped');
  }
}

/** A sibling failed and the run with it: a step still in flight is stopped and its result dropped. */
export class SiblingFailedError extends Error {
  constructor(stepId: string) {
    super(`stopped: step "${stepId}" failed`);
  }
}

/** One run being driven by this process: its signal (cancel, shutdown) and its steps in flight. */
interface Drive {
  controller: AbortController;
  done: Promise<void>;
  steps: Map<string, { controller: AbortController; done: Promise<void> }>;
  /** Parked steps whose wait this process has already rechecked. */
  rechecked: Set<string>;
  wake: () => void;
  woken: Promise<void>;
}

/** Cancels a run's driver and every step it has in flight, with the same reason. */
function abortDrive(drive: Drive, reason: Error): void {
  drive.controller.abort(reason);
  for (const step of drive.steps.values()) step.controller.abort(reason);
}

/**
 * Drives runs forward, one driver per run. Each turn asks the scheduler what to do (start, skip, finish),
 * commits it, and launches the started steps, each with its own abort signal, timeout and retries, so steps
 * whose needs are met run at the same time. A step parks at a gate, an input or a durable wait; the driver
 * leaves when nothing is in flight and nothing can start.
 */
export class RunDriver {
  private readonly drives = new Map<string, Drive>();
  private stopping = false;

  constructor(private readonly deps: DriverDeps) {}

  /** Starts driving the run, or wakes its driver to look again (a decision, an event). */
  kick(runId: string): void {
    const existing = this.drives.get(runId);
    if (existing) {
      existing.wake();
      return;
    }
    if (this.stopping) return;
    const drive: Drive = {
      controller: new AbortController(),
      done: Promise.resolve(),
      steps: new Map(),
      rechecked: new Set(),
      wake: () => {},
      woken: Promise.resolve(),
    };
    this.rearm(drive);
    this.drives.set(runId, drive);
    drive.done = this.drive(runId, drive)
      .catch((err) => this.deps.onError(err, runId))
      .finally(() => {
        if (this.drives.get(runId) === drive) this.drives.delete(runId);
      });
  }

  /** Aborts every step in flight of a run (their results are dropped). */
  abort(runId: string, reason: Error): void {
    const drive = this.drives.get(runId);
    if (drive) abortDrive(drive, reason);
  }

  async idle(): Promise<void> {
    while (this.drives.size > 0) await Promise.all([...this.drives.values()].map((d) => d.done));
  }

  /** Stops every driver without changing any run. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const d of this.drives.values()) abortDrive(d, new ShutdownError());
    await this.idle();
  }

  private rearm(drive: Drive): void {
    drive.woken = new Promise((resolve) => {
      drive.wake = resolve;
    });
  }

  private async drive(runId: string, drive: Drive): Promise<void> {
    const { journal } = this.deps;
    const signal = drive.controller.signal;
    for (;;) {
      if (signal.aborted) break;
      this.rearm(drive);
      const turn = await this.turn(runId, async () => {
        // Taken over by another controller: what is in progress is the new owner's to run, not ours.
        if (!journal.owns(runId)) throw new LeaseLostError(runId);
        const run = await journal.load(runId);
        const launch: string[] = [];
        let current = run;
        if (current.status === 'running' || current.status === 'waiting') {
          const transitions = this.followUps(current);
          if (transitions.length > 0)
            current = await journal.commitAll(current, transitions, { asDriver: true });
          for (const step of current.steps) {
            if (step.status === 'in_progress' && !drive.steps.has(step.id)) launch.push(step.id);
          }
        }
        const parked = current.steps.filter(
          (s) => s.status === 'awaiting_event' && s.wait && !drive.rechecked.has(s.id),
        );
        if (launch.length === 0 && parked.length === 0 && drive.steps.size === 0) {
          // Leave under the lock, so a command committed right after this sees no driver and starts one.
          this.drives.delete(runId);
          if (current.status !== 'running') journal.release(runId);
          return null;
        }
        return { run: current, launch, parked };
      });
      if (turn === 'again') continue;
      if (turn === 'lost') {
        abortDrive(drive, new LeaseLostError(runId));
        break;
      }
      if (!turn) return;
      const def = this.deps.definitionOf(turn.run);
      for (const stepId of turn.launch) this.launch(turn.run, stepId, def, drive);
      for (const step of turn.parked) {
        drive.rechecked.add(step.id);
        this.launchRecheck(turn.run, step, def, drive);
      }
      await drive.woken;
    }
    // Cancelled or shutting down: wait for the steps in flight to notice.
    await Promise.all([...drive.steps.values()].map((s) => s.done));
  }

  /**
   * One look at the run under its lock. Another controller committing first (a command) means: look again at the
   * fresh state; the run taken over by another controller means: this driver is done with it.
   */
  private async turn<T>(runId: string, look: () => Promise<T>): Promise<T | 'again' | 'lost'> {
    try {
      return await this.deps.journal.withLock(runId, look);
    } catch (err) {
      if (err instanceof StaleRunError) return 'again';
      if (err instanceof LeaseLostError) return 'lost';
      throw err;
    }
  }

  /**
   * What the scheduler does next from this state, as transitions to commit together: the steps it lets start,
   * skip or fail, or the run's end. Committed in the same write as the change that allowed them, so a step's
   * completion and its successors' starts (all 50 branches of a fan-out) are one statement, not one each.
   */
  private followUps(run: WorkflowRun): Transition[] {
    if (run.status !== 'running' && run.status !== 'waiting') return [];
    const def = this.deps.definitionOf(run);
    const at = this.now();
    const transitions: Transition[] = [];
    let current = run;
    // A skip or a failure can make other steps ready (or end the run): ask again until nothing changes.
    // Starts and a finish cannot (a started step meets no need), so a turn that only started steps asks once.
    for (;;) {
      const actions = nextActions(def, current, () => this.deps.scopeFor(current));
      for (const action of actions) {
        const transition = this.transitionOf(current, action, at);
        transitions.push(transition);
        current = transition.run;
      }
      if (!actions.some((a) => a.type === 'skip' || a.type === 'fail')) break;
    }
    return transitions;
  }

  /** The transition a scheduler action makes. */
  private transitionOf(run: WorkflowRun, action: Action, at: string): Transition {
    switch (action.type) {
      case 'start':
        return {
          run: patchStep(
            run,
            action.stepId,
            {
              status: 'in_progress',
              attempt: 1,
              startedAt: at,
              ...(action.condition !== null && {
                condition: { expression: this.expressionOf(run, action.stepId), value: true },
              }),
            },
            at,
          ),
          type: 'step.started',
          stepId: action.stepId,
          detail: null,
        };
      case 'skip':
        return {
          run: patchStep(
            run,
            action.stepId,
            {
              status: 'skipped',
              summary: `Skipped: ${action.expression} was false`,
              finishedAt: at,
              condition: { expression: action.expression, value: false },
            },
            at,
          ),
          type: 'step.skipped',
          stepId: action.stepId,
          detail: { expression: action.expression, value: false },
        };
      case 'fail':
        return {
          run: this.failed(run, action.stepId, action.error, at),
          type: 'step.failed',
          stepId: action.stepId,
          detail: { error: action.error },
        };
      case 'finish':
        if (action.status === 'completed')
          return {
            run: finishRun(run, 'completed', {}, at),
            type: 'run.completed',
            stepId: null,
            detail: null,
          };
        return {
          run: finishRun(
            run,
            'failed',
            {
              error: action.error,
              stepId: action.stepId ?? undefined,
              stepStatus: 'failed',
              restStatus: 'pending',
            },
            at,
          ),
          type: 'run.failed',
          stepId: action.stepId,
          detail: { error: action.error },
        };
    }
  }

  private expressionOf(run: WorkflowRun, stepId: string): string {
    return run.steps.find((s) => s.id === stepId)?.condition?.expression ?? '';
  }

  /** A step's failure: the run fails with it, unless the step may fail alone (`continue_on_error`). */
  private failed(run: WorkflowRun, stepId: string, error: string, at: string): WorkflowRun {
    const step = run.steps.find((s) => s.id === stepId);
    if (step?.continueOnError)
      return patchStep(
        run,
        stepId,
        { status: 'failed', error, finishedAt: at, deadline: null, wait: null },
        at,
      );
    return finishRun(run, 'failed', { error, stepId, stepStatus: 'failed', restStatus: 'pending' }, at);
  }

  private launch(run: WorkflowRun, stepId: string, def: WorkflowDefinition, drive: Drive): void {
    const stepDef = def.steps.find((s) => s.id === stepId);
    const step = run.steps.find((s) => s.id === stepId)!;
    // Aborted with the run's signal by abortDrive, not by a listener on it: a run may have up to 100 steps in
    // flight, and more than 10 listeners on one signal make Node warn of a leak.
    const controller = new AbortController();
    const parent = drive.controller.signal;
    if (parent.aborted) controller.abort(parent.reason);
    const entry = { controller, done: Promise.resolve() };
    drive.steps.set(stepId, entry);
    // Every log line of the step's work names its run and step (a job it starts adds its own id).
    entry.done = withLogContext({ runId: run.id, stepId }, async () => {
      if (!stepDef) {
        // A run whose definition lost the step cannot be resumed by guessing; fail loudly (DBOS does the same).
        await this.fail(run.id, step, `workflow ${run.name} v${run.version} has no step "${stepId}"`, drive);
        return;
      }
      await this.advance(run, step, stepDef, controller.signal, drive);
    })
      .catch((err) => this.deps.onError(err, run.id))
      .finally(() => {
        drive.steps.delete(stepId);
        drive.wake();
      });
  }

  private launchRecheck(run: WorkflowRun, step: StepRecord, def: WorkflowDefinition, drive: Drive): void {
    const stepDef = def.steps.find((s) => s.id === step.id);
    const key = step.wait?.key;
    if (!stepDef?.recheck || !key) return;
    const ctx = this.deps.contextFor(run, step, step.attempt, drive.controller.signal);
    stepDef
      .recheck(ctx, key)
      .then((found) => (found ? this.deps.onRecheck(run.id, step.id, key, found.payload) : undefined))
      .catch((err) => this.deps.onError(err, run.id));
  }

  /** Runs one step from `in_progress` to its next state. */
  private async advance(
    run: WorkflowRun,
    step: StepRecord,
    def: StepDef,
    signal: AbortSignal,
    drive: Drive,
  ): Promise<void> {
    try {
      if (def.validate) {
        const problem = await def.validate(this.deps.contextFor(run, step, step.attempt, signal));
        if (problem) throw Object.assign(new Error(problem), { retryable: false });
      }
      await this.execute(run, step, def, signal);
    } catch (err) {
      if (signal.aborted) return; // cancelled, a sibling failed, or shutting down: the result no longer matters
      await this.fail(run.id, step, messageOf(err), drive);
    }
  }

  private async fail(runId: string, step: StepRecord, error: string, drive: Drive): Promise<void> {
    const failed = await this.deps.journal.commitIf(
      runId,
      step.id,
      'in_progress',
      (r) => this.failed(r, step.id, error, this.now()),
      'step.failed',
      { error },
      (r) => this.followUps(r),
    );
    if (failed && failed.status === 'failed') {
      // Siblings still in flight lose their results; parked siblings were cancelled by the same commit.
      for (const [id, s] of drive.steps)
        if (id !== step.id) s.controller.abort(new SiblingFailedError(step.id));
    }
  }

  private async execute(
    run: WorkflowRun,
    step: StepRecord,
    def: StepDef,
    signal: AbortSignal,
  ): Promise<void> {
    const received = (step.wait as { received?: { payload: unknown } } | null | undefined)?.received;
    if (received) {
      // The wait ended (durably recorded): turn its payload into the result. Re-run after a crash: same payload.
      const payload = received.payload;
      // A gate's step that waited after its approval resumes in the approver's name.
      const approved = [...step.decisions].reverse().find((d) => d.decision === 'approved');
      const approval =
        approved && step.plan
          ? {
              by: approved.by,
              note: approved.note,
              input: this.deps.openSecrets(approved.input),
              plan: step.plan,
            }
          : null;
      const result = def.resume
        ? await this.attempts(run, step, def, signal, (ctx) => def.resume!(ctx, payload, approval))
        : { summary: step.summary ?? 'Done' };
      if (def.kind === 'gate' && !approval) {
        // The plan waited for something to review; now it is there, the gate asks a person.
        await this.parkAtGate(run, step, def, result, signal);
        return;
      }
      await this.complete(run.id, step.id, result, run);
      return;
    }
    switch (def.kind) {
      case 'automatic': {
        const result = await this.attempts(run, step, def, signal, (ctx) => def.run(ctx));
        await this.settle(run, step.id, result, def);
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
          await this.settle(run, step.id, result, def);
          return;
        }
        const planned = await this.attempts(run, step, def, signal, (ctx) => def.plan(ctx));
        if (isStepWait(planned)) {
          await this.settle(run, step.id, planned, def);
          return;
        }
        await this.parkAtGate(run, step, def, planned, signal);
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

  /** Shows the plan and waits for a person (with the value the approver may give, if the gate takes one). */
  private async parkAtGate(
    run: WorkflowRun,
    step: StepRecord,
    def: StepDef & { kind: 'gate' },
    planned: StepResult,
    signal: AbortSignal,
  ): Promise<void> {
    const plan = { summary: planned.summary, data: planned.data ?? null };
    const input = def.input
      ? await def.input(this.deps.contextFor(run, step, step.attempt, signal), plan)
      : null;
    await this.park(run.id, step.id, 'awaiting_approval', def.deadlineMs, {
      plan,
      input,
      summary: plan.summary,
      wait: null,
    });
  }

  /** A handler's answer: a result completes the step, a wait parks it. */
  private async settle(
    run: WorkflowRun,
    stepId: string,
    result: StepResult | StepWait,
    def: StepDef,
  ): Promise<void> {
    if (!isStepWait(result)) {
      await this.complete(run.id, stepId, result, run);
      return;
    }
    if (!def.resume && result.wait.atDeadline !== 'complete') {
      throw new Error(`step "${stepId}" returned a wait but has no resume`);
    }
    const { key, summary, data, deadlineMs, atDeadline, deadlineError } = result.wait;
    await this.park(run.id, stepId, 'awaiting_event', deadlineMs, {
      summary,
      ...(data !== undefined && { data }),
      wait: { key, atDeadline, ...(deadlineError && { deadlineError }) },
    });
  }

  private complete(
    runId: string,
    stepId: string,
    result: StepResult,
    run: WorkflowRun,
  ): Promise<WorkflowRun | null> {
    const stored = this.deps.sealResult(result);
    const promote = this.deps.definitionOf(run).promoteStepOutputs !== false;
    return this.deps.journal.commitIf(
      runId,
      stepId,
      'in_progress',
      (r) => completeStep(r, stepId, stored, this.now(), promote),
      'step.completed',
      null,
      (r) => this.followUps(r),
    );
  }

  private async park(
    runId: string,
    stepId: string,
    status: 'awaiting_approval' | 'awaiting_input' | 'awaiting_event',
    deadlineMs: number | undefined,
    patch: Partial<StepRecord>,
  ): Promise<void> {
    const deadline =
      deadlineMs !== undefined ? new Date(this.deps.clock.now().getTime() + deadlineMs).toISOString() : null;
    const parked = await this.deps.journal.commitIf(
      runId,
      stepId,
      'in_progress',
      (r) => patchStep(r, stepId, { ...patch, status, deadline }, this.now()),
      `step.${status}`,
      { ...(deadline && { deadline }), ...(patch.wait && { key: patch.wait.key }) },
    );
    if (parked && deadline) this.deps.onDeadline(deadline);
    if (parked) this.drives.get(runId)?.wake();
  }

  /** Calls a handler with the step's timeout, retrying with backoff under its policy; each retry is committed. */
  private async attempts<T>(
    run: WorkflowRun,
    step: StepRecord,
    def: StepDef,
    signal: AbortSignal,
    call: (ctx: StepContext) => Promise<T>,
  ): Promise<T> {
    const policy = def.retry ?? { attempts: 1, backoffMs: 0 };
    for (let attempt = Math.max(1, step.attempt); ; attempt++) {
      try {
        return await runAttempt(
          (s) => call(this.deps.contextFor(run, step, attempt, s)),
          signal,
          def.timeoutMs,
        );
      } catch (err) {
        if (signal.aborted || attempt >= policy.attempts || !isRetryable(err)) throw err;
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
