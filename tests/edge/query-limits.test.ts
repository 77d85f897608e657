import { readdirSync, readFileSync } from 'node:fs';
import { buildSchema, parse, validate } from 'graphql';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/src/config.js';
import { expandedFieldCount, queryLimitRules } from '../../server/src/limits/query.js';
import { DEMO_ACCOUNT } from '../../server/src/seed/demo.js';
import { codes, latencyUnderAbuse } from '../support/abuse.js';
import type { GraphQLResponse, Json } from '../support/app.js';
import { wsClient } from '../support/live.js';
import { type ServerProcess, startServerProcess } from '../support/processes.js';

// A real server process with the demo cooperative and the default query limits (the generous settings of
// tests leave query shapes at their defaults): the same limits every deployment has.
let server: ServerProcess;
let token: string;
let socket: Client;

/** Collectives → memberships → member → memberships → collective…: 20 levels, 100 per page (~370 bytes). */
const NESTED = `{ collectives(first: 100) { edges { node { memberships(first: 100) { edges { node { member {
  memberships(first: 100) { edges { node { collective { memberships(first: 100) { edges { node { member {
  memberships(first: 100) { edges { node { collective { memberships(first: 100) { edges { node { member {
  displayName } } } } } } } } } } } } } } } } } } } } } } } }`;
/** The same fan-out within the depth limit, but past the cost limit. */
const COSTLY = `{ collectives(first: 100) { edges { node { memberships(first: 100) { edges { node { member {
  memberships(first: 100) { edges { node { collective { name } } } } } } } } } } } }`;
