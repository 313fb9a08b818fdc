import { createHash } from 'node:crypto';

/**
 * Every firing has a deterministic key, the same on every controller and after every restart:
 * `cron:<trigger>:<slot ISO>`, `event:<trigger>:<event id>`, `hook:<trigger>:<delivery id>`.
 */
export const cronKey = (triggerId: string, slot: Date) => `cron:${triggerId}:${slot.toISOString()}`;
export const eventKey = (triggerId: string, eventId: string) => `event:${triggerId}:${eventId}`;
export const hookKey = (triggerId: string, deliveryId: string) => `hook:${triggerId}:${deliveryId}`;

/** Any fixed UUID: it only has to stay the same (run ids of keys already fired depend on it). */
const NAMESPACE = Buffer.from('3b9f6c1e5d2a4f7e8c0b1a2d3e4f5a6b', 'hex');

/**
 * The id of the run a firing starts: a name-based UUID (RFC 9562 version 5) of its key. Two controllers firing
 * the same key, or one firing it again after a restart, insert the same run id, and the primary key of
 * workflow_runs lets exactly one of them in.
 */
export function runIdForKey(key: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(key, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
