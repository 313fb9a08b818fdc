import {
  type Ack,
  AGENT_NAMESPACE,
  AGENT_PROTOCOL_VERSION,
  type AgentInfo,
  type AgentJob,
  type AgentToControllerEvents,
  type ControllerToAgentEvents,
  type HelloAck,
} from '@deploybot/shared';
import { io, type Socket } from 'socket.io-client';
import type { App } from '../../../src/app';

type AgentSocket = Socket<ControllerToAgentEvents, AgentToControllerEvents>;

export const AGENT_INFO: AgentInfo = {
  version: 'test',
  gitVersion: 'git version 2.39.5',
  workdir: '/var/lib/deploybot',
  workdirWritable: true,
  platform: 'linux',
  nodeVersion: process.version,
  runningJobs: [],
};

/**
 * A deploy agent speaking the real protocol over socket.io-client (no agent binary): it answers pings,
 * configuration, credential hand-over and job assignments, and sends what a test tells it to.
 */
export class FakeAgent {
  readonly socket: AgentSocket;
  credential: string | null = null;
  readonly assigned: AgentJob[] = [];
  private disconnectReason: string | null = null;

  private constructor(socket: AgentSocket) {
    this.socket = socket;
    socket.on('agent:ping', (_p, ack) => ack({ receivedAt: new Date().toISOString() }));
    socket.on('agent:configure', (_p, ack) => ack({ data: { info: AGENT_INFO, checks: [] } }));
    socket.on('agent:credential', ({ credential }, ack) => {
      this.credential = credential;
      ack({ data: { ok: true } });
    });
    socket.on('job:assign', (job, ack) => {
      this.assigned.push(job);
      ack({ data: { accepted: true } });
    });
    socket.on('job:cancel', (_p, ack) => ack({ data: { ok: true } }));
    socket.on('disconnect', (reason) => {
      this.disconnectReason = reason;
    });
  }

  /** Connects to `/agents`; resolves once connected, rejects with the connect_error. */
  static async connect(
    url: string,
    token: string,
    hostname: string,
    extraAuth: object = {},
  ): Promise<FakeAgent> {
    const socket: AgentSocket = io(`${url}${AGENT_NAMESPACE}`, {
      auth: { token, hostname, version: 'test', protocol: AGENT_PROTOCOL_VERSION, ...extraAuth },
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
    });
    const agent = new FakeAgent(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => {
        socket.close();
        reject(err);
      });
    });
    return agent;
  }

  /** The handshake's refusal message, or null when it connected (the socket is then closed). */
  static async refusal(url: string, token: string, hostname: string): Promise<string | null> {
    try {
      const agent = await FakeAgent.connect(url, token, hostname);
      agent.close();
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  hello(info: AgentInfo = AGENT_INFO): Promise<Ack<HelloAck>> {
    return this.socket.timeout(5000).emitWithAck('agent:hello', info);
  }

  /** Emits any event with any payload and waits for its ack. */
  ask(event: string, payload: unknown, timeoutMs = 5000): Promise<unknown> {
    const raw = this.socket.timeout(timeoutMs) as unknown as {
      emitWithAck(ev: string, p: unknown): Promise<unknown>;
    };
    return raw.emitWithAck(event, payload);
  }

  emit(event: string, payload: unknown): void {
    (this.socket as unknown as { emit(ev: string, p: unknown): void }).emit(event, payload);
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** Resolves with the disconnect reason once the server has cut the socket. */
  disconnected(timeoutMs = 5000): Promise<string> {
    if (this.disconnectReason) return Promise.resolve(this.disconnectReason);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the agent socket was not disconnected')), timeoutMs);
      this.socket.once('disconnect', (reason) => {
        clearTimeout(timer);
        resolve(reason);
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * Enrolls a fake agent as an operator would without the workflow: an admin's join token (POST
 * /v1/agents/join-tokens), the handshake and hello, then `fleet.agents.register`. Returns the agent holding its
 * long-lived credential and its id.
 */
export async function enrollFakeAgent(
  app: App,
  url: string,
  joinToken: string,
  hostname: string,
): Promise<{ agent: FakeAgent; agentId: string }> {
  const joinTokenId = await app.fleet.agents.joinTokenId(joinToken);
  if (!joinTokenId) throw new Error(`join token for ${hostname} is not usable`);
  const agent = await FakeAgent.connect(url, joinToken, hostname);
  const hello = await agent.hello();
  if ('error' in hello) throw new Error(`hello refused: ${hello.error.message}`);
  const enrollment = app.fleet.gateway.enrollment(joinTokenId);
  if (!enrollment) throw new Error(`no enrollment for ${hostname}`);
  const dto = await app.fleet.agents.register(enrollment, {
    environment: 'production',
    labels: {},
    by: 'admin',
    runId: null,
  });
  if (!agent.credential) throw new Error(`${hostname} received no credential`);
  return { agent, agentId: dto.id };
}
