/**
 * The realtime scenario's client, in a process of its own as a browser is: it measures when an event reaches a
 * client, not when the controller's event loop gets around to an in-process handler. `node --import tsx
 * bench/realtime-client.ts <port> <token>`: connects over WebSocket, subscribes to every run, prints `ready`, then
 * one JSON line per `workflow:event`: `[runId, seq, receivedAt (wallClockMs), status the message sets or null]`.
 */
import type { ClientToServerEvents, ServerToClientEvents } from '@deploybot/shared';
import { io, type Socket } from 'socket.io-client';
import { wallClockMs } from './event-loop';

const [port, token] = process.argv.slice(2);
const client: Socket<ServerToClientEvents, ClientToServerEvents> = io(`http://127.0.0.1:${port}`, {
  transports: ['websocket'],
  reconnection: false,
  auth: { token },
});
let lines: string[] = [];
const flush = () => {
  if (lines.length === 0) return;
  process.stdout.write(`${lines.join('\n')}\n`);
  lines = [];
};
client.on('workflow:event', (message) => {
  const receivedAt = wallClockMs();
  const status = message.run?.status ?? message.patch?.set?.status ?? null;
  // One write per turn, not per event: the pipe to the benchmark is not what is measured.
  if (lines.length === 0) setImmediate(flush);
  lines.push(JSON.stringify([message.runId, message.seq, receivedAt, status]));
});
client.once('connect_error', (err) => {
  process.stderr.write(`realtime client: ${err.message}\n`);
  process.exit(1);
});
client.once('connect', async () => {
  const ack = await client.emitWithAck('workflows:subscribe', {});
  if ('error' in ack && ack.error) {
    process.stderr.write(`workflows:subscribe refused: ${ack.error.message}\n`);
    process.exit(1);
  }
  process.stdout.write('ready\n');
});
process.on('disconnect', () => process.exit(0));
process.stdin.on('end', () => process.exit(0));
