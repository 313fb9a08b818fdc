import { Command, InvalidArgumentError, Option } from 'commander';
import { startAgent } from './agent';
import { ConfigError, ENV_VARS, LOG_LEVELS, resolveConfig } from './config';
import { AGENT_VERSION } from './info';
import { createLogger } from './logger';
import { WorkdirLocked } from './workdir-lock';

/** Stops waiting for a graceful stop after this long: a stuck job must not keep a SIGTERM from working. */
const STOP_TIMEOUT_MS = 15_000;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

const program = new Command()
  .name('deploybot-agent')
  .description(
    'DeployBot deploy agent: dials out to the controller, receives deployment jobs and runs them in the work dir.',
  )
  .version(AGENT_VERSION)
  .addOption(
    new Option(
      '--controller <url>',
      'controller URL, e.g. https://deploybot.example.com; repeat it (or give a comma-separated list) for several controllers sharing one database, tried in turn after a lost connection',
    )
      .env(ENV_VARS.controller)
      .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
  )
  .addOption(
    new Option('--hostname <name>', "this server's name as enrolled (default: the OS host name)").env(
      ENV_VARS.hostname,
    ),
  )
  .addOption(
    new Option(
      '--token <token>',
      'one-time join token; not needed once a credential is stored in the work dir',
    ).env(ENV_VARS.token),
  )
  .addOption(
    new Option('--workdir <dir>', 'directory for repositories and releases; the steps run inside it').env(
      ENV_VARS.workdir,
    ),
  )
  .addOption(
    new Option(
      '--state-dir <dir>',
      'directory for the agent credential, outside the work dir (default: $XDG_STATE_HOME/deploybot-agent/<id>)',
    ).env(ENV_VARS.stateDir),
  )
  .addOption(
    new Option(
      '--pass-env <names>',
      'comma-separated variables passed on to steps besides PATH, HOME, USER, LOGNAME, SHELL, LANG, LANGUAGE, LC_*, TZ, TMPDIR',
    ).env(ENV_VARS.passEnv),
  )
  .addOption(
    new Option('--keep-releases <n>', 'releases kept per repository (a manifest may override)')
      .env(ENV_VARS.keepReleases)
      .argParser(positiveInt)
      .default(5),
  )
  .addOption(
    new Option('--concurrency <n>', 'jobs run at once; more are queued')
      .env(ENV_VARS.concurrency)
      .argParser(positiveInt)
      .default(1),
  )
  .addOption(
    new Option('--log-level <level>', 'agent log level (logs go to stderr)')
      .env(ENV_VARS.logLevel)
      .choices(LOG_LEVELS)
      .default('info'),
  )
  .addHelpText(
    'after',
    `
Flags win over environment variables. Prefer DEPLOYBOT_TOKEN to --token: command
lines are visible to every user of the machine. After enrollment the controller
issues a credential, stored in <state-dir>/agent-state.json (mode 0600) and used
instead of the token from then on. Steps get only the variables above, the
manifest's env and the DEPLOYBOT_* job variables.

SIGTERM or SIGINT cancels running jobs, reports them and exits.`,
  );

async function main(): Promise<void> {
  program.parse();
  const opts = program.opts();
  // Child processes are built from a clean environment anyway; this also keeps the token out of crash dumps.
  delete process.env[ENV_VARS.token];

  let config: ReturnType<typeof resolveConfig>;
  try {
    config = resolveConfig(opts);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`deploybot-agent: ${error.message.replaceAll('\n', '\ndeploybot-agent: ')}\n`);
      process.stderr.write('Run deploybot-agent --help for usage.\n');
      process.exit(2);
    }
    throw error;
  }

  const logger = createLogger(config.logLevel);
  logger.info(
    {
      version: AGENT_VERSION,
      controllers: config.controllers,
      hostname: config.hostname,
      workdir: config.workdir,
      stateDir: config.stateDir,
    },
    'deploybot-agent starting',
  );

  let agent: Awaited<ReturnType<typeof startAgent>>;
  try {
    agent = await startAgent(config, logger);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof WorkdirLocked) {
      logger.fatal(error.message);
      process.exit(2);
    }
    throw error;
  }

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('graceful stop took too long; exiting');
      process.exit(1);
    }, STOP_TIMEOUT_MS);
    force.unref();
    agent.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `deploybot-agent: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
