import { pino } from 'pino';

/** The agent's own log goes to stderr (stdout stays free), written synchronously so nothing is lost on exit. */
export function createLogger(level: string) {
  // No OS host name in the base: the agent's own --hostname is what matters, and it is logged at start.
  return pino(
    { level, name: 'deploybot-agent', base: { pid: process.pid } },
    pino.destination({ fd: 2, sync: true }),
  );
}
