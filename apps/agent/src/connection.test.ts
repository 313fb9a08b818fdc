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
  let hellos = 0;
  io.of(AGENT_NAMESPACE).on('connection', (socket) => {
    socket.on('agent:hello', (_info, ack) => {
      hellos++;
      ack({
        data: {
          agentId: 'agent-1',
          heartbeatIntervalMs: 60_000,
          logReceipts: true,
          ...(takesPreviousRelease && { previousRelease: true }),
        },
      });
    });
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
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    io.close();
    await new Promise((r) => http.close(r));
  };
  cleanups.push(close);
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    received,
    hellos: () => hellos,
    /** Stops it, as a controller that dies (its sockets close). */
    close,
  };
}

/** A URL where nothing listens. */
async function deadUrl(): Promise<string> {
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  await new Promise((r) => http.close(r));
  return `http://127.0.0.1:${port}`;
}

function connect(...controllers: string[]) {
  const logger = pino({ level: 'silent' });
  const outbox = new Outbox(logger);
  const connection = new ControllerConnection({
    controllers,
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

describe('several controllers', () => {
  it('dials the next controller when the first cannot be reached', async () => {
    const second = await controller(true);
    connect(await deadUrl(), second.url);
    await waitFor(() => second.hellos() === 1, 15_000, 'hello to the second controller');
  });

  it('after losing its controller, carries on with the next one, which gets what was not delivered yet', async () => {
    const first = await controller(true);
    const second = await controller(true);
    const outbox = connect(first.url, second.url);
    await waitFor(() => first.hellos() === 1, 10_000, 'hello to the first controller');
    await first.close();
    const id = jobId();
    outbox.status({ jobId: id, status: 'success', exitCode: 0 });
    await waitFor(() => second.hellos() === 1, 15_000, 'hello to the second controller');
    await waitFor(() => outbox.size === 0, 10_000, 'the status to be delivered');
    expect(second.received).toEqual([{ jobId: id, status: 'success', exitCode: 0 }]);
    expect(first.received).toEqual([]);
  });
});
