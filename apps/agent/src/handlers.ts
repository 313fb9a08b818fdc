import {
  type Ack,
  type AgentConfigure,
  agentJobSchema,
  type ConfigureResult,
  configureSchema,
  credentialSchema,
  JOB_ACTIONS,
  jobCancelSchema,
} from '@deploybot/shared';
import type { Logger } from 'pino';
import { badRequest, fail, ok } from './ack';
import type { CredentialStore } from './credential-store';
import { AGENT_VERSION, checkInstallation } from './info';
import type { JobManager } from './job-manager';

export interface HandlerDeps {
  workdir: string;
  jobs: JobManager;
  store: CredentialStore;
  logger: Logger;
  /** Switches the token used for every later (re)connect. */
  useCredential: (credential: string) => void;
  onConfigure?: (configuration: AgentConfigure) => void;
}

/**
 * What the agent answers to each controller event. The controller is trusted to send jobs, not to send
 * well-formed ones: every payload is validated against the shared contract before anything is done with it.
 */
export function createHandlers(deps: HandlerDeps) {
  const { jobs, store, logger } = deps;
  return {
    ping(): { receivedAt: string } {
      return { receivedAt: new Date().toISOString() };
    },

    async configure(payload: unknown): Promise<Ack<ConfigureResult>> {
      const parsed = configureSchema.safeParse(payload);
      if (!parsed.success) return badRequest('agent:configure', parsed.error);
      try {
        await store.saveConfiguration(parsed.data.environment, parsed.data.labels);
      } catch (error) {
        logger.error({ err: error }, 'cannot store the configuration');
        return fail('internal', `cannot write ${store.file}: ${(error as Error).message}`);
      }
      deps.onConfigure?.(parsed.data);
      logger.info({ environment: parsed.data.environment, labels: parsed.data.labels }, 'configured');
      return ok(await checkInstallation(deps.workdir, jobs.activeJobIds()));
    },

    async credential(payload: unknown): Promise<Ack<{ ok: true }>> {
      const parsed = credentialSchema.safeParse(payload);
      if (!parsed.success) return badRequest('agent:credential', parsed.error);
      // Used from now on even if it cannot be written: the join token it replaces is already spent.
      deps.useCredential(parsed.data.credential);
      try {
        await store.saveCredential(parsed.data.credential);
      } catch (error) {
        logger.error({ err: error }, 'cannot store the credential; it will be lost on restart');
        return fail(
          'internal',
          `credential kept in memory only: cannot write ${store.file}: ${(error as Error).message}`,
        );
      }
      logger.info({ file: store.file }, 'credential received and stored');
      return ok({ ok: true as const });
    },

    assign(payload: unknown): Ack<{ accepted: true }> {
      // A controller newer than this agent may send work it cannot do: refuse that by name, never run it as a deploy.
      const action = (payload as { action?: unknown } | null)?.action;
      if (action !== undefined && !(JOB_ACTIONS as readonly unknown[]).includes(action)) {
        return fail(
          'bad_request',
          `this agent (deploybot-agent ${AGENT_VERSION}) does not know the job action ${JSON.stringify(action).slice(0, 50)}: upgrade it to run such jobs`,
        );
      }
      const parsed = agentJobSchema.safeParse(payload);
      if (!parsed.success) return badRequest('job:assign', parsed.error);
      const result = jobs.assign(parsed.data);
      if ('refused' in result) return fail(result.refused, result.message);
      return ok({ accepted: true as const });
    },

    cancel(payload: unknown): Ack<{ ok: true }> {
      const parsed = jobCancelSchema.safeParse(payload);
      if (!parsed.success) return badRequest('job:cancel', parsed.error);
      if (!jobs.cancel(parsed.data.jobId)) {
        return fail('not_found', `job ${parsed.data.jobId} is not running or queued on this agent`);
      }
      logger.info({ jobId: parsed.data.jobId }, 'job cancel requested');
      return ok({ ok: true as const });
    },
  };
}

export type ControllerHandlers = ReturnType<typeof createHandlers>;
