import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CollabClient, holdsTyped, textOf, typedBy, typeInto } from '../support/collab.js';
import type { ServerProcess } from '../support/processes.js';
import {
  activityOnBoth,
  alive,
  editorsOnBoth,
  expectEveryEventOnce,
  loggedSince,
  post,
  printOutputOnFailure,
  readiness,
  twoInstances,
  twoMembers,
  UPDATE,
  until,
} from './support.js';

/**
 * Redis (the pub/sub between instances) stopped, then started again empty, under two real server processes
 * with subscribers, editors and mutations live: nothing crashes, the log poll keeps events flowing, and
 * notifications through Redis resume.
 */
describe('Redis outage', () => {
  const instances = twoInstances({ EVENT_POLL_MS: '200' });

  it('should keep every instance up, deliver every event once through the log, and keep every acknowledged edit', async () => {
    const { redis, a, b, db } = instances;
    printOutputOnFailure(instances, 8000);
    const members = await twoMembers(db);
    const { collective, section, collectiveId, token } = members;
    const { head, onA, onB } = await activityOnBoth(instances, members);
    const { alice, bob } = await editorsOnBoth(instances, members);

    let acknowledged = 0;
    const change = async (server: ServerProcess, purpose: string) => {
      const answer = await post(server.url, UPDATE, { id: collectiveId, p: purpose }, token);
      expect(answer.body.data?.updateCollective.__typename).toBe('MutationUpdateCollectiveSuccess');
      acknowledged += 1;
    };
    await change(a, 'Avant');
    typeInto(alice, 'avant ');
    await Promise.all([alice.settled(), onA.inbox.waitFor(1), onB.inbox.waitFor(1)]);

    // ── The outage ── The database still answers: mutations and edits are acknowledged meanwhile.
    await readiness([a, b], true);
    await redis.stop();
    await readiness([a, b], false);
    for (let i = 0; i < 5; i += 1) await change(i % 2 ? a : b, `Pendant ${i}`);
    for (let i = 0; i < 6; i += 1) typeInto(i % 2 ? alice : bob, `pendant${i} `);
    await Promise.all([alice.settled(), bob.settled()]);
    expect([...alice.rejected, ...bob.rejected]).toEqual([]);
    // Subscribers of both instances get them through the log poll.
    await Promise.all([onA.inbox.waitFor(1 + 5), onB.inbox.waitFor(1 + 5)]);
    expect(alive(a) && alive(b)).toBe(true);

    // ── Back (empty, as a pub/sub-only Redis restarts) ──
    await redis.start();
    await readiness([a, b], true);
    for (let i = 0; i < 3; i += 1) await change(i % 2 ? a : b, `Après ${i}`);

    const logged = await loggedSince(db, collective.id, head);
    expect(logged.filter((row) => row.type === 'collective.updated')).toHaveLength(acknowledged);
    await expectEveryEventOnce([onA.inbox, onB.inbox], logged);

    // Every acknowledged edit is stored: a fresh reader on either instance holds what both typed.
    const typed = typedBy(alice, bob);
    for (const server of [a, b]) {
      const reader = new CollabClient(server.url, token, section.id);
      await reader.connect();
      await until(
        () => holdsTyped(reader.doc, typed),
        () => `a reader on ${server.url} to hold every acknowledged edit: ${textOf(reader.body)}`,
      );
      await reader.abandon();
    }
    // And the editors themselves converge once Redis carries updates again.
    typeInto(bob, 'fin ');
    await bob.settled();
    await until(
      () => Y.getState(alice.doc.store, bob.doc.clientID) >= Y.getState(bob.doc.store, bob.doc.clientID),
      () => "alice to receive bob's edit through Redis",
    );
    await Promise.all([alice.abandon(), bob.abandon()]);

    expect(alive(a) && alive(b)).toBe(true);
    expect(`${a.output()}${b.output()}`).not.toMatch(/Unhandled promise rejection|Uncaught exception/);
  }, 240_000);
});

/**
 * Redis away with the log poll out of the way (`EVENT_POLL_MS` of 10 minutes): an instance's own changes still reach
 * its own subscribers, read when announced, not when their notification comes back through Redis (they waited for
 * the poll); the other instance's catch up with its next notification once Redis is back.
 */
describe('Redis away, without the poll', () => {
  const instances = twoInstances({ EVENT_POLL_MS: '600000' });

  it('should deliver each instance’s own changes to its own subscribers, then everything to everyone once Redis is back', async () => {
    const { redis, a, b, db } = instances;
    printOutputOnFailure(instances, 8000);
    const members = await twoMembers(db);
    const { collective, collectiveId, token } = members;
    const { head, onA, onB } = await activityOnBoth(instances, members);
    const change = async (server: ServerProcess, purpose: string) => {
      const answer = await post(server.url, UPDATE, { id: collectiveId, p: purpose }, token);
      expect(answer.body.data?.updateCollective.__typename).toBe('MutationUpdateCollectiveSuccess');
    };
    await change(a, 'Avant');
    await Promise.all([onA.inbox.waitFor(1), onB.inbox.waitFor(1)]);

    await readiness([a, b], true);
    await redis.stop();
    await readiness([a, b], false);
    // A's change reaches A's subscriber; B's change reaches B's, after A's (B reads the log past what it delivered).
    await change(a, 'Pendant A');
    await onA.inbox.waitFor(2);
    await change(b, 'Pendant B');
    await onB.inbox.waitFor(3);
    expect(onA.inbox.received).toHaveLength(2);

    await redis.start();
    await readiness([a, b], true);
    await change(a, 'Après');
    const logged = await loggedSince(db, collective.id, head);
    expect(logged).toHaveLength(4);
    await expectEveryEventOnce([onA.inbox, onB.inbox], logged);
    expect(alive(a) && alive(b)).toBe(true);
  }, 240_000);
});
