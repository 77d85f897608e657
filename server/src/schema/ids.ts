import { NotFoundError } from '../errors.js';

/** The database ID inside a global ID, checking it names the expected type (a wrong one is simply not found). */
export function idOf(globalId: { typename: string; id: string }, typename: string, field: string): string {
  if (globalId.typename !== typename || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(globalId.id)) {
    throw new NotFoundError(field, `No such ${typename.toLowerCase()}.`);
  }
  return globalId.id;
}
