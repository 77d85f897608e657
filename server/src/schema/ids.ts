import { NotFoundError } from '../errors.js';

/** The database ID inside a global ID, checking it names the expected type (a wrong one is simply not found). */
export function idOf(globalId: { typename: string; id: string }, typename: string, field: string): string {
  if (globalId.typename !== typename || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(globalId.id)) {
    throw new NotFoundError(field, typename);
  }
  return globalId.id;
}

/** Splits a Relay global ID (base64 of `Typename:id`) for arguments typed as plain `ID`. */
export function decodeGlobalId(globalId: string): { typename: string; id: string } {
  const [typename = '', id = ''] = Buffer.from(globalId, 'base64').toString('utf8').split(':');
  return { typename, id };
}
