import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { codes } from '../support/abuse.js';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { makeMember } from '../support/scenario.js';

// Input bounds of server/src/limits/text.ts at their defaults (GRAPHQL_MAX_LIST_ITEMS 100, GRAPHQL_MAX_INPUT_DEPTH 32).

let t: TestApp;
let token: string;
let url: string;
let memberGlobalId: string;

beforeAll(async () => {
  t = await createTestApp();
  url = await t.app.start();
  const member = await makeMember(t.db.prisma);
  memberGlobalId = Buffer.from(`Member:${member.id}`).toString('base64');
  token = await t.tokenFor(member.id);
}, 300_000);

afterAll(async () => {
  await t?.close();
});

const NODES = 'query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Member { memberships(first: 100) { totalCount } } } }';

/** The JSON text of `{"a":{"a":…"x"…}}` nested `levels` deep (built as text: JSON.stringify itself would overflow). */
function nested(levels: number): string {
  return `${'{"a":'.repeat(levels)}"x"${'}'.repeat(levels)}`;
}

/** Posts a GraphQL request whose body is `body` as it is. */
async function postRaw(body: string): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  });
  return { status: response.status, json: (await response.json()) as Json };
}

describe('List inputs', () => {
  it('should refuse nodes(ids:) with 30 000 IDs in a variable with BAD_USER_INPUT naming the argument, before any work', async () => {
    const result = await t.gql(NODES, { ids: Array.from({ length: 30_000 }, () => memberGlobalId) }, token);
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]?.extensions).toMatchObject({ field: 'variables.ids', limit: 'listItems', maxItems: 100 });
    expect(result.errors?.[0]?.message).toContain('variables.ids');
    expect(result.data ?? null).toBeNull();
  });

  it('should accept 100 IDs', async () => {
    const result = await t.gql(NODES, { ids: Array.from({ length: 100 }, () => memberGlobalId) }, token);
    expect(result.errors).toBeUndefined();
    expect(result.data?.nodes).toHaveLength(100);
  });

  it('should refuse a long list literal and a long list inside an input object alike', async () => {
    const ids = Array.from({ length: 101 }, () => `"${memberGlobalId}"`).join(' ');
    const literal = await t.gql(`query { nodes(ids: [${ids}]) { id } }`, {}, token);
    expect(codes(literal)).toEqual(['BAD_USER_INPUT']);
    expect(literal.errors?.[0]?.extensions?.field).toBe('ids');
    const before = await t.db.prisma.product.count();
    const inInput = await t.gql(
      'mutation($input: SetProductOwnersInput!) { setProductOwners(input: $input) { __typename } }',
      { input: { productId: memberGlobalId, ownerIds: Array.from({ length: 101 }, () => memberGlobalId) } },
      token,
    );
    expect(codes(inInput)).toEqual(['BAD_USER_INPUT']);
    expect(inInput.errors?.[0]?.extensions?.field).toBe('variables.input.ownerIds');
    expect(await t.db.prisma.product.count()).toBe(before);
  });
});

describe('Deep input', () => {
  it('should refuse variables nested past GRAPHQL_MAX_INPUT_DEPTH with BAD_USER_INPUT, never a stack overflow (500)', async () => {
    const query = JSON.stringify('query($slug: String!) { collective(slug: $slug) { id } }');
    // 50 levels: within the transport's JSON depth bound (JSON_MAX_DEPTH 64), past the input's (32).
    const { status, json } = await postRaw(`{"query":${query},"variables":{"slug":"x","deep":${nested(50)}}}`);
    expect(codes(json)).toEqual(['BAD_USER_INPUT']);
    expect(json?.errors?.[0]?.extensions?.limit).toBe('inputDepth');
    expect(status).toBe(200);
    // The attack's 5 000 levels (a RangeError in the text check, answered 500) stop at the transport now.
    const deepest = await postRaw(`{"query":${query},"variables":{"slug":"x","deep":${nested(5_000)}}}`);
    expect(deepest.status).toBeLessThan(500);
    expect(codes(deepest.json)).not.toContain('INTERNAL_SERVER_ERROR');
  });

  it('should refuse a deep JSON value over graphql-ws (updatePresence cursor, 50 levels) without closing the socket', async () => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    const closed: number[] = [];
    socket.on('close', (code) => closed.push(code));
    const messages: Array<{ type: string; id?: string; payload?: Json }> = [];
    let waiting: (() => void) | null = null;
    socket.on('message', (data) => {
      messages.push(JSON.parse(String(data)));
      waiting?.();
    });
    const until = async (test: () => boolean) => {
      while (!test()) await new Promise<void>((resolve) => (waiting = resolve));
    };
    try {
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
      await until(() => messages.some((message) => message.type === 'connection_ack'));
      const mutation = JSON.stringify('mutation($input: UpdatePresenceInput!) { updatePresence(input: $input) { __typename } }');
      socket.send(
        `{"id":"1","type":"subscribe","payload":{"query":${mutation},"variables":{"input":{"sectionId":"${memberGlobalId}","cursor":${nested(50)}}}}}`,
      );
      await until(() => messages.some((message) => message.id === '1' && message.type !== 'next'));
      const answer = messages.find((message) => message.id === '1');
      const errors = answer?.type === 'error' ? answer.payload : answer?.payload?.errors;
      expect(codes({ errors })).toEqual(['BAD_USER_INPUT']);
      socket.send(JSON.stringify({ id: '2', type: 'subscribe', payload: { query: 'query { collective(slug: "x") { id } }' } }));
      await until(() => messages.some((message) => message.id === '2' && message.type === 'complete'));
      expect(messages.find((message) => message.id === '2' && message.type === 'next')?.payload).toMatchObject({
        data: { collective: null },
      });
      expect(closed).toEqual([]);
    } finally {
      socket.close();
    }
  });
});

describe('Dates PostgreSQL cannot store', () => {
  it('should refuse dueAt in year 0000 with BAD_USER_INPUT (a variable and a literal), not a database error', async () => {
    const variable = await t.gql(
      'mutation($input: UpdateTenderSectionInput!) { updateTenderSection(input: $input) { __typename } }',
      { input: { sectionId: memberGlobalId, dueAt: '0000-01-01T00:00:00.000Z' } },
      token,
    );
    expect(codes(variable)).toEqual(['BAD_USER_INPUT']);
    expect(variable.errors?.[0]?.message).toContain('années 0001 à 9999');
    const literal = await t.gql(
      `mutation { updateTenderSection(input: { sectionId: "${memberGlobalId}", dueAt: "0000-01-01T00:00:00.000Z" }) { __typename } }`,
      {},
      token,
    );
    expect(codes(literal)).toEqual(['BAD_USER_INPUT']);
    expect(literal.errors?.[0]?.message).toContain('années 0001 à 9999');
  });
});
