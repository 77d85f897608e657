import { encodeGlobalID } from '@pothos/plugin-relay';
import { createGraphQLError } from 'graphql-yoga';
import { NotFoundError } from '../errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads a Relay global ID (base64 of `Typename:uuid`, every node's ID) as the schema's `ID!` arguments and the HTTP
 * routes (exports) must: `{ typename, id }`. Throws `BAD_USER_INPUT` for anything else (not base64 of that shape,
 * an ID that is not a UUID): the caller's mistake, never a database error. A well-formed ID of the wrong type is
 * for the caller to refuse as not found.
 */
export function parseGlobalId(globalId: string): { typename: string; id: string } {
  const parsed = wellFormed(globalId);
  if (!parsed) throw createGraphQLError('Identifiant global mal formé.', { extensions: { code: 'BAD_USER_INPUT' } });
  return parsed;
}

/**
 * `{ typename, id }` of a global ID of the shape `Typename:uuid`, the UUID in small letters as PostgreSQL writes it
 * (Prisma matches the rows of a batched read to the IDs asked as strings, so `nodes(ids:)` answered null for an ID
 * written in capitals: attack of stop 25, F3); null for any other shape.
 */
function wellFormed(globalId: string): { typename: string; id: string } | null {
  const [typename = '', id = '', ...rest] = Buffer.from(globalId, 'base64').toString('utf8').split(':');
  if (!/^[A-Z][A-Za-z]*$/.test(typename) || rest.length > 0 || !UUID.test(id)) return null;
  return { typename, id: id.toLowerCase() };
}

/** The database ID inside a global ID, checking it names the expected type (a wrong one is simply not found). */
export function idOf(globalId: { typename: string; id: string }, typename: string, field: string): string {
  if (globalId.typename !== typename || !UUID.test(globalId.id)) {
    throw new NotFoundError(field, typename);
  }
  return globalId.id.toLowerCase();
}

/** Splits a Relay global ID (base64 of `Typename:id`) for arguments typed as plain `ID`. */
export function decodeGlobalId(globalId: string): { typename: string; id: string } {
  const [typename = '', id = ''] = Buffer.from(globalId, 'base64').toString('utf8').split(':');
  return { typename, id };
}

/**
 * `globalId` as the event log stores subjects' IDs (`encodeGlobalID` of the lower-case UUID, events/record.ts), for an
 * argument compared with them as text (`activity(subjectId:)`, `nodeChanges(id:)`): a UUID written in capitals named
 * nothing there (attack of stop 25). Anything not of the shape `Typename:uuid` is returned as given (it matches nothing).
 */
export function canonicalGlobalId(globalId: string): string {
  const parsed = wellFormed(globalId);
  return parsed ? encodeGlobalID(parsed.typename, parsed.id) : globalId;
}
