import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { frenchProblems } from '../support/french.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

// /graphql/stream (graphql-sse) over a real socket, in production mode: every refusal is a coded GraphQL error
// as on /graphql, never a stack; reserving a stream takes a signed-in member, a few at a time, and a reservation
// nobody opens expires with the operations posted onto it (their SSE places freed).
/** Long enough for a test to post its operations (it waits for the expiry, never sleeps). */
const TTL_MS = 3_000;
const SSE_STREAMS = 3;
let t: TestApp;
let url: string;

beforeAll(async () => {
  const { limits } = loadConfig({
    ...GENEROUS_LIMITS_ENV,
    SSE_MAX_STREAMS_PER_USER: String(SSE_STREAMS),
    SSE_MAX_RESERVED_STREAMS_PER_USER: '2',
    SSE_RESERVATION_TTL_MS: String(TTL_MS),
  });
  t = await createTestApp({
    config: { limits, security: { production: true, introspection: 'signed-in', corsOrigins: [] } },
  });
  url = await t.app.start();
});
afterAll(async () => {
  await t?.close();
});

const STREAM = '/graphql/stream';
const TOKEN = 'x-graphql-event-stream-token';
/** 20 levels: past the depth limit (10). */
const NESTED = `{ collectives(first: 1) { edges { node { memberships(first: 1) { edges { node { member {
  memberships(first: 1) { edges { node { collective { memberships(first: 1) { edges { node { member {
  memberships(first: 1) { edges { node { collective { memberships(first: 1) { edges { node { member {
  displayName } } } } } } } } } } } } } } } } } } } } } } } }`;
const ACTIVITY = 'subscription($id: ID!) { collectiveActivity(collectiveId: $id) { __typename } }';

async function request(init: RequestInit & { path?: string } = {}) {
  const response = await fetch(`${url}${init.path ?? STREAM}`, init);
  const text = await response.text();
  let json: Json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  // Whatever the answer, it shows no stack and no file of the server.
  expect(text).not.toMatch(/\n\s+at |node_modules|\/work\/|\.ts:\d/);
  // And every refusal is coded and worded in French (graphql-js' document errors aside: tests/support/french.ts).
  if (json?.errors) expect(frenchProblems(`${init.method ?? 'GET'} ${init.path ?? STREAM}`, json.errors)).toEqual([]);
  return { status: response.status, text, json };
}

const eventStream = (body: unknown, headers: Record<string, string> = {}) =>
  request({
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify(body),
  });

/** The `errors` of the one `next` event of an SSE answer, each coded and French (but graphql-js' document errors). */
function eventErrors(text: string): Json[] {
  const data = /event: next\ndata: (.*)\n/.exec(text)?.[1];
  if (!data) throw new Error(`No next event in ${text}`);
  const { errors } = JSON.parse(data);
  expect(frenchProblems('an event', errors)).toEqual([]);
  return errors;
}

