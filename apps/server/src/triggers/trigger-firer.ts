import type { FiringDto, FiringOutcome, RunTrigger, WorkflowRun } from '@deploybot/shared';
import type { Logger } from 'pino';
import type { AuditLog } from '../auth/audit-log';
import type { StartOptions } from '../engine/engine';
import { KeyedMutex } from '../engine/keyed-mutex';
import type { Clock } from '../engine/ports';
import { mapSecrets, type SecretBox } from '../engine/secrets';
import { DeployBotError } from '../errors/deploybot-error';
import { runIdForKey } from './firing-key';
import { MAX_EVENT_DEPTH, type TriggerEvent } from './trigger-events';
import { compileFilter, compileInputs, evaluateInputs, filterHolds } from './trigger-expressions';
import type { NewFiring, StoredTrigger, TriggersStore } from './triggers.store';

/** What the firer needs of the engine: a start with a chosen run id. */
export interface RunStarter {
  start(
    name: string,
    inputs: Record<string, unknown>,
    startedBy: string,
    opts: StartOptions,
  ): Promise<WorkflowRun>;
}

export interface FiringRequest {
  trigger: StoredTrigger;
  key: string;
  event: TriggerEvent;
  /** Recorded with the start (a `run_once` of missed slots says so). */
  note?: string;
  /** Record the key as `missed` with this reason, starting nothing (a schedule's `missed: skip`). */
  missed?: string;
  /**
   * Whether a key decided before is recorded again as `deduplicated` (a redelivered webhook, an event seen
   * twice); a schedule fired by several controllers stays silent: the slot was fired once, by one of them.
   */
  recordDuplicates: boolean;
}

/** `trigger:<name>`: who a trigger's runs are started by. */
export const startedByOf = (trigger: Pick<StoredTrigger, 'name'>) => `trigger:${trigger.name}`;

/**
 * Turns one firing into at most one run, and records what became of it. The run's id is derived from the firing
 * key, so the primary key of workflow_runs lets one start per key win, on any number of controllers and across
 * restarts; every other outcome (disabled, filtered, loop, rate limit, conflict, a failed start) is recorded as
 * the key's decision, and later sightings of a decided key as `deduplicated`.
 */
export class TriggerFirer {
  /** Firings of one trigger are serialised in this process (its rate limit counts the ones before). */
  private readonly locks = new KeyedMutex();

  constructor(
    private readonly deps: {
      store: TriggersStore;
      engine: RunStarter;
      audit: AuditLog;
      secrets: SecretBox;
      clock: Clock;
      logger: Logger;
      /** A trigger paused itself (its rate limit): the schedulers let go of it. */
      onPaused: (trigger: StoredTrigger) => void;
    },
  ) {}

  fire(req: FiringRequest): Promise<FiringDto | null> {
    return this.locks.run(req.trigger.id, () => this.fireNow(req));
  }

