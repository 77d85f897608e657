import { describe, expect, it } from 'vitest';
import { openSession } from '../../server/src/auth/sessions.js';
import { openDatabase, RAW_TURNS } from '../../server/src/db/database.js';
import { testAppForFile } from '../support/app.js';
import { paragraphUpdate, sectionScenario } from '../support/collab.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';

// attack 2, finding B (da77ab0): "half the pool stays free for reads and co-editing pushes" — but co-editing pushes
// were raw SQL transactions outside the write queue, unbounded; they now have turns of their own (`RAW_TURNS`). Pushes to sections of a deal whose row is locked (a long submission, or
// another instance's transaction) each park a pooled connection; with the pool gone, a write of an unrelated
// collective cannot start within maxWait (P2028), and the queue answers everyone behind it UNAVAILABLE although
// PostgreSQL is fine.
const t = testAppForFile();
const PUSH = `mutation($input: PushSectionUpdateInput!) { pushSectionUpdate(input: $input) { __typename } }`;
const UPDATE = `mutation($id: ID!, $p: String!) { updateCollective(input: { id: $id, purpose: $p }) { __typename ... on Error { message } } }`;

describe('Co-editing pushes and the write queue on PostgreSQL', () => {
  it('answers writes of an unrelated collective while pushes wait on a locked deal', async () => {
    if (t.db.kind !== 'postgres') return;
    const SECTIONS = Number(process.env.SECTIONS ?? 12);
    const { members, response } = await sectionScenario(t.db.prisma, { members: 4, deal: true });
    const sections = await Promise.all(
      Array.from({ length: SECTIONS }, (_, i) =>
        t.db.prisma.tenderSection.create({
          data: { responseId: response.id, kind: 'PROJECT_DESCRIPTION', title: `S${i}`, position: 10 + i },
        }),
      ),
    );
    const tokens = await Promise.all(members.map(async (m) => (await openSession(t.db.prisma, m.id, 3_600_000)).token));
    // Unrelated collectives and their animators.
    const others = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const m = await makeMember(t.db.prisma);
        const c = await makeCollective(t.db.prisma, { animatorId: m.id });
        return { id: gid('Collective', c.id), token: (await openSession(t.db.prisma, m.id, 3_600_000)).token };
      }),
    );
    // Another connection (another instance) holds the deal's row for a while.
    const [{ name }] = (await t.db.sql.query<{ name: string }>('SELECT current_database() AS name')) as [{ name: string }];
    const url = new URL(process.env.DATABASE_URL as string);
    url.pathname = `/${name}`;
    const other = await openDatabase({ databaseUrl: url.toString() });
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked: () => void = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = other.sql.transaction(async (tx) => {
      await tx.query('SELECT id FROM "Deal" WHERE id = $1::uuid FOR UPDATE', [response.dealId]);
      locked();
      await released;
    });
    await isLocked;
    const pushes = sections.map((s, i) =>
      t.gql(
        PUSH,
        { input: { sectionId: gid('TenderSection', s.id), update: Buffer.from(paragraphUpdate(`p${i}`)).toString('base64') } },
        tokens[i % tokens.length],
      ),
    );
    // Wait until PostgreSQL shows the pushes waiting on the lock: every turn of the raw transactions taken.
    for (;;) {
      const rows = await other.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`,
      );
      if ((rows[0]?.n ?? 0) >= Math.min(SECTIONS, RAW_TURNS.postgres)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const started = Date.now();
    // Released after 20 s whatever happens (so a write waiting for the pool cannot hang the test).
    let lockHeld = true;
    const safety = setTimeout(() => {
      lockHeld = false;
      release();
    }, 20_000);
    const writes = await Promise.all(others.map((o, i) => t.gql(UPDATE, { id: o.id, p: `Objet ${i}` }, o.token)));
    const answeredWhileLocked = lockHeld;
    clearTimeout(safety);
    const elapsed = Date.now() - started;
    release();
    await holder;
    const pushed = await Promise.all(pushes);
    await other.close();
    const codes = writes.map((w) => w.errors?.[0]?.extensions?.code ?? w.data?.updateCollective?.__typename);
    console.log(
      'unrelated writes:',
      JSON.stringify(codes),
      `${elapsed} ms`,
      'pushes:',
      JSON.stringify(pushed.map((p) => p.errors?.[0]?.extensions?.code ?? p.data?.pushSectionUpdate?.__typename)),
    );
    expect(codes).toEqual(others.map(() => 'MutationUpdateCollectiveSuccess'));
    // The unrelated collective's writes do not wait for another deal's lock (the write queue keeps half the pool).
    expect(answeredWhileLocked, `unrelated writes answered only after ${elapsed} ms, when the deal was released`).toBe(true);
    // Every push waited for its turn and the lock, and was stored once the deal was released (none lost).
    expect(pushed.map((p) => p.errors?.[0]?.extensions?.code ?? p.data?.pushSectionUpdate?.__typename)).toEqual(
      sections.map(() => 'MutationPushSectionUpdateSuccess'),
    );
    const stored = await t.db.sql.query<{ n: number }>(
      'SELECT count(DISTINCT "sectionId")::int AS n FROM "SectionUpdate" WHERE "sectionId" = ANY($1::uuid[])',
      [sections.map((s) => s.id)],
    );
    expect(stored[0]?.n).toBe(SECTIONS);
  }, 180_000);
});
