import pino from 'pino';
import { type App, createApp } from '../../src/app';
import type { PgliteDb } from '../../src/db/pglite-db';
import { DEFAULT_FLEET_OPTIONS } from '../../src/fleet/fleet';
import { createPgliteTestDb } from '../../src/testing/test-db';
import { TEST_ADMIN_TOKEN, TEST_SECURITY } from '../../src/testing/test-security';
import { builtInWorkflows } from '../../src/workflows';
import { testWorkflows } from '../fixtures/test-workflows';

export interface TestServer {
  app: App;
  db: PgliteDb;
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/**
 * The real app (fleet, engine, Express, Socket.IO) on an in-memory PGlite, listening on a free port, with the
 * test workflows and the four built-ins acting on its (empty) fleet.
 */
export async function startTestServer(): Promise<TestServer> {
  const db = await createPgliteTestDb();
  let url = 'http://127.0.0.1:0';
  const app = createApp({
    db,
    logger: pino({ level: 'silent' }),
    workflows: (fleet) => ({
      ...builtInWorkflows({
        fleet,
        enrollCommand: (hostname, token) =>
          `deploybot-agent --controller ${url} --hostname ${hostname} --token ${token}`,
        connectTimeoutMs: 60_000,
        agentReturnTimeoutMs: 60_000,
      }),
      definitions: testWorkflows(),
    }),
    fleet: { ...DEFAULT_FLEET_OPTIONS, publicUrl: url },
    version: '0.0.0-test',
    security: TEST_SECURITY,
  });
  const port = await app.listen(0, '127.0.0.1');
  await app.auth.bootstrap(TEST_ADMIN_TOKEN);
  url = `http://127.0.0.1:${port}`;
  return {
    app,
    db,
    url,
    async close() {
      await app.close();
      await db.close();
    },
  };
}
