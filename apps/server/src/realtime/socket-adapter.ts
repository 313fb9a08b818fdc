import { createAdapter as createPostgresAdapter } from '@socket.io/postgres-adapter';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Server } from 'socket.io';
import { Adapter, type BroadcastOptions, MessageType } from 'socket.io-adapter';
import type { Db } from '../db/db';
import type { PostgresDb } from '../db/postgres-db';

/** How Socket.IO's rooms and broadcasts reach the sockets held by the other controllers. */
export type SocketAdapterKind = 'redis' | 'postgres' | 'none';

export interface SocketAdapter {
  kind: SocketAdapterKind;
  /** Frees what the adapter holds (its pool, its Redis clients); call after `io.close()` closed the namespaces. */
  close(): Promise<void>;
}

export interface SocketAdapterOptions {
  db: Db;
  /** REDIS_URL: Redis carries the events even when the database is PostgreSQL. */
  redisUrl?: string;
  logger: Logger;
}

/**
 * How often each controller says it is alive on the adapter's channel, and after how long without a word it is
 * taken for gone. A broadcast that waits for acknowledgements (a job sent to an agent held by another
 * controller) waits for every controller it knows: a killed one is forgotten after the timeout.
 */
const HEARTBEAT_INTERVAL_MS = 2_000;
const HEARTBEAT_TIMEOUT_MS = 6_000;

/**
 * Chooses and attaches the adapter that lets N controllers serve one set of rooms: Redis when REDIS_URL is set,
 * else PostgreSQL's LISTEN/NOTIFY when the database is PostgreSQL, else none (PGlite is one process). Every
 * namespace (`/` for browsers, `/agents`) gets it, so `nsp.to(room).emit(...)`, `disconnectSockets()` and
 * acknowledged broadcasts reach sockets on any controller.
 */
export async function attachSocketAdapter(io: Server, opts: SocketAdapterOptions): Promise<SocketAdapter> {
  if (opts.redisUrl) return attachRedis(io, opts.redisUrl, channelPrefix(opts.db), opts.logger);
  if (opts.db.kind === 'postgres') return attachPostgres(io, opts.db as PostgresDb, opts.logger);
  return { kind: 'none', close: async () => {} };
}

