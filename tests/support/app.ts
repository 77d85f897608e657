import type { Client } from 'graphql-ws';
import { afterAll, beforeAll } from 'vitest';
import { type App, buildApp } from '../../server/src/app.js';
import { openSession } from '../../server/src/auth/sessions.js';
import { type Config, GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import type { DatabaseDeadlines } from '../../server/src/db/database.js';
import { seedDemoData } from '../../server/src/seed/demo.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import type { Json } from './json.js';
import { wsClient } from './live.js';

// Where suites have always read it from.
export type { Json };

export interface GraphQLResponse<Data = Record<string, Json>> {
  data?: Data;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export interface TestApp {
  app: App;
  db: TestDatabase;
  /**
   * Runs an operation through Yoga (no socket), as the holder of `token` (anonymous without). The answer
   * without `extensions.livePosition`, which every answer carries (tests of it use `post`).
   */
  gql<Data = Record<string, Json>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null,
  ): Promise<GraphQLResponse<Data>>;
  /** As `gql`, but the answer exactly as sent, `extensions` included. */
  post(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<Json>;
  /** A session token for a member, without going through the password hash. */
  tokenFor(memberId: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The server wired to a fresh database, without seeding: each suite creates the scenario it needs. `demo` seeds
 * the demo cooperative first, as the server does at start with SEED=true (its event history included).
 */
export async function createTestApp(
  options: {
    onQuery?: (sql: string) => void;
    config?: Partial<Config>;
    clientDist?: string;
    demo?: boolean;
    /** The database's deadlines (PostgreSQL; `DatabaseDeadlines`), short for a test of them. */
    deadlines?: Partial<DatabaseDeadlines>;
  } = {},
): Promise<TestApp> {
  const db = await createTestDatabase(options);
  if (options.demo) await seedDemoData(db.prisma);
  // Generous limits: a suite that tests a limit sets it through `config`.
  const config = { ...loadConfig({ ...GENEROUS_LIMITS_ENV }), port: 0, seedWhenEmpty: false, ...options.config };
  const app = await buildApp(config, { db, clientDist: options.clientDist });
  const post = async (query: string, variables?: Record<string, unknown>, token?: string | null) => {
    const response = await app.fetch(
      new Request('http://collectifs.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      }),
    );
    return (await response.json()) as Json;
  };
  return {
    app,
    db,
    post,
    gql: async (query, variables, token) => withoutLivePosition(await post(query, variables, token)),
    tokenFor: async (memberId) => (await openSession(db.prisma, memberId, 3_600_000)).token,
    close: async () => {
      await app.stop();
      await db.dispose();
    },
  };
}

/** A TestApp listening on a free port, at `url`. */
export interface StartedTestApp extends TestApp {
  readonly url: string;
  /**
   * A real graphql-ws client on the app (`wsClient`: lazy unless `lazy: false`), authenticated as the holder of
   * `token` (anonymous with null). Disposed with the app after the file's tests, so a test that fails midway
   * leaves no socket behind; a test may dispose it earlier (disposing twice is harmless).
   */
  ws(token: string | null, options?: { lazy?: boolean }): Client;
}

/**
 * The calling file's (or describe block's) app: created (`createTestApp(options)`) and started on a free port
 * before its tests, closed after them, with the graphql-ws clients its tests opened (`ws`) disposed first. Its
 * members read the running app, so they are read inside tests and hooks.
 */
export function testAppForFile(options: Parameters<typeof createTestApp>[0] = {}): StartedTestApp {
  let current: { t: TestApp; url: string } | undefined;
  const clients: Client[] = [];
  beforeAll(async () => {
    const t = await createTestApp(options);
    current = { t, url: await t.app.start() };
  });
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await current?.t.close();
  });
  const running = (): TestApp => {
    if (!current) throw new Error('The test app is not running (read outside a test or hook).');
    return current.t;
  };
  return {
    get app() {
      return running().app;
    },
    get db() {
      return running().db;
    },
    get url() {
      running();
      return (current as { url: string }).url;
    },
    gql: (query, variables, token) => running().gql(query, variables, token),
    post: (query, variables, token) => running().post(query, variables, token),
    tokenFor: (memberId) => running().tokenFor(memberId),
    ws: (token, wsOptions) => {
      running();
      const client = wsClient((current as { url: string }).url, token, wsOptions);
      clients.push(client);
      return client;
    },
    close: () => running().close(),
  };
}

/**
 * An answer without `extensions.livePosition` (and without `extensions` once empty): the log position every
 * answer carries changes with whatever else ran, so assertions on whole answers leave it out.
 */
export function withoutLivePosition(body: Json): Json {
  if (!body?.extensions || !('livePosition' in body.extensions)) return body;
  const { livePosition: _position, ...extensions } = body.extensions;
  const { extensions: _all, ...rest } = body;
  return Object.keys(extensions).length > 0 ? { ...rest, extensions } : rest;
}
