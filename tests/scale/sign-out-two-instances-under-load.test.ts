import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../../server/src/auth/sessions.js';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { migrate } from '../../server/src/db/migrate.js';
import { createPostgresDatabase } from '../support/database.js';
import { type ServerProcess, startServerProcess } from '../support/processes.js';
import { gid, makeMember } from '../support/scenario.js';

// Grouped session reads (auth/sessions.ts `GroupedReads`) across two real server processes sharing PostgreSQL (attack
// of stop 29, held): a sign-out answered by instance A is seen by the next request on instance B, while B is busy
// grouping other members' session reads.
const adminUrl = process.env.DATABASE_URL;
let created: Awaited<ReturnType<typeof createPostgresDatabase>>;
let db: Database;
let a: ServerProcess;
let b: ServerProcess;

beforeAll(async () => {
  if (!adminUrl) return;
  created = await createPostgresDatabase(adminUrl, 'collectifs_signout');
  db = await openDatabase({ databaseUrl: created.url });
  await migrate(db.sql);
  [a, b] = await Promise.all([
    startServerProcess({ DATABASE_URL: created.url }),
    startServerProcess({ DATABASE_URL: created.url }),
  ]);
}, 240_000);

afterAll(async () => {
  if (!adminUrl) return;
  await Promise.all([a?.stop(), b?.stop()]);
  await db?.close();
  await created?.drop();
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
