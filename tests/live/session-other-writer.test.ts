import type { Client } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import { testAppForFile } from '../support/app.js';
import { connected } from '../support/live.js';
import { gid, makeMember } from '../support/scenario.js';

// PostgreSQL can be written by other processes: a second instance sharing it without Redis, the old process of a
// rolling deploy, `psql`. A session they end must be refused by this instance's very next request and next socket,
// though no event reached it: attack of 2026-12-01 (a second instance served a signed-out token for 10 s, writes
// included, and a new socket took a session its token had kept). Here the other writer is a statement on the raw
// SQL runner, beside Prisma's client (whose writes this process counts: db/access-writes.ts).
const VIEWER = '{ viewer { id } }';
const REVOKE = `UPDATE "Session" SET "revokedAt" = now() WHERE "memberId" = $1::uuid`;

function viewerOver(client: Client): Promise<unknown> {
  return new Promise((resolve) => {
    let answer: unknown = null;
    client.subscribe(
      { query: VIEWER },
      { next: (value) => (answer = value), error: (error) => resolve({ error: String(error) }), complete: () => resolve(answer) },
    );
  });
}

describe.skipIf(!process.env.DATABASE_URL)('A session ended by another process (PostgreSQL)', () => {
  const t = testAppForFile();

  it('is refused on the next HTTP request of a token that was just served', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    expect(await t.gql(VIEWER, {}, token)).toEqual({ data: { viewer: { id: gid('Member', member.id) } } });
    await t.db.sql.query(REVOKE, [member.id]);
    expect(await t.gql(VIEWER, {}, token)).toEqual({ data: { viewer: null } });
  });

  it('is not taken by a socket opened after it ended, though another socket of the token authenticated before', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    const first = t.ws(token, { lazy: false });
    await connected(first);
    expect(await viewerOver(first)).toMatchObject({ data: { viewer: { id: gid('Member', member.id) } } });
    await t.db.sql.query(REVOKE, [member.id]);
    const second = t.ws(token, { lazy: false });
    const answer = JSON.stringify(await viewerOver(second));
    expect(answer).not.toContain(gid('Member', member.id));
  });
});
