import { Writable } from 'node:stream';
import pino from 'pino';
import { type App, createApp, type SecurityOptions } from '../../../src/app';
import type { PgliteDb } from '../../../src/db/pglite-db';
import type { WorkflowDefinition } from '../../../src/engine/types';
import { DEFAULT_FLEET_OPTIONS, type FleetOptions } from '../../../src/fleet/fleet';
import { createLogger } from '../../../src/logger';
import { createPgliteTestDb } from '../../../src/testing/test-db';
import { TEST_ADMIN_TOKEN, TEST_SECURITY } from '../../../src/testing/test-security';
import { builtInWorkflows } from '../../../src/workflows';
import { testWorkflows } from '../../fixtures/test-workflows';

export { TEST_ADMIN_TOKEN };

export interface SecurityServerOptions {
  security?: Partial<SecurityOptions>;
  fleet?: Partial<Omit<FleetOptions, 'publicUrl'>>;
  /** Definitions added to the test workflows and the four built-ins. */
  workflows?: WorkflowDefinition[];
  /** Keep everything the controller logs, at `trace`, in memory (`logs()`); silent otherwise. */
  captureLogs?: boolean;
}

export interface SecurityServer {
  app: App;
  db: PgliteDb;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The options object the fleet holds (by reference): a test may shorten a lifetime for a while. */
  fleetOptions: FleetOptions;
  security: SecurityOptions;
  /** Everything logged so far (one JSON line per entry), when `captureLogs` was set. */
  logs(): string;
  close(): Promise<void>;
}

/**
 * The real controller (fleet, engine, Express, Socket.IO) on an in-memory PGlite, listening on a free port,
 * bootstrapped with the test admin token. Security options default to TEST_SECURITY.
 */
export async function startSecurityServer(opts: SecurityServerOptions = {}): Promise<SecurityServer> {
  const db = await createPgliteTestDb();
  const chunks: string[] = [];
  // The controller's own logger (its log context included), writing JSON lines here.
  const logger = opts.captureLogs
    ? createLogger({
        level: 'trace',
        format: 'json',
        destination: new Writable({
          write(chunk: Buffer, _encoding, done) {
            chunks.push(chunk.toString());
            done();
          },
        }),
      })
    : pino({ level: 'silent' });
  const fleetOptions: FleetOptions = {
    ...DEFAULT_FLEET_OPTIONS,
    ...opts.fleet,
    publicUrl: 'http://127.0.0.1:0',
  };
  const security: SecurityOptions = { ...TEST_SECURITY, ...opts.security };
  const app = createApp({
    db,
    logger,
    workflows: (fleet) => ({
      ...builtInWorkflows({
        fleet,
        enrollCommand: (hostname, token) =>
          `deploybot-agent --controller ${fleetOptions.publicUrl} --hostname ${hostname} --token ${token}`,
        connectTimeoutMs: 60_000,
        agentReturnTimeoutMs: 60_000,
      }),
      definitions: [...testWorkflows(), ...(opts.workflows ?? [])],
    }),
    fleet: fleetOptions,
    version: '0.0.0-security-test',
    fleetSweepMs: 200,
    security,
  });
  const port = await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  fleetOptions.publicUrl = url;
  await app.auth.bootstrap(TEST_ADMIN_TOKEN);
  return {
    app,
    db,
    url,
    fleetOptions,
    security,
    logs: () => chunks.join(''),
    async close() {
      await app.close();
      await db.close();
    },
  };
}
