import { randomUUID } from 'node:crypto';
import {
  type Ack,
  type AgentConfigure,
  type AgentInfo,
  type AgentJob,
  type AgentToControllerEvents,
  agentHandshakeSchema,
  agentInfoSchema,
  type ConfigureResult,
  type ControllerToAgentEvents,
  configureResultSchema,
  type Heartbeat,
  heartbeatSchema,
  jobLogsSchema,
  jobStatusUpdateSchema,
  type LogsReceipt,
  redactCredentials,
} from '@deploybot/shared';
import type { Logger } from 'pino';
import type { Namespace, Socket } from 'socket.io';
import type { Clock } from '../engine/ports';
import { DeployBotError } from '../errors/deploybot-error';
import { toErrorBody } from '../errors/to-error-body';
import { findUnsafeText, UnsafeTextError } from '../http/safe-text';
import { type LogContext, withLogContext } from '../observability/log-context';
import { handshakeRefusal } from '../realtime/handshake-refusal';
import { TokenBucket } from '../realtime/token-bucket';
import { HeartbeatPacer } from './agent-traffic';
import type { AgentsStore } from './agents.store';
import type { FleetEvents } from './fleet-events';
import type { JobRecord, JobsStore } from './jobs.store';
import { RemoteEnrollments } from './remote-enrollments';
import { AGENT_CREDENTIAL_PREFIX, hashToken } from './tokens';

export type AgentNamespace = Namespace<AgentToControllerEvents, ControllerToAgentEvents>;
type AgentSocket = Socket<AgentToControllerEvents, ControllerToAgentEvents>;

/** Who is on the other end of an agent socket, decided once at the handshake. */
export type AgentSession =
  | { kind: 'agent'; agentId: string; hostname: string }
  | { kind: 'enrolling'; joinTokenId: string; hostname: string; runId: string | null };

/** An agent that connected with a join token and has not been registered yet. */
export interface Enrollment {
  /** One per connection: an approval names the connection it reviewed, so a later one cannot take its place. */
  id: string;
  joinTokenId: string;
  /** The register_agent run that issued the join token; null for a token from POST /v1/agents/join-tokens. */
  runId: string | null;
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
  /** Heartbeats per interval past which an agent is flooding and is disconnected. */
  heartbeatFloodFactor: number;
  /** How long an agent disconnected for flooding is refused at the handshake. */
  floodCooldownMs: number;
  /** How long the connection holding an agent's (or join token's) place has to answer a ping before a newcomer replaces it. */
  probeTimeoutMs: number;
  /** Called after anything that changes how an agent looks (connect, disconnect, heartbeat, info). */
  onAgentChanged: (agentId: string) => void;
  /** Called with each job whose status the agent changed. */
  onJobChanged: (job: JobRecord) => void;
  /** This controller, as agent_presence names the holder of an agent's socket. */
  controllerId: string;
  /** A presence row not renewed for this long is taken for a dead controller's (the offline threshold). */
  presenceTtlMs: number;
  /**
   * Other controllers may share the database (PostgreSQL): enrollments are announced to them and theirs heard.
   * False on PGlite, one process, whose Socket.IO has no adapter to carry server-side events.
   */
  clustered: boolean;
}

/** Every socket of one agent, on whichever controller: what another controller sends it commands through. */
const agentRoom = (agentId: string) => `agent:${agentId}`;
/** The socket holding a join token, likewise. */
const enrollRoom = (joinTokenId: string) => `enroll:${joinTokenId}`;

/** Server-side events between the controllers' gateways (carried by the Socket.IO adapter). */
const ENROLLMENT_SEEN = 'fleet:enrollment-seen';
const ENROLLMENT_GONE = 'fleet:enrollment-gone';
const ENROLLMENT_PROMOTE = 'fleet:enrollment-promote';

/** The commands a controller sends an agent and waits for the answer to. */
type AgentRequest = 'job:assign' | 'job:cancel' | 'agent:configure' | 'agent:ping' | 'agent:credential';

/** The agent is not connected (or not the connection reviewed); it may be by the next attempt. */
export class AgentUnavailableError extends DeployBotError {
  constructor(message: string) {
    super('conflict', message, { retryable: true });
  }
}

const ACK_TIMEOUT_MS = 10_000;
/** Status reports an agent may have waiting for their ack; its outbox sends one at a time (two around a retry). */
const MAX_STATUS_IN_FLIGHT = 4;
/** Hellos answered at once on one connection; an agent sends one per connection. */
const HELLO_BURST = 3;