const ALIASES = `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: viewer { id }`).join(' ')} }`;
const DIRECTIVES = `{ viewer { id ${'@include(if: true) '.repeat(40)} } }`;
const TOKENS = `{ viewer { ${'id '.repeat(4000)} } }`;
const DEEP_SUBSCRIPTION = `subscription { myFeed { node { actor { memberships { edges { node { collective { memberships {
  edges { node { member { memberships { edges { node { id } } } } } } } } } } } } } } }`;
/** `n` fragments on Query, each spreading the next twice, the last selecting `leaf`: 2^n leaves in about 40n bytes. */
function fragmentChain(n: number, leaf: string): string {
  const fragments = Array.from({ length: n }, (_, k) => `fragment F${k} on Query { ...F${k + 1} ...F${k + 1} }`);
  return `query Chain { ...F0 } ${fragments.join(' ')} fragment F${n} on Query { ${leaf} }`;
}
const SMALL = '{ viewer { id displayName } collectives(first: 5) { edges { node { id name memberCount } } } }';

beforeAll(async () => {
  server = await startServerProcess({ DATABASE_URL: '', DATA_DIR: 'memory://', SEED: 'true' });
  const signIn = await http(
    'mutation($input: SignInInput!) { signIn(input: $input) { ... on MutationSignInSuccess { data { token } } } }',
    { input: DEMO_ACCOUNT },
  );
  token = signIn.data?.signIn.data.token;
  expect(token).toBeTruthy();
  socket = wsClient(server.url, token, { lazy: false });
}, 300_000);

afterAll(async () => {
  await socket?.dispose();
  await server?.stop();
});

async function http(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse<Json>> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResponse<Json>;
}

/** One operation over SSE (Yoga's distinct-connections mode): every `next` payload's errors and data. */
async function sse(query: string): Promise<GraphQLResponse<Json>> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  const text = await response.text();
  const results = [...text.matchAll(/^data: (.+)$/gm)].map((match) => JSON.parse(match[1] as string) as GraphQLResponse<Json>);
  return { data: results.find((result) => result.data)?.data, errors: results.flatMap((result) => result.errors ?? []) };
}

/** One operation over the shared graphql-ws socket: its result, or the errors it ended with. */
function ws(query: string): Promise<GraphQLResponse<Json>> {
  return new Promise((resolve, reject) => {
    let result: GraphQLResponse<Json> = {};
    socket.subscribe<Json>(
      { query },
      {
        next: (value) => {
          result = value as GraphQLResponse<Json>;
        },
        error: (error) => (Array.isArray(error) ? resolve({ errors: error }) : reject(error)),
        complete: () => resolve(result),
      },
    );
  });
}

const TRANSPORTS = { http, sse, ws } as const;

describe('Query limits', () => {
  for (const [name, run] of Object.entries(TRANSPORTS)) {
    it(`should refuse the nested query over ${name} before running it, and keep answering`, async () => {
      const refused = await run(NESTED);
      expect(refused.data ?? null).toBeNull();
      expect(codes(refused)).toContain('BAD_REQUEST');
      expect(refused.errors?.map((error) => error.message).join(' ')).toMatch(/profondeur/);
      // The same connection (the socket, for graphql-ws) still answers.
      const small = await run(SMALL);
      expect(small.errors ?? []).toEqual([]);
      expect(small.data?.viewer.id).toBeTruthy();
    });
  }

  for (const [name, run] of Object.entries(TRANSPORTS)) {
    // Attack finding: under a kilobyte of fragments, each spreading the next twice, froze the server in the depth
    // and cost rules (which walk each spread): 2.5 s at 20 fragments, 7.1 s at 22, doubling with each one more.
    it(`should refuse a document whose fragments expand past the cost limit over ${name} without walking them`, async () => {
      const refused = await run(fragmentChain(60, '__typename'));
      expect(refused.data ?? null).toBeNull();
      expect(codes(refused)).toEqual(['BAD_REQUEST']);
      expect(refused.errors?.[0]?.message).toMatch(/une fois ses fragments développés/);
      const small = await run(SMALL);
      expect(small.errors ?? []).toEqual([]);
      expect(small.data?.viewer.id).toBeTruthy();
    });
  }

  it('should refuse an anonymous caller’s expanding fragments too', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: fragmentChain(60, 'viewer { id }') }),
    });
    const refused = (await response.json()) as GraphQLResponse<Json>;
    expect(codes(refused)).toEqual(['BAD_REQUEST']);
    expect(refused.errors?.[0]?.message).toMatch(/une fois ses fragments développés/);
  });

  it('should refuse a deep subscription over graphql-ws and SSE', async () => {
    for (const run of [ws, sse]) {
      const refused = await run(DEEP_SUBSCRIPTION);
      expect(codes(refused)).toContain('BAD_REQUEST');
    }
  });

  it.each([
    ['cost', COSTLY, /coût/],
    ['aliases', ALIASES, /alias/i],
    ['directives', DIRECTIVES, /directive/i],
    ['tokens', TOKENS, /jetons/],
  ])('should refuse a document past the %s limit on every transport', async (_limit, query, message) => {
    for (const run of Object.values(TRANSPORTS)) {
      const refused = await run(query);
      expect(codes(refused)).toContain('BAD_REQUEST');
      expect(refused.errors?.map((error) => error.message).join(' ')).toMatch(message);
    }
  });

  it('should keep answering a small query within 10× its unloaded latency while nested queries flood in', async () => {
    let refusals = 0;
    const measured = await latencyUnderAbuse(
      async () => {
        const small = await http(SMALL);
        expect(small.data?.viewer.id).toBeTruthy();
      },
      async () => {
        const results = await Promise.all([http(NESTED), ws(NESTED), sse(COSTLY)]);
        for (const result of results) expect(codes(result)).toContain('BAD_REQUEST');
        refusals += results.length;
      },
    );
    console.info(`query limits: small query ${JSON.stringify(measured)}, ${refusals} abusive documents refused`);
    expect(measured.rounds).toBeGreaterThan(0);
    expect(measured.ratio).toBeLessThan(10);
  });
});

describe("The web app's documents", () => {
  it('should all pass the default query limits', async () => {
    const limits = loadConfig({}).limits.query;
    const root = new URL('../../', import.meta.url);
    const sources = readdirSync(new URL('client/src/', root), { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.tsx?$/.test(file))
      .map((file) => readFileSync(new URL(`client/src/${file}`, root), 'utf8'));
    // gql.tada documents: graphql(`…`, [fragments]); fragments are pooled, only those spread count.
    const documents = sources.flatMap((source) =>
      [...source.matchAll(/graphql\(\s*`([^`]*)`/g)].map((match) => match[1] as string),
    );
    const fragments = documents.filter((document) => /^\s*fragment\s/.test(document)).join('\n');
    const operations = documents.filter((document) => !/^\s*fragment\s/.test(document));
    expect(operations.length).toBeGreaterThan(20);
    const schema = buildSchema(readFileSync(new URL('schema.graphql', root), 'utf8'));
    const rules = queryLimitRules(limits);
    for (const operation of operations) {
      const document = parse(`${operation}\n${fragments}`);
      const errors = validate(schema, document, rules);
      expect(errors.map((error) => `${operation.trim().slice(0, 40)}: ${error.message}`)).toEqual([]);
      expect(expandedFieldCount(document)).toBeLessThanOrEqual(limits.maxCost);
    }
  });
});

describe('expandedFieldCount', () => {
  it('should count each spread where it is spread, in time linear in the document', () => {
    expect(expandedFieldCount(parse('{ viewer { id displayName } }'))).toBe(3);
    expect(expandedFieldCount(parse('{ ...A ...A } fragment A on Query { viewer { id } }'))).toBe(4);
    // 2^60 leaves: walked spread by spread, this would never return.
    expect(expandedFieldCount(parse(fragmentChain(60, '__typename')))).toBe(2 ** 60);
    // A cycle (refused by validation) and an unknown fragment count nothing.
    expect(expandedFieldCount(parse('{ ...A ...Z } fragment A on Query { id ...B } fragment B on Query { ...A }'))).toBe(1);
  });
});
