import { expect } from 'vitest';
import { payloadWithGlobalIds } from '../../server/src/events/payload-ids.js';
import { type DomainEvent, recordEvent } from '../../server/src/events/record.js';
import { PAYLOAD_ID_TYPES } from '../../server/src/events/types.js';
import type { PrismaClient } from '../../server/src/generated/prisma/client.js';
import type { TestApp } from './app.js';
import { gid, makeCollective, makeMember } from './scenario.js';
import { until } from './waits.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ID_KEY = /Ids?$/;

/** Each ID field of `payload` (any key ending in `Id` or `Ids`, at any depth) with its path and value. */
export function payloadIdFields(payload: unknown, path = ''): Array<{ path: string; key: string; value: unknown }> {
  if (Array.isArray(payload)) return payload.flatMap((item, index) => payloadIdFields(item, `${path}[${index}]`));
  if (payload === null || typeof payload !== 'object') return [];
  return Object.entries(payload).flatMap(([key, value]) => {
    const here = path ? `${path}.${key}` : key;
    if (ID_KEY.test(key)) return (Array.isArray(value) ? value : [value]).map((item) => ({ path: here, key, value: item }));
    return payloadIdFields(value, here);
  });
}

/** Why `value` is not a global ID of the type `PAYLOAD_ID_TYPES` names for `key`, or null when it is one (or null). */
export function notGlobalId(key: string, value: unknown): string | null {
  if (value === null) return null;
  const expected = (PAYLOAD_ID_TYPES as Record<string, string>)[key];
  if (!expected) return `${key} is not in PAYLOAD_ID_TYPES`;
  if (typeof value !== 'string') return `${key} is ${JSON.stringify(value)}`;
  const [typename, id, ...rest] = Buffer.from(value, 'base64').toString('utf8').split(':');
  if (typename !== expected || !UUID.test(id ?? '') || rest.length > 0)
    return `${key} is ${value}, not a global ID of ${expected}`;
  return null;
}

/**
 * Every event a suite recorded, as the API sends its payload: each ID field at any depth is a global ID of the
 * registry's type. Run it last in a suite, so that it judges the payloads that suite's mutations wrote.
 */
export async function expectGlobalPayloadIds(t: TestApp): Promise<void> {
  const events = await t.db.prisma.eventLog.findMany({ select: { type: true, payload: true } });
  expect(events.length).toBeGreaterThan(0);
  const problems = events.flatMap((event) =>
    payloadIdFields(payloadWithGlobalIds(event.payload)).flatMap(({ path, key, value }) => {
      const problem = notGlobalId(key, value);
      return problem ? [`${event.type} ${path}: ${problem}`] : [];
    }),
  );
  expect([...new Set(problems)]).toEqual([]);
}

/** The event log's last position (0 when it is empty). */
export async function logHead(prisma: PrismaClient): Promise<bigint> {
  return (await prisma.eventLog.aggregate({ _max: { position: true } }))._max.position ?? 0n;
}

/**
 * A new member animating a new collective on `t`, once no live stream of an earlier test is left (its poll would read
 * the log) and the instance has applied the log: `{ member, collective, token, id }`, `id` the collective's global ID.
 */
export async function caughtUpCollective(t: TestApp) {
  await until(() => t.app.events.subscriberCount === 0, 'no subscriber left');
  const member = await makeMember(t.db.prisma);
  const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
  await t.app.events.sync();
  return { member, collective, token: await t.tokenFor(member.id), id: gid('Collective', collective.id) };
}

/**
 * Records a `collective.updated` of `collective` (renamed `name`, by `actorId`) as another instance whose notification
 * was lost would: committed, and announced to nobody, so an instance that does not poll stays behind the log.
 */
export function recordUnannounced(prisma: PrismaClient, collective: { id: string }, actorId: string, name: string) {
  return prisma.$transaction((tx) => recordEvent(tx, renamed(collective.id, actorId, name)));
}

/** A `collective.updated` event of an open, active collective renamed `name` by `actorId`. */
export function renamed(collectiveId: string, actorId: string, name: string): DomainEvent<'collective.updated'> {
  return {
    type: 'collective.updated',
    subject: { typename: 'Collective', id: collectiveId },
    collectiveId,
    actorId,
    payload: { name, status: 'ACTIVE', openness: 'OPEN' },
  };
}
