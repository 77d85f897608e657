import { print } from 'graphql';
import { Client, type Exchange, makeResult, type Operation, type OperationResult } from 'urql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSubject, pipe, subscribe } from 'wonka';
import { createCache, refetchingCache } from '../../client/src/client.js';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { sectionScenario } from '../support/collab.js';
import { gid } from '../support/scenario.js';

// A section's recount (`tenderSection.figuresChanged`) comes every half second while someone types. The web app's
// cache used to invalidate the section at each one, so every page showing it re-queried the server (the response
// editor: the whole response, its settings, its versions, on every co-author's page): on the embedded database that
// work kept the co-authors' keystrokes waiting (issue 11, browser benchmark). Its figures are in the event: written
// into the cache, no query sent; a section with an approval (its staleness is not in the event) is still re-queried.
// Counted in queries sent to the real server, never timed.

const PAGE = `query SectionFigures($id: ID!) {
  node(id: $id) {
    __typename
    id
    ... on TenderSection { wordCount characterCount isOverLimit approval { approvedAt isStale } }
  }
}`;
const LIVE = `subscription Activity($collectiveId: ID!) {
  collectiveActivity(collectiveId: $collectiveId) {
    __typename
    ... on ActivityEvent { position type createdAt subjectId collectiveId payload }
  }
}`;

let t: TestApp;
let url: string;
beforeAll(async () => {
  t = await createTestApp();
  url = await t.app.start();
});
afterAll(() => t.close());

/** The network end of the test's client: queries to the real server over HTTP (counted); live events from `push`. */
function network(token: string) {
  const results = makeSubject<OperationResult>();
  let live: Operation | null = null;
  const control = {
    queriesSent: 0,
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
          if (operation.kind === 'query') control.queriesSent += 1;
          void fetch(`${url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ query: print(operation.query), variables: operation.variables }),
          })
            .then((response) => response.json())
            .then((body) => results.next(makeResult(operation, body)));
        }),
      );
      return results.source;
    }) as Exchange,
  };
  return control;
}

/** A section's page in a client with the app's cache, loaded; `next` awaits its next answer given as final. */
async function sectionPage(options: { approved: boolean }) {
  const { members, collective, section } = await sectionScenario(t.db.prisma);
  const animator = members[0] as { id: string };
  if (options.approved)
    await t.db.prisma.sectionApproval.create({ data: { sectionId: section.id, reviewerId: animator.id, contentHash: 'x' } });
  const token = await t.tokenFor(animator.id);
  const net = network(token);
  const client = new Client({ url: `${url}/graphql`, exchanges: [refetchingCache(createCache()), net.exchange] });
  const seen: OperationResult[] = [];
  const waiting: { from: number; resolve(result: OperationResult): void }[] = [];
  const sectionId = gid('TenderSection', section.id);
  const page = client.query(PAGE, { id: sectionId }).subscribe((result) => {
    seen.push(result);
    for (const waiter of [...waiting])
      if (!result.stale && seen.length > waiter.from) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.resolve(result);
      }
  });
  const next = (from = seen.length) =>
    new Promise<OperationResult>((resolve) => {
      const found = seen.slice(from).find((result) => !result.stale);
      if (found) resolve(found);
      else waiting.push({ from, resolve });
    });
  const collectiveId = gid('Collective', collective.id);
  const live = client.subscription(LIVE, { collectiveId }).subscribe(() => {});
  const loaded = await next(0);
  expect((loaded.data as Json)?.node).toMatchObject({ id: sectionId, wordCount: 0, isOverLimit: false });
  /** The recount event the server logs for the section (as `SectionActivity.settle` records it). */
  const recount = (wordCount: number, isOverLimit = false): Json => ({
    __typename: 'ActivityEvent',
    position: String(1_000_000 + wordCount),
    type: 'tenderSection.figuresChanged',
    createdAt: new Date().toISOString(),
    subjectId: sectionId,
    collectiveId,
    payload: {
      responseId: gid('TenderResponse', section.responseId),
      wordCount,
      characterCount: wordCount * 6,
      wordLimit: null,
      characterLimit: null,
      isOverLimit,
    },
  });
  const close = () => {
    page.unsubscribe();
    live.unsubscribe();
  };
  return { net, seen, next, recount, close };
}

describe('A section’s live figures in the web app’s cache', () => {
  it('should show a recount’s figures from the event, without querying the server again', async () => {
    const page = await sectionPage({ approved: false });
    expect(page.net.queriesSent).toBe(1);
    for (const words of [3, 7, 12]) {
      const from = page.seen.length;
      page.net.push(page.recount(words));
      const shown = await page.next(from);
      expect((shown.data as Json).node).toMatchObject({ wordCount: words, characterCount: words * 6, isOverLimit: false });
    }
    expect(page.net.queriesSent).toBe(1);
    page.close();
  });

  it('should query again a section whose recount may change more than its figures', async () => {
    // An approval's staleness is not in the event: the server says it.
    const approved = await sectionPage({ approved: true });
    let from = approved.seen.length;
    approved.net.push(approved.recount(5));
    const shown = await approved.next(from);
    expect(approved.net.queriesSent).toBe(2);
    expect((shown.data as Json).node.approval).toMatchObject({ isStale: true });
    approved.close();

    // Crossing the limit changes the response's checklist: queried again too.
    const plain = await sectionPage({ approved: false });
    from = plain.seen.length;
    plain.net.push(plain.recount(5, true));
    await plain.next(from);
    expect(plain.net.queriesSent).toBe(2);
    plain.close();
  });
});
