import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { makeCollective, makeMember } from '../support/scenario.js';

// Issue 11: a query whose client has gone is not worked off. The request's signal (what Yoga's Node adapter aborts
// when the client hangs up before its answer) reaches the executor, which resolves no further field.
const NESTED = /* GraphQL */ `
  query Nested($first: Int!) {
    collectives(first: $first) {
      totalCount
      edges { node { name memberships(first: 50) { totalCount edges { node { role member { displayName } } } } } }
    }
  }
`;

let t: TestApp;
let token: string;
let viewerId: string;
const statements: string[] = [];
/** Called with each statement as it is sent (the test aborts its request from here). */
let onStatement: ((sql: string) => void) | null = null;

beforeEach(async () => {
  t = await createTestApp({
    onQuery: (sql) => {
      statements.push(sql);
      onStatement?.(sql);
    },
  });
  const viewer = await makeMember(t.db.prisma);
  const others = await Promise.all(Array.from({ length: 3 }, () => makeMember(t.db.prisma)));
  for (let i = 0; i < 3; i += 1)
    await makeCollective(t.db.prisma, { animatorId: viewer.id, memberIds: others.map((member) => member.id) });
  token = await t.tokenFor(viewer.id);
  viewerId = viewer.id;
  statements.length = 0;
  onStatement = null;
});
afterEach(() => t.close());

/** Posts the nested query with a signal the test controls; resolves with the answer, or the abort. */
function post(signal?: AbortSignal, bearer = token): Promise<unknown> {
  return t.app
    .fetch(
      new Request('http://collectifs.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
        body: JSON.stringify({ query: NESTED, variables: { first: 5 } }),
        ...(signal ? { signal } : {}),
      }),
    )
    .then(
      (response) => response.json(),
      (error: unknown) => error,
    );
}

describe('A query whose client has gone', () => {
  it('should run no resolver when the client left while its session was read', async () => {
    const full = await post();
    expect(full).toMatchObject({ data: { collectives: { totalCount: 3 } } });
    const fullCount = statements.length;
    expect(fullCount).toBeGreaterThan(2);

    // The first statement is the session's (context.ts), for a token not seen yet (a seen one's is kept): the client
    // hangs up while it runs.
    const fresh = await t.tokenFor(viewerId);
    statements.length = 0;
    const client = new AbortController();
    onStatement = () => client.abort();
    const answer = await post(client.signal, fresh);
    expect((answer as Error).name).toBe('AbortError');
    // A graceful shutdown waits for every execution in flight: once it is done, nothing more can run.
    await t.app.shutdown();
    expect(statements, statements.join('\n')).toHaveLength(1);
  });

  it('should stop resolving once the client left mid-execution', async () => {
    await post();
    const fullCount = statements.length;

    statements.length = 0;
    const client = new AbortController();
    // The second statement is the execution's first (the page of collectives): the client hangs up then.
    onStatement = () => {
      if (statements.length === 2) client.abort();
    };
    await post(client.signal);
    await t.app.shutdown();
    // The statements of the page's own read were already sent; the page's count, the memberships' visibility
    // (business collectives) and anything after are not read.
    expect(statements.length, statements.join('\n')).toBeLessThan(fullCount);
  });
});
