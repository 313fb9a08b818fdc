import { randomBytes, randomUUID } from 'node:crypto';
import {
  type AgentDto,
  type CreateTriggerBody,
  checkInput,
  type FieldIssue,
  type FiringDto,
  type JobDto,
  type ListFiringsQuery,
  type TriggerDto,
  type TriggerSource,
  type TriggerWithSecretDto,
  type UpdateTriggerBody,
  type WorkflowEvent,
  type WorkflowRun,
  webhookDeliveryIdSchema,
} from '@deploybot/shared';
import type { Logger } from 'pino';
import type { AuditLog } from '../auth/audit-log';
import type { Db } from '../db/db';
import { ROLLBACK_WORKFLOW } from '../engine/engine';
import { isTemplate } from '../engine/language/expressions';
import type { Clock } from '../engine/ports';
import { isSealed, mapSecrets, REDACTED, type SecretBox } from '../engine/secrets';
import type { WorkflowDefinition } from '../engine/types';
import { DeployBotError } from '../errors/deploybot-error';
import { CronSchedule } from './cron-schedule';
import { CronScheduler } from './cron-scheduler';
import { EventTriggers } from './event-triggers';
import { hookKey } from './firing-key';
import { agentEvent, eventIdOfKey, eventTypeOfKey, jobEvent, runEvent, webhookEvent } from './trigger-events';
import { compileFilter, compileInputs } from './trigger-expressions';
import { type RunStarter, TriggerFirer } from './trigger-firer';
import { isNameTaken, type StoredTrigger, TriggersStore } from './triggers.store';
import { signatureMatches } from './webhook-signature';

/** What the triggers need of the engine: definitions to check against, runs to start and to read. */
export interface TriggerEngine extends RunStarter {
  definition(name: string, version?: number): WorkflowDefinition | undefined;
  get(runId: string): Promise<WorkflowRun>;
}

export interface TriggerServiceOptions {
  db: Db;
  engine: TriggerEngine;
  audit: AuditLog;
  secrets: SecretBox;
  clock: Clock;
  logger: Logger;
  /** How often this controller looks for triggers another controller created or changed. Default 5 s. */
  pollMs?: number;
}

/** A webhook delivery as the HTTP layer hands it over. */
export interface HookDelivery {
  /** The bytes as sent: the signature is over these. */
  raw: Buffer;
  /** The same bytes as JSON (null for an empty body). */
  body: unknown;
  signature: string | undefined;
  deliveryId: string | undefined;
  githubEvent: string | undefined;
}

/** Firing records are kept this long (the latest slot of each cron trigger stays regardless). */
const FIRING_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/** After a crash, runs started this recently without a firing record get one. */
const RECONCILE_WINDOW_MS = 24 * 60 * 60 * 1000;

const invalid = (issues: FieldIssue[]) =>
  new DeployBotError('validation_failed', `invalid trigger: ${issues[0]!.path}: ${issues[0]!.message}`, {
    details: issues,
  });
const notFound = (id: string) => new DeployBotError('not_found', `no trigger ${id}`);

/**
 * Triggers: stored (admin to change, audited), fired by a cron scheduler and an event listener on every
 * controller and by signed webhooks, each firing exactly once per key (see TriggerFirer).
 */
export class TriggerService {
  private readonly store: TriggersStore;
  private readonly firer: TriggerFirer;
  private readonly cron: CronScheduler;
  private readonly events: EventTriggers;
  private readonly pending = new Set<Promise<unknown>>();
  /** The status each agent had when last seen, to tell an agent going offline from one announced again. */
  private readonly agentStatus = new Map<string, AgentDto['status']>();
  private pollTimer: NodeJS.Timeout | undefined;
  private lastPrune = 0;
  private started = false;

  constructor(private readonly opts: TriggerServiceOptions) {
    this.store = new TriggersStore(opts.db);
    this.firer = new TriggerFirer({
      store: this.store,
      engine: opts.engine,
      audit: opts.audit,
      secrets: opts.secrets,
      clock: opts.clock,
      logger: opts.logger,
      onPaused: () => this.refreshSoon(),
    });
    this.cron = new CronScheduler({
      store: this.store,
      fire: (req) => this.firer.fire(req),
      clock: opts.clock,
      logger: opts.logger,
    });
    this.events = new EventTriggers({ fire: (req) => this.firer.fire(req), logger: opts.logger });
  }

