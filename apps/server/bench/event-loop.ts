/**
 * Watches how long the event loop goes without running a timer. A store whose promises resolve without real
 * I/O (PGlite runs in-process) can keep the loop inside microtasks for seconds, starving sockets and timers;
 * perf_hooks' monitorEventLoopDelay cannot show that, because its own timer never fires to take a sample.
 */
export function watchEventLoop(tickMs = 5): { stop(): { longestStallMs: number } } {
  let last = performance.now();
  let longest = 0;
  const note = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  };
  const timer = setInterval(note, tickMs);
  return {
    stop() {
      clearInterval(timer);
      note(); // a stall still going on when the work ended counts too
      return { longestStallMs: longest };
    },
  };
}

/** Milliseconds on a clock shared by every process on the machine (not only this one), to 1 µs. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
