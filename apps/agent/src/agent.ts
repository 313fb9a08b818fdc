import { mkdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import type { Logger } from 'pino';
import { type AgentConfig, ConfigError } from './config';
import { ControllerConnection } from './connection';
import { CredentialStore } from './credential-store';
import { createHandlers } from './handlers';
import { AGENT_VERSION, collectInfo } from './info';
import { JobManager } from './job-manager';
import { Outbox } from './outbox';
import { StepRegistry } from './step-registry';
import { lockWorkdir } from './workdir-lock';

export interface RunningAgent {
  /** Cancels jobs, delivers their final statuses if it can, disconnects. */
  stop(): Promise<void>;
}

/** How long shutdown waits for the controller to take the last statuses before disconnecting anyway. */
const DRAIN_ON_STOP_MS = 3_000;

/** Composition root: builds the agent's parts from the configuration and connects. */
export async function startAgent(config: AgentConfig, logger: Logger): Promise<RunningAgent> {
  await mkdir(config.workdir, { recursive: true });
  await mkdir(config.stateDir, { recursive: true, mode: 0o700 });
  const unlockWorkdir = await lockWorkdir(config.workdir);
  // Two agents sharing a state dir would overwrite each other's credential.
  const unlockState = await lockWorkdir(config.stateDir).catch(async (error: unknown) => {
    await unlockWorkdir();
    throw error;
  });
  const unlock = async () => {
    await unlockState();
    await unlockWorkdir();
  };
  // Holding the lock, this is the only agent on the work dir: steps still running from a killed one are orphans.
  const steps = new StepRegistry(config.workdir);
  steps.reapLeftovers(logger);

  const store = new CredentialStore(config.stateDir, config.controllers, config.hostname);
  const adopted = await store.adoptLegacy(config.workdir);
  if (adopted === 'moved') {
    logger.info({ file: store.file }, 'moved the agent state out of the work dir, where steps could read it');
  } else if (adopted === 'discarded') {
    logger.warn(
      { file: store.file },
      'deleted an old agent state file from the work dir; the state dir wins',
    );
  }
  const stored = await store.load();
  let environment = stored?.environment;
  let token = stored?.credential ?? null;
  if (token) {
    logger.info({ file: store.file }, 'using the stored credential');
  } else if (config.token) {
    token = config.token;
    logger.info('using the join token');
  } else {
    await unlock();
    const other = await store.loadAny();
    // A credential is only ever sent to the controller that issued it: a changed URL must not leak it elsewhere.
    const why = other?.credential
      ? `the credential in ${store.file} was issued by ${other.controller} for hostname ${other.hostname}, ` +
        `not by ${config.controllers.join(' or ')} for ${config.hostname}`
      : `no credential is stored in ${store.file}`;
    throw new ConfigError(`${why}: pass a join token with --token (or DEPLOYBOT_TOKEN)`);
  }

  const outbox = new Outbox(logger);
  const jobs = new JobManager({
    workdir: config.workdir,
    keepReleases: config.keepReleases,
    passEnv: config.passEnv,
    steps,
    environment: () => environment,
    concurrency: config.concurrency,
    reporter: outbox,
    logger,
  });
  const handlers = createHandlers({
    workdir: config.workdir,
    jobs,
    store,
    logger,
    useCredential: (credential) => {
      token = credential;
    },
    onConfigure: (configuration) => {
      environment = configuration.environment;
    },
  });
  const connection = new ControllerConnection({
    controllers: config.controllers,
    hostname: config.hostname,
    version: AGENT_VERSION,
    token: () => token!,
    // Jobs that finished while disconnected are still reported as ours until their final status is delivered.
    info: () =>
      collectInfo(config.workdir, [...new Set([...jobs.activeJobIds(), ...outbox.unreportedJobIds()])]),
    heartbeat: () => ({
      runningJobs: jobs.activeJobIds().slice(0, 100),
      load: Math.max(0, loadavg()[0] ?? 0),
    }),
    handlers,
    outbox,
    logger,
  });
  connection.start();

  let stopping: Promise<void> | null = null;
  return {
    stop: () => {
      stopping ??= (async () => {
        logger.info('stopping: cancelling running jobs');
        await jobs.shutdown();
        if (connection.connected && outbox.size > 0) await outbox.drained(DRAIN_ON_STOP_MS);
        connection.stop();
        await unlock();
        logger.info('stopped');
      })();
      return stopping;
    },
  };
}
