import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  buildSchema,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  getNamedType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
} from 'graphql';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { codes } from '../support/abuse.js';
import { type Json, testAppForFile } from '../support/app.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';

const t = testAppForFile();
let token: string;
/** Global IDs of things that exist and the viewer may see: one of each of two types, to pass where the other is expected. */
let existing: { collective: string; member: string };

beforeAll(async () => {
  const viewer = await makeMember(t.db.prisma);
  token = await t.tokenFor(viewer.id);
  const collective = await makeCollective(t.db.prisma, { animatorId: viewer.id });
  existing = { collective: gid('Collective', collective.id), member: gid('Member', viewer.id) };
});

// A fresh signed-in member for each case: `signOut` and `leaveCooperative`, walked below, end the viewer's session,
// and every later case would otherwise be answered UNAUTHENTICATED without judging its IDs.
beforeEach(async () => {
  token = await t.tokenFor((await makeMember(t.db.prisma)).id);
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

// ── Every ID argument of every root field, from the printed schema ──────────────────────────────────────────

const SCHEMA = buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));
const b64 = (text: string) => Buffer.from(text).toString('base64');
/** IDs no caller should be able to turn into a 500: an unknown type, a known type with a bad key, no type, junk. */
const BAD_IDS = [b64(`Nope:${randomUUID()}`), b64('Collective:not-a-uuid'), b64(`Member:${randomUUID()}`), 'not-base64-!!!', ''];

/** Whether an input type holds an ID somewhere (itself, a list of, or a field of an input object). */
function holdsId(type: GraphQLInputType, seen = new Set<string>()): boolean {
  const named = getNamedType(type);
  if (named.name === 'ID') return true;
  if (!isInputObjectType(named) || seen.has(named.name)) return false;
  seen.add(named.name);
  return Object.values(named.getFields()).some((field) => holdsId(field.type, seen));
}

/**
 * A value for an input type with `id` in every ID position (optional ones included), the smallest valid
 * value elsewhere (required positions only), so the ID is what the server has to judge.
 */
function valueFor(type: GraphQLInputType, id: string): unknown {
  if (isNonNullType(type)) return valueFor(type.ofType, id);
  if (isListType(type)) return [valueFor(type.ofType, id)];
  if (isEnumType(type)) return type.getValues()[0]?.name;
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields()))
      if (isNonNullType(field.type) || holdsId(field.type)) value[field.name] = valueFor(field.type, id);
    return value;
  }
  if (isScalarType(type)) {
    const scalars: Record<string, unknown> = {
      ID: id,
      String: 'x',
      Int: 1,
      Float: 1,
      Boolean: false,
      Date: '2030-01-01',
      DateTime: '2030-01-01T00:00:00.000Z',
      JSON: {},
    };
    return scalars[type.name] ?? 'x';
  }
  return null;
}

/** `field(arg: $arg…) { __typename }` (or no selection for a scalar) with its variables. */
function operationFor(kind: 'query' | 'mutation' | 'subscription', field: GraphQLField<unknown, unknown>, id: string) {
  const args = field.args.filter((arg: GraphQLArgument) => isNonNullType(arg.type) || holdsId(arg.type));
  const declared = args.map((arg) => `$${arg.name}: ${arg.type.toString()}`).join(', ');
  const passed = args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  const named = getNamedType(field.type);
  // A typed error's message is read too: a refusal is in French and names what was expected.
  const errorMember =
    isAbstractType(named) && SCHEMA.getPossibleTypes(named).some((type) => type.getInterfaces().some((i) => i.name === 'Error'));
  const selection =
    isScalarType(named) || isEnumType(named) ? '' : errorMember ? ' { __typename ... on Error { message } }' : ' { __typename }';
  return {
    query: `${kind}${declared ? `(${declared})` : ''} { ${field.name}${passed ? `(${passed})` : ''}${selection} }`,
    variables: Object.fromEntries(args.map((arg) => [arg.name, valueFor(arg.type, id)])),
  };
}

