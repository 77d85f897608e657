import { print } from 'graphql';
import { Client, type Exchange, makeResult, type Operation, type OperationResult } from 'urql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSubject, pipe, subscribe } from 'wonka';
import { createCache, refetchingCache } from '../../client/src/client.js';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { gid, makeCollective, makeMember, SUPPORT_STAFF } from '../support/scenario.js';

// The web app's graphcache, with its live updates, against the real server: a collective's page whose refetch is in
// flight when a change comes live. graphcache writes the late answer under the event's invalidation, reads it back
// with the collective's fields missing and, schema-aware, answers `collective: null` with `stale: false`: the page
// said « Page introuvable » (browser test of a collective's co-animation and hand-over, under load).
// The gate below holds the page's answer until the test releases it: the order of answers is the test's, the answers
// are the server's.

const PAGE = `query CollectivePage($slug: String!) {
  viewer { id kind }
  collective(slug: $slug) { id slug name purpose memberCount animator { id displayName } }
}`;
const LIVE = `subscription CollectiveActivity($collectiveId: ID!) {
  collectiveActivity(collectiveId: $collectiveId) {
    __typename
    ... on ActivityEvent { position type createdAt subjectId collectiveId actor { id displayName } }
  }
}`;
const UPDATE = `mutation UpdateCollective($input: UpdateCollectiveInput!) {
  updateCollective(input: $input) { __typename ... on MutationUpdateCollectiveSuccess { data { id purpose } } }
}`;
const LAST_EVENT = `query ($collectiveId: ID!) {
  activity(collectiveId: $collectiveId, first: 1) {
    edges { node { __typename position type createdAt subjectId collectiveId actor { __typename id displayName } } }
  }
}`;

let t: TestApp;
let url: string;
beforeAll(async () => {
  t = await createTestApp();
  url = await t.app.start();
});
afterAll(() => t.close());

/**
 * The network end of the test's client: queries and mutations go to the real server over HTTP; while `holding`, the
 * page query's answer is kept until `release()`; the live subscription receives what `push` gives, as the socket would.
 */
