import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSignedIn } from '../../server/src/auth/sessions.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';

// CONVENTIONS 12: count the SQL, so an N+1 shows up as a failing test.
const statements: string[] = [];
let t: TestApp;
let token: string;
let viewerId: string;

const NESTED = /* GraphQL */ `
  query Nested($first: Int!) {
    collectives(first: $first) {
      totalCount
      edges {
        node {
          name
          memberships(first: 50) {
            totalCount
            edges { node { role status member { displayName sectors } } }
          }
        }
      }
    }
  }
`;

async function countStatements(first: number): Promise<{ count: number; collectives: number; memberships: number }> {
  // The token's session read (or kept, on the embedded database, for 10 s: context.ts) just before, so that every
  // count sees it alike whatever time the suite took since its last request.
  await t.gql('{ __typename }', {}, token);
  statements.length = 0;
  const result = await t.gql<{ collectives: { edges: Array<{ node: { memberships: { edges: unknown[] } } }> } }>(
    NESTED,
    { first },
    token,
  );
  expect(result.errors).toBeUndefined();
  const edges = result.data?.collectives.edges ?? [];
  return {
    count: statements.length,
    collectives: edges.length,
    memberships: edges.reduce((sum, edge) => sum + edge.node.memberships.edges.length, 0),
  };
}

beforeAll(async () => {
  t = await createTestApp({ onQuery: (sql) => statements.push(sql) });
  const viewer = await makeMember(t.db.prisma);
  const people = await Promise.all(Array.from({ length: 6 }, () => makeMember(t.db.prisma)));
  for (let i = 0; i < 50; i += 1) {
    const [animator, ...others] = [...people.slice(i % 6), ...people.slice(0, i % 6)];
    await makeCollective(t.db.prisma, { animatorId: (animator ?? viewer).id, memberIds: others.slice(0, 3).map((m) => m.id) });
  }
  token = await t.tokenFor(viewer.id);
  viewerId = viewer.id;
});
afterAll(() => t.close());

describe('Nested lists', () => {
  it('should load 50 collectives with their memberships and members in a fixed, small number of statements', async () => {
    const small = await countStatements(2);
    const large = await countStatements(50);
    expect(large.collectives).toBe(50);
    expect(large.memberships).toBe(200);
    // Session with viewer and memberships, the page, its count, memberships (with counts), members. The memberships'
    // checks know their collectives' kinds from the collectives above them (auth/access.ts `checksCollective`): no read
    // of the business collectives, and no promise per membership.
    expect(large.count).toBe(small.count);
    expect(large.count, statements.join('\n')).toBeLessThanOrEqual(5);
  });

  it('should read only the columns the selection needs', async () => {
    await countStatements(50);
    // Columns of each model's table a statement reads (in its SELECT list, before FROM).
    const read = (table: string) =>
      new Set(
        statements.flatMap((sql) =>
          [...(sql.split(' FROM ')[0] ?? '').matchAll(new RegExp(`"public"\\."${table}"\\."(\\w+)"`, 'g'))].map((m) => m[1]),
        ),
      );
    // Member: the id, the names behind displayName, sectors; never passwordHash, email and the rest.
    expect([...read('Member')].sort()).toEqual(['firstName', 'id', 'lastName', 'sectors']);
    // Collective: the id and kind (its memberships' checks), the name; never purpose and the rest.
    expect([...read('Collective')].sort()).toEqual(['id', 'kind', 'name']);
    // Membership: the ids its check needs, role and status, and the columns of its order (its cursors).
    expect([...read('Membership')].sort()).toEqual(['collectiveId', 'id', 'joinedAt', 'memberId', 'role', 'status']);
  });
});

