import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../support/abuse.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { makeMember } from '../support/scenario.js';

let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await createTestApp();
  token = await t.tokenFor((await makeMember(t.db.prisma)).id);
}, 300_000);

afterAll(async () => {
  await t?.close();
});

const MALFORMED = [
  'not-base64-!!!',
  '',
  Buffer.from('Collective').toString('base64'),
  Buffer.from('Collective:').toString('base64'),
  Buffer.from('Nope:123').toString('base64'),
  Buffer.from('Collective:not-a-uuid').toString('base64'),
  Buffer.from(':::').toString('base64'),
  '%%%',
];

describe('Malformed global IDs', () => {
  it.each(MALFORMED)('should answer node(id: %j) with null or a typed error, never INTERNAL_SERVER_ERROR', async (id) => {
    for (const [query, variables] of [
      ['query($id: ID!) { node(id: $id) { id } }', { id }],
      ['query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: [id] }],
      ['mutation($id: ID!) { joinCollective(input: { collectiveId: $id }) { __typename } }', { id }],
      ['query($id: ID!) { member(id: $id) { id } }', { id }],
    ] as const) {
      const result = await t.gql(query, variables, token);
      expect(
        codes(result).filter((code) => !['BAD_USER_INPUT', 'NOT_FOUND'].includes(code)),
        `${query} ${JSON.stringify(result)}`,
      ).toEqual([]);
    }
  });
});