  private async fireNow(req: FiringRequest): Promise<FiringDto | null> {
    const { store } = this.deps;
    const runId = runIdForKey(req.key);
    const firing: NewFiring = {
      triggerId: req.trigger.id,
      key: req.key,
      at: req.event.at,
      outcome: 'started',
      reason: null,
      runId: null,
      eventType: req.event.type,
      eventId: req.event.id,
    };
    const duplicate = async (): Promise<FiringDto | null> => {
      if (!req.recordDuplicates) return null;
      const before = await store.decisionOf(req.key);
      const startedBefore = (await store.runStatus(runId)) !== null;
      return store.recordDuplicate(
        {
          ...firing,
          runId: startedBefore ? runId : (before?.runId ?? null),
          reason: before
            ? `already fired: ${before.outcome} at ${before.recordedAt}`
            : 'already fired: its run was started before',
        },
        this.now(),
      );
    };
    const decide = async (outcome: FiringOutcome, reason: string | null): Promise<FiringDto | null> =>
      (await store.decide({ ...firing, outcome, reason }, this.now())) ?? duplicate();

    // A key decided before (or whose run exists) is not fired again. A slot another controller thought missed is
    // no decision for one that was up to fire it.
    const decided = await store.decisionOf(req.key);
    if ((await store.runStatus(runId)) !== null || (decided && decided.outcome !== 'missed'))
      return duplicate();

    // Always the stored trigger as it is now: another controller may have disabled or changed it.
    const trigger = await store.get(req.trigger.id);
    if (!trigger) return null;
    if (req.missed) return decide('missed', req.missed);
    if (!trigger.enabled) {
      return decide(
        'disabled',
        trigger.pausedReason ? `the trigger is paused: ${trigger.pausedReason}` : 'the trigger is disabled',
      );
    }
    if (trigger.source.type === 'event') {
      if (trigger.source.filter) {
        const compiled = compileFilter(trigger.source.filter);
        if (!compiled.ok) return decide('failed', `filter: ${compiled.message}`);
        try {
          if (!filterHolds(compiled.filter, req.event.data))
            return decide('filtered', `filter \`${trigger.source.filter}\` is false for this event`);
        } catch (err) {
          return decide('failed', `filter: ${(err as Error).message}`);
        }
      }
      if (req.event.depth >= MAX_EVENT_DEPTH) {
        return decide(
          'loop',
          `the event comes from run ${String(req.event.data.run_id)}, which an event trigger started (depth ${req.event.depth}); an event trigger's runs do not fire event triggers`,
        );
      }
    }
    const since = new Date(this.deps.clock.now().getTime() - 60_000).toISOString();
    if ((await store.attemptsSince(trigger.id, since)) >= trigger.rateLimit) {
      const reason = `more than ${trigger.rateLimit} firing(s) in a minute (its rate limit); paused at ${this.now()}`;
      const recorded = await decide('rate_limited', `${reason}: the trigger paused itself`);
      if (await store.pause(trigger.id, reason, this.now())) {
        this.deps.logger.warn(
          { trigger: trigger.name, rateLimit: trigger.rateLimit },
          'trigger paused itself',
        );
        await this.deps.audit.record(startedByOf(trigger), 'trigger.pause', trigger.id, {
          name: trigger.name,
          reason,
        });
        this.deps.onPaused(trigger);
      }
      return recorded;
    }

    let inputs: Record<string, unknown>;
    try {
      const compiled = compileInputs(trigger.inputs);
      if (!compiled.ok)
        return decide('failed', compiled.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
      // Secret literals stay sealed through evaluation (a sealed value is a literal), and are opened last.
      inputs = mapSecrets(evaluateInputs(compiled.value, req.event.data), (sealed) =>
        this.deps.secrets.open(sealed),
      );
    } catch (err) {
      return decide('failed', `inputs: ${(err as Error).message}`);
    }

    const depth = trigger.source.type === 'event' ? req.event.depth + 1 : 0;
    const runTrigger: RunTrigger = {
      id: trigger.id,
      name: trigger.name,
      key: req.key,
      depth,
      configuredBy: trigger.updatedBy,
    };
    let run: WorkflowRun;
    try {
      run = await this.deps.engine.start(trigger.workflow, inputs, startedByOf(trigger), {
        ...(trigger.version !== null && { version: trigger.version }),
        id: runId,
        trigger: runTrigger,
      });
    } catch (err) {
      // Whatever the error says, a run with this key’s id means another start of the key won.
      if ((await store.runStatus(runId)) !== null) return duplicate();
      if (err instanceof DeployBotError && err.code === 'conflict') return decide('conflict', err.message);
      if (err instanceof DeployBotError && err.expose) return decide('failed', err.message);
      this.deps.logger.error({ err, trigger: trigger.name, key: req.key }, 'trigger could not start its run');
      return decide('failed', 'the run could not be started (internal error; see the controller log)');
    }
    await this.deps.audit.record(startedByOf(trigger), 'workflow.start', run.id, {
      workflow: run.name,
      version: run.version,
      trigger: trigger.id,
      key: req.key,
    });
    return store.recordStart(
      {
        ...firing,
        outcome: run.status === 'queued' ? 'queued' : 'started',
        runId: run.id,
        reason: req.note ?? null,
      },
      this.now(),
    );
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}
