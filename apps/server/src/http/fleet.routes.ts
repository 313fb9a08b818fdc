import {
  agentIdSchema,
  createJobBodySchema,
  createRepositoryBodySchema,
  type HostDto,
  hostnameSchema,
  jobIdSchema,
  jobLogsQuerySchema,
  listJobsQuerySchema,
  repositoryNameSchema,
  updateAgentBodySchema,
} from '@deploybot/shared';
import { Router } from 'express';
import { z } from 'zod';
import type { Fleet } from '../fleet/fleet';
import type { ActorResolver } from './actor';
import { parseOr400 } from './http-error';

/** An agent is addressed by id or hostname. */
const agentRefSchema = z.union([agentIdSchema, hostnameSchema], {
  message: 'agent must be an id or a hostname',
});
const joinTokenBodySchema = z.strictObject({ hostname: hostnameSchema });
const retryBodySchema = z.strictObject({ agent: z.string().min(1).max(253).optional() });

export function agentsRouter(fleet: Fleet, actorOf: ActorResolver): Router {
  const router = Router();
  const ref = (raw: unknown) => parseOr400(agentRefSchema, raw, 'params');

  router.get('/', async (_req, res) => {
    res.json({ agents: await fleet.agents.list() });
  });
  /** A join token for enrolling a host outside the register_agent workflow (e.g. from a script). */
  router.post('/join-tokens', async (req, res) => {
    const { hostname } = parseOr400(joinTokenBodySchema, req.body, 'body');
    await fleet.agents.assertHostnameFree(hostname);
    const { token, expiresAt } = await fleet.agents.issueJoinToken(hostname, actorOf(req), null);
    res
      .status(201)
      .json({ hostname, token, expiresAt, command: enrollCommand(fleet.options.publicUrl, hostname, token) });
  });
  router.get('/:ref', async (req, res) => {
    res.json(await fleet.agents.get(ref(req.params.ref)));
  });
  router.get('/:ref/heartbeats', async (req, res) => {
    const agent = await fleet.agents.get(ref(req.params.ref));
    const rows = await fleet.agents.heartbeats(agent.id, 100);
    res.json({ heartbeats: rows.map((h) => ({ at: h.at, load: h.load, runningJobs: h.running_jobs })) });
  });
  router.patch('/:ref', async (req, res) => {
    const id = ref(req.params.ref);
    res.json(
      await fleet.agents.update(id, parseOr400(updateAgentBodySchema, req.body, 'body'), actorOf(req)),
    );
  });
  router.delete('/:ref', async (req, res) => {
    res.json(await fleet.agents.revoke(ref(req.params.ref), actorOf(req)));
  });
  return router;
}

export function repositoriesRouter(fleet: Fleet, actorOf: ActorResolver): Router {
  const router = Router();
  const name = (params: Record<string, string>) =>
    parseOr400(repositoryNameSchema, `${params.org}/${params.name}`, 'params');

  router.get('/', async (_req, res) => {
    res.json({ repositories: await fleet.repositories.list() });
  });
  router.post('/', async (req, res) => {
    const body = parseOr400(createRepositoryBodySchema, req.body, 'body');
    res
      .status(201)
      .json(
        await fleet.repositories.create(
          { name: body.name, url: body.url, defaultRef: body.default_ref },
          actorOf(req),
        ),
      );
  });
  router.get('/:org/:name', async (req, res) => {
    res.json(await fleet.repositories.get(name(req.params)));
  });
  router.delete('/:org/:name', async (req, res) => {
    await fleet.repositories.remove(name(req.params), actorOf(req));
    res.status(204).end();
  });
  return router;
}

export function jobsRouter(fleet: Fleet, actorOf: ActorResolver): Router {
  const router = Router();
  const id = (raw: unknown) => parseOr400(jobIdSchema, raw, 'params');

  router.post('/', async (req, res) => {
    const body = parseOr400(createJobBodySchema, req.body, 'body');
    const job = await fleet.jobs.create({
      repository: body.repository,
      ref: body.ref,
      agent: body.agent,
      idempotencyKey: body.idempotency_key,
      timeoutSec: body.timeout_sec,
      createdBy: actorOf(req),
    });
    res.status(201).json(job);
  });
  router.get('/', async (req, res) => {
    res.json({ jobs: await fleet.jobs.list(parseOr400(listJobsQuerySchema, req.query, 'query')) });
  });
  router.get('/:id', async (req, res) => {
    res.json(await fleet.jobs.get(id(req.params.id)));
  });
  router.get('/:id/logs', async (req, res) => {
    const q = parseOr400(jobLogsQuerySchema, req.query, 'query');
    res.json({ lines: await fleet.jobs.logs(id(req.params.id), q.after, q.limit) });
  });
  router.post('/:id/cancel', async (req, res) => {
    res.json(await fleet.jobs.cancel(id(req.params.id), actorOf(req)));
  });
  router.post('/:id/retry', async (req, res) => {
    const body = parseOr400(retryBodySchema, req.body ?? {}, 'body');
    res
      .status(201)
      .json(await fleet.jobs.retry(id(req.params.id), { agent: body.agent, createdBy: actorOf(req) }));
  });
  return router;
}

/** Hosts: each agent with what is deployed on it now (its latest successful job per repository). */
export function hostsRouter(fleet: Fleet): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    const [agents, succeeded] = await Promise.all([
      fleet.agents.list(),
      fleet.jobs.list({ status: 'success', limit: 500 }),
    ]);
    const hosts: HostDto[] = agents.map((a) => {
      const latest = new Map<string, HostDto['currentReleases'][number]>();
      for (const job of succeeded) {
        if (job.agentId !== a.id || latest.has(job.repository)) continue; // newest first
        latest.set(job.repository, {
          repository: job.repository,
          jobId: job.id,
          sha: job.sha,
          deployedAt: job.finishedAt ?? job.createdAt,
        });
      }
      return {
        hostname: a.hostname,
        agentId: a.id,
        environment: a.environment,
        status: a.status,
        address: a.address,
        currentReleases: [...latest.values()],
      };
    });
    res.json({ hosts });
  });
  return router;
}

/** The exact command an operator runs on the new host. */
export function enrollCommand(controllerUrl: string, hostname: string, token: string): string {
  // The token goes in the environment, so it does not show in `ps` on the host.
  return `DEPLOYBOT_TOKEN=${token} deploybot-agent --controller ${controllerUrl} --hostname ${hostname} --workdir /var/lib/deploybot`;
}
