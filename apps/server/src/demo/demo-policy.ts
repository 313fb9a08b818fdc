/**
 * Whether the demo agent runs. It runs deployments on the controller's own machine, as the controller's user, so
 * anyone who may deploy may read what that user can (the data dir, its sealing key, the embedded database). That
 * is fine for a try-out on a laptop and wrong for a controller others can reach or one holding real data.
 */
export interface DemoDecision {
  enabled: boolean;
  /** Why, for the log line at start. */
  reason: string;
  /** On because DEPLOYBOT_DEMO=true said so, although it would be off by default. */
  forced: boolean;
}

export interface DemoSettings {
  /** DEPLOYBOT_DEMO as given: `true`/`1`, `false`/`0`, or unset. */
  setting: string | undefined;
  databaseUrl: string | undefined;
  host: string;
}

/** `localhost`, `::1` and 127.0.0.0/8: the addresses only this machine reaches. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Unset: on only for a controller on the embedded database that listens on loopback. `true` forces it on (with
 * a warning), `false` turns it off.
 */
export function decideDemo({ setting, databaseUrl, host }: DemoSettings): DemoDecision {
  if (setting === 'false' || setting === '0') {
    return { enabled: false, forced: false, reason: 'demo off: DEPLOYBOT_DEMO=false' };
  }
  const risks = [
    ...(databaseUrl ? ['DATABASE_URL is set (a real database)'] : []),
    ...(isLoopbackHost(host) ? [] : [`the controller listens on ${host}, beyond this machine`]),
  ];
  if (setting === 'true' || setting === '1') {
    return risks.length === 0
      ? { enabled: true, forced: false, reason: 'demo on: DEPLOYBOT_DEMO=true' }
      : {
          enabled: true,
          forced: true,
          reason:
            `demo on because DEPLOYBOT_DEMO=true, although ${risks.join(' and ')}: whoever may deploy to ` +
            "demo-agent runs commands as the controller's user on this machine",
        };
  }
  return risks.length === 0
    ? { enabled: true, forced: false, reason: 'demo on: embedded database, listening on loopback only' }
    : {
        enabled: false,
        forced: false,
        reason:
          `demo off: ${risks.join(' and ')}; the demo agent would run deployments as the controller's user ` +
          'on this machine (set DEPLOYBOT_DEMO=true to start it anyway, HOST=127.0.0.1 to keep it local)',
      };
}
