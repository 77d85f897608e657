import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_COLLECTIVE, type Json } from '../api/operations.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { makeMember } from '../support/scenario.js';

/** Posts through Yoga (no socket) with an optional `Idempotency-Key` header and request extensions. */
async function send(
  t: TestApp,
  token: string,
  variables: Json,
  options: { key?: string; extensions?: Json; query?: string } = {},
): Promise<{ status: number; body: Json }> {
  const response = await t.app.fetch(
    new Request('http://collectifs.test/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        ...(options.key ? { 'idempotency-key': options.key } : {}),
      },
      body: JSON.stringify({
        query: options.query ?? CREATE_COLLECTIVE,
        variables,
        ...(options.extensions ? { extensions: options.extensions } : {}),
      }),
    }),
  );
  return { status: response.status, body: await response.json() };
}

const input = (name: string) => ({ input: { name, kind: 'COMMONS', purpose: 'Faire vivre le projet coopératif.' } });

describe('Idempotency keys', () => {
  let t: TestApp;
  let token: string;
  let otherToken: string;

  beforeAll(async () => {
    t = await createTestApp();
    token = await t.tokenFor((await makeMember(t.db.prisma)).id);
    otherToken = await t.tokenFor((await makeMember(t.db.prisma)).id);
  });
  afterAll(async () => {
    await t?.close();
  });

  const collectivesNamed = (name: string) => t.db.prisma.collective.count({ where: { name } });

  describe('Retry', () => {
    it('should apply a mutation once and answer a retry with the same key with the stored answer', async () => {
      const first = await send(t, token, input('Collectif idempotent'), { key: 'cle-1' });
      expect(first.body.data.result.__typename).toBe('MutationCreateCollectiveSuccess');
      const events = await t.db.prisma.eventLog.count();
      const retry = await send(t, token, input('Collectif idempotent'), { key: 'cle-1' });
      expect(retry.body.data).toEqual(first.body.data);
      expect(retry.body.extensions).toMatchObject({ idempotentReplay: true });
      expect(await collectivesNamed('Collectif idempotent')).toBe(1);
      expect(await t.db.prisma.eventLog.count()).toBe(events);
    });

    it('should take the key from the request extensions too (graphql-ws has no headers)', async () => {
      const first = await send(t, token, input('Collectif par extension'), { extensions: { idempotencyKey: 'ext-1' } });
      const retry = await send(t, token, input('Collectif par extension'), { extensions: { idempotencyKey: 'ext-1' } });
      expect(retry.body.data).toEqual(first.body.data);
      expect(await collectivesNamed('Collectif par extension')).toBe(1);
    });

    it('should replay a typed refusal that recorded nothing by running it again, never storing it', async () => {
      const taken = await send(t, token, input('Collectif idempotent'), { key: 'cle-2' });
      expect(taken.body.data.result.__typename).toBe('RuleViolationError');
      expect(await t.db.prisma.idempotencyKey.count({ where: { key: 'cle-2' } })).toBe(0);
    });
  });

  describe('Replayed errors', () => {
    // A creation that commits while a field of its answer is refused (a page of -1 rows): the caller got
    // BAD_USER_INPUT for that field, and so must a retry, not the INTERNAL_SERVER_ERROR replays once gave for
    // any error a resolver threw (graphql-js wraps it, so it has an original error).
    const PARTLY_REFUSED = /* GraphQL */ `
      mutation($input: CreateCollectiveInput!) {
        result: createCollective(input: $input) {
          __typename
          ... on MutationCreateCollectiveSuccess { data { name memberships(first: -1) { totalCount } } }
        }
      }
    `;

    it('should replay each error with the code, message and path the first answer had', async () => {
      const first = await send(t, token, input('Collectif à moitié refusé'), { key: 'cle-erreur', query: PARTLY_REFUSED });
      expect(first.body.errors?.map((error: Json) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(await collectivesNamed('Collectif à moitié refusé')).toBe(1);
      const retry = await send(t, token, input('Collectif à moitié refusé'), { key: 'cle-erreur', query: PARTLY_REFUSED });
      expect(retry.body.extensions).toMatchObject({ idempotentReplay: true });
      const shown = (body: Json) =>
        body.errors.map((error: Json) => ({ message: error.message, path: error.path, code: error.extensions?.code }));
      expect(shown(retry.body)).toEqual(shown(first.body));
      expect(retry.body.data).toEqual(first.body.data);
      expect(await collectivesNamed('Collectif à moitié refusé')).toBe(1);
    });
  });

  describe('Scope', () => {
    it('should keep keys per member: the same key from someone else is their own request', async () => {
      const mine = await send(t, token, input('Collectif de A'), { key: 'partagee' });
      const theirs = await send(t, otherToken, input('Collectif de B'), { key: 'partagee' });
      expect(mine.body.data.result.__typename).toBe('MutationCreateCollectiveSuccess');
      expect(theirs.body.data.result.__typename).toBe('MutationCreateCollectiveSuccess');
      expect(theirs.body.extensions?.idempotentReplay).toBeUndefined();
    });

    it('should refuse the same key for another request, and a malformed key, with BAD_USER_INPUT', async () => {
      await send(t, token, input('Collectif C'), { key: 'cle-3' });
      const other = await send(t, token, input('Collectif D'), { key: 'cle-3' });
      expect(other.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(await collectivesNamed('Collectif D')).toBe(0);
      const malformed = await send(t, token, input('Collectif E'), { key: 'a b' });
      expect(malformed.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(await collectivesNamed('Collectif E')).toBe(0);
    });
  });

  describe('Concurrency', () => {
    it('should apply two concurrent requests with one key once; the other is told to retry or gets the answer', async () => {
      const [a, b] = await Promise.all([
        send(t, token, input('Collectif concurrent'), { key: 'cle-4' }),
        send(t, token, input('Collectif concurrent'), { key: 'cle-4' }),
      ]);
      expect(await collectivesNamed('Collectif concurrent')).toBe(1);
      const outcomes = [a, b].map((answer) => answer.body.data?.result?.__typename ?? answer.body.errors?.[0]?.extensions?.code);
      expect(outcomes).toContain('MutationCreateCollectiveSuccess');
      for (const outcome of outcomes)
        expect(['MutationCreateCollectiveSuccess', 'UNAVAILABLE', 'CONFLICT', 'RuleViolationError']).toContain(outcome);
    });
  });
});
