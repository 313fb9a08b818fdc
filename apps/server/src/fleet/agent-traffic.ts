import type { Heartbeat } from '@deploybot/shared';

/**
 * Writes each agent's heartbeats at most once per interval, one at a time. A beat that arrives early is not
 * written at once but kept, replacing any kept before it (it says the same thing, more recently), and written
 * when the interval is up; so an agent that sends too often costs one write per interval, like an honest one.
 */
export class HeartbeatPacer {
  private readonly agents = new Map<
    string,
    { lastAt: number; pending: Heartbeat | null; timer: NodeJS.Timeout | null; busy: boolean }
  >();

  constructor(
    private readonly intervalMs: number,
    private readonly write: (agentId: string, hb: Heartbeat) => Promise<void>,
    private readonly onError: (err: unknown, agentId: string) => void,
  ) {}

  offer(agentId: string, hb: Heartbeat): void {
    let state = this.agents.get(agentId);
    if (!state) {
      state = { lastAt: Number.NEGATIVE_INFINITY, pending: null, timer: null, busy: false };
      this.agents.set(agentId, state);
    }
    state.pending = hb;
    this.pump(agentId);
  }

  /**
   * Drops a beat not written yet (its connection is gone). The time of the last write is kept, so
   * reconnecting does not buy an extra write.
   */
  drop(agentId: string): void {
    const state = this.agents.get(agentId);
    if (!state) return;
    state.pending = null;
    if (state.timer) clearTimeout(state.timer);
    state.timer = null;
  }

  close(): void {
    for (const id of this.agents.keys()) this.drop(id);
  }

  private pump(agentId: string): void {
    const state = this.agents.get(agentId);
    if (!state || state.busy || state.timer || !state.pending) return;
    const wait = state.lastAt + this.intervalMs - performance.now();
    if (wait > 0) {
      state.timer = setTimeout(() => {
        state.timer = null;
        this.pump(agentId);
      }, wait);
      state.timer.unref();
      return;
    }
    const hb = state.pending;
    state.pending = null;
    state.busy = true;
    state.lastAt = performance.now();
    void this.write(agentId, hb)
      .catch((err: unknown) => this.onError(err, agentId))
      .finally(() => {
        state.busy = false;
        this.pump(agentId);
      });
  }
}
