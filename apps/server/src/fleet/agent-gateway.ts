import {
  type Ack,
  type AgentConfigure,
  type AgentInfo,
  type AgentToControllerEvents,
  agentHandshakeSchema,
  agentInfoSchema,
  type ConfigureResult,
  type ControllerToAgentEvents,
  configureResultSchema,
  heartbeatSchema,
  type JobAssignment,
  jobLogsSchema,
  jobStatusUpdateSchema,
  type LogsReceipt,
  redactCredentials,
} from '@deploybot/shared';
import type { Logger } from 'pino';
import type { Namespace, Socket } from 'socket.io';
import { ZodError } from 'zod';
import type { Clock } from '../engine/ports';
import { issuesOf } from '../http/http-error';
import { findUnsafeText, UnsafeTextError } from '../http/safe-text';
import type { AgentsStore } from './agents.store';
import type { FleetEvents } from './fleet-events';
import type { JobRecord, JobsStore } from './jobs.store';
import { AGENT_CREDENTIAL_PREFIX, hashToken } from './tokens';

export type AgentNamespace = Namespace<AgentToControllerEvents, ControllerToAgentEvents>;
type AgentSocket = Socket<AgentToControllerEvents, ControllerToAgentEvents>;

/** Who is on the other end of an agent socket, decided once at the handshake. */
export type AgentSession =
  | { kind: 'agent'; agentId: string; hostname: string }
  | { kind: 'enrolling'; joinTokenId: string; hostname: string; runId: string | null };

/** An agent that connected with a join token and has not been registered yet. */
export interface Enrollment {
  joinTokenId: string;
  hostname: string;
  address: string | null;
  info: AgentInfo;
  connectedAt: string;
}

export interface GatewayOptions {
  agents: AgentsStore;
  jobs: JobsStore;
  events: FleetEvents;
  clock: Clock;
  logger: Logger;
  heartbeatIntervalMs: number;
  /** The repository URL with its credentials, for the assignment only (never logged or stored). */
  urlForAgent: (repository: string) => Promise<string>;
  /** Called after anything that changes how an agent looks (connect, disconnect, heartbeat, info). */
  onAgentChanged: (agentId: string) => void;
  /** Called with each job whose status the agent changed. */
  onJobChanged: (job: JobRecord) => void;
}

export class AgentUnavailableError extends Error {}

const ACK_TIMEOUT_MS = 10_000;

/**
 * The controller's end of the agent protocol (`/agents`): authenticates handshakes, tracks who is connected,
 * applies what agents report (only about their own jobs), and sends them commands.
 */
export class AgentGateway {
  private readonly online = new Map<string, AgentSocket>();
  private readonly enrolling = new Map<string, { socket: AgentSocket; enrollment: Enrollment | null }>();
  private readonly enrollWaiters = new Map<string, Set<() => void>>();

  constructor(
    private readonly nsp: AgentNamespace,
    private readonly opts: GatewayOptions,
  ) {
    nsp.use((socket, next) => {
      this.authenticate(socket as AgentSocket).then(
        (session) => {
          socket.data.session = session;
          next();
        },
        (err: Error) => next(err),
      );
    });
    nsp.on('connection', (socket) => this.onConnection(socket as AgentSocket));
  }

  isConnected(agentId: string): boolean {
    return this.online.has(agentId);
  }

  connectedAddress(agentId: string): string | null {
    const socket = this.online.get(agentId);
    return socket ? addressOf(socket) : null;
  }

  enrollment(joinTokenId: string): Enrollment | null {
    return this.enrolling.get(joinTokenId)?.enrollment ?? null;
  }