const reserve = (token: string | null) => request({ method: 'PUT', headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('Documents refused on /graphql/stream, as on /graphql', () => {
  it('should answer a syntax error, an unknown field, a query limit and anonymous introspection with their codes', async () => {
    const cases: [string, string, RegExp][] = [
      ['{', 'GRAPHQL_PARSE_FAILED', /Syntax Error/],
      ['{ nope }', 'GRAPHQL_VALIDATION_FAILED', /Cannot query field "nope"/],
      [
        `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: viewer { id }`).join(' ')} }`,
        'BAD_REQUEST',
        /alias au-delà de la limite de 15/,
      ],
      [NESTED, 'BAD_REQUEST', /profondeur/],
      ['{ __schema { types { name } } }', 'UNAUTHENTICATED', /Connectez-vous pour consulter le schéma/],
    ];
    for (const [query, code, message] of cases) {
      const answer = await eventStream({ query });
      expect(answer.status).toBe(200);
      const errors = eventErrors(answer.text);
      expect(new Set(errors.map((error) => error.extensions.code))).toEqual(new Set([code]));
      expect(errors.map((error) => error.message).join(' ')).toMatch(message);
      expect(answer.text).not.toContain('Unable to detect operation AST');
      expect(JSON.stringify(errors)).not.toContain('"http"');
    }
  });

  it('should code every request refusal: bad JSON, JSON too deep, wrong type, wrong method, no such stream', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    const badJson = await request({
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: '{"query":}',
    });
    expect([badJson.status, badJson.json.errors[0].extensions.code]).toEqual([400, 'BAD_REQUEST']);
    expect(badJson.text).not.toContain('"query":}');
    const deep = await eventStream({
      query: '{ __typename }',
      variables: { x: JSON.parse(`${'['.repeat(80)}${']'.repeat(80)}`) },
    });
    expect([deep.status, deep.json.errors[0].extensions]).toEqual([
      400,
      expect.objectContaining({ code: 'BAD_USER_INPUT', limit: 'jsonDepth' }),
    ]);
    const plain = await request({
      method: 'POST',
      headers: { 'content-type': 'text/plain', accept: 'text/event-stream' },
      body: '{}',
    });
    expect([plain.status, plain.json.errors[0].extensions.code]).toEqual([415, 'BAD_REQUEST']);
    const patch = await request({ method: 'PATCH', headers: { [TOKEN]: 'x' } });
    expect([patch.status, patch.json.errors[0].extensions.code]).toEqual([405, 'BAD_REQUEST']);
    const unknown = 'c1f2e0b4-0000-4000-8000-000000000000';
    const posted = await request({
      method: 'POST',
      headers: { 'content-type': 'application/json', [TOKEN]: unknown, authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ __typename }', extensions: { operationId: '1' } }),
    });
    const opened = await request({ headers: { accept: 'text/event-stream', [TOKEN]: unknown } });
    const deleted = await request({ method: 'DELETE', path: `${STREAM}?operationId=1`, headers: { [TOKEN]: unknown } });
    for (const answer of [posted, opened, deleted]) {
      expect([answer.status, answer.json.errors[0].extensions.code]).toEqual([404, 'NOT_FOUND']);
    }
    const missingQuery = await eventStream({});
    expect([missingQuery.status, missingQuery.json.errors[0].extensions.code]).toEqual([400, 'BAD_REQUEST']);
    // Onto a reserved stream (application/json): a 400 with the same codes.
    const stream = (await reserve(token)).text;
    const parse = await request({
      method: 'POST',
      headers: { 'content-type': 'application/json', [TOKEN]: stream, authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{', extensions: { operationId: '1' } }),
    });
    expect([parse.status, parse.json.errors[0].extensions.code]).toEqual([400, 'GRAPHQL_PARSE_FAILED']);
  });
});

describe('Reserving single-connection streams', () => {
  it('should take a signed-in member: anonymous and unknown tokens are refused 401, and nothing is kept', async () => {
    for (let i = 0; i < 50; i += 1) {
      const anonymous = await reserve(null);
      expect([anonymous.status, anonymous.json.errors[0].extensions.code]).toEqual([401, 'UNAUTHENTICATED']);
    }
    const bogus = await reserve('not-a-session');
    expect([bogus.status, bogus.json.errors[0].extensions.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('should hold a few per member, and expire one nobody opens', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    const first = await reserve(token);
    const second = await reserve(token);
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(first.text).toMatch(/^[0-9a-f-]{36}$/);
    const third = await reserve(token);
    expect([third.status, third.json.errors[0].extensions]).toEqual([
      429,
      expect.objectContaining({ code: 'RATE_LIMITED', limit: 'sseReservationsPerUser' }),
    ]);
    // Not opened within the TTL: both expire, and opening one then finds nothing.
    // (A DELETE of an operation finds the stream until it expires, and opens nothing.)
    const gone = async () =>
      (await request({ method: 'DELETE', path: `${STREAM}?operationId=x`, headers: { [TOKEN]: first.text } })).status === 404;
    await until(gone, 'the first reservation expired');
    expect((await reserve(token)).status).toBe(201);
    const late = await request({ headers: { accept: 'text/event-stream', [TOKEN]: first.text } });
    expect([late.status, late.json.errors[0].extensions.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('should release the SSE places of operations posted onto a stream nobody opens', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
    const variables = { id: gid('Collective', collective.id) };
    const stream = (await reserve(token)).text;
    for (let i = 0; i < SSE_STREAMS; i += 1) {
      const posted = await fetch(`${url}${STREAM}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TOKEN]: stream, authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: ACTIVITY, variables, extensions: { operationId: `op${i}` } }),
      });
      expect(posted.status).toBe(202);
    }
    // Every place is held meanwhile…
    const refused = await eventStream({ query: ACTIVITY, variables }, { authorization: `Bearer ${token}` });
    expect(eventErrors(refused.text)[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'sseStreamsPerUser' });
    // …and freed when the reservation expires.
    await until(
      () => t.app.live.streamCount === 0 && t.app.events.subscriberCount === 0,
      'the unopened stream’s operations released',
    );
    const controller = new AbortController();
    const again = await fetch(`${url}${STREAM}`, {
      method: 'POST',
      signal: controller.signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: ACTIVITY, variables }),
    });
    expect(again.status).toBe(200);
    await until(() => t.app.live.streamCount === 1, 'the new stream registered');
    controller.abort();
    await until(() => t.app.live.streamCount === 0, 'the new stream released');
  });

  it('should keep a stream to the member who reserved it: its token from anyone else opens, posts and completes nothing', async () => {
    const [owner, other] = [await makeMember(t.db.prisma), await makeMember(t.db.prisma)];
    const [ownerToken, otherToken] = [await t.tokenFor(owner.id), await t.tokenFor(other.id)];
    const collective = await makeCollective(t.db.prisma, { animatorId: owner.id, memberIds: [other.id] });
    const variables = { id: gid('Collective', collective.id) };
    const stream = (await reserve(ownerToken)).text;
    const as = (token: string | null): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
    const post = (token: string | null) =>
      request({
        method: 'POST',
        headers: { 'content-type': 'application/json', [TOKEN]: stream, ...as(token) },
        body: JSON.stringify({ query: ACTIVITY, variables, extensions: { operationId: 'intrus' } }),
      });
    for (const [token, status, code] of [
      [null, 401, 'UNAUTHENTICATED'],
      [otherToken, 404, 'NOT_FOUND'],
      ['not-a-session', 401, 'UNAUTHENTICATED'],
    ] as const) {
      const opened = await request({ headers: { accept: 'text/event-stream', [TOKEN]: stream, ...as(token) } });
      expect([opened.status, opened.json.errors[0].extensions.code], `open as ${token}`).toEqual([status, code]);
      const posted = await post(token);
      expect([posted.status, posted.json.errors[0].extensions.code], `post as ${token}`).toEqual([status, code]);
      const completed = await request({
        method: 'DELETE',
        path: `${STREAM}?operationId=x`,
        headers: { [TOKEN]: stream, ...as(token) },
      });
      expect([completed.status, completed.json.errors[0].extensions.code], `delete as ${token}`).toEqual([status, code]);
    }
    // Nothing of theirs ran, and the stream is still its owner's to open.
    expect(t.app.live.streamCount).toBe(0);
    const controller = new AbortController();
    const opened = await fetch(`${url}${STREAM}`, {
      signal: controller.signal,
      headers: { accept: 'text/event-stream', [TOKEN]: stream, ...as(ownerToken) },
    });
    expect(opened.status).toBe(200);
    expect((await post(ownerToken)).status).toBe(202);
    await until(() => t.app.live.streamCount === 1, 'the owner’s operation registered');
    controller.abort();
    await until(() => t.app.live.streamCount === 0, 'the owner’s stream released');
  });
});
