import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../../server/src/auth/sessions.js';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { migrate } from '../../server/src/db/migrate.js';
import { type ServerProcess, startServerProcess } from '../support/processes.js';
import { gid, makeMember } from '../support/scenario.js';

// Grouped session reads (auth/sessions.ts `GroupedReads`) across two real server processes sharing PostgreSQL (attack
// of stop 29, held): a sign-out answered by instance A is seen by the next request on instance B, while B is busy
// grouping other members' session reads.
const adminUrl = process.env.DATABASE_URL;
let name: string;
let db: Database;
let a: ServerProcess;
let b: ServerProcess;

beforeAll(async () => {
  if (!adminUrl) return;
  name = `collectifs_signout_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  db = await openDatabase({ databaseUrl: url.toString() });
  await migrate(db.sql);
  [a, b] = await Promise.all([
    startServerProcess({ DATABASE_URL: url.toString() }),
    startServerProcess({ DATABASE_URL: url.toString() }),
  ]);
}, 240_000);

afterAll(async () => {
  if (!adminUrl) return;
  await Promise.all([a?.stop(), b?.stop()]);
  await db?.close();
  const cleanup = new pg.Client({ connectionString: adminUrl });
  await cleanup.connect();
  await cleanup.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await cleanup.end();
});

async function gql(url: string, query: string, token: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

describe.skipIf(!adminUrl)('Sign-out on one instance, request on another (PostgreSQL)', () => {
  it('the next request on B after a sign-out answered by A is anonymous, under load on B', async () => {
    const busy = await Promise.all(Array.from({ length: 30 }, () => makeMember(db.prisma)));
    const busyTokens = await Promise.all(busy.map(async (m) => (await openSession(db.prisma, m.id, 3_600_000)).token));
    let stop = false;
    const load = Promise.all(
      busyTokens.map(async (token) => {
        while (!stop) await gql(b.url, '{ viewer { id } }', token);
      }),
    );
    const stale: string[] = [];
    try {
      for (let round = 0; round < 40; round++) {
        const member = await makeMember(db.prisma);
        const token = (await openSession(db.prisma, member.id, 3_600_000)).token;
        expect((await gql(b.url, '{ viewer { id } }', token)).data?.viewer).toEqual({ id: gid('Member', member.id) });
        expect((await gql(a.url, 'mutation { signOut }', token)).data).toEqual({ signOut: true });
        const after = await gql(b.url, '{ viewer { id } }', token);
        if (after.data?.viewer !== null) stale.push(JSON.stringify(after));
      }
    } finally {
      stop = true;
      await load;
    }
    expect(stale).toEqual([]);
  }, 240_000);
});
