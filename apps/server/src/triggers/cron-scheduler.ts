import type { CronSource } from '@deploybot/shared';
import type { Logger } from 'pino';
import type { Clock } from '../engine/ports';
import { CronSchedule } from './cron-schedule';
import { cronKey } from './firing-key';
import { cronEvent } from './trigger-events';
import type { FiringRequest } from './trigger-firer';
import type { StoredTrigger, TriggersStore } from './triggers.store';

/** A timer never waits longer than this before looking again (clock jumps, setTimeout's 24.8-day limit). */
const MAX_TIMER_MS = 60 * 60 * 1000;
/** Missed slots are counted up to this many for the record. */
const MAX_COUNTED = 100_000;

interface Entry {
  trigger: StoredTrigger;
  source: CronSource;
  schedule: CronSchedule;
  /** The last slot this process fired or passed over. */
  cursor: Date;
  timer?: NodeJS.Timeout;
  stopped: boolean;
  /** The firing in flight, if any (awaited on stop). */
  busy: Promise<void>;
}

/**
 * Fires the enabled cron triggers from this controller. Every controller runs one: each slot has one key, so
 * one start wins whichever fires first (no leader election). Slots that passed while this process was not
 * running (from the latest slot decided in the database, or from when the trigger became active) follow the
 * trigger's `missed` policy: `skip` records them as one `missed` firing, `run_once` fires the latest of them once.
 * Slots that pass while it runs are fired, however late the event loop gets to them.
 */
export class CronScheduler {
  private readonly entries = new Map<string, Entry>();
  private bootAt: Date | null = null;
  private stopping = false;

  constructor(
    private readonly deps: {
      store: TriggersStore;
      fire: (req: FiringRequest) => Promise<unknown>;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  /** Starts firing: slots up to now that nobody fired are missed ones. */
  start(triggers: StoredTrigger[]): Promise<void> {
    this.bootAt = this.deps.clock.now();
    return this.sync(triggers);
  }

  /** Makes the timers follow `triggers` (the enabled cron ones): new, changed, gone. */
  async sync(triggers: StoredTrigger[]): Promise<void> {
    if (!this.bootAt || this.stopping) return;
    const wanted = new Map(
      triggers.filter((t) => t.enabled && t.source.type === 'cron').map((t) => [t.id, t] as const),
    );
    for (const [id, entry] of this.entries) {
      const now = wanted.get(id);
      if (!now || now.updatedAt !== entry.trigger.updatedAt) this.drop(id);
    }
    for (const trigger of wanted.values()) {
      if (this.entries.has(trigger.id)) continue;
      try {
        await this.load(trigger);
      } catch (err) {
        this.deps.logger.error({ err, trigger: trigger.name }, 'cron trigger could not be scheduled');
      }
    }
  }

  /** The ids of the triggers this controller is firing. */
  scheduled(): string[] {
    return [...this.entries.keys()];
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const busy = [...this.entries.values()].map((e) => e.busy);
    for (const id of [...this.entries.keys()]) this.drop(id);
    await Promise.allSettled(busy);
  }

  private drop(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.stopped = true;
    if (entry.timer) clearTimeout(entry.timer);
    this.entries.delete(id);
  }

  private async load(trigger: StoredTrigger): Promise<void> {
    const source = trigger.source as CronSource;
    const schedule = CronSchedule.of(source);
    const activeSince = new Date(trigger.activeSince);
    const latest = await this.deps.store.latestSlot(trigger.id, trigger.activeSince);
    const cursor = latest && latest > activeSince ? latest : activeSince;
    const entry: Entry = { trigger, source, schedule, cursor, stopped: false, busy: Promise.resolve() };
    if (this.entries.has(trigger.id) || this.stopping) return;
    this.entries.set(trigger.id, entry);
    entry.busy = this.catchUp(entry).finally(() => this.arm(entry));
    await entry.busy;
  }

  /** Slots between the cursor and this process's start passed while it was not running: the `missed` policy. */
  private async catchUp(entry: Entry): Promise<void> {
    const bootAt = this.bootAt!;
    if (entry.cursor >= bootAt) return;
    const latestMissed = entry.schedule.latestAtOrBefore(bootAt);
    if (!latestMissed || latestMissed <= entry.cursor) return;
    const count = entry.schedule.countBetween(entry.cursor, latestMissed, MAX_COUNTED);
    const first = entry.schedule.next(entry.cursor)!;
    const span =
      count === 1
        ? `1 slot (${latestMissed.toISOString()})`
        : `${count >= MAX_COUNTED ? `${MAX_COUNTED}+` : count} slots (${first.toISOString()} … ${latestMissed.toISOString()})`;
    const req: FiringRequest = {
      trigger: entry.trigger,
      key: cronKey(entry.trigger.id, latestMissed),
      event: cronEvent(latestMissed),
      recordDuplicates: false,
    };
    if (entry.source.missed === 'run_once') {
      await this.fire(entry, {
        ...req,
        note: `missed: ${span} passed while no controller was running; ran once for the latest`,
      });
    } else {
      await this.fire(entry, {
        ...req,
        missed: `${span} passed while no controller was running; skipped (missed: skip)`,
      });
    }
    entry.cursor = latestMissed;
  }

  private arm(entry: Entry): void {
    if (entry.stopped) return;
    const next = entry.schedule.next(entry.cursor);
    if (!next) return; // the schedule has no more slots
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, next.getTime() - this.deps.clock.now().getTime()));
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      entry.busy = this.tick(entry).finally(() => this.arm(entry));
    }, delay);
    entry.timer.unref();
  }

  /** Fires every slot that has come since the cursor, oldest first. */
  private async tick(entry: Entry): Promise<void> {
    const now = this.deps.clock.now();
    for (
      let slot = entry.schedule.next(entry.cursor);
      slot && slot <= now;
      slot = entry.schedule.next(slot)
    ) {
      if (entry.stopped) return;
      await this.fire(entry, {
        trigger: entry.trigger,
        key: cronKey(entry.trigger.id, slot),
        event: cronEvent(slot),
        recordDuplicates: false,
      });
      entry.cursor = slot;
    }
  }

  private async fire(entry: Entry, req: FiringRequest): Promise<void> {
    try {
      await this.deps.fire(req);
    } catch (err) {
      // A database outage, say: this slot is lost, the schedule goes on.
      this.deps.logger.error({ err, trigger: entry.trigger.name, key: req.key }, 'cron firing failed');
    }
  }
}
