import { encodeGlobalID } from '@pothos/plugin-relay';
import type { Prisma } from '../generated/prisma/client.js';

// Held until commit, so event positions are handed out in commit order: a reader never sees
// position n+1 before a transaction holding position n has committed.
const EVENT_LOG_LOCK = 5_021_777;

export interface DomainEvent {
  /** e.g. `membership.joined`; see events/types.ts as the list grows. */
  type: string;
  /** The node the event is about. */
  subject: { typename: string; id: string };
  collectiveId?: string | null;
  actorId?: string | null;
  /** The new values a screen needs to update without re-querying. */
  payload?: Prisma.InputJsonValue;
}

/** Appends an event to the log inside the caller's transaction; it commits or vanishes with the change. */
export async function recordEvent(tx: Prisma.TransactionClient, event: DomainEvent): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${EVENT_LOG_LOCK})`;
  await tx.eventLog.create({
    data: {
      type: event.type,
      subjectId: encodeGlobalID(event.subject.typename, event.subject.id),
      collectiveId: event.collectiveId ?? null,
      actorId: event.actorId ?? null,
      payload: event.payload ?? {},
    },
  });
}
