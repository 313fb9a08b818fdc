import {
  AGENT_NAMESPACE,
  AGENT_PROTOCOL_VERSION,
  type AgentHandshake,
  type AgentInfo,
  type AgentToControllerEvents,
  type ControllerToAgentEvents,
  errorBodySchema,
  type Heartbeat,
  heartbeatSchema,
  helloAckSchema,
} from '@deploybot/shared';
import type { Logger } from 'pino';
import { io, type Socket } from 'socket.io-client';
import { z } from 'zod';
import type { ControllerHandlers } from './handlers';
import type { Outbox } from './outbox';

export interface ConnectionOptions {
  /** The controllers to dial (several share one database): the first, then the next after each lost connection. */
  controllers: string[];
  hostname: string;
  version: string;
  /** Read on every connection attempt, so a credential received mid-session is used from the next reconnect. */
  token: () => string;
  info: () => Promise<AgentInfo>;
  heartbeat: () => Heartbeat;
  handlers: ControllerHandlers;
  outbox: Outbox;
  logger: Logger;
  reconnectDelayMs?: number;
  reconnectDelayMaxMs?: number;
}

type AgentSocket = Socket<ControllerToAgentEvents, AgentToControllerEvents>;

const helloAnswerSchema = z.union([z.object({ data: helloAckSchema }), errorBodySchema]);
const ACK_TIMEOUT_MS = 10_000;

/**
 * The agent's one connection to the controller: it dials out (servers rarely accept inbound connections),
 * says hello, heartbeats, and comes back after any interruption.
 *
 * socket.io reconnects by itself after network failures, with randomized exponential backoff. It deliberately
 * does not after the server refused the handshake (bad token) or kicked the socket; an agent has nobody to
 * restart it, so those cases are retried here with the same kind of backoff instead of giving up.
 *
 * With several controllers, every retry dials the next one in the list (socket.io's own reconnection, which
 * only knows one URL, is off): an agent whose controller died carries on with another, its jobs with it.
 */
export class ControllerConnection {
  private socket: AgentSocket;
  /** Which of `options.controllers` the socket dials. */
  private current = 0;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempts = 0;
  /** Bumped on every (dis)connect so an answer from a previous connection is not mistaken for this one's. */
  private generation = 0;
  private stopped = false;
  private readonly delayMs: number;
  private readonly delayMaxMs: number;

  constructor(private readonly options: ConnectionOptions) {
    this.delayMs = options.reconnectDelayMs ?? 1_000;
    this.delayMaxMs = options.reconnectDelayMaxMs ?? 30_000;
    if (options.controllers.length === 0) throw new Error('at least one controller URL is needed');
    this.socket = this.dial(options.controllers[0]!);
  }

  private get rotating(): boolean {
    return this.options.controllers.length > 1;
  }

  private dial(controller: string): AgentSocket {
    const base = new URL(controller);
    const prefix = base.pathname.replace(/\/+$/, '');
    const socket: AgentSocket = io(`${base.origin}${AGENT_NAMESPACE}`, {
      // A controller served under a path prefix keeps its Socket.IO endpoint under that prefix too.
      path: `${prefix}/socket.io`,
      // Long-polling needs sticky sessions behind a load balancer with several controllers; websocket does not.
      transports: ['websocket'],
      autoConnect: false,
      // With several controllers, retries are this class's, each to the next controller.
      reconnection: !this.rotating,
      reconnectionDelay: this.delayMs,
      reconnectionDelayMax: this.delayMaxMs,
      randomizationFactor: 0.5,
      // A new Manager per socket: two URLs of one host must not share a connection.
      forceNew: true,
      auth: (cb) => cb(this.handshake()),
    });
    this.wire(socket);
    return socket;
  }

  /** Drops the socket to the current controller and makes one to the next (called only while disconnected). */
  private rotate(): void {
    const old = this.socket;
    old.removeAllListeners();
    old.disconnect();
    this.current = (this.current + 1) % this.options.controllers.length;
    this.socket = this.dial(this.options.controllers[this.current]!);
  }

