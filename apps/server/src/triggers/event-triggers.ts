import type { EventSource, TriggerEventType } from '@deploybot/shared';
import type { Logger } from 'pino';
import { eventKey } from './firing-key';
import type { TriggerEvent } from './trigger-events';
import type { FiringRequest } from './trigger-firer';
import type { StoredTrigger } from './triggers.store';

/** Keys fired from this process lately: the fleet announces a job or an agent more than once. */
const RECENT_KEYS = 10_000;

/**
 * Fires the enabled event triggers for the fleet and workflow events this controller sees. The event's id makes
 * the key, so an event seen twice (here, or by another controller) starts one run.
 */
export class EventTriggers {
  private byType = new Map<TriggerEventType, StoredTrigger[]>();
  private readonly recent = new Set<string>();

  constructor(
    private readonly deps: {
      fire: (req: FiringRequest) => Promise<unknown>;
      logger: Logger;
    },
  ) {}

  /** Makes the listeners follow `triggers` (the enabled event ones). */
  sync(triggers: StoredTrigger[]): void {
    const byType = new Map<TriggerEventType, StoredTrigger[]>();
    for (const t of triggers) {
      if (!t.enabled || t.source.type !== 'event') continue;
      const on = (t.source as EventSource).on;
      byType.set(on, [...(byType.get(on) ?? []), t]);
    }
    this.byType = byType;
  }

  /** Whether any trigger listens to `type` (so working out an event's depth is worth it). */
  listensTo(type: TriggerEventType): boolean {
    return (this.byType.get(type)?.length ?? 0) > 0;
  }

  /** Fires every trigger listening to the event's type; resolves once each firing is recorded. */
  async receive(event: TriggerEvent): Promise<void> {
    const triggers = this.byType.get(event.type as TriggerEventType) ?? [];
    await Promise.all(
      triggers.map(async (trigger) => {
        const key = eventKey(trigger.id, event.id);
        if (this.recent.has(key)) return;
        this.remember(key);
        try {
          await this.deps.fire({ trigger, key, event, recordDuplicates: true });
        } catch (err) {
          this.recent.delete(key); // not recorded: a later sighting may try again
          this.deps.logger.error({ err, trigger: trigger.name, key }, 'event trigger firing failed');
        }
      }),
    );
  }

  private remember(key: string): void {
    this.recent.add(key);
    if (this.recent.size > RECENT_KEYS) this.recent.delete(this.recent.values().next().value!);
  }
}
