import type { Logger } from 'pino';
import type { SqlRunLeases } from '../db/run-leases';
import type { WorkflowEngine } from '../engine/engine';

export interface LeaseKeeperOptions {
  /** How long a lease lasts; it is renewed four times per lease, and orphaned runs are looked for as often. */
  leaseMs: number;
  logger: Logger;
}

export interface LeaseStats {
  /** Unfinished runs this controller drives. */
  held: number;
  /** Runs claimed from a controller whose lease ran out, since start. */
  takenOver: number;
}

/**
 * Keeps this controller's lease and its runs: renews the lease, claims the runs of controllers whose lease ran
 * out, listens for commands other controllers recorded for its runs, and gives its runs up at a clean shutdown.
 */
export class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private lastTickAt = 0;
  private takenOver = 0;
  private ticking = false;
  private readonly intervalMs: number;

  constructor(
    private readonly leases: SqlRunLeases,
    private readonly engine: WorkflowEngine,
    private readonly options: LeaseKeeperOptions,
  ) {
    this.intervalMs = Math.max(50, Math.floor(options.leaseMs / 4));
  }

  /** Registers this controller before it takes any request (a run it starts names it as owner). */
  async register(): Promise<void> {
    await this.leases.renew();
    this.lastTickAt = Date.now();
  }

  /** Listens for wake-ups, claims what is orphaned now, then keeps doing both. */
  async start(): Promise<void> {
    this.unlisten = await this.leases.listen(
      (runId) => {
        this.engine
          .ownerWake(runId)
          .catch((err) => this.options.logger.error({ err, runId }, 'waking a run'));
      },
      () => {
        this.options.logger.warn('notification channel was lost and is back: looking at every run again');
        this.engine.resync().catch((err) => this.options.logger.error({ err }, 'resync after reconnect'));
      },
    );
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Whether the loop ran recently (readiness: a controller whose lease loop stalls will lose its runs). */
  alive(): boolean {
    return Date.now() - this.lastTickAt < this.options.leaseMs;
  }

  stats(): LeaseStats {
    return { held: this.engine.ownedCount(), takenOver: this.takenOver };
  }

  /** Stops renewing and gives this controller's runs up (call after the engine stopped driving them). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    try {
      await this.unlisten?.();
      await this.leases.release();
    } catch (err) {
      // The database is gone: the lease runs out instead, and another controller claims the runs then.
      this.options.logger.warn({ err }, "could not give this controller's runs up at shutdown");
    }
  }

  private async tick(): Promise<void> {
    if (this.ticking) return; // a slow database: one round at a time
    this.ticking = true;
    try {
      const { lapsed } = await this.leases.renew();
      this.lastTickAt = Date.now();
      if (lapsed) {
        // Paused or cut off for longer than the lease: some runs may be another controller's now.
        const lost = this.engine.reconcileOwnership(await this.leases.ownedRunIds());
        this.options.logger.warn(
          { lost },
          'lease had run out; runs taken over meanwhile are no longer driven here',
        );
      }
      for (;;) {
        const claimed = await this.engine.claimOrphans();
        this.takenOver += claimed.takenOver;
        if (claimed.takenOver > 0)
          this.options.logger.info(
            { takenOver: claimed.takenOver, running: claimed.running },
            'took over runs of a controller whose lease ran out',
          );
        if (claimed.claimed === 0) break;
      }
      await this.leases.forgetDeadControllers();
    } catch (err) {
      this.options.logger.error({ err }, 'lease loop');
    } finally {
      this.ticking = false;
    }
  }
}