/**
 * The controller's end of the agent protocol (`/agents`): authenticates handshakes, tracks who is connected,
 * applies what agents report (only about their own jobs), and sends them commands.
 *
 * One live connection per agent and per join token: the first keeps its place. The place is taken at the
 * handshake (before the connection completes), so two simultaneous handshakes cannot both get it.
 *
 * With several controllers, agent_presence says which one holds an agent's socket. An agent's sockets join its
 * room; a controller that does not hold the socket reaches the agent through the room (Socket.IO's adapter
 * carries the command and the agent's answer), and only the holder marks the agent gone when its socket closes.
 */
export class AgentGateway {
  /** Each agent's connection, from its handshake on (`connected` tells whether it completed). */
  private readonly online = new Map<string, AgentSocket>();
  private readonly enrolling = new Map<string, { socket: AgentSocket; enrollment: Enrollment | null }>();
  private readonly enrollWaiters = new Map<string, Set<() => void>>();
  /** Places whose holder is being pinged: a second newcomer meanwhile is refused, not queued. */
  private readonly probing = new Set<string>();
  /** Agents disconnected for flooding, and until when their handshakes are refused (performance.now()). */
  private readonly benched = new Map<string, number>();
  private readonly heartbeats: HeartbeatPacer;
  /** Enrollments held by the other controllers. */
  private readonly remote: RemoteEnrollments;
  private closing = false;

  constructor(
    private readonly nsp: AgentNamespace,
    private readonly opts: GatewayOptions,
  ) {
    this.heartbeats = new HeartbeatPacer(
      opts.heartbeatIntervalMs,
      (agentId, hb) => this.writeHeartbeat(agentId, hb),
      (err, agentId) => opts.logger.error({ err, agentId }, 'heartbeat write failed'),
    );
    nsp.use((socket, next) => {
      this.authenticate(socket as AgentSocket).then(
        (session) => {
          socket.data.session = session;
          next();
        },
        (err: unknown) => {
          // Agents see "code: message"; a failure of ours (the database) is logged and shown as `internal`.
          const { refusal, log } = handshakeRefusal(err, 'code_and_message');
          if (log) opts.logger.error({ err }, 'agent handshake failed');
          next(refusal);
        },
      );
    });
    nsp.on('connection', (socket) => this.onConnection(socket as AgentSocket));
    this.remote = new RemoteEnrollments(opts.presenceTtlMs);
    if (opts.clustered) this.hearOtherControllers();
  }

  /** What the other controllers' gateways say about the enrollments they hold. */
  private hearOtherControllers(): void {
    const on = this.nsp.on.bind(this.nsp) as (event: string, listener: (...args: never[]) => void) => void;
    on(ENROLLMENT_SEEN, (enrollment: Enrollment, controllerId: string) => {
      if (controllerId === this.opts.controllerId || !this.remote.seen(enrollment, controllerId)) return;
      this.enrolled(enrollment);
    });
    on(ENROLLMENT_GONE, (joinTokenId: string, enrollmentId: string) =>
      this.remote.gone(joinTokenId, enrollmentId),
    );
    on(
      ENROLLMENT_PROMOTE,
      (p: { joinTokenId: string; enrollmentId: string; agentId: string }, ack: (held: boolean) => void) => {
        const entry = this.enrolling.get(p.joinTokenId);
        if (entry?.enrollment?.id !== p.enrollmentId) return ack(false);
        this.becomeAgent(entry.socket, entry.enrollment, p.agentId).then(
          () => ack(true),
          (err) => {
            this.opts.logger.error({ err }, 'could not promote an enrolling connection');
            ack(false);
          },
        );
      },
    );
  }

  /** Tells the other controllers (if any); best effort, like every broadcast. */
  private tellOthers(event: string, ...args: unknown[]): void {
    if (!this.opts.clustered) return;
    (this.nsp.serverSideEmit as (event: string, ...args: unknown[]) => boolean).call(
      this.nsp,
      event,
      ...args,
    );
  }

  /** An agent said hello with its join token, here or on another controller: whoever waits for it is told. */
  private enrolled(enrollment: Enrollment): void {
    for (const wake of this.enrollWaiters.get(enrollment.joinTokenId) ?? []) wake();
    this.opts.events.emit('enrollment', { joinTokenId: enrollment.joinTokenId, enrollmentId: enrollment.id });
  }

  isConnected(agentId: string): boolean {
    return this.live(agentId) !== undefined;
  }

