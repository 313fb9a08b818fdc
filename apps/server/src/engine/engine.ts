import { randomUUID } from 'node:crypto';
import {
  checkInput,
  type Decision,
  type StepRecord,
  TERMINAL_RUN_STATUSES,
  type WorkflowDefinitionDto,
  type WorkflowRun,
} from '@deploybot/shared';
import { EngineError, RunCancelledError } from './errors';
import {
  type Clock,
  type EventRecord,
  type EventSink,
  type RunFilter,
  systemClock,
  type WorkflowStore,
} from './ports';
import { RunDriver, ShutdownError } from './run-driver';
import { RunJournal } from './run-journal';
import {
  completeStep,
  contextOf,
  currentStepOf,
  finishRun,
  newRun,
  patchStep,
  runTitleOf,
} from './run-state';
import { isSealed, mapSecrets, REDACTED, SecretBox } from './secrets';
import { validateStartInputs } from './start-inputs';
import type { StepContext, StepDef, StepResult, WorkflowDefinition } from './types';
import { gateInput, waitingStep } from './waiting-step';

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
  private readonly secrets: SecretBox;
  private readonly journal: RunJournal;
  private readonly driver: RunDriver;
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
    this.journal = new RunJournal(
      this.store,
      (event, run) => this.onEvent({ ...event, run: this.redact(run) }),
      (run) => {
        const def = this.defs.get(run.name);
        return def ? runTitleOf(def, run.context) : run.title;
      },
    );
    this.driver = new RunDriver({
      journal: this.journal,
      clock: this.clock,
      stepDef: (run, stepId) => this.stepDef(run, stepId),
      contextFor: (run, step, attempt, signal) => this.ctx(run, step, attempt, signal),
      sealResult: (result) => this.sealSecrets(result),
      openSecrets: (value) => mapSecrets(value, (sealed) => this.secrets.open(sealed)),
      onError: this.onError,
    });
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
    const run = newRun(def, this.newId(), inputs, startedBy, at);
    const event = { runId: run.id, seq: 1, type: 'run.started' as const, stepId: null, at, detail: null };
    await this.journal.insert(run, event);
    this.driver.kick(run.id);
    return this.redact(run);
  }

  /** Approves or rejects the gate the run is waiting on. */
  async decide(runId: string, cmd: DecideCommand): Promise<WorkflowRun> {
    this.assertRunning();
    const result = await this.journal.withLock(runId, async () => {
      const run = await this.journal.load(runId);
      const step = waitingStep(run, 'awaiting_approval', cmd.stepId);
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
        { ...run, status: 'running' },
        step.id,
        { status: 'in_progress', attempt: 1, decisions: [...step.decisions, decision], deadline: null },
        at,
      );
      return { run: await this.journal.commit(run, next, 'step.approved', step.id, { note }), kick: true };
    });
    if (result.kick) this.driver.kick(runId);
    return this.redact(result.run);
  }

  /** Gives the value an input step is waiting for; the value is validated against the step's spec. */
  async submitInput(runId: string, cmd: InputCommand): Promise<WorkflowRun> {
    this.assertRunning();
    const run = await this.journal.withLock(runId, async () => {
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
      return this.journal.commit(current, next, 'step.input_received', step.id, null);
    });
    this.driver.kick(runId);
    return this.redact(run);
  }

  /** Cancels a run that has not finished; the step in flight is aborted and its result discarded. */
  async cancel(runId: string, cmd: { by: string; reason?: string | null }): Promise<WorkflowRun> {
    this.assertRunning();
    const reason = cmd.reason?.trim() || null;
    const run = await this.journal.withLock(runId, async () => {
      const current = await this.journal.load(runId);
      if (TERMINAL_RUN_STATUSES.includes(current.status)) {
        throw new EngineError('conflict', `run ${runId} is already ${current.status}`);
      }
      const error = `Cancelled by ${cmd.by}${reason ? `: ${reason}` : ''}`;
      const next = finishRun(
        current,
        'cancelled',
        { error, stepStatus: 'cancelled', restStatus: 'cancelled' },
        this.now(),
      );
      return this.journal.commit(current, next, 'run.cancelled', current.currentStep, { reason });
    });
    this.driver.abort(runId, new RunCancelledError(cmd.by, reason));
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
      this.journal.hold(run);
      this.driver.kick(run.id);
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
      const done = await this.journal.withLock(id, async () => {
        const run = await this.journal.load(id);
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
        await this.journal.commit(run, next, 'step.failed', step.id, { error });
        return true;
      });
      if (done) expired++;
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
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.driver.stop();
  }

  // ---------------------------------------------------------------- helpers

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
