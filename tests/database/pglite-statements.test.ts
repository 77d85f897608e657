import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { PgliteStatements } from '../../server/src/db/pglite-statements.js';

type PGlite = ConstructorParameters<typeof PgliteStatements>[0];
/**
 * PGlite as the server imports it (the tests' package does not depend on it): its ES module, whose error class the
 * server's code recognises (`require.resolve` names the CommonJS build beside it).
 */
const { PGlite } = (await import(
  pathToFileURL(
    createRequire(new URL('../../server/package.json', import.meta.url))
      .resolve('@electric-sql/pglite')
      .replace(/\.cjs$/, '.js'),
  ).href
)) as { PGlite: { create(dataDir: string): Promise<PGlite> } };

/** What a rejection carries that callers read (the classification of errors, constraint names, the statement). */
function shape(error: unknown) {
  const e = error as Record<string, unknown>;
  return {
    class: (error as object).constructor.name,
    message: e.message,
    code: e.code,
    constraint: e.constraint,
    detail: e.detail,
    query: e.query,
    params: e.params,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

// The embedded database's raw statements run as prepared statements, one call into PGlite each: the same rows,
// types and errors as PGlite's own `query`, at the first execution of a text and at the next ones.
describe('Prepared statements on the embedded database', () => {
  let pglite: PGlite;
  let statements: PgliteStatements;
  beforeAll(async () => {
    pglite = await PGlite.create('memory://');
    await pglite.exec(`SET TIME ZONE 'UTC';
      CREATE TABLE item (id bigserial PRIMARY KEY, name text UNIQUE NOT NULL, data bytea, at timestamptz DEFAULT now(), tags text[])`);
    statements = new PgliteStatements(pglite);
  }, 180_000);
  afterAll(() => pglite.close());

  const cases: [string, unknown[]][] = [
    [
      'SELECT $1::bytea AS b, $2::timestamptz AS t, $3::int8 AS big, $3::int8::text AS big_text, $4::int4[] AS ints, $5::text[] AS texts',
      [Buffer.from([0, 1, 254, 255]), new Date('2026-01-02T03:04:05.678Z'), 9007199254740993n, [1, null, 3], ['a', 'b"c', null]],
    ],
    [
      'SELECT $1::jsonb AS j, $2::bool AS yes, $3::numeric AS n, $4::uuid AS u, $5::date AS d',
      [{ a: [1, 'x'] }, true, '1.50', '00000000-0000-0000-0000-000000000001', '2026-11-30'],
    ],
    ['SELECT $1::text AS nothing, $2::int AS missing, $3 AS untyped', [null, undefined, 'text']],
    ['SELECT generate_series(1, $1::int) AS n, now() > $2::timestamptz AS later', [3, new Date(0)]],
    [
      'INSERT INTO item (name, data, tags) VALUES ($1, $2, $3) RETURNING id, name, data, tags, at IS NOT NULL AS dated',
      ['one', new Uint8Array([9, 8]), ['x']],
    ],
    ['SELECT id, name, data, tags FROM item WHERE name = $1', ['zero']],
    ['SELECT 1 AS one WHERE false', []],
  ];

  it('should give the rows and types of PGlite’s own query, first and next times', async () => {
    for (const [text, params] of cases) {
      const isInsert = text.startsWith('INSERT');
      // PGlite's own first (an insert then inserts under another name).
      const expected = (await pglite.query(text, isInsert ? ['zero', ...params.slice(1)] : params)).rows;
      for (let run = 0; run < 3; run += 1) {
        const rows = await statements.query(text, isInsert ? [`${params[0]}-${run}`, ...params.slice(1)] : params);
        if (isInsert)
          expect(rows.map((row) => ({ ...(row as object), id: 0, name: 0 }))).toEqual(
            expected.map((row) => ({ ...(row as object), id: 0, name: 0 })),
          );
        else expect(rows).toEqual(expected);
      }
    }
  });

  it('should reject as PGlite’s own query does: constraints, syntax, input, execution, and go on', async () => {
    const failing: [string, unknown[]][] = [
      ['INSERT INTO item (name) VALUES ($1)', ['dup']],
      ['SELEC $1', [1]],
      ['SELECT $1::uuid AS u', ['not a uuid']],
      ['SELECT 1 / $1::int AS x', [0]],
      ['SELECT * FROM nowhere WHERE id = $1', [1]],
    ];
    await pglite.query('INSERT INTO item (name) VALUES ($1)', ['dup']);
    for (const [text, params] of failing) {
      const expected = shape(await rejection(pglite.query(text, params)));
      expect(expected.code).toMatch(/^[0-9A-Z]{5}$/);
      for (let run = 0; run < 2; run += 1) expect(shape(await rejection(statements.query(text, params)))).toEqual(expected);
    }
    // A failed statement leaves nothing open: the next ones run.
    expect(await statements.query('SELECT $1::int AS x', [7])).toEqual([{ x: 7 }]);
  });

  it('should keep a statement prepared in a transaction that rolled back, and see its writes only if committed', async () => {
    const text = 'INSERT INTO item (name) VALUES ($1) RETURNING name';
    await expect(
      pglite.transaction(async () => {
        expect(await statements.queryInTransaction(text, ['rolled back'])).toEqual([{ name: 'rolled back' }]);
        throw new Error('abandon');
      }),
    ).rejects.toThrow('abandon');
    await pglite
      .transaction(async () => {
        await statements.queryInTransaction(text, ['committed']);
        // An error inside the transaction: the transaction is aborted, as with PGlite's own query.
        const error = await rejection(statements.queryInTransaction(text, ['committed']));
        expect(shape(error).code).toBe('23505');
        expect(shape(await rejection(statements.queryInTransaction('SELECT $1::int', [1]))).code).toBe('25P02');
      })
      .catch(() => {});
    expect(await statements.query(text, ['after'])).toEqual([{ name: 'after' }]);
    expect(
      await pglite.query('SELECT name FROM item WHERE name IN ($1, $2, $3) ORDER BY name', ['rolled back', 'committed', 'after']),
    ).toMatchObject({
      rows: [{ name: 'after' }],
    });
  });

  it('should close the least recently used statements beyond its bound, and prepare them again when used', async () => {
    for (let i = 0; i < 300; i += 1) expect(await statements.query(`SELECT $1::int + ${i} AS n`, [1])).toEqual([{ n: 1 + i }]);
    const { rows } = await pglite.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_statements');
    expect(rows[0]?.n).toBeLessThanOrEqual(128);
    expect(await statements.query('SELECT $1::int + 0 AS n', [2])).toEqual([{ n: 2 }]);
  });
});

describe('Raw statements of the embedded database across a change of the schema', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ dataDir: 'memory://' });
  }, 180_000);
  afterAll(() => db.close());

  it('should read the new columns of a table a script changed', async () => {
    await db.sql.exec('CREATE TABLE changing (id int PRIMARY KEY, a text)');
    await db.sql.query('INSERT INTO changing (id, a) VALUES ($1, $2)', [1, 'x']);
    const read = 'SELECT * FROM changing WHERE id = $1';
    expect(await db.sql.query(read, [1])).toEqual([{ id: 1, a: 'x' }]);
    await db.sql.transaction((tx) => tx.exec('ALTER TABLE changing ADD COLUMN b int DEFAULT 2'));
    expect(await db.sql.query(read, [1])).toEqual([{ id: 1, a: 'x', b: 2 }]);
    await db.sql.exec('ALTER TABLE changing DROP COLUMN a');
    expect(await db.sql.transaction((tx) => tx.query(read, [1]))).toEqual([{ id: 1, b: 2 }]);
  });

  it('should refuse a statement once its transaction ended, as PGlite does', async () => {
    let escaped: Pick<Database['sql'], 'query'> | undefined;
    await db.sql.transaction(async (tx) => {
      escaped = tx;
    });
    await expect(escaped?.query('SELECT $1::int AS x', [1])).rejects.toThrow('Transaction is closed');
  });
});
