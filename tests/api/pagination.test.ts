import { readFileSync } from 'node:fs';
import { buildSchema, type GraphQLObjectType, getNamedType, isObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoData } from '../../server/src/seed/demo.js';
import { codes } from '../support/abuse.js';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { gid, makeCollective, makeMember, SUPPORT_STAFF } from '../support/scenario.js';

// Relay pagination keeps its promises (issue 10 item 12): cursors carry the sort key, so a page continues from
// its place when its row is deleted or rows are inserted around it; `first`/`last`/`after`/`before` follow the
// Relay Cursor Connections spec in every combination; a malformed cursor is BAD_USER_INPUT on every connection.

let t: TestApp;
let staffToken: string;
let memberToken: string;
let animatorId: string;

beforeAll(async () => {
  t = await createTestApp();
  await seedDemoData(t.db.prisma);
  const staff = await makeMember(t.db.prisma, SUPPORT_STAFF);
  staffToken = await t.tokenFor(staff.id);
  const member = await makeMember(t.db.prisma);
  animatorId = member.id;
  memberToken = await t.tokenFor(member.id);
}, 300_000);

afterAll(async () => {
  await t?.close();
});

interface Page {
  edges: Array<{ cursor: string; node: { name: string } }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

const COLLECTIVES = /* GraphQL */ `
  query Page($search: String!, $first: Int, $last: Int, $after: String, $before: String) {
    collectives(search: $search, first: $first, last: $last, after: $after, before: $before) {
      edges { cursor node { name } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;

async function page(search: string, args: { first?: number; last?: number; after?: string; before?: string }): Promise<Page> {
  const result = await t.gql<{ collectives: Page }>(COLLECTIVES, { search, ...args }, memberToken);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data?.collectives as Page;
}

const names = (p: Page) => p.edges.map((edge) => edge.node.name);

async function collectives(prefix: string, letters: string) {
  const made = new Map<string, string>();
  for (const letter of letters) {
    const collective = await makeCollective(t.db.prisma, { animatorId, name: `${prefix} ${letter}` });
    made.set(letter, collective.id);
  }
  return made;
}

describe('Cursors that survive change', () => {
  it('should continue after a cursor whose row was deleted, instead of ending the list', async () => {
    const ids = await collectives('Deleted', 'ACEGI');
    const first = await page('Deleted', { first: 2 });
    expect(names(first)).toEqual(['Deleted A', 'Deleted C']);
    await t.db.prisma.collective.delete({ where: { id: ids.get('C') as string } });
    const next = await page('Deleted', { first: 2, after: first.pageInfo.endCursor as string });
    expect(names(next)).toEqual(['Deleted E', 'Deleted G']);
    expect(next.pageInfo.hasNextPage).toBe(true);
    // Backwards from the deleted row too.
    const back = await page('Deleted', { last: 5, before: first.pageInfo.endCursor as string });
    expect(names(back)).toEqual(['Deleted A']);
  });

  it('should continue from its place when rows are inserted around and between the cursors', async () => {
    await collectives('Between', 'ACE');
    const first = await page('Between', { first: 2 });
    expect(names(first)).toEqual(['Between A', 'Between C']);
    // One before the cursor (not shown again), one between the cursor and the next row, one after.
    await collectives('Between', 'BDF');
    const next = await page('Between', { first: 10, after: first.pageInfo.endCursor as string });
    expect(names(next)).toEqual(['Between D', 'Between E', 'Between F']);
    expect(next.pageInfo.hasNextPage).toBe(false);
  });

  it('should continue a nested connection (a collective’s memberships) after a deleted row', async () => {
    const people = await Promise.all([1, 2, 3, 4].map(() => makeMember(t.db.prisma)));
    const collective = await makeCollective(t.db.prisma, { animatorId, memberIds: people.map((p) => p.id) });
    const query = /* GraphQL */ `
      query($id: ID!, $after: String) {
        node(id: $id) { ... on Collective { memberships(first: 2, after: $after) {
          edges { cursor node { member { id } } } pageInfo { hasNextPage endCursor } } } }
      }
    `;
    const read = async (after?: string) => {
      const result = await t.gql(query, { id: gid('Collective', collective.id), after }, memberToken);
      expect(result.errors).toBeUndefined();
      return result.data?.node.memberships as Json;
    };
    const all: string[] = [];
    const first = await read();
    all.push(...first.edges.map((edge: Json) => edge.node.member.id));
    const lastShown = await t.db.prisma.membership.findFirstOrThrow({
      where: {
        collectiveId: collective.id,
        memberId: Buffer.from(all[1] as string, 'base64')
          .toString()
          .split(':')[1],
      },
    });
    await t.db.prisma.membership.delete({ where: { id: lastShown.id } });
    const next = await read(first.pageInfo.endCursor);
    all.push(...next.edges.map((edge: Json) => edge.node.member.id));
    expect(next.edges).toHaveLength(2);
    expect(next.pageInfo.hasNextPage).toBe(true);
    const rest = await read(next.pageInfo.endCursor);
    all.push(...rest.edges.map((edge: Json) => edge.node.member.id));
    // Every membership seen once: the animator and the four members, one of them deleted after it was shown.
    expect(new Set(all).size).toBe(5);
    expect(all).toHaveLength(5);
  });
});

/** The spec's EdgesToReturn, HasPreviousPage and HasNextPage over the whole list (optional steps: false). */
function specPage(all: string[], args: { first?: number; last?: number; after?: number; before?: number }) {
  let edges = all.map((_, index) => index);
  if (args.after !== undefined) edges = edges.filter((index) => index > (args.after as number));
  if (args.before !== undefined) edges = edges.filter((index) => index < (args.before as number));
  const hasPreviousPage = args.last !== undefined ? edges.length > args.last : false;
  const hasNextPage = args.first !== undefined ? edges.length > args.first : false;
  if (args.first !== undefined) edges = edges.slice(0, args.first);
  if (args.last !== undefined) edges = args.last === 0 ? [] : edges.slice(-args.last);
  return { names: edges.map((index) => all[index]), hasNextPage, hasPreviousPage };
}

describe('Relay cursor connections spec', () => {
  it('should answer every combination of first, last, after and before as the spec says', async () => {
    await collectives('Spec', 'ABCDEF');
    const whole = await page('Spec', { first: 100 });
    const all = names(whole);
    expect(all).toEqual(['Spec A', 'Spec B', 'Spec C', 'Spec D', 'Spec E', 'Spec F']);
    const cursor = (index: number) => whole.edges[index]?.cursor as string;
    const sizes = [undefined, 0, 1, 2, 4, 7];
    let checked = 0;
    for (const first of sizes)
      for (const last of sizes)
        for (const after of [undefined, 0, 2])
          for (const before of [undefined, 5, 3, 1]) {
            if (first === undefined && last === undefined) continue;
            const args = {
              ...(first !== undefined ? { first } : {}),
              ...(last !== undefined ? { last } : {}),
              ...(after !== undefined ? { after: cursor(after) } : {}),
              ...(before !== undefined ? { before: cursor(before) } : {}),
            };
            const expected = specPage(all, { first, last, after, before });
            const got = await page('Spec', args);
            const label = JSON.stringify({ first, last, after, before });
            expect(
              { names: names(got), hasNextPage: got.pageInfo.hasNextPage, hasPreviousPage: got.pageInfo.hasPreviousPage },
              label,
            ).toEqual(expected);
            expect(got.pageInfo.startCursor, label).toBe(got.edges[0]?.cursor ?? null);
            expect(got.pageInfo.endCursor, label).toBe(got.edges.at(-1)?.cursor ?? null);
            checked += 1;
          }
    expect(checked).toBe(35 * 12);
  });

  it('should refuse a negative first or last with BAD_USER_INPUT', async () => {
    for (const args of [{ first: -1 }, { last: -1 }]) {
      const result = await t.gql(COLLECTIVES, { search: 'Spec', ...args }, memberToken);
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    }
  });
});

// ───────────────────────────── Malformed cursors, on every connection ─────────────────────────────

const schema = buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));

/** Every connection field of the schema: on Query, or on a type reachable through `node(id:)`. */
function connections(): Array<{ parent: GraphQLObjectType; field: string }> {
  const found: Array<{ parent: GraphQLObjectType; field: string }> = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const target = getNamedType(field.type);
      if (isObjectType(target) && 'pageInfo' in target.getFields() && field.args.some((arg) => arg.name === 'after'))
        found.push({ parent: type, field: field.name });
    }
  }
  return found;
}

/** Base64 of `text`. */
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

const MALFORMED = [
  'R1BDOlM6eA==', // Pothos' own format (`GPC:S:x`)
  'not base64 !!!',
  '%%%',
  '',
  b64('K1:'),
  b64('K1:{"not":"an array"}'),
  b64('K1:["Collective:name+,id+","x"]'),
  b64('K1:["Nope:name+,id+","x","00000000-0000-0000-0000-000000000000"]'),
  b64(`K1:["Collective:name+,id+","x\\u0000y","00000000-0000-0000-0000-000000000000"]`),
  b64('K1:["Collective:name+,id+","x","not-a-uuid"]'),
  b64('K1:["Collective:createdAt-,id+","2026-13-45T99:00:00.000Z","00000000-0000-0000-0000-000000000000"]'),
  b64('K1:["Membership:role+,joinedAt+,id+","EMPEROR",null,"00000000-0000-0000-0000-000000000000"]'),
  b64('Collective:00000000-0000-0000-0000-000000000000'),
  b64('123'),
  '99999999999999999999999',
  '9999999999999999999',
  '-1',
];

describe('Malformed cursors', () => {
  it('should find the connections to check', () => {
    const found = connections().map(({ parent, field }) => `${parent.name}.${field}`);
    expect(found).toEqual(expect.arrayContaining(['Query.collectives', 'Query.activity', 'Collective.memberships']));
    expect(found.length).toBeGreaterThan(25);
  });

  it('should answer BAD_USER_INPUT for a malformed after or before on every connection, never INTERNAL_SERVER_ERROR', async () => {
    const failures: string[] = [];
    for (const { parent, field } of connections()) {
      let query: string;
      let variables: Record<string, unknown>;
      if (parent.name === 'Query') {
        query = `query($c: String) { ${field}(AFTER: $c) { edges { cursor } } }`;
        variables = {};
      } else {
        // A row of the parent type, read through node(id:) by the support staff.
        const delegate = (t.db.prisma as unknown as Record<string, { findFirst(q: object): Promise<{ id: string } | null> }>)[
          parent.name.charAt(0).toLowerCase() + parent.name.slice(1)
        ];
        const row = await delegate?.findFirst({ select: { id: true } });
        if (!row) {
          failures.push(`${parent.name}.${field}: no ${parent.name} row to read it from (add one to the fixture)`);
          continue;
        }
        query = `query($id: ID!, $c: String) { node(id: $id) { ... on ${parent.name} { ${field}(AFTER: $c) { edges { cursor } } } } }`;
        variables = { id: gid(parent.name, row.id) };
      }
      for (const name of ['after', 'before'])
        for (const cursor of MALFORMED) {
          const result = await t.gql(query.replace('AFTER', name), { ...variables, c: cursor }, staffToken);
          const got = codes(result);
          if (got.length !== 1 || got[0] !== 'BAD_USER_INPUT')
            failures.push(
              `${parent.name}.${field}(${name}: ${JSON.stringify(cursor)}) → ${JSON.stringify(result.errors ?? result.data)}`,
            );
        }
    }
    expect(failures).toEqual([]);
  });

  it('should refuse a forged cursor whose date PostgreSQL cannot store (year 0000, -271821) with BAD_USER_INPUT', async () => {
    await collectives('Forged', 'AB');
    const read = (after: string) =>
      t.gql(
        /* GraphQL */ `query($after: String) { collectives(search: "Forged", orderBy: NEWEST, first: 1, after: $after) { edges { cursor } } }`,
        { after },
        memberToken,
      );
    const first = await t.gql(
      /* GraphQL */ `query { collectives(search: "Forged", orderBy: NEWEST, first: 1) { pageInfo { endCursor } } }`,
      {},
      memberToken,
    );
    const real = Buffer.from((first.data as { collectives: Page }).collectives.pageInfo.endCursor as string, 'base64').toString(
      'utf8',
    );
    expect(codes(await read(b64(real)))).toEqual([]);
    for (const instant of ['0000-01-01T00:00:00.000Z', '-271821-04-20T00:00:00.000Z']) {
      const forged = real.replace(/"\d{4}-\d{2}-\d{2}T[^"]*Z"/, `"${instant}"`);
      expect(forged).not.toBe(real);
      expect(codes(await read(b64(forged)))).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('should refuse a cursor of another list or order', async () => {
    await collectives('Other', 'AB');
    const byName = await page('Other', { first: 1 });
    const result = await t.gql(
      /* GraphQL */ `query($after: String) { collectives(search: "Other", orderBy: NEWEST, first: 1, after: $after) { edges { cursor } } }`,
      { after: byName.pageInfo.endCursor },
      memberToken,
    );
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    const members = await t.gql(
      /* GraphQL */ `query($after: String) { members(first: 1, after: $after) { edges { cursor } } }`,
      { after: byName.pageInfo.endCursor },
      memberToken,
    );
    expect(codes(members)).toEqual(['BAD_USER_INPUT']);
  });
});