async function attachRedis(io: Server, url: string, key: string, logger: Logger): Promise<SocketAdapter> {
  // Loaded only with REDIS_URL: the client and its adapter are about 35 MB of a controller that does not use them.
  const [{ createClient }, { createAdapter: createRedisAdapter }] = await Promise.all([
    import('redis'),
    import('@socket.io/redis-adapter'),
  ]);
  const pub = createClient({ url });
  const sub = pub.duplicate();
  // node-redis reconnects by itself; an error it reports must not end the process.
  for (const client of [pub, sub]) {
    client.on('error', (err: unknown) => logger.warn({ err }, 'Redis (Socket.IO adapter) error'));
  }
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createRedisAdapter(pub, sub, { key }));
  logger.info('Socket.IO events cross controllers through Redis');
  return {
    kind: 'redis',
    close: async () => {
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}

async function attachPostgres(io: Server, db: PostgresDb, logger: Logger): Promise<SocketAdapter> {
  const config = db.connectionConfig;
  // One connection LISTENs for as long as the controller runs, one publishes, one fetches large payloads.
  const pool = new pg.Pool({ ...config, max: 3 });
  pool.on('error', (err) => logger.warn({ err }, 'PostgreSQL (Socket.IO adapter) connection lost'));
  const prefix = channelPrefix(db);
  const adapter = createPostgresAdapter(inOrder(pool), {
    channelPrefix: prefix,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
    errorHandler: (err) => logger.warn({ err }, 'Socket.IO PostgreSQL adapter error'),
  });
  // Socket.IO calls the factory with `new`: a function, not an arrow.
  io.adapter(function orderedAdapter(nsp: unknown) {
    return deliverLocallyFirst(publishInBatches(adapter(nsp), pool, prefix), logger);
  } as unknown as Parameters<Server['adapter']>[0]);
  logger.info('Socket.IO events cross controllers through PostgreSQL LISTEN/NOTIFY');
  return { kind: 'postgres', close: () => pool.end() };
}

/**
 * The channel (Redis: key prefix) the controllers of one deployment share. NOTIFY channels are per database and
 * Redis channels per server, not per schema: controllers on one schema share a channel, and deployments (or test
 * clusters) in other schemas of the same database do not hear each other.
 */
function channelPrefix(db: Db): string {
  if (db.kind !== 'postgres') return 'socket.io';
  const options = String((db as PostgresDb).connectionConfig.options ?? '');
  const schema = /search_path=([a-z_][a-z0-9_]*)/.exec(options)?.[1];
  return schema ? `socket.io:${schema}` : 'socket.io';
}

/** NOTIFY's payload limit as the adapter sees it: a larger message goes through its attachments table. */
const PAYLOAD_THRESHOLD = 8000;
/** Messages per NOTIFY statement at most (each is a parameter). */
const BATCH_MAX = 100;

interface Pending {
  message: { nsp: string };
  payload: string | null;
  resolve: (offset: string) => void;
  reject: (err: unknown) => void;
}

/**
 * The adapter publishes each message with its own query, and one over NOTIFY's limit with two (store, then
 * notify): concurrent publishes could overtake each other, and a client would see a run's events out of order.
 * Here they go one batch at a time, in the order they were emitted: what was emitted while a batch was on its
 * way leaves as the next one, each message its own notification of one statement (PostgreSQL delivers a
 * statement's notifications in order). One round trip per message capped a busy controller at a few hundred
 * events a second (`pnpm bench`, cluster). A message the adapter must encode otherwise (binary, too large) is
 * published by the adapter itself, alone, in its turn.
 */
function publishInBatches<A extends object>(adapter: A, pool: pg.Pool, prefix: string): A {
  const target = adapter as unknown as { doPublish(message: { nsp: string }): Promise<unknown> };
  const publishAlone = target.doPublish.bind(adapter);
  let queue: Pending[] = [];
  let draining = false;
  const drain = async () => {
    draining = true;
    while (queue.length > 0) {
      const head = queue[0]!;
      let batch: Pending[];
      if (head.payload === null) {
        batch = [head];
        queue = queue.slice(1);
        await publishAlone(head.message).then(() => head.resolve(''), head.reject);
        continue;
      }
      const end = queue.findIndex((p, i) => i >= BATCH_MAX || p.payload === null);
      batch = end === -1 ? queue : queue.slice(0, end);
      queue = end === -1 ? [] : queue.slice(end);
      const params = batch.flatMap((p) => [`${prefix}#${p.message.nsp}`, p.payload]);
      const calls = batch.map((_, i) => `pg_notify($${2 * i + 1}, $${2 * i + 2})`).join(', ');
      await pool.query(`SELECT ${calls}`, params).then(
        () => {
          for (const p of batch) p.resolve('');
        },
        (err: unknown) => {
          for (const p of batch) p.reject(err);
        },
      );
    }
    draining = false;
  };
  target.doPublish = (message) =>
    new Promise((resolve, reject) => {
      const payload = hasBinary(message) ? null : JSON.stringify(message);
      const simple = payload !== null && Buffer.byteLength(payload) <= PAYLOAD_THRESHOLD;
      queue.push({ message, payload: simple ? payload : null, resolve, reject });
      if (!draining) void drain();
    });
  return adapter;
}

/** Whether a message carries bytes (Buffer, typed array): the adapter encodes those with msgpack, not JSON. */
function hasBinary(value: unknown, depth = 0): boolean {
  if (!value || typeof value !== 'object' || depth > 32) return false;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return true;
  if (Array.isArray(value)) return value.some((v) => hasBinary(v, depth + 1));
  return Object.values(value).some((v) => hasBinary(v, depth + 1));
}

/**
 * Socket.IO's cluster adapter gives a broadcast to this controller's own sockets only once it is published, and
 * publishing goes one NOTIFY at a time (above): at a few hundred per second, a busy controller's own clients
 * waited seconds for events that were ready here. Its sockets get the broadcast now; the other controllers get
 * it in the order it was emitted, as before.
 */
function deliverLocallyFirst<A extends object>(adapter: A, logger: Logger): A {
  const target = adapter as unknown as {
    broadcast(packet: unknown, opts: BroadcastOptions): Promise<void> | void;
    publishAndReturnOffset(message: unknown): Promise<unknown>;
  };
  const broadcastHere = Adapter.prototype.broadcast;
  const clusterBroadcast = target.broadcast.bind(adapter);
  target.broadcast = (packet, opts) => {
    // Local-only broadcasts, and those the adapter handles itself, go the usual way.
    if (opts.flags?.local) return clusterBroadcast(packet, opts);
    target
      .publishAndReturnOffset({
        type: MessageType.BROADCAST,
        data: {
          packet,
          opts: { rooms: [...opts.rooms], except: [...(opts.except ?? [])], flags: opts.flags },
        },
      })
      .catch((err: unknown) => logger.warn({ err }, 'Socket.IO PostgreSQL adapter: publishing a broadcast'));
    broadcastHere.call(adapter as unknown as Adapter, packet as never, opts);
  };
  return adapter;
}

/**
 * The pool the adapter uses, whose listening connection hands notifications over one at a time: a message whose
 * payload must first be read from its table is delivered before the ones notified after it.
 */
function inOrder(pool: pg.Pool): pg.Pool {
  const connect = async () => {
    const client = await pool.connect();
    const on = client.on.bind(client);
    let last: Promise<unknown> = Promise.resolve();
    client.on = ((event: string, listener: (...args: unknown[]) => unknown) => {
      if (event !== 'notification') return on(event as 'end', listener as () => void);
      return on('notification', (msg) => {
        last = last.then(() => listener(msg)).catch(() => {});
      });
    }) as typeof client.on;
    return client;
  };
  // Only what the adapter calls; pg's own query() must keep using the pool's connect (with its callback).
  return { connect, query: pool.query.bind(pool) } as unknown as pg.Pool;
}
