import { describe, expect, it } from 'vitest';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import { type Json, testAppForFile } from '../support/app.js';
import { errorCodes, sseSingleClient, subscribe } from '../support/live.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';
import { until as waitUntil } from '../support/waits.js';

// GraphQL over SSE in the graphql-sse protocol's single-connection mode (issue 10 item 12), with the real
// `graphql-sse` client: browsers hold at most six HTTP/1.1 connections per origin, so a page with more live
// streams than that multiplexes them over one. The same caller limits and lifecycle apply as on /graphql.

/** SSE streams per member: more than the eight one test multiplexes, and what another test fills. */
const STREAM_LIMIT = 9;
const t = testAppForFile({
  config: { limits: loadConfig({ ...GENEROUS_LIMITS_ENV, SSE_MAX_STREAMS_PER_USER: String(STREAM_LIMIT) }).limits },
});

const ACTIVITY = /* GraphQL */ `
  subscription($id: ID!) { collectiveActivity(collectiveId: $id) { ... on ActivityEvent { type subjectId payload } } }
`;
const UPDATE = /* GraphQL */ `
  mutation($id: ID!, $purpose: String!) { updateCollective(input: { id: $id, purpose: $purpose }) { __typename } }
`;

const until = (condition: () => boolean, what: string) =>
  waitUntil(
    condition,
    () =>
      `${what}: ${JSON.stringify({ streams: t.app.live.streamCount, connections: t.app.live.connectionCount, subscribers: t.app.events.subscriberCount })}`,
  );

