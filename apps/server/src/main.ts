import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from './app';
import { loadSecretBox } from './auth/secret-key';
import { loadConfig } from './config';
import { legacyDataDir } from './data-dir';
import { openDb } from './db/open-db';
import { AGENT_BIN, type DemoAgent, startDemoAgent } from './demo/demo-agent';
import { ensureDemoRepository } from './demo/demo-repo';
import { createLogger } from './logger';
import { builtInWorkflows } from './workflows';

const version = (
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string }
).version;

/** Composition root: read config, build the object graph, listen, and shut down cleanly on a signal. */
async function main(): Promise<void> {
  const loaded = loadConfig();
  const logger = createLogger({ level: loaded.logLevel, format: loaded.logFormat });
  const legacy = legacyDataDir(loaded.dataDir, loaded.dataDirDefaulted);
  if (legacy) logger.warn(legacy.advice);
  const config = legacy ? { ...loaded, dataDir: legacy.dir } : loaded;
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  logger.info(
    { database: db.kind, dataDir: config.databaseUrl ? undefined : config.dataDir },
    'database ready',
  );
  // Beside the data dir, never in it: a deployment on such an agent must not find the sealing key a few `..` up.
  const agentsDir =
    config.dataDir === 'memory://' ? join(tmpdir(), 'deploybot-agents') : `${config.dataDir}-agents`;

  const app = createApp({
    db,
    logger,
    version,
    fleet: config.fleet,
    workflows: (fleet, { explain }) =>
      builtInWorkflows({
        fleet,
        explain,
        // Runnable as is on this machine; on another server, install the agent and drop the `node …` prefix.
        enrollCommand: (hostname, token) =>
          `DEPLOYBOT_TOKEN=${token} node ${AGENT_BIN} --controller ${config.fleet.publicUrl} --hostname ${hostname} --workdir ${join(agentsDir, hostname)} --state-dir ${join(agentsDir, `${hostname}.state`)}`,
        connectTimeoutMs: config.connectTimeoutMs,
        agentReturnTimeoutMs: config.connectTimeoutMs,
      }),
    webDist: join(import.meta.dirname, '..', '..', 'web', 'dist'),
    leaseMs: config.leaseMs,
    redisUrl: config.redisUrl,
    security: config.security,
    secrets: await loadSecretBox(config.secretKey, config.dataDir),
    assistant: config.assistant,
    metricsToken: config.metricsToken,
  });
  const port = await app.listen(config.port, config.host);
  logger.info({ port, url: `http://localhost:${port}/` }, 'DeployBot controller listening');
  logger.info(
    config.metricsToken
      ? 'metrics at /metrics: send DEPLOYBOT_METRICS_TOKEN (or a user API token) as "Authorization: Bearer …"'
      : 'metrics at /metrics: open without a token to this machine (loopback) only; set DEPLOYBOT_METRICS_TOKEN to scrape from elsewhere',
  );
  const ai = app.assistant.status();
  logger.info(
    { provider: ai.provider, model: ai.model, fallback: ai.fallback, ready: ai.ready },
    'assistant ready',
  );
  if (ai.reason) logger.warn(`assistant: ${ai.reason}`);
  if (config.assistant.provider === 'local' && config.assistant.openai.apiKey) {
    logger.info(
      'OPENAI_API_KEY is set but DEPLOYBOT_AI_PROVIDER is local: set it to openai to use the model',
    );
  }
  const bootstrap = await app.auth.bootstrap(config.adminToken);
  if (bootstrap?.generated) {
    // Printed once, on the first start of an empty database; only its hash is stored.
    const url = `${config.fleet.publicUrl}/login#token=${bootstrap.token}`;
    process.stdout.write(
      `\nDeployBot created the admin user. Sign in (this link is shown only once):\n  ${url}\n\n`,
    );
  } else if (bootstrap) {
    logger.info('created the admin user with DEPLOYBOT_ADMIN_TOKEN');
  } else if (!config.adminToken) {
    logger.info(
      `sign in at ${config.fleet.publicUrl}/login; lost the first-start link? restart with DEPLOYBOT_ADMIN_TOKEN=dbt_… (see README)`,
    );
  }

  let demoAgent: DemoAgent | null = null;
  if (config.demo.forced) logger.warn(config.demo.reason);
  else logger.info(config.demo.reason);
  if (config.demo.enabled) {
    try {
      const dataDir = config.dataDir === 'memory://' ? join(tmpdir(), 'deploybot-demo-repo') : config.dataDir;
      const path = await ensureDemoRepository(dataDir);
      await app.fleet.repositories.ensure({ name: 'demo/hello-app', url: path, defaultRef: 'main' }, 'demo');
      demoAgent = await startDemoAgent({
        fleet: app.fleet,
        dataDir: config.dataDir,
        demoDir: config.demoDir,
        controllerUrl: `http://127.0.0.1:${port}`,
        logger,
      });
      logger.info(
        { repository: 'demo/hello-app', agent: 'demo-agent', dir: demoAgent.dir },
        'demo ready: try deploy_application with demo/hello-app at main',
      );
    } catch (err) {
      // The controller is useful without its demo: say why there is none and carry on.
      logger.error({ err }, `demo not started: ${err instanceof Error ? err.message : String(err)}`);
      await demoAgent?.stop();
      demoAgent = null;
    }
  }

  // Starting leaves tens of MB of garbage (module loading, migrations, PGlite start-up) that V8 would only collect
  // under pressure; one full collection now lets the controller sit at its working size (`pnpm start` passes
  // --expose-gc for this; elsewhere gc is absent and nothing happens). Measured by `pnpm bench`, coldstart.
  (globalThis as { gc?: () => void }).gc?.();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await demoAgent?.stop();
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