  // ---------------------------------------------------------------- lifecycle

  /** Records firings a crash left unrecorded, then starts the schedules, the event listeners and the poll. */
  async start(): Promise<void> {
    await this.reconcile();
    const watched = await this.store.listWatched();
    this.events.sync(watched);
    this.started = true;
    await this.cron.start(watched);
    const pollMs = this.opts.pollMs ?? 5000;
    this.pollTimer = setInterval(() => this.track(this.poll()), pollMs);
    this.pollTimer.unref();
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.pollTimer) clearInterval(this.pollTimer);
    await this.cron.stop();
    await this.idle();
  }

  /** Resolves once every event handed over so far has been fired and recorded (tests wait on it). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** The cron triggers this controller is firing. */
  scheduled(): string[] {
    return this.cron.scheduled();
  }

  private async poll(): Promise<void> {
    await this.refresh();
    const now = this.opts.clock.now().getTime();
    if (now - this.lastPrune > 60 * 60 * 1000) {
      this.lastPrune = now;
      await this.store.prune(new Date(now - FIRING_RETENTION_MS).toISOString());
    }
  }

  private async refresh(): Promise<void> {
    if (!this.started) return;
    const watched = await this.store.listWatched();
    this.events.sync(watched);
    await this.cron.sync(watched);
  }

  private refreshSoon(): void {
    this.track(this.refresh());
  }

  private track(work: Promise<unknown>): void {
    const tracked = work
      .catch((err) => this.opts.logger.error({ err }, 'triggers: background work failed'))
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /** A run a trigger started just before the controller stopped has no firing record yet: it gets one. */
  private async reconcile(): Promise<void> {
    const since = new Date(this.opts.clock.now().getTime() - RECONCILE_WINDOW_MS).toISOString();
    for (const run of await this.store.unrecordedRuns(since)) {
      const key = run.trigger.key;
      const at = key.startsWith('cron:') ? eventIdOfKey(key) : run.createdAt;
      await this.store.recordStart(
        {
          triggerId: run.trigger.id,
          key,
          at,
          outcome: run.status === 'queued' ? 'queued' : 'started',
          reason: 'recorded after a restart: the run was started just before the controller stopped',
          runId: run.runId,
          eventType: eventTypeOfKey(key),
          eventId: eventIdOfKey(key),
        },
        this.opts.clock.now().toISOString(),
      );
    }
  }

  // ---------------------------------------------------------------- events

  onJob(job: JobDto): void {
    if (!this.started) return;
    if (job.status !== 'failed' && job.status !== 'success') return;
    if (!this.events.listensTo(job.status === 'failed' ? 'job.failed' : 'job.succeeded')) return;
    this.track(
      (async () => {
        const depth = job.runId ? await this.depthOfRun(job.runId) : 0;
        const event = jobEvent(job, depth, this.opts.clock.now());
        if (event) await this.events.receive(event);
      })(),
    );
  }

  onAgent(agent: AgentDto): void {
    if (!this.started) return;
    const previous = this.agentStatus.get(agent.id);
    this.agentStatus.set(agent.id, agent.status);
    const event = agentEvent(agent, previous, this.opts.clock.now());
    if (event && this.events.listensTo(event.type as 'agent.online')) this.track(this.events.receive(event));
  }

  onWorkflowEvent(e: WorkflowEvent): void {
    if (!this.started) return;
    if (e.type !== 'run.completed' && e.type !== 'run.failed') return;
    if (!this.events.listensTo(e.type)) return;
    this.track(
      (async () => {
        const event = runEvent(e, await this.depthOf(e.run));
        if (event) await this.events.receive(event);
      })(),
    );
  }

  /** How deep a run sits in a chain of event triggers; a child run is as deep as its parent. */
  private async depthOf(run: WorkflowRun, hops = 0): Promise<number> {
    if (run.trigger) return run.trigger.depth;
    if (run.parent && hops < 16) return this.depthOfRun(run.parent.runId, hops + 1);
    return 0;
  }

  private async depthOfRun(runId: string, hops = 0): Promise<number> {
    try {
      return await this.depthOf(await this.opts.engine.get(runId), hops);
    } catch {
      return 0;
    }
  }

  // ---------------------------------------------------------------- webhooks

  /**
   * A signed delivery: 401 unless the signature is right, then one firing (202 with what became of it); null for
   * GitHub's `ping`, which fires nothing.
   */
  async receiveHook(id: string, delivery: HookDelivery): Promise<FiringDto | null> {
    const trigger = await this.store.get(id);
    if (trigger?.source.type !== 'webhook' || !trigger.secret)
      throw new DeployBotError('not_found', `no webhook trigger ${id}`);
    const secret = this.opts.secrets.open({ $secret: trigger.secret });
    if (!signatureMatches(secret, delivery.raw, delivery.signature)) {
      throw new DeployBotError(
        'unauthorized',
        delivery.signature === undefined
          ? 'missing X-Hub-Signature-256: sign the raw body with the webhook secret (HMAC-SHA256, "sha256=<hex>")'
          : 'X-Hub-Signature-256 does not match the body signed with this webhook’s secret',
      );
    }
    // GitHub's `ping` (sent when a webhook is set up) checks the connection; it is no delivery to act on.
    if (delivery.githubEvent === 'ping') return null;
    const parsed = webhookDeliveryIdSchema.safeParse(delivery.deliveryId);
    if (!parsed.success) {
      const message = parsed.error.issues[0]!.message;
      throw new DeployBotError('validation_failed', message, {
        details: [{ path: 'headers.x-github-delivery', message }],
      });
    }
    const event = webhookEvent(
      parsed.data,
      this.opts.clock.now(),
      delivery.body,
      delivery.githubEvent ?? null,
    );
    const firing = await this.firer.fire({
      trigger,
      key: hookKey(trigger.id, parsed.data),
      event,
      recordDuplicates: true,
    });
    if (!firing) throw notFound(id); // deleted while it fired
    return firing;
  }

  // ---------------------------------------------------------------- stored triggers

  async list(): Promise<TriggerDto[]> {
    return (await this.store.list()).map((t) => this.dto(t));
  }

  async get(id: string): Promise<TriggerDto> {
    return this.dto(await this.load(id));
  }

  async firings(id: string, q: ListFiringsQuery): Promise<FiringDto[]> {
    await this.load(id);
    return this.store.firings(id, q);
  }

  async create(body: CreateTriggerBody, by: string): Promise<TriggerWithSecretDto> {
    const now = this.opts.clock.now().toISOString();
    const def = this.check(body.workflow, body.version ?? null, body.inputs, body.source, body.rate_limit);
    const secret = body.source.type === 'webhook' ? newSecret() : null;
    const trigger: StoredTrigger = {
      id: randomUUID(),
      name: body.name,
      workflow: body.workflow,
      version: body.version ?? null,
      inputs: this.sealInputs(def, body.inputs, {}),
      source: body.source,
      secret: secret ? this.opts.secrets.seal(secret).$secret : null,
      enabled: body.enabled,
      pausedReason: null,
      rateLimit: body.rate_limit,
      activeSince: now,
      createdBy: by,
      createdAt: now,
      updatedBy: by,
      updatedAt: now,
    };
    try {
      await this.store.insert(trigger);
    } catch (err) {
      if (isNameTaken(err))
        throw new DeployBotError('conflict', `a trigger named ${body.name} exists already`);
      throw err;
    }
    await this.opts.audit.record(by, 'trigger.create', trigger.id, {
      name: trigger.name,
      workflow: trigger.workflow,
      version: trigger.version,
      source: trigger.source.type,
      enabled: trigger.enabled,
    });
    await this.refresh();
    return { ...this.dto(trigger), ...(secret && { secret }) };
  }

  async update(id: string, body: UpdateTriggerBody, by: string): Promise<TriggerWithSecretDto> {
    const before = await this.load(id);
    const now = this.opts.clock.now().toISOString();
    const workflow = body.workflow ?? before.workflow;
    const version = body.version === undefined ? before.version : body.version;
    const source = body.source ?? before.source;
    const rawInputs = body.inputs ?? mapSecrets(before.inputs, () => REDACTED);
    const def = this.check(workflow, version, rawInputs, source, body.rate_limit ?? before.rateLimit);
    const wasWebhook = before.source.type === 'webhook';
    if (body.rotate_secret && source.type !== 'webhook') {
      throw invalid([{ path: 'rotate_secret', message: 'only a webhook trigger has a secret' }]);
    }
    const secret = source.type === 'webhook' && (!wasWebhook || body.rotate_secret) ? newSecret() : null;
    const enabled = body.enabled ?? before.enabled;
    const rescheduled = JSON.stringify(source) !== JSON.stringify(before.source);
    const after: StoredTrigger = {
      ...before,
      name: body.name ?? before.name,
      workflow,
      version,
      inputs: this.sealInputs(def, rawInputs, before.inputs),
      source,
      secret:
        source.type !== 'webhook' ? null : secret ? this.opts.secrets.seal(secret).$secret : before.secret,
      enabled,
      // Enabling again is a person's decision: the reason it paused itself is history (in its firings).
      pausedReason: enabled ? null : before.pausedReason,
      rateLimit: body.rate_limit ?? before.rateLimit,
      // Slots from before it was enabled again, or rescheduled, are not missed ones.
      activeSince: (enabled && !before.enabled) || rescheduled ? now : before.activeSince,
      updatedBy: by,
      updatedAt: now === before.updatedAt ? new Date(Date.parse(now) + 1).toISOString() : now,
    };
    let changed: boolean;
    try {
      changed = await this.store.update(after, before.updatedAt);
    } catch (err) {
      if (isNameTaken(err))
        throw new DeployBotError('conflict', `a trigger named ${after.name} exists already`);
      throw err;
    }
    if (!changed)
      throw new DeployBotError('conflict', `trigger ${id} was changed meanwhile; read it and try again`);
    await this.opts.audit.record(by, 'trigger.update', id, {
      name: after.name,
      fields: Object.keys(body),
      ...(secret && { secret: wasWebhook ? 'rotated' : 'created' }),
    });
    await this.refresh();
    return { ...this.dto(after), ...(secret && { secret }) };
  }

  async remove(id: string, by: string): Promise<void> {
    const trigger = await this.load(id);
    if (!(await this.store.delete(id))) throw notFound(id);
    await this.opts.audit.record(by, 'trigger.delete', id, { name: trigger.name });
    await this.refresh();
  }

  /**
   * Checks `body` exactly as `create` would (workflow, version, inputs, source, rate limit, a free name) without
   * storing anything: what the assistant shows when it proposes a trigger. Throws the same 400 / 409.
   */
  async preview(body: CreateTriggerBody): Promise<{ workflowTitle: string; nextFireTimes: string[] }> {
    const def = this.check(body.workflow, body.version ?? null, body.inputs, body.source, body.rate_limit);
    if ((await this.store.list()).some((t) => t.name === body.name))
      throw new DeployBotError('conflict', `a trigger named ${body.name} exists already`);
    const nextFireTimes =
      body.enabled && body.source.type === 'cron'
        ? CronSchedule.of(body.source)
            .nextTimes(5, this.opts.clock.now())
            .map((d) => d.toISOString())
        : [];
    return { workflowTitle: def.title, nextFireTimes };
  }

  private async load(id: string): Promise<StoredTrigger> {
    const trigger = await this.store.get(id);
    if (!trigger) throw notFound(id);
    return trigger;
  }

  /**
   * Everything that can be checked before a trigger fires: the workflow (and version) exists, every input is one
   * it declares, literal values fit their specs, required inputs are given, templates and the filter compile,
   * the cron expression parses. 400 naming each field at fault; returns the definition checked against.
   */
  private check(
    workflow: string,
    version: number | null,
    inputs: Record<string, unknown>,
    source: TriggerSource,
    rateLimit: number,
  ): WorkflowDefinition {
    const issues: FieldIssue[] = [];
    const def =
      workflow === ROLLBACK_WORKFLOW
        ? undefined
        : this.opts.engine.definition(workflow, version ?? undefined);
    if (!def) {
      const known = this.opts.engine.definition(workflow) !== undefined && workflow !== ROLLBACK_WORKFLOW;
      throw invalid([
        known
          ? { path: 'version', message: `workflow ${workflow} has no version ${version}` }
          : { path: 'workflow', message: `unknown workflow "${workflow}"` },
      ]);
    }
    const compiled = compileInputs(inputs);
    if (!compiled.ok) issues.push(...compiled.issues);
    const specs = new Map(def.inputs.map((s) => [s.key, s]));
    for (const [key, value] of Object.entries(inputs)) {
      const spec = specs.get(key);
      if (!spec) {
        issues.push({ path: `inputs.${key}`, message: `workflow ${def.name} has no input "${key}"` });
        continue;
      }
      if (typeof value === 'string' && (isTemplate(value) || (spec.type === 'secret' && value === REDACTED)))
        continue;
      const checked = checkInput(spec, value);
      if (!checked.ok) issues.push({ path: `inputs.${key}`, message: checked.message });
    }
    for (const spec of def.inputs) {
      if (spec.required && !(spec.key in inputs))
        issues.push({ path: `inputs.${spec.key}`, message: `${spec.label} is required` });
    }
    if (source.type === 'cron') {
      const problem = CronSchedule.problemOf(source);
      if (problem) issues.push({ path: 'source.expression', message: problem });
      else {
        // A schedule that fires more often than its rate limit would only pause itself.
        const now = this.opts.clock.now();
        const perMinute = CronSchedule.of(source).countBetween(
          new Date(now.getTime() - 1),
          new Date(now.getTime() + 60_000),
          rateLimit + 1,
        );
        if (perMinute > rateLimit) {
          issues.push({
            path: 'rate_limit',
            message: `the schedule fires more than ${rateLimit} time(s) a minute, its rate limit; raise rate_limit (at most 600) or fire less often`,
          });
        }
      }
    }
    if (source.type === 'event' && source.filter) {
      const filter = compileFilter(source.filter);
      if (!filter.ok) issues.push({ path: 'source.filter', message: filter.message });
    }
    if (issues.length > 0) throw invalid(issues);
    return def;
  }

  /**
   * Literal values of secret inputs are stored sealed; `••••••` (what a read shows) keeps the value stored
   * before, so a trigger read and written back keeps its secret.
   */
  private sealInputs(
    def: WorkflowDefinition,
    inputs: Record<string, unknown>,
    before: Record<string, unknown>,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = { ...inputs };
    for (const spec of def.inputs) {
      const value = inputs[spec.key];
      if (spec.type !== 'secret' || typeof value !== 'string' || isTemplate(value)) continue;
      if (value === REDACTED) {
        if (isSealed(before[spec.key])) out[spec.key] = before[spec.key];
        else throw invalid([{ path: `inputs.${spec.key}`, message: `${spec.label}: give the value itself` }]);
      } else out[spec.key] = this.opts.secrets.seal(value);
    }
    return out;
  }

  private dto(t: StoredTrigger): TriggerDto {
    let nextFireTimes: string[] = [];
    if (t.enabled && t.source.type === 'cron') {
      try {
        nextFireTimes = CronSchedule.of(t.source)
          .nextTimes(5, this.opts.clock.now())
          .map((d) => d.toISOString());
      } catch {
        // Checked when stored; a time zone the runtime no longer knows shows no times.
      }
    }
    return {
      id: t.id,
      name: t.name,
      workflow: t.workflow,
      version: t.version,
      inputs: mapSecrets(t.inputs, () => REDACTED),
      enabled: t.enabled,
      pausedReason: t.pausedReason,
      rateLimit: t.rateLimit,
      source: t.source,
      nextFireTimes,
      webhookPath: t.source.type === 'webhook' ? `/v1/hooks/${t.id}` : null,
      createdBy: t.createdBy,
      createdAt: t.createdAt,
      updatedBy: t.updatedBy,
      updatedAt: t.updatedAt,
    };
  }
}

/** 32 random bytes as hex: what a git host or CI signs deliveries with. */
function newSecret(): string {
  return randomBytes(32).toString('hex');
}
