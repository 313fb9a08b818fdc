import { randomUUID } from 'node:crypto';
import { TERMINAL_RUN_STATUSES, type WorkflowEvent, type WorkflowRun } from '@deploybot/shared';
import type { Logger } from 'pino';
import type { Clock } from '../engine/ports';
import type { ChatEvents } from './chat-events';
import { narrationOf } from './narration-text';
import { type ChatStore, toDto } from './session-store';

/**
 * Posts the steps of runs started from a conversation into that conversation: one message per step, updated in
 * place as the step moves (with Approve / Reject while a gate waits), and one at the end. Rendering is from the
 * run's state, so a missed or late event changes nothing: the next one (or `attach`) catches up.
 */
export class Narrator {
  /** run id → session id (null: not started from a conversation). Filled on demand and by `attach`. */
  private readonly sessions = new Map<string, string | null>();
  /** Per run, the narration work queued so far: events of one run are rendered in order. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly store: ChatStore,
    private readonly events: ChatEvents,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** The engine's event sink: called after every committed transition. */
  onEvent(event: WorkflowEvent): void {
    this.enqueue(event.runId, async () => {
      const sessionId = await this.sessionOf(event.runId);
      if (sessionId) await this.render(sessionId, event.run);
      if (TERMINAL_RUN_STATUSES.includes(event.run.status)) {
        this.sessions.delete(event.runId);
        this.seen.delete(event.runId);
      }
    });
  }

  /** A run was just linked to a session: remember it and post what already happened (read from `load`). */
  attach(sessionId: string, runId: string, load: () => Promise<WorkflowRun>): Promise<void> {
    this.sessions.set(runId, sessionId);
    return this.enqueue(runId, async () => this.render(sessionId, await load()));
  }

  /** Resolves when every queued narration is written (tests). */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()]);
  }

  private enqueue(runId: string, work: () => Promise<void>): Promise<void> {
    const prev = this.queues.get(runId) ?? Promise.resolve();
    const next = prev
      .then(work)
      .catch((err) => this.logger.error({ err, runId }, 'narration failed'))
      .finally(() => {
        if (this.queues.get(runId) === next) this.queues.delete(runId);
      });
    this.queues.set(runId, next);
    return next;
  }

  private async sessionOf(runId: string): Promise<string | null> {
    if (this.sessions.has(runId)) return this.sessions.get(runId)!;
    const sessionId = await this.store.sessionOfRun(runId);
    this.sessions.set(runId, sessionId);
    return sessionId;
  }

  /** `latest` state wins: an older snapshot never overwrites a newer one. */
  private readonly seen = new Map<string, number>();

  private async render(sessionId: string, run: WorkflowRun): Promise<void> {
    const seen = this.seen.get(run.id) ?? 0;
    if (run.seq < seen) return;
    this.seen.set(run.id, Math.max(seen, run.seq));
    const at = this.clock.now().toISOString();
    for (const m of narrationOf(run)) {
      const stored = await this.store.upsertNarration(sessionId, run.id, m.key, {
        id: randomUUID(),
        content: m.content,
        status: m.status,
        quickActions: m.quickActions,
        at,
      });
      if (stored) this.events.emit('message', toDto(stored));
    }
  }
}
