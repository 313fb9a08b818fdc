import { jobLogsPagePayloadSchema, LOG_PAGE_MAX_LINES, subscribeJobPayloadSchema } from '@deploybot/shared';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Fleet } from '../fleet/fleet';
import { FreshRead } from './fresh-read';
import { onRequest } from './socket-ack';
import type { SocketLimits } from './socket-guard';
import type { WorkflowNamespace } from './workflow-socket';

const FLEET_ROOM = 'fleet';
const jobRoom = (jobId: string) => `job:${jobId}`;
const emptyPayloadSchema = z.strictObject({});

/**
 * Fleet subscriptions for web clients: agent and job status in one room, each job's log lines in its own. Log
 * snapshots are pages bounded in bytes; `job:logs` pages further back.
 */
export function registerFleetHandlers(
  nsp: WorkflowNamespace,
  fleet: Fleet,
  limits: Pick<SocketLimits, 'logPageBytes'>,
  logger: Logger,
): void {
  const fleetSnapshot = new FreshRead(async () => {
    const [agents, jobs] = await Promise.all([fleet.agents.list(), fleet.jobs.list({ limit: 100 })]);
    return { agents, jobs };
  });

  nsp.on('connection', (socket) => {
    onRequest(socket, 'fleet:subscribe', logger, async (payload) => {
      emptyPayloadSchema.parse(payload ?? {});
      await socket.join(FLEET_ROOM);
      return fleetSnapshot.get();
    });
    onRequest(socket, 'job:subscribe', logger, async (payload) => {
      const { jobId } = subscribeJobPayloadSchema.parse(payload);
      const job = await fleet.jobs.get(jobId);
      await socket.join(jobRoom(jobId));
      // Lines that arrive between the join and this read may come twice; clients keep them by seq.
      const page = await fleet.jobs.logPage(jobId, null, LOG_PAGE_MAX_LINES, limits.logPageBytes);
      return { job, ...page };
    });
    onRequest(socket, 'job:logs', logger, async (payload) => {
      const { jobId, before, limit } = jobLogsPagePayloadSchema.parse(payload);
      return fleet.jobs.logPage(jobId, before, limit ?? LOG_PAGE_MAX_LINES, limits.logPageBytes);
    });
    onRequest(socket, 'job:unsubscribe', logger, async (payload) => {
      const { jobId } = subscribeJobPayloadSchema.parse(payload);
      await socket.leave(jobRoom(jobId));
      return { ok: true as const };
    });
  });

  fleet.events.on('agent', (agent) => nsp.to(FLEET_ROOM).emit('agent:status', agent));
  fleet.events.on('job', (job) => nsp.to(FLEET_ROOM).to(jobRoom(job.id)).emit('job:status', job));
  fleet.events.on('logs', (batch) => nsp.to(jobRoom(batch.jobId)).emit('job:log', batch));
}