const rootFields = (kind: 'query' | 'mutation' | 'subscription') => {
  const root = { query: SCHEMA.getQueryType(), mutation: SCHEMA.getMutationType(), subscription: SCHEMA.getSubscriptionType() }[
    kind
  ];
  return Object.values(root?.getFields() ?? {})
    .filter((field) => field.args.some((arg) => holdsId(arg.type)))
    .map((field) => [field.name, field] as const);
};

/** The first result of a subscription over SSE (its error, or its first event), through Yoga without a socket. */
async function firstOverSse(query: string, variables: Record<string, unknown>): Promise<{ errors?: unknown[] } | 'complete'> {
  const controller = new AbortController();
  const response = await t.app.fetch(
    new Request('http://collectifs.test/graphql', {
      method: 'POST',
      signal: controller.signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    }),
  );
  if (!response.headers.get('content-type')?.includes('text/event-stream'))
    return (await response.json()) as { errors?: unknown[] };
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return 'complete';
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event === 'complete') return 'complete';
        if (event === 'next' && data) return JSON.parse(data) as { errors?: unknown[] };
      }
    }
  } finally {
    controller.abort();
  }
}

/**
 * Codes that are not a typed answer: an unexpected error (masked) or an error without a code; and UNAUTHENTICATED,
 * which would mean the case never reached the IDs (every case runs signed in).
 */
const untyped = (result: Json) =>
  codes(result).filter((code) => code === 'INTERNAL_SERVER_ERROR' || code === 'undefined' || code === 'UNAUTHENTICATED');

describe('Every ID argument', () => {
  it.each([...rootFields('query'), ...rootFields('mutation')])(
    'should answer %s with a malformed or unknown global ID with null or a typed error',
    async (_name, field) => {
      const kind = SCHEMA.getQueryType()?.getFields()[field.name] === field ? 'query' : 'mutation';
      for (const id of BAD_IDS) {
        const { query, variables } = operationFor(kind, field, id);
        const result = await t.gql(query, variables, token);
        expect(untyped(result), `${query} ${JSON.stringify(variables)} → ${JSON.stringify(result)}`).toEqual([]);
      }
    },
  );

  it.each(rootFields('subscription'))(
    'should answer the subscription %s with a malformed or unknown global ID with a typed error',
    async (_name, field) => {
      for (const id of BAD_IDS) {
        const { query, variables } = operationFor('subscription', field, id);
        const first = await firstOverSse(query, variables);
        // A stream for something that does not exist must not stay open, silent: it says why it ends.
        expect(first, `${query} ${JSON.stringify(variables)}`).not.toBe('complete');
        expect(untyped(first), `${query} ${JSON.stringify(variables)} → ${JSON.stringify(first)}`).toEqual([]);
        expect((first as { errors?: unknown[] }).errors?.length ?? 0, JSON.stringify(first)).toBeGreaterThan(0);
      }
    },
  );
});

/** Every message of a not-found refusal in an answer: top-level `NOT_FOUND` errors and `NotFoundError` payloads. */
function notFoundMessages(result: Json): string[] {
  const messages: string[] = [];
  for (const error of result?.errors ?? []) if (error.extensions?.code === 'NOT_FOUND') messages.push(error.message);
  const walk = (value: Json) => {
    if (!value || typeof value !== 'object') return;
    if (value.__typename === 'NotFoundError') messages.push(value.message);
    for (const child of Object.values(value)) walk(child);
  };
  walk(result?.data);
  return messages;
}

/** Messages of refusals that are not in French or leak the server's wording (`No such tendersection.`). */
const english = (result: Json) =>
  [...(result?.errors ?? []).map((error: Json) => String(error.message)), ...notFoundMessages(result)].filter((message) =>
    /No such|is not of type|Not found/i.test(message),
  );

