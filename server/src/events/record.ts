import { AsyncLocalStorage } from 'node:async_hooks';
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { SqlRunner } from '../db/database.js';
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

const recording = new AsyncLocalStorage<{ recorded: boolean; count: number }>();

/**
 * Runs `operation` and tells whether it recorded any event (committed or not), so that only an operation
 * that may have grown the log announces it (the "log advanced" notification is then never sent for nothing).
 */
export async function trackRecording<T>(operation: () => Promise<T> | T): Promise<{ result: T; recorded: boolean }> {
  const store = { recorded: false, count: 0 };
  const result = await recording.run(store, operation);
  return { result, recorded: store.recorded };
}

/**
 * How many events the operation running under `trackRecording` has recorded so far (committed or not; 0 outside
 * one): a mutation document's later root fields compare it to know whether an earlier one may have changed rights.
 */
export function eventsRecordedSoFar(): number {
  return recording.getStore()?.count ?? 0;
}

/** Appends an event to the log inside the caller's transaction; it commits or vanishes with the change. */
export async function recordEvent<T extends EventType>(tx: Prisma.TransactionClient, event: DomainEvent<T>): Promise<void> {
  const store = recording.getStore();
  if (store) {
    store.recorded = true;
    store.count += 1;
  }
  // A mutation sent with an idempotency key claims it here, so the claim commits or vanishes with the change.
  await claimInTransaction(tx);
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${EVENT_LOG_LOCK})`;
  await tx.eventLog.create({ data: logRow(event) });
}

/**
 * `recordEvent` for a transaction of raw SQL (`SqlRunner.transaction`), for the server's own events outside any
 * mutation (a section's recount, `SectionActivity`): the same lock and the same row, two statements instead of
 * Prisma's machinery. Claims no idempotency key (no caller's mutation is being stored) and marks nothing recorded:
 * the caller announces the log once its transaction committed.
 */
export async function recordEventInSql<T extends EventType>(tx: Pick<SqlRunner, 'query'>, event: DomainEvent<T>): Promise<void> {
  const row = logRow(event);
  await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [EVENT_LOG_LOCK]);
  await tx.query(
    'INSERT INTO "EventLog" ("type", "subjectId", "collectiveId", "actorId", "payload") VALUES ($1, $2, $3::uuid, $4::uuid, $5::jsonb)',
    [row.type, row.subjectId, row.collectiveId, row.actorId, JSON.stringify(row.payload)],
  );
}

/** The log row of an event (its position and, unless given, its time are the database's). */
function logRow(event: DomainEvent, createdAt?: Date): Prisma.EventLogCreateManyInput {
  return {
    type: event.type,
    subjectId: encodeGlobalID(event.subject.typename, event.subject.id),
    collectiveId: event.collectiveId ?? null,
    actorId: event.actorId ?? null,
    payload: (event.payload ?? {}) as Prisma.InputJsonValue,
    ...(createdAt ? { createdAt } : {}),
  };
}

/** An event that happened before it is recorded: `at` is when. */
export type PastEvent<T extends EventType = EventType> = DomainEvent<T> & { at: Date };

/**
 * Writes a history of past events (the demo seed's) in one statement, in the order of their times, each with its
 * own `createdAt`. Only into a log that never held an event (none there, never pruned): readers page the log by
 * position, newest first, so positions must follow time, and events dated before some already in the log would
 * break that. Returns how many were written (0 when the log is not virgin: writing a history is done once).
 *
 * Nothing is announced: a history is no news. A server that starts after it delivers live from past its end.
 */
export async function recordHistory(tx: Prisma.TransactionClient, events: readonly PastEvent[]): Promise<number> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${EVENT_LOG_LOCK})`;
  const [held, pruned] = await Promise.all([
    tx.eventLog.findFirst({ select: { position: true } }),
    tx.eventLogHorizon.findUnique({ where: { id: 1 }, select: { id: true } }),
  ]);
  if (held || pruned || events.length === 0) return 0;
  // A stable sort: events of the same instant keep the order given (a request before its approval).
  const ordered = [...events].sort((a, b) => a.at.getTime() - b.at.getTime());
  // One INSERT of many rows: PostgreSQL draws their positions from the sequence in the order of the rows.
  const { count } = await tx.eventLog.createMany({ data: ordered.map((event) => logRow(event, event.at)) });
  return count;
}