  /** Resolves once an agent holding this join token has connected and said hello. */
  async waitForEnrollment(joinTokenId: string, signal: AbortSignal): Promise<Enrollment> {
    for (;;) {
      const found = this.enrollment(joinTokenId);
      if (found) return found;
      await new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const waiters = this.enrollWaiters.get(joinTokenId) ?? new Set();
        this.enrollWaiters.set(joinTokenId, waiters);
        const wake = () => {
          waiters.delete(wake);
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          waiters.delete(wake);
          reject(signal.reason);
        };
        waiters.add(wake);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  /** Ping round-trip to a registered agent or an enrolling one (by join token id). */
  async ping(
    target: { agentId: string } | { joinTokenId: string },
  ): Promise<{ rttMs: number; address: string | null }> {
    const socket = this.socketFor(target);
    const started = performance.now();
    await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('agent:ping', { sentAt: this.now() });
    return { rttMs: Math.round((performance.now() - started) * 100) / 100, address: addressOf(socket) };
  }

  /** Hands a freshly registered agent its credential and turns the enrolling session into an agent session. */
  async promote(joinTokenId: string, agentId: string, credential: string): Promise<void> {
    const entry = this.enrolling.get(joinTokenId);
    if (!entry)
      throw new AgentUnavailableError('the enrolling agent disconnected; start it again with its join token');
    const res = await entry.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('agent:credential', { credential });
    if ('error' in res) throw new Error(`the agent refused its credential: ${res.error.message}`);
    this.enrolling.delete(joinTokenId);
    entry.socket.data.session = {
      kind: 'agent',
      agentId,
      hostname: entry.enrollment?.hostname ?? '',
    } satisfies AgentSession;
    this.online.get(agentId)?.disconnect(true);
    this.online.set(agentId, entry.socket);
    this.opts.onAgentChanged(agentId);
  }

  async configure(agentId: string, payload: AgentConfigure): Promise<ConfigureResult> {
    const res = await this.socketFor({ agentId })
      .timeout(ACK_TIMEOUT_MS)
      .emitWithAck('agent:configure', payload);
    if ('error' in res) throw new Error(`the agent refused its configuration: ${res.error.message}`);
    const parsed = configureResultSchema.safeParse(res.data);
    if (!parsed.success) throw new Error('the agent answered the configuration with an invalid result');
    await this.opts.agents.update(agentId, { info: parsed.data.info });
    this.opts.onAgentChanged(agentId);
    return parsed.data;
  }

  /** Pushes a job to its agent if connected; a job for an offline agent waits and is pushed on reconnect. */
  async dispatch(job: JobRecord): Promise<boolean> {
    const socket = this.online.get(job.agentId);
    if (!socket) return false;
    let url: string;
    try {
      url = await this.opts.urlForAgent(job.repository);
    } catch (err) {
      const failed = await this.opts.jobs.transition(job.id, {
        status: 'failed',
        error: (err as Error).message,
        cause: 'internal',
        at: this.now(),
      });
      if (failed) this.opts.onJobChanged(failed);
      return false;
    }
    const assignment: JobAssignment = {
      jobId: job.id,
      repository: { name: job.repository, url },
      ref: job.ref,
      sha: job.sha,
      timeoutSec: job.timeoutSec,
    };
    try {
      const res = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('job:assign', assignment);
      if ('error' in res) {
        const failed = await this.opts.jobs.transition(job.id, {
          status: 'failed',
          error: `the agent refused the job: ${res.error.message}`,
          cause: 'internal',
          at: this.now(),
        });
        if (failed) this.opts.onJobChanged(failed);
        return false;
      }
      return true;
    } catch (err) {
      this.opts.logger.warn(
        { err, jobId: job.id },
        'job assignment not acknowledged; it is pushed again on reconnect',
      );
      return false;
    }
  }

  /** Asks the agent to stop a job; false when the agent is not connected. */
  async cancelJob(agentId: string, jobId: string): Promise<boolean> {
    const socket = this.online.get(agentId);
    if (!socket) return false;
    try {
      await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('job:cancel', { jobId });
      return true;
    } catch {
      return false;
    }
  }

  /** Cuts a revoked agent off at once. */
  disconnect(agentId: string): void {
    this.online.get(agentId)?.disconnect(true);
  }

  // ---------------------------------------------------------------- inbound

  private async authenticate(socket: AgentSocket): Promise<AgentSession> {
    const parsed = agentHandshakeSchema.safeParse(socket.handshake.auth);
    if (!parsed.success)
      throw new Error('unauthorized: invalid handshake (token, hostname, version, protocol)');
    const { token, hostname } = parsed.data;
    const hash = hashToken(token);
    if (token.startsWith(AGENT_CREDENTIAL_PREFIX)) {
      const agent = await this.opts.agents.getByCredentialHash(hash);
      if (!agent || agent.hostname !== hostname)
        throw new Error('unauthorized: unknown or revoked agent credential');
      return { kind: 'agent', agentId: agent.id, hostname };
    }
    const join = await this.opts.agents.usableJoinToken(hash, this.now());
    if (!join || join.hostname !== hostname) {
      throw new Error(
        'unauthorized: join token unknown, expired, already used, or issued for another hostname',
      );
    }
    return { kind: 'enrolling', joinTokenId: join.id, hostname, runId: join.run_id };
  }

  private onConnection(socket: AgentSocket): void {
    const session = socket.data.session as AgentSession;
    const log = this.opts.logger.child({ hostname: session.hostname });
    if (session.kind === 'enrolling') {
      this.enrolling.get(session.joinTokenId)?.socket.disconnect(true);
      this.enrolling.set(session.joinTokenId, { socket, enrollment: null });
    } else {
      this.online.get(session.agentId)?.disconnect(true); // a second connection replaces the first
      this.online.set(session.agentId, socket);
    }
    log.info({ kind: session.kind }, 'agent connected');

    // Every handler validates its payload and only ever touches the socket's own agent and jobs.
    socket.on('agent:hello', (raw, ack) => this.guard(socket, ack, raw, () => this.onHello(socket, raw)));
    socket.on(
      'agent:heartbeat',
      (raw) => void this.guard(socket, undefined, raw, () => this.onHeartbeat(socket, raw)),
    );
    socket.on('job:logs', (raw, ack) => this.guard(socket, ack, raw, () => this.onLogs(socket, raw)));
    socket.on('job:status', (raw, ack) => this.guard(socket, ack, raw, () => this.onJobStatus(socket, raw)));
    socket.on(
      'disconnect',
      () => void this.onDisconnect(socket).catch((err) => log.error({ err }, 'disconnect handling failed')),
    );
  }

  private async onHello(socket: AgentSocket, raw: unknown) {
    const info = agentInfoSchema.parse(raw);
    const session = socket.data.session as AgentSession;
    const at = this.now();
    if (session.kind === 'enrolling') {
      const entry = this.enrolling.get(session.joinTokenId);
      if (entry?.socket === socket) {
        entry.enrollment = {
          joinTokenId: session.joinTokenId,
          hostname: session.hostname,
          address: addressOf(socket),
          info,
          connectedAt: at,
        };
        for (const wake of this.enrollWaiters.get(session.joinTokenId) ?? []) wake();
      }
      return { agentId: 'enrolling', heartbeatIntervalMs: this.opts.heartbeatIntervalMs, logReceipts: true };
    }
    await this.opts.agents.markConnected(session.agentId, at, addressOf(socket), info);
    await this.reconcileJobs(session.agentId, info.runningJobs);
    this.opts.onAgentChanged(session.agentId);
    return { agentId: session.agentId, heartbeatIntervalMs: this.opts.heartbeatIntervalMs, logReceipts: true };
  }

  /** After a (re)connect: jobs the agent still runs are not lost; running jobs it forgot were lost; pending ones go out now. */
  private async reconcileJobs(agentId: string, stillRunning: string[]): Promise<void> {
    const at = this.now();
    await this.opts.jobs.clearLost(agentId, stillRunning);
    for (const job of await this.opts.jobs.byStatusForAgent(agentId, 'running')) {
      if (stillRunning.includes(job.id)) continue;
      const failed = await this.opts.jobs.transition(job.id, {
        status: 'failed',
        error: 'agent lost: the agent restarted while the job was running',
        cause: 'agent_lost',
        at,
      });
      if (failed) this.opts.onJobChanged(failed);
    }
    for (const job of await this.opts.jobs.byStatusForAgent(agentId, 'pending')) await this.dispatch(job);
  }

  private async onHeartbeat(socket: AgentSocket, raw: unknown) {
    const hb = heartbeatSchema.parse(raw);
    const session = socket.data.session as AgentSession;
    if (session.kind !== 'agent') return;
    await this.opts.agents.recordHeartbeat(session.agentId, this.now(), hb.load, hb.runningJobs.length);
    // An agent that went quiet and came back still owns the jobs it reports.
    await this.opts.jobs.clearLost(session.agentId, hb.runningJobs);
    this.opts.onAgentChanged(session.agentId);
  }

  /** The receipt lets the agent drop the batch, or send it again after a reconnect if it never arrives. */
  private async onLogs(socket: AgentSocket, raw: unknown): Promise<LogsReceipt> {
    const batch = jobLogsSchema.parse(raw);
    const job = await this.ownJob(socket, batch.jobId);
    const { stored, capped } = await this.opts.jobs.appendLogs(job.id, batch.lines);
    if (stored.length > 0) this.opts.events.emit('logs', { jobId: job.id, lines: stored });
    return { stored: stored.length, capped };
  }

  private async onJobStatus(socket: AgentSocket, raw: unknown) {
    const update = jobStatusUpdateSchema.parse(raw);
    const job = await this.ownJob(socket, update.jobId);
    // What git printed may carry a repository URL with its credentials: never store them.
    const error = update.error ? redactCredentials(update.error) : update.error;
    const changed = await this.opts.jobs.transition(job.id, { ...update, error, at: this.now() });
    if (changed && update.status !== 'running') {
      // The agent sends a final status only after its lines were acknowledged: any still missing are lost.
      const note = await this.opts.jobs.noteMissingLogLines(job.id, this.now());
      if (note) this.opts.events.emit('logs', { jobId: job.id, lines: [note] });
    }
    if (changed) this.opts.onJobChanged(changed);
    return { ok: true as const };
  }

  private async onDisconnect(socket: AgentSocket): Promise<void> {
    const session = socket.data.session as AgentSession;
    if (session.kind === 'enrolling') {
      if (this.enrolling.get(session.joinTokenId)?.socket === socket)
        this.enrolling.delete(session.joinTokenId);
      return;
    }
    if (this.online.get(session.agentId) !== socket) return; // replaced by a newer connection
    this.online.delete(session.agentId);
    const at = this.now();
    await this.opts.agents.markDisconnected(session.agentId, at);
    await this.opts.jobs.markLost(session.agentId, at);
    this.opts.logger.info({ hostname: session.hostname }, 'agent disconnected');
    this.opts.onAgentChanged(session.agentId);
  }

  /** An agent may only speak about its own jobs. */
  private async ownJob(socket: AgentSocket, jobId: string): Promise<JobRecord> {
    const session = socket.data.session as AgentSession;
    const job = await this.opts.jobs.get(jobId);
    if (session.kind !== 'agent' || !job || job.agentId !== session.agentId) {
      throw new ForbiddenAgentMessage(`job ${jobId} is not assigned to this agent`);
    }
    return job;
  }

  /** Runs a handler; a bad or forbidden message gets an error ack (or a log line), never a crash. */
  private async guard<T>(
    socket: AgentSocket,
    ack: unknown,
    raw: unknown,
    work: () => Promise<T>,
  ): Promise<void> {
    const reply = typeof ack === 'function' ? (ack as (res: Ack<T>) => void) : undefined;
    try {
      const unsafe = findUnsafeText(raw ?? null);
      if (unsafe) throw new UnsafeTextError(unsafe);
      const data = await work();
      reply?.({ data });
    } catch (err) {
      const session = socket.data.session as AgentSession;
      const isInput =
        err instanceof ForbiddenAgentMessage ||
        err instanceof UnsafeTextError ||
        (err as Error).name === 'ZodError';
      this.opts.logger.warn(
        { hostname: session.hostname, err: (err as Error).message },
        'agent message refused',
      );
      reply?.({
        error: {
          code:
            err instanceof ForbiddenAgentMessage ? 'forbidden' : isInput ? 'validation_failed' : 'internal',
          message: !isInput
            ? 'internal error'
            : err instanceof ZodError
              ? `invalid payload: ${issuesOf(err)
                  .map((i) => `${i.path}: ${i.message}`)
                  .join('; ')}`.slice(0, 500)
              : (err as Error).message.slice(0, 500),
        },
      });
    }
  }

  private socketFor(target: { agentId: string } | { joinTokenId: string }): AgentSocket {
    const socket =
      'agentId' in target ? this.online.get(target.agentId) : this.enrolling.get(target.joinTokenId)?.socket;
    if (!socket) throw new AgentUnavailableError('the agent is not connected');
    return socket;
  }

  private now(): string {
    return this.opts.clock.now().toISOString();
  }

  async close(): Promise<void> {
    this.nsp.disconnectSockets(true);
  }
}

class ForbiddenAgentMessage extends Error {}

function addressOf(socket: AgentSocket): string | null {
  return socket.handshake.address?.replace(/^::ffff:/, '') || null;
}