function gate(token: string) {
  const results = makeSubject<OperationResult>();
  let kept: (() => void) | null = null;
  let onKept: (() => void) | null = null;
  let live: Operation | null = null;
  const control = {
    holding: false,
    /** Resolves once the server's answer to the held page query is here. */
    held: () =>
      new Promise<void>((resolve) => {
        if (kept) resolve();
        else onKept = resolve;
      }),
    release() {
      const deliver = kept;
      kept = null;
      deliver?.();
    },
    push(event: Json) {
      if (!live) throw new Error('The live subscription was not started');
      results.next(makeResult(live, { data: { collectiveActivity: event } }));
    },
    exchange: (() => (operations$) => {
      pipe(
        operations$,
        subscribe((operation) => {
          if (operation.kind === 'teardown') return;
          if (operation.kind === 'subscription') {
            live = operation;
            return;
          }
          const hold = control.holding && operation.kind === 'query';
          void fetch(`${url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ query: print(operation.query), variables: operation.variables }),
          })
            .then((response) => response.json())
            .then((body) => {
              const deliver = () => results.next(makeResult(operation, body));
              if (!hold) return deliver();
              kept = deliver;
              onKept?.();
            });
        }),
      );
      return results.source;
    }) as Exchange,
  };
  return control;
}

/** Every answer the page query gets, and a way to await the first one that passes a test. */
function watch(client: Client, slug: string) {
  const seen: OperationResult[] = [];
  const waiting: { test(result: OperationResult): boolean; resolve(result: OperationResult): void }[] = [];
  const { unsubscribe } = client.query(PAGE, { slug }).subscribe((result) => {
    seen.push(result);
    for (const waiter of [...waiting])
      if (waiter.test(result)) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.resolve(result);
      }
  });
  const next = (test: (result: OperationResult) => boolean, from = seen.length) =>
    new Promise<OperationResult>((resolve) => {
      const found = seen.slice(from).find(test);
      if (found) resolve(found);
      else waiting.push({ test, resolve });
    });
  return { seen, next, unsubscribe };
}

const collectiveOf = (result: OperationResult) => (result.data as Json)?.collective;

describe('The web app’s cache with live changes', () => {
  it('should show the collective, not « not found », when a change comes live while its page refetches', async () => {
    const camille = await makeMember(t.db.prisma, { ...SUPPORT_STAFF, firstName: 'Camille', lastName: 'Martin' });
    const collective = await makeCollective(t.db.prisma, { animatorId: camille.id });
    const collectiveId = gid('Collective', collective.id);
    const token = await t.tokenFor(camille.id);
    const network = gate(token);
    const client = new Client({ url: `${url}/graphql`, exchanges: [refetchingCache(createCache()), network.exchange] });
    const page = watch(client, collective.slug);
    const live = client.subscription(LIVE, { collectiveId }).subscribe(() => {});
    await page.next((result) => collectiveOf(result)?.id === collectiveId && !result.stale);

    // The page refetches (its answer held), then a change is made from the page (its answer comes at once)…
    network.holding = true;
    client.query(PAGE, { slug: collective.slug }, { requestPolicy: 'network-only' }).toPromise();
    await network.held();
    network.holding = false;
    const purpose = 'Une nouvelle raison d’être.';
    const updated = await client.mutation(UPDATE, { input: { id: collectiveId, purpose } }).toPromise();
    expect(updated.data?.updateCollective.__typename).toBe('MutationUpdateCollectiveSuccess');
    // …and the change comes live (the event the server logged), before the refetch's answer.
    const logged = await t.gql(LAST_EVENT, { collectiveId }, token);
    const event = logged.data?.activity.edges[0].node;
    expect(event.type).toBe('collective.updated');
    const from = page.seen.length;
    network.push(event);
    network.release();

    // Never a collective-less answer given as final, and the page ends on the collective as changed.
    const settled = await page.next((result) => !result.stale, from);
    const shown = page.seen.slice(from);
    expect(shown.filter((result) => collectiveOf(result) === null && !result.stale)).toEqual([]);
    const final = collectiveOf(settled) ? settled : await page.next((result) => !result.stale && !!collectiveOf(result), from);
    expect(collectiveOf(final)).toMatchObject({ id: collectiveId, purpose });
    page.unsubscribe();
    live.unsubscribe();
  });

  it('should refetch a page whose answer, read before a change that comes live while it is in flight, reads back whole', async () => {
    // graphcache puts a live event's writes under the layer of a query still in flight, so the query's late answer
    // (read by the server before the change) reads back complete over the event's invalidation. graphcache then
    // means to refetch it, but the urql client drops its `cache-first` re-send of a query in flight: the page kept
    // the text from before the change, as final, until something else refetched it.
    const camille = await makeMember(t.db.prisma, { ...SUPPORT_STAFF, firstName: 'Camille', lastName: 'Martin' });
    const collective = await makeCollective(t.db.prisma, { animatorId: camille.id });
    const collectiveId = gid('Collective', collective.id);
    const token = await t.tokenFor(camille.id);
    const network = gate(token);
    const client = new Client({ url: `${url}/graphql`, exchanges: [refetchingCache(createCache()), network.exchange] });
    const page = watch(client, collective.slug);
    const live = client.subscription(LIVE, { collectiveId }).subscribe(() => {});
    const first = await page.next((result) => collectiveOf(result)?.id === collectiveId && !result.stale);
    const before = collectiveOf(first).purpose;

    // The page refetches; the server answers at once (before the change) but the answer is held on its way…
    network.holding = true;
    client.query(PAGE, { slug: collective.slug }, { requestPolicy: 'network-only' }).toPromise();
    await network.held();
    network.holding = false;
    // …someone else changes the collective (not through this page), and the change comes live first.
    const purpose = 'Changée par une autre personne pendant le chargement.';
    const updated = await t.gql(UPDATE, { input: { id: collectiveId, purpose } }, token);
    expect(updated.data?.updateCollective.__typename).toBe('MutationUpdateCollectiveSuccess');
    const logged = await t.gql(LAST_EVENT, { collectiveId }, token);
    const event = logged.data?.activity.edges[0].node;
    expect(event.type).toBe('collective.updated');
    const from = page.seen.length;
    network.push(event);
    network.release();

    // The held answer may show a moment (as stale, being refetched), but the first answer given as final is the change.
    const settled = await page.next((result) => !result.stale && !!collectiveOf(result), from);
    expect(before).not.toBe(purpose);
    expect(collectiveOf(settled)).toMatchObject({ id: collectiveId, purpose });
    page.unsubscribe();
    live.unsubscribe();
  });
});
