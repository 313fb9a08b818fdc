import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { createApp } from './app';
import { loadConfig } from './config';
import { openDb } from './db/open-db';
import { builtInWorkflows } from './workflows';

const version = (
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string }
).version;

/** Composition root: read config, build the object graph, listen, and shut down cleanly on a signal. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel });
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  logger.info(
    { database: db.kind, dataDir: config.databaseUrl ? undefined : config.dataDir },
    'database ready',
  );

  const app = createApp({
    db,
    logger,
    definitions: builtInWorkflows(),
    version,
    webDist: join(import.meta.dirname, '..', '..', 'web', 'dist'),
    deadlineSweepMs: config.deadlineSweepMs,
  });
  const port = await app.listen(config.port, config.host);
  logger.info({ port, url: `http://localhost:${port}/` }, 'DeployBot controller listening');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await app.close();
    await db.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
