import { type App, buildApp } from '../../server/src/app.js';
import { openSession } from '../../server/src/auth/sessions.js';
import { type Config, GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import { createTestDatabase, type TestDatabase } from './database.js';

/**
 * A GraphQL result's JSON as tests read it: shapes vary per operation and every value read is
 * asserted, so a typed tree would only add casts.
 */
// biome-ignore lint/suspicious/noExplicitAny: dynamic JSON, checked by the assertions that read it.
export type Json = any;

export interface GraphQLResponse<Data = Record<string, Json>> {
  data?: Data;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export interface TestApp {
  app: App;
  db: TestDatabase;
  /** Runs an operation through Yoga (no socket), as the holder of `token` (anonymous without). */
  gql<Data = Record<string, Json>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null,
  ): Promise<GraphQLResponse<Data>>;
  /** A session token for a member, without going through the password hash. */
  tokenFor(memberId: string): Promise<string>;
  close(): Promise<void>;
}

/** The server wired to a fresh database, without seeding: each suite creates the scenario it needs. */
export async function createTestApp(
  options: { onQuery?: (sql: string) => void; config?: Partial<Config>; clientDist?: string } = {},
): Promise<TestApp> {
  const db = await createTestDatabase(options);
  // Generous limits: a suite that tests a limit sets it through `config`.
  const config = { ...loadConfig({ ...GENEROUS_LIMITS_ENV }), port: 0, seedWhenEmpty: false, ...options.config };
  const app = await buildApp(config, { db, clientDist: options.clientDist });
  return {
    app,
    db,
    gql: async (query, variables, token) => {
      const response = await app.fetch(
        new Request('http://collectifs.test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query, variables }),
        }),
      );
      return (await response.json()) as GraphQLResponse<Json>;
    },
    tokenFor: async (memberId) => (await openSession(db.prisma, memberId, 3_600_000)).token,
    close: async () => {
      await app.stop();
      await db.dispose();
    },
  };
}
