import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.js';

/** Raw SQL access beside Prisma, for the migrator, locks and tests. */
export interface SqlRunner {
  /** Runs a script of one or more statements, without parameters. */
  exec(script: string): Promise<void>;
  /** Runs one parameterised statement and returns its rows. */
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  /** Runs `work` inside one transaction on one connection. */
  transaction<T>(work: (sql: Omit<SqlRunner, 'transaction'>) => Promise<T>): Promise<T>;
}

export interface Database {
  kind: 'pglite' | 'postgres';
  prisma: PrismaClient;
  sql: SqlRunner;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL connection string; embedded PGlite when absent. */
  databaseUrl?: string | undefined;
  /** PGlite data folder; `memory://` keeps everything in memory. */
  dataDir?: string | undefined;
  /** Called with every SQL statement Prisma runs (tests count them). */
  onQuery?: ((sql: string) => void) | undefined;
}

/** Opens the database the configuration names: PostgreSQL when a URL is given, PGlite otherwise. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.onQuery)
    : openPglite(options.dataDir ?? './data', options.onQuery);
}

function prismaClient(adapter: PrismaPg | PrismaPGlite, onQuery?: (sql: string) => void): PrismaClient {
  const client = onQuery
    ? new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] })
    : new PrismaClient({ adapter });
  if (onQuery) (client as PrismaClient<'query'>).$on('query', (event) => onQuery(event.query));
  // A GraphQL selection of only `__typename` gives Pothos an empty `select`, which Prisma refuses:
  // read the ID alone instead.
  return client.$extends({
    query: {
      $allModels: {
        $allOperations({ args, query }) {
          const select = (args as { select?: Record<string, unknown> } | undefined)?.select;
          if (select && Object.keys(select).length === 0) (args as { select: Record<string, unknown> }).select = { id: true };
          return query(args);
        },
      },
    },
  }) as unknown as PrismaClient;
}

async function openPglite(dataDir: string, onQuery?: (sql: string) => void): Promise<Database> {
  const pglite = await PGlite.create(dataDir);
  const prisma = prismaClient(new PrismaPGlite(pglite), onQuery);
  const sql: SqlRunner = {
    exec: async (script) => {
      await pglite.exec(script);
    },
    query: async <Row>(text: string, params: unknown[] = []) => (await pglite.query<Row>(text, params)).rows,
    transaction: (work) =>
      pglite.transaction((tx) =>
        work({
          exec: async (script) => {
            await tx.exec(script);
          },
          query: async <Row>(text: string, params: unknown[] = []) => (await tx.query<Row>(text, params)).rows,
        }),
      ),
  };
  return {
    kind: 'pglite',
    prisma,
    sql,
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}

async function openPostgres(connectionString: string, onQuery?: (sql: string) => void): Promise<Database> {
  const pool = new pg.Pool({ connectionString, max: 10 });
  // An idle connection the server closes (restart, dropped test database) must not crash the process.
  pool.on('error', () => {});
  const prisma = prismaClient(new PrismaPg(pool), onQuery);
  const onClient = (client: pg.PoolClient | pg.Pool): Omit<SqlRunner, 'transaction'> => ({
    exec: async (script) => {
      await client.query(script);
    },
    query: async <Row>(text: string, params: unknown[] = []) => (await client.query(text, params)).rows as Row[],
  });
  const sql: SqlRunner = {
    ...onClient(pool),
    transaction: async (work) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(onClient(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
    },
  };
  return {
    kind: 'postgres',
    prisma,
    sql,
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
