import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_COLLECTIVE } from '../api/operations.js';
import { codes } from '../support/abuse.js';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { wsClient } from '../support/live.js';
import { makeMember } from '../support/scenario.js';

let t: TestApp;
let token: string;
let url: string;

beforeAll(async () => {
  t = await createTestApp();
  url = await t.app.start();
  token = await t.tokenFor((await makeMember(t.db.prisma)).id);
}, 300_000);

afterAll(async () => {
  await t?.close();
});

const create = (name: string) =>
  t.gql(CREATE_COLLECTIVE, { input: { name, kind: 'COMMONS', purpose: 'Décider ensemble.' } }, token);

describe('Invalid text', () => {
  it.each([
    ['a NUL byte', 'Vie\u0000coopérative'],
    ['a lone high surrogate', 'Vie \uD800coopérative'],
    ['a lone low surrogate', 'Vie \uDC00coopérative'],
    ['a control character', 'Vie\u0007coopérative'],
    ['a noncharacter', 'Vie coopérative\uFFFF'],
  ])('should refuse %s in a variable with BAD_USER_INPUT, changing nothing', async (_what, name) => {
    const before = await t.db.prisma.collective.count();
    const result = await create(name);
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0]?.extensions?.field).toBe('variables.input.name');
    expect(await t.db.prisma.collective.count()).toBe(before);
  });

  it('should refuse invalid text in a literal, in a query argument and in a JSON key alike', async () => {
    const literal = await t.gql(
      'mutation { createCollective(input: { name: "a\\u0000b", kind: COMMONS, purpose: "p" }) { __typename } }',
      {},
      token,
    );
    expect(codes(literal)).toEqual(['BAD_USER_INPUT']);
    const query = await t.gql('query($slug: String!) { collective(slug: $slug) { id } }', { slug: 'x\u0000' }, token);
    expect(codes(query)).toEqual(['BAD_USER_INPUT']);
    const key = await t.gql('query($slug: String!) { collective(slug: $slug) { id } }', { slug: 'x', 'k\u0000': 1 }, token);
    expect(codes(key)).toEqual(['BAD_USER_INPUT']);
  });

  it('should refuse it over graphql-ws too, keeping the socket', async () => {
    const client = wsClient(url, token);
    try {
      const run = (query: string, variables: Record<string, unknown>) =>
        new Promise<Json>((resolve) => {
          let result: Json = null;
          client.subscribe(
            { query, variables },
            { next: (value) => (result = value), error: (error) => resolve({ errors: error }), complete: () => resolve(result) },
          );
        });
      const refused = await run('query($slug: String!) { collective(slug: $slug) { id } }', { slug: 'x\u0000' });
      expect(codes(refused)).toEqual(['BAD_USER_INPUT']);
      const fine = await run('query($slug: String!) { collective(slug: $slug) { id } }', { slug: 'x' });
      expect(fine).toMatchObject({ data: { collective: null } });
    } finally {
      await client.dispose();
    }
  });

  it('should accept ordinary text: accents, emoji, tabs and line breaks', async () => {
    const result = await create(`Vie coopérative 🌱\tété\n${Date.now()}`);
    expect(result.errors).toBeUndefined();
    expect(result.data?.result.__typename).toBe('MutationCreateCollectiveSuccess');
  });
});

describe('Names', () => {
  it('should refuse a name without a letter or digit with its own rule, not "name taken"', async () => {
    const result = await create('!!! — ???');
    expect(result.data?.result).toMatchObject({
      __typename: 'RuleViolationError',
      rule: 'NAME_WITHOUT_LETTERS',
      field: 'input.name',
    });
  });
});