  connectedAddress(agentId: string): string | null {
    const socket = this.live(agentId);
    return socket ? addressOf(socket) : null;
  }

  /** The enrollment holding this join token, on this controller or another. */
  enrollment(joinTokenId: string): Enrollment | null {
    return this.enrolling.get(joinTokenId)?.enrollment ?? this.remote.get(joinTokenId);
  }

  /** The enrollment of one connection, as long as that connection is still the one holding its join token. */
  enrollmentById(id: string): Enrollment | null {
    return this.enrollments().find((e) => e.id === id) ?? null;
  }

  /** Every agent connected with a join token (to any controller) that said hello and is not registered yet. */
  enrollments(): Enrollment[] {
    const here = [...this.enrolling.values()].flatMap(({ enrollment }) => (enrollment ? [enrollment] : []));
    const tokensHere = new Set(this.enrolling.keys());
    return [...here, ...this.remote.all().filter((e) => !tokensHere.has(e.joinTokenId))];
  }

  /** Ends an enrollment: its connection is cut, wherever it is (the caller revokes the join token). */
  dropEnrollment(joinTokenId: string): void {
    const entry = this.enrolling.get(joinTokenId);
    this.enrolling.delete(joinTokenId);
    entry?.socket.disconnect(true);
    if (entry?.enrollment) this.tellOthers(ENROLLMENT_GONE, joinTokenId, entry.enrollment.id);
    this.remote.gone(joinTokenId);
    this.nsp.in(enrollRoom(joinTokenId)).disconnectSockets(true);
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

  /** Ping round-trip to a registered agent or to one enrolling connection (by enrollment id). */
  async ping(
    target: { agentId: string } | { enrollmentId: string },
  ): Promise<{ rttMs: number; address: string | null }> {
    const started = performance.now();
    const rtt = () => Math.round((performance.now() - started) * 100) / 100;
    if ('agentId' in target && !this.live(target.agentId)) {
      await this.request(target.agentId, 'agent:ping', { sentAt: this.now() });
      return { rttMs: rtt(), address: (await this.opts.agents.get(target.agentId))?.address ?? null };
    }
    const elsewhere = 'enrollmentId' in target ? this.heldEnrollmentElsewhere(target.enrollmentId) : null;
    if (elsewhere) {
      await this.askEnrolling(elsewhere, 'agent:ping', { sentAt: this.now() });
      return { rttMs: rtt(), address: elsewhere.address };
    }
    const socket = this.socketFor(target);
    await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('agent:ping', { sentAt: this.now() });
    return { rttMs: rtt(), address: addressOf(socket) };
  }

  /** Refuses an enrollment whose connection no longer holds its join token (the one a person reviewed). */
  assertCurrent(enrollment: Enrollment): void {
    if (this.enrollmentById(enrollment.id)) return;
    throw new AgentUnavailableError(
      this.enrollment(enrollment.joinTokenId)
        ? `the connection of ${enrollment.hostname} that was reviewed (from ${enrollment.address ?? 'an unknown address'}) is gone and another connection now holds its join token: review the new connection before registering it`
        : `the enrolling agent ${enrollment.hostname} disconnected; start it again with its join token`,
    );
  }

  /**
   * Hands a freshly registered agent its credential and turns the enrolling session into an agent session;
   * only the connection of `enrollment`, the one reviewed, ever receives it.
   */
  async promote(enrollment: Enrollment, agentId: string, credential: string): Promise<void> {
    this.assertCurrent(enrollment);
    const entry = this.enrolling.get(enrollment.joinTokenId);
    if (!entry) return this.promoteElsewhere(enrollment, agentId, credential);
    const res = await entry.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('agent:credential', { credential });
    if ('error' in res) throw new Error(`the agent refused its credential: ${res.error.message}`);
    await this.becomeAgent(entry.socket, enrollment, agentId);
  }

  /**
   * The connection reviewed is held by another controller: the credential goes through its join token's room,
   * then that controller turns the session into the agent's (and holds its presence).
   */
  private async promoteElsewhere(enrollment: Enrollment, agentId: string, credential: string): Promise<void> {
    const res = (await this.askEnrolling(enrollment, 'agent:credential', { credential })) as Ack<unknown>;
    if ('error' in res) throw new Error(`the agent refused its credential: ${res.error.message}`);
    const held = await new Promise<unknown[]>((resolve) => {
      const emit = this.nsp.serverSideEmit as (event: string, ...args: unknown[]) => boolean;
      emit.call(
        this.nsp,
        ENROLLMENT_PROMOTE,
        { joinTokenId: enrollment.joinTokenId, enrollmentId: enrollment.id, agentId },
        (_err: unknown, answers?: unknown[]) => resolve(answers ?? []),
      );
    });
    this.remote.gone(enrollment.joinTokenId, enrollment.id);
    // The agent has its credential either way: if its session could not be switched, its next connection uses it.
    if (!held.includes(true)) this.nsp.in(enrollRoom(enrollment.joinTokenId)).disconnectSockets(true);
    this.opts.onAgentChanged(agentId);
  }

  /** The enrolling connection `socket`, now holding its credential, becomes the agent's connection here. */
  private async becomeAgent(socket: AgentSocket, enrollment: Enrollment, agentId: string): Promise<void> {
    this.enrolling.delete(enrollment.joinTokenId);
    this.tellOthers(ENROLLMENT_GONE, enrollment.joinTokenId, enrollment.id);
    socket.data.session = { kind: 'agent', agentId, hostname: enrollment.hostname } satisfies AgentSession;
    const previous = this.online.get(agentId);
    // Set first, so the previous connection's disconnect is seen as a replacement, not the agent leaving.
    this.online.set(agentId, socket);
    previous?.disconnect(true);
    await socket.leave(enrollRoom(enrollment.joinTokenId));
    await socket.join(agentRoom(agentId));
    await this.opts.agents.claimPresence(agentId, this.opts.controllerId, this.now());
    this.opts.onAgentChanged(agentId);
  }

  /** The enrollment `id` when another controller holds its connection. */
  private heldEnrollmentElsewhere(id: string): Enrollment | null {
    for (const { enrollment } of this.enrolling.values()) if (enrollment?.id === id) return null;
    return this.remote.all().find((e) => e.id === id) ?? null;
  }

  /** Asks an enrolling agent held by another controller, through its join token's room. */
  private async askEnrolling(
    enrollment: Enrollment,
    event: AgentRequest,
    payload: unknown,
  ): Promise<unknown> {
    const [answer] = await this.askRoom(enrollRoom(enrollment.joinTokenId), event, payload, ACK_TIMEOUT_MS);
    if (answer === undefined) {
      throw new AgentUnavailableError(
        `the enrolling agent ${enrollment.hostname} did not answer through the controller that holds its connection`,
      );
    }
    return answer;
  }

  async configure(agentId: string, payload: AgentConfigure): Promise<ConfigureResult> {
    const res = await this.request<Ack<ConfigureResult>>(agentId, 'agent:configure', payload);
    if ('error' in res) throw new Error(`the agent refused its configuration: ${res.error.message}`);
    const parsed = configureResultSchema.safeParse(res.data);
    if (!parsed.success) throw new Error('the agent answered the configuration with an invalid result');
    await this.opts.agents.update(agentId, { info: parsed.data.info });
    this.opts.onAgentChanged(agentId);
    return parsed.data;
  }

  /** Pushes a job to its agent if connected; a job for an offline agent waits and is pushed on reconnect. */
  async dispatch(job: JobRecord): Promise<boolean> {
    if (!this.live(job.agentId) && !(await this.heldElsewhere(job.agentId))) return false;
    let assignment: AgentJob;
    if (job.action === 'activate') {
      // No URL: nothing is fetched, so the repository's credentials stay home.
      assignment = {
        jobId: job.id,
        action: 'activate',
        repository: { name: job.repository },
        release: job.release,
        ref: job.ref,
        sha: job.sha,
        onlyIfCurrent: job.onlyIfCurrent,
        timeoutSec: job.timeoutSec,
      };
    } else {
      let url: string;
      try {
        url = await this.opts.urlForAgent(job.repository);
      } catch (err) {
        await this.failDispatch(job, (err as Error).message);
        return false;
      }
      // Without `action`: agents from before activations take a deploy only in this shape.
      assignment = {
        jobId: job.id,
        repository: { name: job.repository, url },
        ref: job.ref,
        sha: job.sha,
        timeoutSec: job.timeoutSec,
      };
    }
    try {
      const res = await this.request<Ack<unknown>>(job.agentId, 'job:assign', assignment);
      if ('error' in res) {
        const hint =
          job.action === 'activate' && res.error.code === 'bad_request'
            ? ` (an agent from before release activation cannot run this job: upgrade deploybot-agent on ${job.agentHostname})`
            : '';
        await this.failDispatch(job, `the agent refused the job: ${res.error.message}${hint}`);
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

  private async failDispatch(job: JobRecord, error: string): Promise<void> {
    const failed = await this.opts.jobs.transition(job.id, {
      status: 'failed',
      error,
      cause: 'internal',
      at: this.now(),
    });
    if (failed) this.opts.onJobChanged(failed);
  }

  /** Asks the agent to stop a job; false when the agent is not connected. */
  async cancelJob(agentId: string, jobId: string): Promise<boolean> {
    try {
      await this.request(agentId, 'job:cancel', { jobId });
      return true;
    } catch {
      return false;
    }
  }

  /** Cuts a revoked agent off at once (also a handshake still completing). */
  disconnect(agentId: string): void {
    const socket = this.online.get(agentId);
    if (socket && !socket.connected) this.online.delete(agentId);
    socket?.disconnect(true);
    // And wherever another controller holds it.
    this.nsp.in(agentRoom(agentId)).disconnectSockets(true);
  }

  /**
   * Sends `event` to the agent and resolves with its answer: over its socket here, or through the controller that
   * holds it (an acknowledged broadcast to the agent's room, carried by the Socket.IO adapter). Rejects when no
   * controller holds it or it does not answer within `timeoutMs`.
   */
  private async request<R>(
    agentId: string,
    event: AgentRequest,
    payload: unknown,
    timeoutMs = ACK_TIMEOUT_MS,
  ): Promise<R> {
    const socket = this.live(agentId);
    if (socket) {
      const timed = socket.timeout(timeoutMs) as unknown as {
        emitWithAck(event: string, payload: unknown): Promise<unknown>;
      };
      return (await timed.emitWithAck(event, payload)) as R;
    }
    if (!(await this.heldElsewhere(agentId))) throw new AgentUnavailableError('the agent is not connected');
    const [answer] = await this.askRoom(agentRoom(agentId), event, payload, timeoutMs);
    if (answer === undefined) {
      throw new AgentUnavailableError(
        'the agent did not answer through the controller that holds its connection',
      );
    }
    return answer as R;
  }

  /** Whether another controller holds the agent's socket and renewed its hold lately. */
  private async heldElsewhere(agentId: string): Promise<boolean> {
    const row = await this.opts.agents.get(agentId);
    const seen = row?.presence_seen_at?.getTime();
    return (
      !!row?.presence_controller_id &&
      row.presence_controller_id !== this.opts.controllerId &&
      seen !== undefined &&
      this.opts.clock.now().getTime() - seen <= this.opts.presenceTtlMs
    );
  }

  /**
   * Emits to a room (an agent's, a join token's) on every controller and resolves with the answers. The adapter calls back once
   * every controller it knows of has answered, or after `timeoutMs` (a controller killed a moment ago is still
   * counted until its adapter heartbeat times out): answers that did arrive are kept either way.
   */
  private askRoom(
    room: string,
    event: AgentRequest,
    payload: unknown,
    timeoutMs: number,
  ): Promise<unknown[]> {
    return new Promise((resolve) => {
      const sockets = this.nsp.to(room).timeout(timeoutMs) as unknown as {
        emit(event: string, payload: unknown, ack: (err: unknown, answers?: unknown[]) => void): void;
      };
      sockets.emit(event, payload, (_err, answers) => resolve(answers ?? []));
    });
  }

  /** Renews this controller's hold on the agents it holds, and forgets holds no controller renewed (fleet sweep). */
  async renewPresence(): Promise<void> {
    const now = this.opts.clock.now();
    const held = [...this.online].filter(([, socket]) => socket.connected).map(([agentId]) => agentId);
    await this.opts.agents.renewPresence(this.opts.controllerId, held, now.toISOString());
    // Enrollments held here are announced again: the others forget one not heard of for presenceTtlMs.
    for (const { enrollment } of this.enrolling.values()) {
      if (enrollment) this.tellOthers(ENROLLMENT_SEEN, enrollment, this.opts.controllerId);
    }
    await this.opts.agents.dropStalePresence(new Date(now.getTime() - this.opts.presenceTtlMs).toISOString());
  }

  // ---------------------------------------------------------------- inbound

  private async authenticate(socket: AgentSocket): Promise<AgentSession> {
    const parsed = agentHandshakeSchema.safeParse(socket.handshake.auth);
    if (!parsed.success)
      throw new DeployBotError('unauthorized', 'invalid handshake (token, hostname, version, protocol)');
    const { token, hostname } = parsed.data;
    const hash = hashToken(token);
    if (token.startsWith(AGENT_CREDENTIAL_PREFIX)) {
      const agent = await this.opts.agents.getByCredentialHash(hash);
      if (!agent || agent.hostname !== hostname)
        throw new DeployBotError('unauthorized', 'unknown or revoked agent credential');
      const benchedUntil = this.benched.get(agent.id) ?? 0;
      if (benchedUntil > performance.now()) {
        throw new DeployBotError(
          'rate_limited',
          `this agent flooded the controller and was disconnected; it may reconnect in ${Math.ceil((benchedUntil - performance.now()) / 1000)} s`,
        );
      }
      this.benched.delete(agent.id);
      await this.claim(
        `agent:${agent.id}`,
        socket,
        () => this.online.get(agent.id),
        () => this.online.set(agent.id, socket),
        'this agent is already connected and its connection answers; a second connection with its credential is refused',
      );
      await this.claimFromOtherControllers(agent.id, socket);
      return { kind: 'agent', agentId: agent.id, hostname };
    }
    const join = await this.opts.agents.usableJoinToken(hash, this.now());
    if (!join || join.hostname !== hostname) {
      throw new DeployBotError(
        'unauthorized',
        'join token unknown, expired, already used, or issued for another hostname',
      );
    }
    await this.claim(
      `join:${join.id}`,
      socket,
      () => this.enrolling.get(join.id)?.socket,
      () => this.enrolling.set(join.id, { socket, enrollment: null }),
      'an agent is already enrolling with this join token and its connection answers; the first connection keeps it',
    );
    return { kind: 'enrolling', joinTokenId: join.id, hostname, runId: join.run_id };
  }

  /**
   * Gives `socket` a place (an agent's, a join token's) unless another live connection holds it. A holder
   * still completing its handshake counts as live; a connected one must answer a ping within probeTimeoutMs.
   * One that does not is taken for half-dead (the agent lost its network and dialled again before socket.io's
   * own ping timeout noticed) and is replaced; an agent's real reconnect is then accepted at once. A refused
   * newcomer gets a `conflict` saying `refusal`.
   */
  private async claim(
    place: string,
    socket: AgentSocket,
    holderOf: () => AgentSocket | undefined,
    take: () => void,
    refusal: string,
  ): Promise<void> {
    const holder = holderOf();
    if (holder?.conn.readyState !== 'open') return take();
    if (!holder.connected || this.probing.has(place)) throw new DeployBotError('conflict', refusal);
    this.probing.add(place);
    let answers: boolean;
    try {
      await holder.timeout(this.opts.probeTimeoutMs).emitWithAck('agent:ping', { sentAt: this.now() });
      answers = true;
    } catch {
      answers = false;
    } finally {
      this.probing.delete(place);
    }
    if (answers || holderOf() !== holder || socket.conn.readyState !== 'open')
      throw new DeployBotError('conflict', refusal);
    this.opts.logger.warn({ place }, 'a connection did not answer a ping: replaced by a new one');
    take();
    holder.disconnect(true);
  }

  /**
   * The same rule across controllers: when another controller holds the agent's socket, it is pinged through the
   * agent's room; an answer refuses the newcomer, silence (a dead controller, a half-dead socket) cuts the old one.
   */
  private async claimFromOtherControllers(agentId: string, socket: AgentSocket): Promise<void> {
    if (!(await this.heldElsewhere(agentId))) return;
    const answers = await this.askRoom(
      agentRoom(agentId),
      'agent:ping',
      { sentAt: this.now() },
      this.opts.probeTimeoutMs,
    );
    if (answers.length > 0) {
      if (this.online.get(agentId) === socket) this.online.delete(agentId);
      throw new DeployBotError(
        'conflict',
        'this agent is already connected to another controller and its connection answers; a second connection with its credential is refused',
      );
    }
    this.nsp.in(agentRoom(agentId)).disconnectSockets(true);
  }

  private onConnection(socket: AgentSocket): void {
    const session = socket.data.session as AgentSession;
    const log = this.opts.logger.child({ hostname: session.hostname });
    const holder =
      session.kind === 'enrolling'
        ? this.enrolling.get(session.joinTokenId)?.socket
        : this.online.get(session.agentId);
    if (holder !== socket) {
      // Its place was taken back while the handshake completed (revoked, or the token was rejected).
      socket.disconnect(true);
      return;
    }
    this.limitTraffic(socket);
    void socket.join(session.kind === 'agent' ? agentRoom(session.agentId) : enrollRoom(session.joinTokenId));
    log.info({ kind: session.kind }, 'agent connected');

    // Every handler validates its payload and only ever touches the socket's own agent and jobs.
    socket.on('agent:hello', (raw, ack) => this.guard(socket, ack, raw, () => this.onHello(socket, raw)));
    socket.on(
      'agent:heartbeat',
      (raw) => void this.guard(socket, undefined, raw, () => this.onHeartbeat(socket, raw)),
    );
    // A job's messages log with its id, like every other line of that job's work.
    socket.on('job:logs', (raw, ack) =>
      withLogContext(jobContextOf(raw), () => this.guard(socket, ack, raw, () => this.onLogs(socket, raw))),
    );
    socket.on('job:status', (raw, ack) =>
      withLogContext(jobContextOf(raw), () =>
        this.guard(socket, ack, raw, () => this.onJobStatus(socket, raw)),
      ),
    );
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
          id: randomUUID(),
          joinTokenId: session.joinTokenId,
          runId: session.runId,
          hostname: session.hostname,
          address: addressOf(socket),
          info,
          connectedAt: at,
        };
        this.enrolled(entry.enrollment);
        this.tellOthers(ENROLLMENT_SEEN, entry.enrollment, this.opts.controllerId);
      }
      return {
        agentId: 'enrolling',
        heartbeatIntervalMs: this.opts.heartbeatIntervalMs,
        logReceipts: true,
        previousRelease: true,
      };
    }
    // Before its pending jobs are read: a job created meanwhile is sent either by its creator, which now finds
    // the agent here, or by the reconcile below.
    await this.opts.agents.claimPresence(session.agentId, this.opts.controllerId, at);
    await this.opts.agents.markConnected(session.agentId, at, addressOf(socket), info);
    await this.reconcileJobs(session.agentId, info.runningJobs);
    this.opts.onAgentChanged(session.agentId);
    return {
      agentId: session.agentId,
      heartbeatIntervalMs: this.opts.heartbeatIntervalMs,
      logReceipts: true,
      previousRelease: true,
    };
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
    this.heartbeats.offer(session.agentId, hb);
  }

  /** Paced by HeartbeatPacer: at most once per heartbeat interval per agent, one at a time. */
  private async writeHeartbeat(agentId: string, hb: Heartbeat): Promise<void> {
    await this.opts.agents.recordHeartbeat(agentId, this.now(), hb.load, hb.runningJobs.length);
    // An agent that went quiet and came back still owns the jobs it reports.
    await this.opts.jobs.clearLost(agentId, hb.runningJobs);
    this.opts.onAgentChanged(agentId);
  }

  /**
   * Bounds what one connection can make the controller do. Heartbeats beyond heartbeatFloodFactor per
   * interval (with room for delayed ones arriving together) cut the connection and bench the agent for
   * floodCooldownMs; a valid hello (which reconciles the agent's jobs in the database) is answered a few times
   * per connection, then once per interval; status reports need an ack and wait for it at most
   * MAX_STATUS_IN_FLIGHT at a time. Log batches are bounded by their own handler.
   */
  private limitTraffic(socket: AgentSocket): void {
    const perInterval = (n: number) => (n * 1000) / this.opts.heartbeatIntervalMs;
    // Room for twice the budget at once: beats delayed on the network arrive together.
    const factor = this.opts.heartbeatFloodFactor;
    const beats = new TokenBucket(perInterval(factor), 2 * factor);
    const hellos = new TokenBucket(perInterval(1), HELLO_BURST);
    let statusesInFlight = 0;
    socket.use((packet, next) => {
      const [event] = packet;
      const last: unknown = packet.length > 1 ? packet[packet.length - 1] : undefined;
      const ack = typeof last === 'function' ? (last as (res: unknown) => void) : undefined;
      if (event === 'agent:heartbeat' && !beats.take()) return this.cutFlooder(socket);
      if (event === 'agent:hello' && agentInfoSchema.safeParse(packet[1]).success && !hellos.take()) {
        const tooMany = new DeployBotError('rate_limited', 'too many hellos on this connection');
        return ack?.(toErrorBody(tooMany).body);
      }
      if (event === 'job:status') {
        if (!ack) return;
        if (statusesInFlight >= MAX_STATUS_IN_FLIGHT) {
          const busy = new DeployBotError(
            'rate_limited',
            `at most ${MAX_STATUS_IN_FLIGHT} status reports may wait for their answer at once`,
          );
          return ack(toErrorBody(busy).body);
        }
        statusesInFlight++;
        packet[packet.length - 1] = (res: unknown) => {
          statusesInFlight--;
          ack(res);
        };
      }
      next();
    });
  }

  private cutFlooder(socket: AgentSocket): void {
    const session = socket.data.session as AgentSession;
    if (session.kind === 'agent') {
      this.benched.set(session.agentId, performance.now() + this.opts.floodCooldownMs);
    }
    this.opts.logger.warn(
      { hostname: session.hostname, cooldownMs: this.opts.floodCooldownMs },
      'agent flooded the controller with heartbeats: disconnected',
    );
    socket.disconnect(true);
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
      // Who cancelled it and why, after the agent's own lines.
      const cancel =
        update.status === 'cancelled' ? await this.opts.jobs.noteCancel(job.id, this.now()) : null;
      if (cancel) this.opts.events.emit('logs', { jobId: job.id, lines: [cancel] });
    }
    if (changed) this.opts.onJobChanged(changed);
    return { ok: true as const };
  }