describe('Single connection mode', () => {
  it('should deliver more than six subscriptions over one event stream, each its own events', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    const collectives = await Promise.all(
      Array.from({ length: 8 }, () => makeCollective(t.db.prisma, { animatorId: member.id })),
    );
    const { client, streamsOpened } = sseSingleClient(t.url, token);
    const subscriptions = collectives.map((collective) => subscribe(client, ACTIVITY, { id: gid('Collective', collective.id) }));
    await until(() => t.app.live.streamCount === 8, 'eight streams registered');
    for (const [index, collective] of collectives.entries()) {
      const result = await t.gql(UPDATE, { id: gid('Collective', collective.id), purpose: `Objet ${index}` }, token);
      expect(result.errors).toBeUndefined();
    }
    for (const [index, { inbox }] of subscriptions.entries()) {
      const [message] = await inbox.waitFor(1);
      const collectiveId = gid('Collective', collectives[index]?.id as string);
      expect(message.collectiveActivity).toMatchObject({ type: 'collective.updated', subjectId: collectiveId });
    }
    // One event stream carried all eight; nothing else arrived on any of them.
    expect(streamsOpened()).toBe(1);
    for (const { inbox } of subscriptions) expect(inbox.received).toHaveLength(1);
    client.dispose();
    await until(() => t.app.live.streamCount === 0 && t.app.events.subscriberCount === 0, 'every stream released');
  });

  it('should release a completed operation at once, and the others when the stream closes', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    const [one, two] = await Promise.all([1, 2].map(() => makeCollective(t.db.prisma, { animatorId: member.id })));
    const { client, accepted } = sseSingleClient(t.url, token);
    const first = subscribe(client, ACTIVITY, { id: gid('Collective', one?.id as string) });
    const second = subscribe(client, ACTIVITY, { id: gid('Collective', two?.id as string) });
    await until(() => t.app.live.streamCount === 2 && accepted() === 2, 'two streams registered');
    // Completing one (a DELETE) frees it with no event happening; the other goes on.
    first.stop();
    await until(() => t.app.live.streamCount === 1, 'the completed stream released');
    await t.gql(UPDATE, { id: gid('Collective', two?.id as string), purpose: 'Encore là' }, token);
    expect((await second.inbox.waitFor(1))[0].collectiveActivity.type).toBe('collective.updated');
    // Closing the event stream frees what it carried.
    client.dispose();
    await until(() => t.app.live.streamCount === 0 && t.app.live.connectionCount === 0, 'the stream’s operations released');
  });

  it('should count each operation against the member’s SSE stream limit, and free its place when it ends', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
    const variables = { id: gid('Collective', collective.id) };
    const { client, accepted } = sseSingleClient(t.url, token);
    const open = Array.from({ length: STREAM_LIMIT }, () => subscribe(client, ACTIVITY, variables));
    await until(() => t.app.live.streamCount === STREAM_LIMIT && accepted() === STREAM_LIMIT, 'the allowed streams registered');
    const refused = subscribe(client, ACTIVITY, variables);
    await until(() => refused.inbox.errors.length > 0, 'the refusal');
    expect(errorCodes(refused.inbox)).toEqual(['RATE_LIMITED']);
    open[0]?.stop();
    await until(() => t.app.live.streamCount === STREAM_LIMIT - 1, 'one place freed');
    const again = subscribe(client, ACTIVITY, variables);
    await until(() => t.app.live.streamCount === STREAM_LIMIT, 'the new stream registered');
    await t.gql(UPDATE, { ...variables, purpose: 'Place reprise' }, token);
    expect((await again.inbox.waitFor(1))[0].collectiveActivity.type).toBe('collective.updated');
    client.dispose();
    await until(() => t.app.live.streamCount === 0, 'every stream released');
  });

  it('should end a stream with SESSION_REVOKED when its session ends, as over /graphql', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
    const { client } = sseSingleClient(t.url, token);
    const { inbox } = subscribe(client, ACTIVITY, { id: gid('Collective', collective.id) });
    await until(() => t.app.live.streamCount === 1, 'the stream registered');
    const signOut = await t.gql('mutation { signOut }', {}, token);
    expect(signOut.errors).toBeUndefined();
    await inbox.waitForEnd();
    expect(errorCodes(inbox)).toEqual(['SESSION_REVOKED']);
    await until(() => t.app.live.streamCount === 0, 'the ended stream released');
    client.dispose();
  });

  it('should answer a query and a refusal on the stream too (typed errors, never INTERNAL_SERVER_ERROR)', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    const { client } = sseSingleClient(t.url, token);
    // Both on the stream at once (the lazy client closes its stream after its last operation).
    const viewer = subscribe(client, '{ viewer { id } }');
    const refused = subscribe(client, ACTIVITY, { id: gid('Collective', '00000000-0000-4000-8000-000000000000') });
    await viewer.inbox.waitForEnd();
    expect(viewer.inbox.received).toEqual([{ viewer: { id: gid('Member', member.id) } }]);
    await refused.inbox.waitForEnd();
    expect(['NOT_FOUND', 'FORBIDDEN']).toEqual(expect.arrayContaining(errorCodes(refused.inbox)));
    expect(errorCodes(refused.inbox)).toHaveLength(1);
    client.dispose();
    await until(() => t.app.live.connectionCount === 0, 'nothing held');
  });
});

describe('Distinct connections mode, still', () => {
  it('should deliver a subscription on /graphql/stream without a reserved stream, as on /graphql', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
    const controller = new AbortController();
    const response = await fetch(`${t.url}/graphql/stream`, {
      method: 'POST',
      signal: controller.signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: ACTIVITY, variables: { id: gid('Collective', collective.id) } }),
    });
    expect(response.status).toBe(200);
    await until(() => t.app.live.streamCount === 1, 'the stream registered');
    await t.gql(UPDATE, { id: gid('Collective', collective.id), purpose: 'Distinct' }, token);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('collective.updated')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const data = JSON.parse(/^data: (.*)$/m.exec(text.slice(text.indexOf('event: next')))?.[1] ?? '{}') as Json;
    expect(data.data.collectiveActivity.type).toBe('collective.updated');
    controller.abort();
    await until(() => t.app.live.streamCount === 0, 'the stream released');
  });
});
