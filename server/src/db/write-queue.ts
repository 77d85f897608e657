import pLimit from 'p-limit';
import { isConnectionWait, isUnavailable, UnavailableError } from '../errors.js';
import type { PrismaClient } from '../generated/prisma/client.js';

/** How many of an instance's Prisma transactions are running (holding a connection) or waiting for their turn. */
export interface WriteQueue {
  readonly running: number;
  readonly queued: number;
}

/**
 * Makes every `prisma.$transaction` of `client` (interactive or batch) wait in this process for one of `turns`
 * turns before Prisma asks the driver for a transaction; returns the client so wrapped and its queue's counts.
 *
 * Why: every mutation's transaction records its events under the event log's lock (`events/record.ts`), held
 * until commit, so on PostgreSQL a burst's transactions run one after the other anyway. Without a queue each
 * took a pooled connection first and waited for the lock on it: with the ten connections held by waiters, the
 * rest of a burst found none within Prisma's `maxWait` (2 s) and were answered UNAVAILABLE, though nothing was
 * wrong. Queued here, a transaction waits for its turn without a clock and without a connection; `maxWait` and
 * `timeout` only start with its turn, and the pool keeps `pool size - turns` connections for reads and the
 * co-editing pushes (raw SQL, not queued). Across instances the database lock still orders the events.
 *
 * A database that is really down is still answered promptly: when a transaction could not even start for an
 * outage (`isUnavailable`: refused, terminated, unreachable), every transaction queued behind it is answered
 * UnavailableError at once rather than trying in turn; those arriving later queue and try again. A transaction that
 * only waited out its deadline for a pooled connection (`isConnectionWait`) is no proof of an outage: every
 * connection may be busy on a database that answers (reads of a locked table, a burst's new connections forked on a
 * loaded machine: in the last attack bench/burst.ts with a pool of 15 refused 75 of 600 joins so). Then `answers` asks the database
 * outside the pool (one question at a time, shared): if it answers, only that transaction is refused (it reached its
 * deadline) and the queued keep their place; if not, the queue is emptied as for an outage.
 *
 * A transaction must not wait, inside its callback, for another `$transaction` of the same client: with every
 * turn taken, the inner one would wait for a turn forever.
 */
export function queueTransactions(
  client: PrismaClient,
  turns: number,
  answers: () => Promise<boolean>,
): { client: PrismaClient; queue: WriteQueue } {
  const limit = pLimit({ concurrency: turns, rejectOnClear: true });
  // The question in flight, shared by the transactions whose waits ran out together.
  let asking: Promise<boolean> | undefined;
  const databaseAnswers = () => {
    asking ??= answers()
      .catch(() => false)
      .finally(() => {
        asking = undefined;
      });
    return asking;
  };
  // The outage that last emptied the queue: the cause of the refusals it gave.
  let outage: unknown;
  const transaction = client.$transaction.bind(client) as (arg: unknown, options?: unknown) => Promise<unknown>;
  const queued = async (arg: unknown, options?: unknown): Promise<unknown> => {
    let turn = false;
    try {
      // p-limit runs the function in the caller's async context (the idempotency key and event tracking it holds).
      return await limit(async () => {
        turn = true;
        if (typeof arg !== 'function') return transaction(arg, options);
        let started = false;
        try {
          return await transaction((tx: unknown) => {
            started = true;
            return (arg as (tx: unknown) => unknown)(tx);
          }, options);
        } catch (error) {
          // Emptied before this turn is given back, so that none of the queued takes it to meet the outage too.
          if (!started && isUnavailable(error) && !(isConnectionWait(error) && (await databaseAnswers()))) {
            outage = error;
            limit.clearQueue();
          }
          throw error;
        }
      });
    } catch (error) {
      if (!turn) throw new UnavailableError(undefined, { cause: outage });
      throw error;
    }
  };
  const wrapped = new Proxy(client, {
    get: (target, key) => (key === '$transaction' ? queued : Reflect.get(target, key)),
  });
  return {
    client: wrapped,
    queue: {
      get running() {
        return limit.activeCount;
      },
      get queued() {
        return limit.pendingCount;
      },
    },
  };
}
