import type { AgentDto, JobDto, TriggerEventType, WorkflowEvent, WorkflowRun } from '@deploybot/shared';

/**
 * What a trigger fires on, as its filter and inputs see it (`event`). Every event has a type, an id that is the
 * same wherever and whenever it is seen (it is the tail of the firing key), and a time.
 */
export interface TriggerEvent {
  type: TriggerEventType | 'cron' | 'webhook';
  id: string;
  /** ISO: the slot of a schedule, else when it happened or was received. */
  at: string;
  /**
   * How deep the run it came from sits in a chain of event triggers (0: started by a person, a schedule or a
   * webhook, or no run at all). An event trigger's run is one deeper.
   */
  depth: number;
  /** `event` in expressions: `type`, `id`, `at` and the fields of its kind. */
  data: Record<string, unknown>;
}

/** A run started by an event trigger does not fire event triggers: a trigger can feed neither itself nor another. */
export const MAX_EVENT_DEPTH = 1;

const event = (
  type: TriggerEvent['type'],
  id: string,
  at: string,
  depth: number,
  fields: Record<string, unknown>,
): TriggerEvent => ({ type, id, at, depth, data: { type, id, at, ...fields } });

export function cronEvent(slot: Date): TriggerEvent {
  const at = slot.toISOString();
  return event('cron', at, at, 0, { scheduled_at: at });
}

export function webhookEvent(
  deliveryId: string,
  receivedAt: Date,
  body: unknown,
  githubEvent: string | null,
): TriggerEvent {
  return event('webhook', deliveryId, receivedAt.toISOString(), 0, {
    delivery: deliveryId,
    github_event: githubEvent,
    body,
  });
}

/** `job.failed` / `job.succeeded` for a job that just ended that way; null for any other job change. */
export function jobEvent(job: JobDto, depth: number, now: Date): TriggerEvent | null {
  const type = job.status === 'failed' ? 'job.failed' : job.status === 'success' ? 'job.succeeded' : null;
  if (!type) return null;
  return event(type, `${type}:${job.id}`, job.finishedAt ?? now.toISOString(), depth, {
    job_id: job.id,
    repository: job.repository,
    ref: job.ref,
    sha: job.sha,
    agent: job.agentHostname,
    agent_id: job.agentId,
    status: job.status,
    error: job.error,
    cause: job.cause,
    step: job.step,
    exit_code: job.exitCode,
    attempt: job.attempt,
    run_id: job.runId,
  });
}

/**
 * `agent.online` / `agent.offline` when an agent's status changed from `previous` (the status last seen here).
 * The id names the connection (online) or the last heartbeat before the silence (offline), which every
 * controller reads alike.
 */
export function agentEvent(
  agent: AgentDto,
  previous: AgentDto['status'] | undefined,
  now: Date,
): TriggerEvent | null {
  if (previous === undefined || previous === agent.status) return null;
  const fields = {
    agent: agent.hostname,
    agent_id: agent.id,
    environment: agent.environment,
    labels: agent.labels,
    previous_status: previous,
  };
  if (agent.status === 'online') {
    const since = agent.connectedAt ?? now.toISOString();
    return event('agent.online', `agent.online:${agent.id}:${since}`, since, 0, fields);
  }
  if (agent.status === 'offline' && previous !== 'enrolling') {
    const since = agent.lastHeartbeatAt ?? agent.disconnectedAt ?? now.toISOString();
    return event('agent.offline', `agent.offline:${agent.id}:${since}`, now.toISOString(), 0, fields);
  }
  return null;
}

/** `run.completed` / `run.failed` for the transition that ended a run; null for any other transition. */
export function runEvent(e: WorkflowEvent, depth: number): TriggerEvent | null {
  if (e.type !== 'run.completed' && e.type !== 'run.failed') return null;
  const run: WorkflowRun = e.run;
  return event(e.type, `${e.type}:${run.id}`, e.at, depth, {
    run_id: run.id,
    workflow: run.name,
    version: run.version,
    title: run.title,
    status: run.status,
    error: run.error,
    started_by: run.startedBy,
    trigger: run.trigger?.name ?? null,
  });
}

/** The type of an event from its id (`job.failed:<job id>` → `job.failed`), for firings recorded after a crash. */
export function eventTypeOfKey(key: string): string {
  const [kind, , ...rest] = key.split(':');
  if (kind === 'cron') return 'cron';
  if (kind === 'hook') return 'webhook';
  return rest[0] ?? 'event';
}

/** The event id a key ends with. */
export function eventIdOfKey(key: string): string {
  return key.split(':').slice(2).join(':');
}
