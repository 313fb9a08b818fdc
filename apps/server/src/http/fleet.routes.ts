import {
  agentIdSchema,
  approveEnrollmentBodySchema,
  cancelBodySchema,
  createJobBodySchema,
  createRepositoryBodySchema,
  type HostDto,
  hostnameSchema,
  jobIdSchema,
  jobLogsQuerySchema,
  listJobsQuerySchema,
  repositoryNameSchema,
  updateAgentBodySchema,
  updateRepositoryBodySchema,
} from '@deploybot/shared';
import type { Router } from 'express';
import { z } from 'zod';
import type { AuthService } from '../auth/auth.service';
import type { Fleet } from '../fleet/fleet';
import { apiRouter } from './access';
import type { ActorResolver } from './actor';
import { parseOr400 } from './http-error';

/** An agent is addressed by id or hostname. */
const agentRefSchema = z.union([agentIdSchema, hostnameSchema], {
  message: 'agent must be an id or a hostname',
});
const joinTokenBodySchema = z.strictObject({ hostname: hostnameSchema });
const enrollmentIdSchema = z.uuid({ message: 'enrollment id must be a UUID' });
const retryBodySchema = z.strictObject({ agent: z.string().min(1).max(253).optional() });

export function agentsRouter(auth: AuthService, fleet: Fleet, actorOf: ActorResolver): Router {
  const api = apiRouter(auth);
  const ref = (raw: unknown) => parseOr400(agentRefSchema, raw, 'params');

  api.get('/', 'viewer', async (_req, res) => {
    res.json({ agents: await fleet.agents.list() });
  });
  /** A join token for enrolling a host outside the register_agent workflow (e.g. from a script). */
  api.post('/join-tokens', 'admin', async (req, res) => {
    const { hostname } = parseOr400(joinTokenBodySchema, req.body, 'body');
    await fleet.agents.assertHostnameFree(hostname);
    const { token, expiresAt } = await fleet.agents.issueJoinToken(hostname, actorOf(req), null);
    res.status(201).json({
      hostname,
      token,
      expiresAt,
      command: enrollCommand(fleet.options.publicUrl, hostname, token),
      next: 'once the agent has connected, review it in GET /v1/agents/enrollments and approve it with POST /v1/agents/enrollments/{id}/approve',
    });
  });
  /** Agents connected with such a token, waiting for an admin's decision (by connection). */
  api.get('/enrollments', 'viewer', async (_req, res) => {
    res.json({ enrollments: fleet.agents.pendingEnrollments() });
  });
  api.post('/enrollments/:id/approve', 'admin', async (req, res) => {
    const id = parseOr400(enrollmentIdSchema, req.params.id, 'params');
    const body = parseOr400(approveEnrollmentBodySchema, req.body, 'body');
    res.status(201).json(await fleet.agents.approveEnrollment(id, body, actorOf(req)));
  });
  api.post('/enrollments/:id/reject', 'admin', async (req, res) => {
    await fleet.agents.rejectEnrollment(
      parseOr400(enrollmentIdSchema, req.params.id, 'params'),
      actorOf(req),
    );
    res.status(204).end();
  });
  api.get('/:ref', 'viewer', async (req, res) => {
    res.json(await fleet.agents.get(ref(req.params.ref)));
  });
  api.get('/:ref/heartbeats', 'viewer', async (req, res) => {
    const agent = await fleet.agents.get(ref(req.params.ref));
    const rows = await fleet.agents.heartbeats(agent.id, 100);
    res.json({ heartbeats: rows.map((h) => ({ at: h.at, load: h.load, runningJobs: h.running_jobs })) });
  });
  api.patch('/:ref', 'admin', async (req, res) => {
    const id = ref(req.params.ref);
    res.json(
      await fleet.agents.update(id, parseOr400(updateAgentBodySchema, req.body, 'body'), actorOf(req)),
    );
  });
  api.delete('/:ref', 'admin', async (req, res) => {
    res.json(await fleet.agents.revoke(ref(req.params.ref), actorOf(req)));
  });
  return api.router;
}

export function repositoriesRouter(auth: AuthService, fleet: Fleet, actorOf: ActorResolver): Router {
  const api = apiRouter(auth);
  const name = (params: Record<string, unknown>) =>
    parseOr400(repositoryNameSchema, `${String(params.org)}/${String(params.name)}`, 'params');

  api.get('/', 'viewer', async (_req, res) => {
    res.json({ repositories: await fleet.repositories.list() });
  });
  api.post('/', 'admin', async (req, res) => {
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
  api.get('/:org/:name', 'viewer', async (req, res) => {
    res.json(await fleet.repositories.get(name(req.params)));
  });
  api.patch('/:org/:name', 'admin', async (req, res) => {
    const repo = name(req.params);
    const body = parseOr400(updateRepositoryBodySchema, req.body, 'body');
    res.json(
      await fleet.repositories.update(repo, { url: body.url, defaultRef: body.default_ref }, actorOf(req)),
    );
  });
  api.delete('/:org/:name', 'admin', async (req, res) => {
    await fleet.repositories.remove(name(req.params), actorOf(req));
    res.status(204).end();
  });
  return api.router;
}

export function jobsRouter(auth: AuthService, fleet: Fleet, actorOf: ActorResolver): Router {
  const api = apiRouter(auth);
  const id = (raw: unknown) => parseOr400(jobIdSchema, raw, 'params');

  api.post('/', 'admin', async (req, res) => {
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
  api.get('/', 'viewer', async (req, res) => {
    res.json({ jobs: await fleet.jobs.list(parseOr400(listJobsQuerySchema, req.query, 'query')) });
  });
  api.get('/:id', 'viewer', async (req, res) => {
    res.json(await fleet.jobs.get(id(req.params.id)));
  });
  api.get('/:id/logs', 'viewer', async (req, res) => {
    const q = parseOr400(jobLogsQuerySchema, req.query, 'query');
    res.json(await fleet.jobs.logs(id(req.params.id), q.after, q.limit));
  });
  api.post('/:id/cancel', 'operator', async (req, res) => {
    // The same optional `{ reason }` as a run's cancel: the job ends with it as its error.
    const body = parseOr400(cancelBodySchema, req.body ?? {}, 'body');
    res.json(await fleet.jobs.cancel(id(req.params.id), actorOf(req), body.reason ?? null));
  });
  api.post('/:id/retry', 'admin', async (req, res) => {
    const body = parseOr400(retryBodySchema, req.body ?? {}, 'body');
    res
      .status(201)
      .json(await fleet.jobs.retry(id(req.params.id), { agent: body.agent, createdBy: actorOf(req) }));
  });
  return api.router;
}

/** Hosts: each agent with what is deployed on it now (its latest successful job per repository). */
export function hostsRouter(auth: AuthService, fleet: Fleet): Router {
  const api = apiRouter(auth);
  api.get('/', 'viewer', async (_req, res) => {
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
  return api.router;
}

/** The exact command an operator runs on the new host. */
export function enrollCommand(controllerUrl: string, hostname: string, token: string): string {
  // The token goes in the environment, so it does not show in `ps` on the host.
  return `DEPLOYBOT_TOKEN=${token} deploybot-agent --controller ${controllerUrl} --hostname ${hostname} --workdir /var/lib/deploybot`;
}
