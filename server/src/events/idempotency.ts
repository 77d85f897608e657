import { AsyncLocalStorage } from 'node:async_hooks';
import type { SqlRunner } from '../db/database.js';
import { UnavailableError } from '../errors.js';
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';

/**
 * Idempotency keys: a mutation sent with a key is applied at most once per member and key, however often it
 * is retried (after a timeout, a 503, a dropped connection: an unknown outcome). The key is claimed in the
 * same transaction as the mutation's first recorded event (`claimInTransaction`, called by `recordEvent`), so
 * the claim exists exactly when the change committed. A mutation that writes without recording an event claims
 * it in its storing transaction itself (a named version: `keepVersion`; a restore: `Documents.applyComputed`).
 * Those that store nothing or are idempotent by nature (presence, a pushed Yjs update, sign-in) claim nothing.
 */
export interface IdempotencyClaim {
  memberId: string;
  key: string;
  fingerprint: string;
  /** Set once a transaction of this mutation inserted the key. */
  claimed: boolean;
  /**
   * Set when inserting the key found it committed by another request (a duplicate running on another instance):
   * the mutation's transaction rolled back, and the plugin answers the other's stored answer instead.
   */
  taken?: boolean;
}

const scope = new AsyncLocalStorage<IdempotencyClaim>();

/** Runs a mutation with its key in scope, so that `recordEvent` claims it inside the mutation's transaction. */
export function withIdempotencyKey<T>(claim: IdempotencyClaim, operation: () => T): T {
  return scope.run(claim, operation);
}

/** The key of the mutation running now, to claim later in a transaction run outside its async context. */
export function currentClaim(): IdempotencyClaim | undefined {
  return scope.getStore();
}

/**
 * Inserts the mutation's key (`claim`: the one in scope unless given) in the caller's transaction (once per
 * mutation). Raises `UnavailableError` when another request holding the same key committed meanwhile (two
 * concurrent retries, on two instances), marking the claim `taken`: this transaction rolls back, and the
 * idempotency plugin (transport/idempotency.ts) answers the other request's stored answer instead.
 */
export async function claimInTransaction(
  tx: Prisma.TransactionClient,
  claim: IdempotencyClaim | undefined = scope.getStore(),
): Promise<void> {
  if (!claim || claim.claimed) return;
  const inserted = await tx.$executeRaw`
    INSERT INTO "IdempotencyKey" ("memberId", "key", "fingerprint")
    VALUES (${claim.memberId}::uuid, ${claim.key}, ${claim.fingerprint})
    ON CONFLICT DO NOTHING`;
  if (inserted === 0) {
    claim.taken = true;
    throw new UnavailableError('Une requête avec cette clé d’idempotence est en cours : réessayez dans un instant.');
  }
  claim.claimed = true;
}

/**
 * `claimInTransaction` for a transaction of raw SQL (`SqlRunner.transaction`: a push batch's), same statement and
 * same refusal.
 */
export async function claimInSqlTransaction(tx: Pick<SqlRunner, 'query'>, claim: IdempotencyClaim | undefined): Promise<void> {
  if (!claim || claim.claimed) return;
  const inserted = await tx.query(
    `INSERT INTO "IdempotencyKey" ("memberId", "key", "fingerprint") VALUES ($1::uuid, $2, $3)
     ON CONFLICT DO NOTHING RETURNING 1 AS claimed`,
    [claim.memberId, claim.key, claim.fingerprint],
  );
  if (inserted.length === 0) {
    claim.taken = true;
    throw new UnavailableError('Une requête avec cette clé d’idempotence est en cours : réessayez dans un instant.');
  }
  claim.claimed = true;
}

/** Deletes keys older than `before` (a retry comes within minutes; a day is plenty). Returns how many. */
export async function pruneIdempotencyKeys(prisma: PrismaClient, before: Date): Promise<number> {
  const { count } = await prisma.idempotencyKey.deleteMany({ where: { createdAt: { lt: before } } });
  return count;
}
