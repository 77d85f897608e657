import { encodeGlobalID } from '@pothos/plugin-relay';
import { INTERNAL_PAYLOAD_KEYS, PAYLOAD_ID_TYPES } from './types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ID_TYPES: Readonly<Record<string, string>> = PAYLOAD_ID_TYPES;

/** A database UUID as the global ID of `typename`; anything else (null, an ID already global) as it is. */
function globalIdOf(typename: string, value: unknown): unknown {
  return typeof value === 'string' && UUID.test(value) ? encodeGlobalID(typename, value) : value;
}

/**
 * A stored event payload as the API sends it: without the server's own keys (`INTERNAL_PAYLOAD_KEYS`), every ID
 * field named in `PAYLOAD_ID_TYPES`, at any depth, as a global ID (a list for `…Ids` fields), everything else
 * unchanged. Pure: the stored payload is not modified. Rule source: issue 10 item 12 ("event payloads carry global
 * IDs, as `subjectId` does").
 */
export function payloadWithGlobalIds(payload: unknown): unknown {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return withGlobalIds(payload);
  return withGlobalIds(Object.fromEntries(Object.entries(payload).filter(([key]) => !INTERNAL_PAYLOAD_KEYS.has(key))));
}

function withGlobalIds(payload: unknown): unknown {
  if (Array.isArray(payload)) return payload.map(withGlobalIds);
  if (payload === null || typeof payload !== 'object') return payload;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(payload)) {
    const typename = Object.hasOwn(ID_TYPES, key) ? ID_TYPES[key] : undefined;
    if (typename && Array.isArray(value)) result[key] = value.map((item) => globalIdOf(typename, item));
    else if (typename) result[key] = globalIdOf(typename, value);
    else result[key] = withGlobalIds(value);
  }
  return result;
}