describe('Every ID argument given an existing thing of another type', () => {
  // A Collective's ID where a member, a section… is expected, and a Member's where a collective is: at least one
  // of the two is of the wrong type for every argument (`node` takes both and answers them).
  it.each([...rootFields('query'), ...rootFields('mutation')])(
    'should answer %s with a typed refusal in French naming the expected kind',
    async (_name, field) => {
      const kind = SCHEMA.getQueryType()?.getFields()[field.name] === field ? 'query' : 'mutation';
      for (const id of [existing.collective, existing.member]) {
        const { query, variables } = operationFor(kind, field, id);
        const result = await t.gql(query, variables, token);
        const context = `${query} ${JSON.stringify(variables)} → ${JSON.stringify(result)}`;
        expect(untyped(result), context).toEqual([]);
        expect(english(result), context).toEqual([]);
        for (const message of notFoundMessages(result)) expect(message, context).toMatch(/^[A-ZÉ][^.]* introuvable\.$/);
      }
    },
  );

  it('should refuse a Collective passed as a section with NOT_FOUND « Section de réponse introuvable. »', async () => {
    // The attacker's example: it answered `No such tendersection.`.
    const first = await firstOverSse('subscription($id: ID!) { sectionSync(sectionId: $id) { __typename } }', {
      id: existing.collective,
    });
    expect(first).toMatchObject({ errors: [{ message: 'Section de réponse introuvable.', extensions: { code: 'NOT_FOUND' } }] });
  });

  // A Member's ID: no subscription but `nodeChanges` (which follows any node, a member included) takes one, and a
  // stream of the right type would stay open, silent.
  it.each(rootFields('subscription').filter(([name]) => name !== 'nodeChanges'))(
    'should answer the subscription %s with a typed refusal in French',
    async (_name, field) => {
      const { query, variables } = operationFor('subscription', field, existing.member);
      const first = await firstOverSse(query, variables);
      const context = `${query} ${JSON.stringify(variables)} → ${JSON.stringify(first)}`;
      expect(first, context).not.toBe('complete');
      expect(untyped(first), context).toEqual([]);
      expect(english(first), context).toEqual([]);
      for (const message of notFoundMessages(first)) expect(message, context).toMatch(/^[A-ZÉ][^.]* introuvable\.$/);
    },
  );
});

describe('A global ID whose UUID is written in capitals', () => {
  // Attack of stop 25 (F3): a UUID's case does not matter to PostgreSQL, so `node(id:)` found the collective, but
  // `nodes(ids:)` answered null for it (Prisma's batch of `findUnique` matches the rows it read to the IDs asked
  // case-sensitively). The same thing, whichever way it is written and asked for.
  it('should name the same thing as in small letters, through node and nodes', async () => {
    const uuid = Buffer.from(existing.collective, 'base64').toString('utf8').split(':')[1] as string;
    const upper = gid('Collective', uuid.toUpperCase());
    const query = 'query($id: ID!, $ids: [ID!]!) { node(id: $id) { id } nodes(ids: $ids) { id } }';
    const result = await t.gql(query, { id: upper, ids: [upper, existing.collective] }, token);
    expect(result).toEqual({
      data: {
        node: { id: existing.collective },
        nodes: [{ id: existing.collective }, { id: existing.collective }],
      },
    });
  });

  // The second attack of stop 25: `activity(subjectId:)` and `nodeChanges(id:)` compared the ID as given with the
  // log's subjects (lower-case UUIDs): in capitals, no event, and no error.
  it('should find the same history through activity(subjectId:)', async () => {
    const changed = await t.gql('mutation { updateMyProfile(input: { trade: "Majuscules" }) { __typename } }', {}, token);
    expect(changed.data?.updateMyProfile.__typename, JSON.stringify(changed)).toBe('MutationUpdateMyProfileSuccess');
    const me = (await t.gql('{ viewer { id } }', {}, token)).data?.viewer.id as string;
    const uuid = Buffer.from(me, 'base64').toString('utf8').split(':')[1] as string;
    const history = async (id: string) =>
      (await t.gql('query($id: ID!) { activity(subjectId: $id) { edges { node { type position } } } }', { id }, token)).data
        ?.activity.edges as unknown[];
    const lower = await history(me);
    expect(lower.length).toBeGreaterThan(0);
    expect(await history(gid('Member', uuid.toUpperCase()))).toEqual(lower);
  });
});
