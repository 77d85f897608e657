import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../../server/src/auth/sessions.js';
import { type BehindProxy, BlackHoleProxy, behindProxy, type GraphqlAnswer } from '../support/postgres-proxies.js';
import { makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

// Attack of stop 29 on grouped session reads (auth/sessions.ts `GroupedReads`), PostgreSQL: one pooled connection that
// stops answering (a link black-holed by a NAT or a firewall, a backend stopped: PostgreSQL's statement_timeout cannot
// fire) while it carries a session read. Only that request may wait, as before the grouping: the first design sent the
// next group only once the running one had ended, so every signed-in request of the instance waited with it. And it
// waits only until the client-side deadline (db/database.ts `clientDeadlineMs`), past which it is answered
// UNAVAILABLE and the silent connection is dropped: before, it waited for as long as the TCP connection lived.

const SESSION_READ = 'JOIN "Member" m ON m.id = s."memberId"';

/** PostgreSQL's deadline in this file, in ms: the client's is `clientDeadlineMs` of it. */
const STATEMENT_TIMEOUT_MS = 1_000;

const adminUrl = process.env.DATABASE_URL;
let setup: BehindProxy<BlackHoleProxy>;

beforeAll(async () => {
  if (!adminUrl) return;
  setup = await behindProxy(
    adminUrl,
    async (host, port) => {
      const proxy = await BlackHoleProxy.start(host, port);
      // A silent link: the server is told once the client drops the connection.
      proxy.tellServer = true;
      return proxy;
    },
    { deadlines: { statementTimeoutMs: STATEMENT_TIMEOUT_MS } },
  );
});

afterAll(async () => {
  if (adminUrl) await setup.close();
});

const graphql = (token: string, query: string) => setup.graphql(token, query);
const viewer = (token: string) => graphql(token, '{ viewer { id } }');

/**
 * Black-holes the next connection to send a statement containing `pattern` while `ask` runs; returns `ask`'s answer
 * once the client-side deadline has answered it, after checking the silent connection was dropped.
 */
async function heldBySilentConnection(pattern: string, ask: () => Promise<GraphqlAnswer>): Promise<GraphqlAnswer> {
  setup.proxy.frozen = null;
  setup.proxy.armed = pattern;
  const answer = ask();
  await until(() => setup.proxy.frozen !== null, `a statement containing ${pattern} to be black-holed`);
  setup.proxy.armed = null;
  const answered = await answer;
  // The pool ended that connection (`SilentStatementWatch`): the proxy saw its socket close.
  await until(() => setup.proxy.frozen?.destroyed, 'the silent connection to be dropped');
  return answered;
}

describe.skipIf(!adminUrl)('A session read on a connection that stops answering (PostgreSQL)', () => {
  it('holds only its own request: another member’s request is answered meanwhile, as before the grouping', async () => {
    const a = await makeMember(setup.db.prisma);
    const b = await makeMember(setup.db.prisma);
    const tokenA = (await openSession(setup.db.prisma, a.id, 3_600_000)).token;
    const tokenB = (await openSession(setup.db.prisma, b.id, 3_600_000)).token;
    // Both work while the network is sound.
    expect((await viewer(tokenA)).data?.viewer).not.toBeNull();
    expect((await viewer(tokenB)).data?.viewer).not.toBeNull();

    setup.proxy.armed = SESSION_READ;
    const stuck = viewer(tokenA).catch(() => null);
    await until(() => setup.proxy.frozen !== null, 'the first session read to be black-holed');
    let answer: Awaited<ReturnType<typeof viewer>> | null = null;
    void viewer(tokenB).then((body) => {
      answer = body;
    });
    await until(() => answer, 'the other member’s request to be answered while one connection hangs');
    expect(JSON.stringify(answer)).toContain('"viewer":{"id"');
    setup.proxy.frozen?.destroy();
    setup.proxy.armed = null;
    await stuck;
  }, 120_000);

  it('answers a session read on a silent connection UNAVAILABLE at the client-side deadline, and drops that connection', async () => {
    const member = await makeMember(setup.db.prisma);
    const token = (await openSession(setup.db.prisma, member.id, 3_600_000)).token;
    const answer = await heldBySilentConnection(SESSION_READ, () => viewer(token));
    expect(answer.errors?.[0]?.extensions?.code, JSON.stringify(answer)).toBe('UNAVAILABLE');
    // The same member's next request is answered, on a sound connection.
    expect((await viewer(token)).data?.viewer?.id).toBeTruthy();
  }, 120_000);

  it('answers a Prisma query on a silent connection UNAVAILABLE at the client-side deadline, and drops that connection', async () => {
    const member = await makeMember(setup.db.prisma);
    const token = (await openSession(setup.db.prisma, member.id, 3_600_000)).token;
    const query = '{ collectives(first: 1) { totalCount } }';
    const answer = await heldBySilentConnection('FROM "public"."Collective"', () => graphql(token, query));
    expect(answer.errors?.[0]?.extensions?.code, JSON.stringify(answer)).toBe('UNAVAILABLE');
    expect(await graphql(token, query)).toMatchObject({ data: { collectives: { totalCount: 0 } } });
  }, 120_000);

  it('answers a mutation whose transaction meets a silent connection UNAVAILABLE, keeps nothing of it, and drops that connection', async () => {
    const member = await makeMember(setup.db.prisma);
    const token = (await openSession(setup.db.prisma, member.id, 3_600_000)).token;
    const answer = await heldBySilentConnection('UPDATE "public"."Session"', () => graphql(token, 'mutation { signOut }'));
    expect(answer.errors?.[0]?.extensions?.code, JSON.stringify(answer)).toBe('UNAVAILABLE');
    // Not signed out: the session still serves, on sound connections.
    expect((await viewer(token)).data?.viewer?.id).toBeTruthy();
    expect(await graphql(token, 'mutation { signOut }')).toMatchObject({ data: { signOut: true } });
    expect((await viewer(token)).data?.viewer).toBeNull();
  }, 120_000);
});
