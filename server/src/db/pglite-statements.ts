import { messages, type PGlite, parse, protocol } from '@electric-sql/pglite';

/**
 * Parameterised statements on PGlite as named prepared statements, each execution ONE call into PGlite's wasm.
 *
 * PGlite's own `query` sends Parse, Describe, Bind, Describe, Execute and Sync as six calls (each a turn of
 * Postgres' main loop, a reply buffer, a round of its JS wrapper), and parses and plans the text every time:
 * the co-editing push INSERT took ~400 µs that way, ~170 µs bound to a statement prepared once (issue 11).
 * A statement's text is prepared (Parse, Describe: its parameter types) at its first use, then every execution is
 * Bind, Describe, Execute, Sync sent together. Values, results and errors are PGlite's own: the same serializers
 * per parameter type, the same result parsing, the same `DatabaseError` with `query` and `params` set.
 */
export class PgliteStatements {
  readonly #pglite: PGlite;
  /** Prepared statements by text, least recently used first. */
  readonly #prepared = new Map<string, Prepared>();
  /** Statements to close with the next preparation (evicted, or forgotten after a script). */
  #closing: string[] = [];
  #count = 0;

  constructor(pglite: PGlite) {
    this.#pglite = pglite;
  }

  /**
   * Runs `text` outside any transaction: waits for PGlite's transaction lock, then its query lock, as its own
   * `query` does (a transaction, Prisma's too, holds the former between its statements), and syncs to the file
   * system after it. Rejects with PGlite's errors (`DatabaseError` for Postgres' own, "PGlite is closed"…).
   */
  async query<Row>(text: string, params: readonly unknown[]): Promise<Row[]> {
    // The readiness check and the transaction lock of PGlite's `query` (underscored, but typed public: what its
    // own wrappers call); `runExclusive` is the documented query lock.
    await this.#pglite._checkReady();
    return this.#pglite._runExclusiveTransaction(() => this.#pglite.runExclusive(() => this.#run<Row>(text, params, true)));
  }

  /** Runs `text` inside the transaction of `pglite.transaction` whose callback calls it (its lock held). */
  queryInTransaction<Row>(text: string, params: readonly unknown[]): Promise<Row[]> {
    return this.#pglite.runExclusive(() => this.#run<Row>(text, params, false));
  }

  /**
   * Forgets every prepared statement, closed with the next preparation: a script may have changed the tables a
   * statement reads, and a prepared statement whose result columns change fails ("cached plan must not change
   * result type").
   */
  forget(): void {
    for (const { name } of this.#prepared.values()) this.#closing.push(name);
    this.#prepared.clear();
  }

  async #run<Row>(text: string, params: readonly unknown[], syncToFs: boolean): Promise<Row[]> {
    try {
      let prepared = this.#prepared.get(text);
      if (prepared) {
        // Most recently used last.
        this.#prepared.delete(text);
        this.#prepared.set(text, prepared);
      } else prepared = await this.#prepare(text);
      const serializers = this.#pglite.serializers;
      const values = params.map((param, i) => {
        if (param === null || param === undefined) return null;
        const serialize = serializers[prepared.types[i] ?? -1];
        return serialize ? serialize(param) : String(param);
      });
      const bind = protocol.serialize.bind({ statement: prepared.name, values });
      const replies = await this.#pglite.execProtocolStream(concat(bind, EXECUTE), { syncToFs });
      return (parse.parseResults(replies, this.#pglite.parsers)[0]?.rows ?? []) as Row[];
    } catch (error) {
      // As PGlite's `query` decorates them (`makePGliteError`).
      if (error instanceof messages.DatabaseError) Object.assign(error, { query: text, params, queryOptions: undefined });
      throw error;
    }
  }

  /** Prepares `text` under a new name, closing the statements evicted or forgotten; its parameter types. */
  async #prepare(text: string): Promise<Prepared> {
    this.#count += 1;
    const name = `collectifs_${this.#count}`;
    const closing = this.#closing;
    while (this.#prepared.size >= PREPARED_MAX) {
      const [oldest, { name: evicted }] = this.#prepared.entries().next().value as [string, Prepared];
      this.#prepared.delete(oldest);
      closing.push(evicted);
    }
    this.#closing = [];
    let replies: Awaited<ReturnType<PGlite['execProtocolStream']>>;
    try {
      replies = await this.#pglite.execProtocolStream(
        concat(
          ...closing.map((evicted) => protocol.serialize.close({ type: 'S', name: evicted })),
          protocol.serialize.parse({ name, text }),
          protocol.serialize.describe({ type: 'S', name }),
          SYNC,
        ),
        { syncToFs: false },
      );
    } catch (error) {
      // Closing a statement that does not exist is no error: sent again with the next preparation.
      this.#closing.push(...closing);
      throw error;
    }
    const description = replies.find(
      (reply): reply is messages.ParameterDescriptionMessage => reply.name === 'parameterDescription',
    );
    const prepared = { name, types: description?.dataTypeIDs ?? [] };
    this.#prepared.set(text, prepared);
    return prepared;
  }
}

/** A prepared statement: its name, and its parameters' type OIDs as Postgres inferred them. */
interface Prepared {
  name: string;
  types: number[];
}

/**
 * Statements kept prepared at most, the least recently used closed beyond (the push INSERT's text depends on the
 * batch's size: one text per size seen).
 */
const PREPARED_MAX = 128;

const SYNC = protocol.serialize.sync();
/** After Bind: the portal's columns, its rows, and the end of the exchange (whatever failed before it). */
const EXECUTE = concat(protocol.serialize.describe({ type: 'P' }), protocol.serialize.execute({}), SYNC);

function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}