describe('Nodes by ID', () => {
  const NODES = 'query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Membership { role member { displayName } } } }';

  async function nodes(ids: string[]) {
    await t.gql('{ __typename }', {}, token);
    statements.length = 0;
    const result = await t.gql<{ nodes: Array<{ id: string; member: { displayName: string } } | null> }>(NODES, { ids }, token);
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    return { nodes: result.data?.nodes ?? [], count: statements.length };
  }

  it('should read the IDs of one type asked together in one statement, whatever their number', async () => {
    // Membership's node filter depends on the viewer (`findUnique` in schema/memberships.ts), so Prisma cannot batch
    // it: each ID took a statement of its own (issue 9's `nodes` of versions, 10 statements for 10 IDs).
    const memberships = await t.db.prisma.membership.findMany({ where: { status: 'ACTIVE' }, take: 60, orderBy: { id: 'asc' } });
    expect(memberships.length).toBeGreaterThanOrEqual(50);
    const ids = memberships.map((membership) => gid('Membership', membership.id));
    const two = await nodes(ids.slice(0, 2));
    const fifty = await nodes(ids.slice(0, 50));
    expect(fifty.nodes.map((node) => node?.id)).toEqual(ids.slice(0, 50));
    expect(fifty.nodes.every((node) => node?.member.displayName)).toBe(true);
    expect(fifty.count, statements.join('\n')).toBe(two.count);
    // The memberships, their members and the business collectives (the memberships' checks), whatever the number;
    // on PostgreSQL the session read too (context.ts keeps it only on the embedded database).
    expect(fifty.count, statements.join('\n')).toBeLessThanOrEqual(4);
  });

  it('should answer null in place for an ID hidden from the viewer or naming nothing, and the others as asked', async () => {
    const owner = await makeMember(t.db.prisma);
    const partner = await makeMember(t.db.prisma);
    const business = await makeCollective(t.db.prisma, { animatorId: owner.id, memberIds: [partner.id], kind: 'BUSINESS' });
    const hidden = await t.db.prisma.membership.findFirstOrThrow({ where: { collectiveId: business.id, memberId: partner.id } });
    const open = await makeCollective(t.db.prisma, { animatorId: owner.id, memberIds: [partner.id] });
    const [first, second] = (
      await t.db.prisma.membership.findMany({ where: { collectiveId: open.id }, orderBy: { role: 'asc' } })
    ).map((membership) => membership.id);
    if (!first || !second) throw new Error('the open collective has two memberships');
    const missing = gid('Membership', '00000000-0000-4000-8000-000000000000');
    const ids = [gid('Membership', first), gid('Membership', hidden.id), missing, gid('Membership', second)];
    const { nodes: answered } = await nodes(ids);
    expect(answered.map((node) => node?.id ?? null)).toEqual([ids[0], null, null, ids[3]]);
    // An ID in capitals names the same row (a UUID's case does not matter to PostgreSQL).
    const upper = gid('Membership', first.toUpperCase());
    const { nodes: again } = await nodes([upper, ids[3] as string]);
    expect(again.map((node) => node?.member.displayName)).toEqual(
      answered.filter(Boolean).map((node) => node?.member.displayName),
    );
  });
});

describe('Authentication', () => {
  it('should read a request’s session, member and memberships in one statement', async () => {
    await makeCollective(t.db.prisma, { animatorId: viewerId });
    // A token not seen yet: a seen one's session is kept for its next requests (context.ts `authenticateRequest`).
    const fresh = await t.tokenFor(viewerId);
    statements.length = 0;
    expect(await t.gql('{ __typename }', {}, fresh)).toEqual({ data: { __typename: 'Query' } });
    expect(statements, statements.join('\n')).toHaveLength(1);
    // The member as Prisma reads it, every field (a column added later and not read would fail here).
    const signedIn = await resolveSignedIn(t.db.sql, token);
    expect(signedIn?.session.member).toEqual(await t.db.prisma.member.findUnique({ where: { id: viewerId } }));
    const memberships = await t.db.prisma.membership.findMany({
      where: { memberId: viewerId, status: 'ACTIVE' },
      select: { collectiveId: true, role: true },
    });
    expect(signedIn?.memberships).toEqual(expect.arrayContaining(memberships));
    expect(signedIn?.memberships).toHaveLength(memberships.length);
  });

  it('should read the member’s days (DATE columns) as Prisma does, whatever the process’s time zone', async () => {
    const zone = process.env.TZ;
    // Fourteen hours ahead of UTC: a day read as local midnight would be the day before in UTC.
    process.env.TZ = 'Pacific/Kiritimati';
    try {
      await t.db.prisma.member.update({
        where: { id: viewerId },
        data: { associateSince: new Date('2024-03-05T00:00:00Z'), leftCooperativeOn: null },
      });
      const signedIn = await resolveSignedIn(t.db.sql, token);
      const member = await t.db.prisma.member.findUnique({ where: { id: viewerId } });
      expect(signedIn?.session.member.associateSince?.toISOString()).toBe('2024-03-05T00:00:00.000Z');
      expect(signedIn?.session.member).toEqual(member);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});
