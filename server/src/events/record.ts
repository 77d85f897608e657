import { AsyncLocalStorage } from 'node:async_hooks';
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { Prisma } from '../generated/prisma/client.js';
import { claimInTransaction } from './idempotency.js';
import type { EventPayloads, EventSubject, EventType } from './types.js';

// Held until commit, so event positions are handed out in commit order: a reader never sees
// position n+1 before a transaction holding position n has committed.
const EVENT_LOG_LOCK = 5_021_777;

/** One change to record; its type, subject and payload shape come from the registry (`events/types.ts`). */
export interface DomainEvent<T extends EventType = EventType> {
  type: T;
  /** The node the event is about: its GraphQL type (as the registry names it for this event type) and database ID. */
  subject: { typename: EventSubject<T>; id: string };
  collectiveId?: string | null;
  actorId?: string | null;
  /** The new values a screen needs to update without re-querying. */
  payload?: EventPayloads[T];
}

const recording = new AsyncLocalStorage<{ recorded: boolean }>();

/**
 * Runs `operation` and tells whether it recorded any event (committed or not), so that only an operation
 * that may have grown the log announces it (the "log advanced" notification is then never sent for nothing).
 */
export async function trackRecording<T>(operation: () => Promise<T> | T): Promise<{ result: T; recorded: boolean }> {
  const store = { recorded: false };
  const result = await recording.run(store, operation);
  return { result, recorded: store.recorded };
}

/** Appends an event to the log inside the caller's transaction; it commits or vanishes with the change. */
export async function recordEvent<T extends EventType>(tx: Prisma.TransactionClient, event: DomainEvent<T>): Promise<void> {
  const store = recording.getStore();
  if (store) store.recorded = true;
  // A mutation sent with an idempotency key claims it here, so the claim commits or vanishes with the change.
  await claimInTransaction(tx);
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${EVENT_LOG_LOCK})`;
  await tx.eventLog.create({
    data: {
      type: event.type,
      subjectId: encodeGlobalID(event.subject.typename, event.subject.id),
      collectiveId: event.collectiveId ?? null,
      actorId: event.actorId ?? null,
      payload: (event.payload ?? {}) as Prisma.InputJsonValue,
    },
  });
}