  start(): void {
    this.options.logger.info(
      { controller: this.options.controllers[this.current] },
      'connecting to the controller',
    );
    this.socket.connect();
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  stop(): void {
    this.stopped = true;
    this.clearRetry();
    this.stopHeartbeat();
    this.options.outbox.detach();
    this.socket.disconnect();
  }

  private handshake(): AgentHandshake {
    return {
      token: this.options.token(),
      hostname: this.options.hostname,
      version: this.options.version,
      protocol: AGENT_PROTOCOL_VERSION,
    };
  }

  private wire(socket: AgentSocket): void {
    const { options } = this;
    const { handlers, logger } = options;

    socket.on('connect', () => {
      this.generation++;
      void this.hello(this.generation);
    });

    socket.on('connect_error', (error) => {
      if (this.stopped) return;
      if (this.rotating && socket.active) {
        // The socket would not retry (reconnection is off): the next controller is tried instead.
        const delay = this.scheduleRetry();
        logger.warn(
          {
            controller: options.controllers[this.current],
            reason: describeTransportError(error),
            retryInMs: delay,
          },
          'cannot reach the controller; trying the next one',
        );
        return;
      }
      if (socket.active) {
        // Network trouble: socket.io's own backoff is already on it.
        logger.warn({ reason: describeTransportError(error) }, 'cannot reach the controller; retrying');
        return;
      }
      const delay = this.scheduleRetry();
      logger.error(
        { reason: error.message, data: (error as Error & { data?: unknown }).data, retryInMs: delay },
        `controller refused the connection: ${error.message}`,
      );
    });

    socket.on('disconnect', (reason) => {
      this.generation++;
      this.stopHeartbeat();
      options.outbox.detach();
      if (this.stopped) return;
      logger.warn(
        { reason, controller: options.controllers[this.current] },
        'disconnected from the controller',
      );
      if (this.rotating || !socket.active) this.scheduleRetry();
    });

    socket.on('agent:ping', (_payload: unknown, ack) => {
      if (typeof ack === 'function') ack(handlers.ping());
    });
    socket.on('agent:configure', async (payload: unknown, ack) => {
      const res = await handlers.configure(payload);
      if (typeof ack === 'function') ack(res);
    });
    socket.on('agent:credential', async (payload: unknown, ack) => {
      const res = await handlers.credential(payload);
      if (typeof ack === 'function') ack(res);
    });
    socket.on('job:assign', (payload: unknown, ack) => {
      const res = handlers.assign(payload);
      if (typeof ack === 'function') ack(res);
    });
    socket.on('job:cancel', (payload: unknown, ack) => {
      const res = handlers.cancel(payload);
      if (typeof ack === 'function') ack(res);
    });
  }

  private async hello(generation: number): Promise<void> {
    const { socket, options } = this;
    const { logger } = options;
    let answer: unknown;
    try {
      const info = await options.info();
      if (generation !== this.generation) return;
      answer = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('agent:hello', info);
    } catch (error) {
      if (generation !== this.generation || this.stopped) return;
      logger.error({ err: error }, 'the controller did not answer hello; reconnecting');
      this.reconnectLater();
      return;
    }
    if (generation !== this.generation || this.stopped) return;
    const parsed = helloAnswerSchema.safeParse(answer);
    if (!parsed.success || 'error' in parsed.data) {
      const error =
        parsed.success && 'error' in parsed.data ? parsed.data.error : { message: 'malformed answer' };
      logger.error({ error }, `the controller refused hello: ${error.message}`);
      this.reconnectLater();
      return;
    }
    const { agentId, heartbeatIntervalMs, logReceipts, previousRelease } = parsed.data.data;
    this.attempts = 0;
    logger.info({ agentId, heartbeatIntervalMs }, 'connected to the controller');
    this.startHeartbeat(heartbeatIntervalMs);
    options.outbox.attach({
      emitLogs: logReceipts
        ? (batch) => socket.timeout(ACK_TIMEOUT_MS).emitWithAck('job:logs', batch)
        : async (batch) => {
            // A controller from before receipts: it cannot say what it stored, so this is the best there is.
            (socket as unknown as { emit(event: string, payload: unknown): void }).emit('job:logs', batch);
            return { data: { stored: batch.lines.length, capped: false } };
          },
      emitStatus: (update) => {
        // A controller from before rollbacks refuses a status with a field it does not know.
        const { previousRelease: _previous, ...older } = update;
        return socket.timeout(ACK_TIMEOUT_MS).emitWithAck('job:status', previousRelease ? update : older);
      },
    });
  }

  /** Drops the connection and dials again after a backoff: a connection without hello is no use. */
  private reconnectLater(): void {
    // Disconnecting fires 'disconnect', whose handler schedules the retry.
    if (this.socket.connected) this.socket.disconnect();
    else this.scheduleRetry();
  }

  private scheduleRetry(): number {
    if (this.stopped) return 0;
    this.clearRetry();
    const exp = Math.min(this.delayMaxMs, this.delayMs * 2 ** Math.min(this.attempts, 16));
    // ±50 % jitter: a controller restart must not be hit by every agent in the same millisecond.
    const delay = Math.round(exp * (0.5 + Math.random()));
    this.attempts++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.stopped || this.socket.connected) return;
      if (this.rotating) {
        this.rotate();
        this.options.logger.info(
          { controller: this.options.controllers[this.current] },
          'connecting to the next controller',
        );
      }
      this.socket.connect();
    }, delay);
    return delay;
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private startHeartbeat(intervalMs: number): void {
    this.stopHeartbeat();
    // Never faster than 100 ms, whatever the controller says: a typo there must not turn into a flood.
    this.heartbeatTimer = setInterval(
      () => {
        const hb = heartbeatSchema.safeParse(this.options.heartbeat());
        if (hb.success) this.socket.emit('agent:heartbeat', hb.data);
        else this.options.logger.error({ err: hb.error }, 'malformed heartbeat (agent bug)');
      },
      Math.max(100, intervalMs),
    );
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }
}

/** engine.io reports "websocket error" and hides the useful part (ECONNREFUSED, a TLS error) one level down. */
function describeTransportError(error: Error): string {
  const description = (error as Error & { description?: { message?: string; error?: { message?: string } } })
    .description;
  const inner = description?.error?.message ?? description?.message;
  return inner ? `${error.message}: ${inner}` : error.message;
}