  private async onDisconnect(socket: AgentSocket): Promise<void> {
    const session = socket.data.session as AgentSession;
    // The controller stopping is not the agent leaving: after a restart, agents not marked gone are awaited.
    if (this.closing) return;
    if (session.kind === 'enrolling') {
      const entry = this.enrolling.get(session.joinTokenId);
      if (entry?.socket === socket) {
        this.enrolling.delete(session.joinTokenId);
        if (entry.enrollment) this.tellOthers(ENROLLMENT_GONE, session.joinTokenId, entry.enrollment.id);
      }
      return;
    }
    if (this.online.get(session.agentId) !== socket) return; // replaced by a newer connection
    this.online.delete(session.agentId);
    this.heartbeats.drop(session.agentId);
    const at = this.now();
    if (!(await this.opts.agents.releasePresence(session.agentId, this.opts.controllerId))) {
      // It said hello to another controller already (or never to this one): that one holds it now.
      this.opts.logger.info({ hostname: session.hostname }, 'agent connection closed; held elsewhere');
      this.opts.onAgentChanged(session.agentId);
      return;
    }
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

  /**
   * Runs a handler; a bad or forbidden message gets an error ack (or a log line), never a crash. The ack is the
   * one mapper's answer, as for every other caller: an agent is told what it sent wrong, never our internals.
   */
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
      const { hostname } = socket.data.session as AgentSession;
      const { body, log } = toErrorBody(err);
      if (log) this.opts.logger.error({ hostname, err }, 'agent message failed');
      else this.opts.logger.warn({ hostname, err: body.error.message }, 'agent message refused');
      reply?.(body);
    }
  }

  private socketFor(target: { agentId: string } | { enrollmentId: string }): AgentSocket {
    let socket: AgentSocket | undefined;
    if ('agentId' in target) socket = this.live(target.agentId);
    else {
      const enrollment = this.enrollmentById(target.enrollmentId);
      socket = enrollment ? this.enrolling.get(enrollment.joinTokenId)?.socket : undefined;
    }
    if (!socket) throw new AgentUnavailableError('the agent is not connected');
    return socket;
  }

  /** An agent's connection once its handshake has completed. */
  private live(agentId: string): AgentSocket | undefined {
    const socket = this.online.get(agentId);
    return socket?.connected ? socket : undefined;
  }

  private now(): string {
    return this.opts.clock.now().toISOString();
  }

  async close(): Promise<void> {
    this.closing = true;
    this.heartbeats.close();
    // The sockets go with this controller: another one (or its successor) is where the agents come back to.
    await this.opts.agents
      .releaseAllPresence(this.opts.controllerId)
      .catch((err) => this.opts.logger.warn({ err }, 'could not release the agents this controller held'));
    this.nsp.disconnectSockets(true);
  }
}

/** An agent spoke about something that is not its own (another agent's job). */
class ForbiddenAgentMessage extends DeployBotError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

function addressOf(socket: AgentSocket): string | null {
  return socket.handshake.address?.replace(/^::ffff:/, '') || null;
}

/** The job a message is about, for its log lines: only an id that looks like one (the payload is not validated yet). */
function jobContextOf(raw: unknown): LogContext {
  const jobId = (raw as { jobId?: unknown } | null)?.jobId;
  return typeof jobId === 'string' && /^[0-9a-f-]{36}$/i.test(jobId) ? { jobId } : {};
}
