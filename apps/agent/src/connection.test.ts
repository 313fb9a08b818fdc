/**
 * What the connection sends to controllers of different ages: a real Socket.IO server stands in for the
 * controller and records the raw `job:status` payloads.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AGENT_NAMESPACE, type AgentInfo, jobStatusUpdateSchema } from '@deploybot/shared';
import { pino } from 'pino';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { ControllerConnection } from './connection';
import type { ControllerHandlers } from './handlers';
import { Outbox } from './outbox';
import { jobId, waitFor } from './test-helpers';

const INFO: AgentInfo = {
  version: 'test',
  gitVersion: null,
  workdir: '/tmp/w',
  workdirWritable: true,
  platform: 'linux',
  nodeVersion: 'v22',
  runningJobs: [],
};
const RELEASE = '0b6e3c54-1f0e-4a5e-9d3c-2d1b7f0a9e11';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A controller whose hello answer says (or, like controllers from before rollbacks, does not say) `previousRelease`. */
async function controller(takesPreviousRelease: boolean) {
  const http = createServer();
  const io = new Server(http);
  const received: Record<string, unknown>[] = [];
  io.of(AGENT_NAMESPACE).on('connection', (socket) => {
    socket.on('agent:hello', (_info, ack) =>
      ack({
        data: {
          agentId: 'agent-1',
          heartbeatIntervalMs: 60_000,
          logReceipts: true,
          ...(takesPreviousRelease && { previousRelease: true }),
        },
      }),
    );
    socket.on('job:status', (update, ack) => {
      received.push(update);
      // As an old controller does: its strict schema has no `previousRelease`.
      const known = takesPreviousRelease
        ? jobStatusUpdateSchema
        : jobStatusUpdateSchema.omit({ previousRelease: true }).strict();
      const parsed = known.safeParse(update);
      ack(
        parsed.success
          ? { data: { ok: true } }
          : { error: { code: 'validation_failed', message: parsed.error.message } },
      );
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    io.close();
    await new Promise((r) => http.close(r));
  });
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, received };
}

function connect(url: string) {
  const logger = pino({ level: 'silent' });
  const outbox = new Outbox(logger);
  const connection = new ControllerConnection({
    controllers: [url],
    hostname: 'web-01',
    version: 'test',
    token: () => 'dba_0123456789abcdef0123456789abcdef',
    info: async () => INFO,
    heartbeat: () => ({ runningJobs: [], load: 0 }),
    // No controller command is sent in these tests.
    handlers: {} as ControllerHandlers,
    outbox,
    logger,
  });
  connection.start();
  cleanups.push(async () => connection.stop());
  return outbox;
}

describe('job:status and the release live before a job', () => {
  it('is sent to a controller that takes it', async () => {
    const c = await controller(true);
    const outbox = connect(c.url);
    const id = jobId();
    outbox.status({ jobId: id, status: 'success', previousRelease: RELEASE });
    await waitFor(() => outbox.size === 0 && c.received.length === 1, 10_000, 'the status to be delivered');
    expect(c.received[0]).toMatchObject({ jobId: id, status: 'success', previousRelease: RELEASE });
  });

  it('is left out for a controller from before rollbacks, which would refuse the status', async () => {
    const c = await controller(false);
    const outbox = connect(c.url);
    const id = jobId();
    outbox.status({ jobId: id, status: 'success', exitCode: 0, previousRelease: RELEASE });
    await waitFor(() => outbox.size === 0 && c.received.length === 1, 10_000, 'the status to be delivered');
    expect(c.received[0]).toEqual({ jobId: id, status: 'success', exitCode: 0 });
  });
});
