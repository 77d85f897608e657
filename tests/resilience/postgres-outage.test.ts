import { describe, expect, it } from 'vitest';
import { CollabClient, holdsTyped, textOf, typedBy, typeInto } from '../support/collab.js';
import { subscribe } from '../support/live.js';
import {
  ACTIVITY,
  activityOnBoth,
  alive,
  editorsOnBoth,
  expectEveryEventOnce,
  logged,
  loggedSince,
  observedClient,
  post,
  printOutputOnFailure,
  readiness,
  twoInstances,
  twoMembers,
  UPDATE,
  until,
} from './support.js';

const CREATE = /* GraphQL */ `
  mutation($name: String!) { createCollective(input: { name: $name, kind: COMMONS, purpose: "Tenir bon." }) { __typename } }
`;

/**
 * PostgreSQL stopped for several seconds, then started again, under two real server processes sharing it and
 * Redis, with subscribers (graphql-ws and SSE), two editors and mutations live.
 */
describe('PostgreSQL outage', () => {
  // A short poll so that recovery does not wait for a notification.
  const instances = twoInstances({ EVENT_POLL_MS: '200' });

  it('should keep every instance up, answer UNAVAILABLE (503) meanwhile, close sockets with 1013, and lose nothing', async () => {
    const { postgres, a, b, db } = instances;
    printOutputOnFailure(instances, 8000);
    const members = await twoMembers(db);
    const { collective, section, collectiveId, token } = members;
    // Subscribers on both instances and both transports, from the same position.
    const { head, onA, onB } = await activityOnBoth(instances, members);
    // Two editors of one section, one per instance.
    const { alice, bob } = await editorsOnBoth(instances, members);
    // A socket authenticated before the outage, to subscribe during it.
    const early = observedClient(b.url, token);
    await early.connected;

    let acknowledged = 0;
    for (let i = 0; i < 3; i += 1) {
      const answer = await post(a.url, UPDATE, { id: collectiveId, p: `Avant ${i}` }, token);
      expect(answer.body.data?.updateCollective.__typename).toBe('MutationUpdateCollectiveSuccess');
      acknowledged += 1;
    }
    for (let i = 0; i < 10; i += 1) typeInto(i % 2 ? alice : bob, `avant${i} `);
    await Promise.all([alice.settled(), bob.settled(), onA.inbox.waitFor(3), onB.inbox.waitFor(3)]);
    expect(alice.rejected).toEqual([]);

    // ── The outage ──
    const fromA = a.output().length;
    const fromB = b.output().length;
    await readiness([a, b], true);
    await postgres.stop();
    const stoppedAt = Date.now();
    // Both instances say they cannot serve now (a load balancer stops sending work), while staying alive.
    await readiness([a, b], false);

    // A mutation meets it: a typed, retryable error with 503, never "Unexpected error".
    const refused = await post(a.url, UPDATE, { id: collectiveId, p: 'Pendant' }, token);
    expect(refused.status).toBe(503);
    expect(refused.code).toBe('UNAVAILABLE');
    expect(JSON.stringify(refused.body)).not.toContain('Unexpected error');
    const firstUnavailableAt = Date.now();
    // A creation sent with an idempotency key meets it: its outcome is unknown to the caller, who will retry.
    const key = { 'idempotency-key': 'creation-pendant-la-panne' };
    const creation = await post(a.url, CREATE, { name: 'Collectif résistant' }, token, key);
    expect([creation.status, creation.code]).toEqual([503, 'UNAVAILABLE']);
    // A query, on the other instance, too.
    const query = await post(b.url, '{ viewer { id } }', {}, token);
    expect([query.status, query.code]).toEqual([503, 'UNAVAILABLE']);

    // A socket whose connection_init meets the outage is closed with 1013 (retried by clients), not 4500.
    const late = observedClient(a.url, token);
    await until(
      () => late.closes.length > 0,
      () => 'the late socket to close',
    );
    expect(late.closes).toEqual([1013]);
    // A subscribe on a socket opened before meets it too: 1013.
    const lateSubscription = subscribe(early.client, ACTIVITY, { id: collectiveId, after: head.toString() });
    await lateSubscription.inbox.waitForEnd(30_000);
    await until(
      () => early.closes.length > 0,
      () => 'the early socket to close',
    );
    expect(early.closes).toEqual([1013]);

    // Both instances notice (their event-log poll fails) and stay up; editors keep typing offline meanwhile.
    await Promise.all([logged(a, /event log cannot be read/, fromA), logged(b, /event log cannot be read/, fromB)]);
    for (let i = 0; i < 6; i += 1) typeInto(i % 2 ? alice : bob, `pendant${i} `);
    // Several seconds of outage, during which callers keep getting UNAVAILABLE.
    let unavailableAnswers = 1;
    while (Date.now() - stoppedAt < 4_000) {
      const answer = await post(a.url, UPDATE, { id: collectiveId, p: 'Encore' }, token);
      expect([answer.status, answer.code]).toEqual([503, 'UNAVAILABLE']);
      unavailableAnswers += 1;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(alive(a) && alive(b)).toBe(true);

    // ── Back ──
    await postgres.start();
    const restartedAt = Date.now();
    await readiness([a, b], true);
    const readyAfterMs = Date.now() - restartedAt;
    // Callers retry until it works; then every further mutation is acknowledged.
    const recovered = await until(
      async () => {
        const answer = await post(a.url, UPDATE, { id: collectiveId, p: 'Après 0' }, token);
        if (answer.code === 'UNAVAILABLE') return null;
        return answer;
      },
      () => 'a mutation to succeed after the restart',
    );
    expect(recovered.body.data?.updateCollective.__typename).toBe('MutationUpdateCollectiveSuccess');
    const lastUnavailableWindowMs = Date.now() - firstUnavailableAt;
    // The creation is retried with its key until acknowledged, then once more (its answer "lost"): one collective.
    const created = await until(
      async () => {
        const answer = await post(b.url, CREATE, { name: 'Collectif résistant' }, token, key);
        return answer.code === 'UNAVAILABLE' ? null : answer;
      },
      () => 'the creation to be acknowledged',
    );
    expect(created.body.data?.createCollective.__typename).toBe('MutationCreateCollectiveSuccess');
    const replayed = await post(a.url, CREATE, { name: 'Collectif résistant' }, token, key);
    expect(replayed.body.data).toEqual(created.body.data);
    expect(replayed.body.extensions).toMatchObject({ idempotentReplay: true });
    expect(await db.prisma.collective.count({ where: { name: 'Collectif résistant' } })).toBe(1);
    acknowledged += 1;
    for (let i = 1; i < 3; i += 1) {
      const answer = await post(b.url, UPDATE, { id: collectiveId, p: `Après ${i}` }, token);
      expect(answer.body.data?.updateCollective.__typename).toBe('MutationUpdateCollectiveSuccess');
      acknowledged += 1;
    }
    await Promise.all([logged(a, /delivery resumed/, fromA), logged(b, /delivery resumed/, fromB)]);

    // Subscribers that stayed connected resume where they were: every event once, in order.
    const logged_ = await loggedSince(db, collective.id, head);
    const expected = logged_.filter((row) => row.type === 'collective.updated').map((row) => row.position.toString());
    expect(expected).toHaveLength(acknowledged);
    await expectEveryEventOnce([onA.inbox, onB.inbox], logged_);

    // Editors reconnect (as the web editor does after 1013 or a failed push) and hand over what they typed.
    await Promise.all([alice.abandon(), bob.abandon()]);
    await Promise.all([alice.connect(), bob.connect()]);
    await Promise.all([alice.settled(), bob.settled()]);
    // Everything each editor typed (its own client's clock) is stored: a fresh reader holds it all.
    const typed = typedBy(alice, bob);
    const reader = new CollabClient(b.url, token, section.id);
    await reader.connect();
    await until(
      () => holdsTyped(reader.doc, typed),
      () => `the reader to hold ${JSON.stringify([...typed])}: ${textOf(reader.body)}`,
    );
    for (const word of [
      ...Array.from({ length: 10 }, (_, i) => `avant${i}`),
      ...Array.from({ length: 6 }, (_, i) => `pendant${i}`),
    ])
      expect(textOf(reader.body)).toContain(word);
    await reader.abandon();
    await Promise.all([alice.abandon(), bob.abandon()]);

    expect(alive(a) && alive(b)).toBe(true);
    expect(`${a.output()}${b.output()}`).not.toMatch(/Unhandled promise rejection|Uncaught exception/);
    process.stdout.write(
      `PostgreSQL outage: stopped ${restartedAt - stoppedAt} ms; callers saw UNAVAILABLE for ${lastUnavailableWindowMs} ms ` +
        `(${unavailableAnswers} answers); /ready true ${readyAfterMs} ms after pg_isready; lost 0\n`,
    );
  }, 240_000);
});
