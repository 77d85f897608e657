import { expect } from 'vitest';
import { payloadWithGlobalIds } from '../../server/src/events/payload-ids.js';
import { PAYLOAD_ID_TYPES } from '../../server/src/events/types.js';
import type { TestApp } from './app.js';

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
