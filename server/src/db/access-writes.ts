/**
 * Counts the writes made through this process' Prisma client to the tables a signed-in request's session and rights
 * are read from (`resolveSignedIn`: "Session", "Member", "Membership"; closing a collective ends its memberships), so
 * that a token's kept session and memberships (`Lifecycle.authenticate`, reused by HTTP requests on a single
 * instance: context.ts) serve only while nothing here could have changed them, whoever wrote: a mutation's
 * transaction, a script, a test fixture writing straight to the database behind the event log's back.
 *
 * `epoch` grows when such a statement is sent, when it ends, and when the transaction that held it commits (or rolls
 * back): a read of rights that began before the change was committed is kept under an older epoch, so it is read
 * again by the next request. A write made outside this process (SQL by hand) is not seen here: a kept answer
 * still goes at the latest `AUTHENTICATED_FRESH_MS` after its read (live/lifecycle.ts).
 */
export class AccessWrites {
  #epoch = 0;

  /** Grows at every write to the rights' tables (sent, ended, committed); compare two readings for "changed since". */
  get epoch(): number {
    return this.#epoch;
  }

  bump(): void {
    this.#epoch += 1;
  }
}

/** A statement that may write (the first keyword; a `WITH` only when it holds a write). */
const WRITE = /^\s*(?:insert|update|delete|truncate|merge)\b/i;
const WITH_WRITE = /^\s*with\b[\s\S]*\b(?:insert|update|delete|merge)\b/i;
/** The rights' tables, as Prisma and hand-written SQL quote them. */
const RIGHTS_TABLES = /"(?:Session|Member|Membership)"/;

/** Whether `sql` may write to a table rights are read from (false for every SELECT: a cheap test first). */
export function writesRights(sql: string): boolean {
  return (WRITE.test(sql) || WITH_WRITE.test(sql)) && RIGHTS_TABLES.test(sql);
}

type Queryable = {
  queryRaw(query: { sql: string }): Promise<unknown>;
  executeRaw(query: { sql: string }): Promise<unknown>;
};

/**
 * Prisma's driver adapter factory `factory` (PrismaPg, PrismaPGlite), with every statement of its adapters and their
 * transactions watched for writes to the rights' tables (`AccessWrites`). Nothing else changes.
 */
export function watchAccessWrites<F extends object>(factory: F, writes: AccessWrites): F {
  return forwarding(factory, {
    connect:
      (connect) =>
      async (...args: unknown[]) =>
        watchQueryable(await connect(...args), writes, null),
  });
}

/** Per transaction: whether it wrote to the rights' tables (then its end moves the epoch too). */
interface TransactionState {
  wrote: boolean;
}

function watchQueryable(queryable: object, writes: AccessWrites, transaction: TransactionState | null): object {
  const statement =
    (run: (query: { sql: string }) => Promise<unknown>) =>
    (query: { sql: string }): Promise<unknown> => {
      if (!writesRights(query.sql)) return run(query);
      writes.bump();
      if (transaction) transaction.wrote = true;
      return run(query).finally(() => writes.bump());
    };
  const end =
    (run: (...args: unknown[]) => Promise<unknown>) =>
    (...args: unknown[]): Promise<unknown> =>
      transaction?.wrote ? run(...args).finally(() => writes.bump()) : run(...args);
  return forwarding(queryable as Queryable, {
    queryRaw: statement,
    executeRaw: statement,
    startTransaction:
      (start) =>
      async (...args: unknown[]) =>
        watchQueryable(await start(...args), writes, { wrote: false }),
    commit: end,
    rollback: end,
  });
}

/**
 * `target` with its methods named in `wrappers` replaced by what each wrapper makes of the bound original (made once),
 * every other property read through (methods bound to `target`, as the adapters' classes need their `this`).
 */
function forwarding<T extends object>(
  target: T,
  // biome-ignore lint/suspicious/noExplicitAny: any method shape of the adapters'.
  wrappers: Record<string, (original: (...args: any[]) => any) => (...args: any[]) => any>,
): T {
  const made = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, key) {
      const value = Reflect.get(object, key, object);
      if (typeof value !== 'function') return value;
      let method = made.get(key);
      if (method === undefined) {
        const bound = value.bind(object);
        const wrap = typeof key === 'string' && Object.hasOwn(wrappers, key) ? wrappers[key] : undefined;
        method = wrap ? wrap(bound) : bound;
        made.set(key, method);
      }
      return method;
    },
  });
}
