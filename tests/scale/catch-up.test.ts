import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { editorsOnBoth, post, printOutputOnFailure, twoInstances, twoMembers, until } from '../resilience/support.js';
import { textOf, typeInto } from '../support/collab.js';
import { gid } from '../support/scenario.js';

// Issue 10 item 5: the pub/sub message for a section update is a hint. Redis (a throwaway one, never the shared
// 6379) stops for a few seconds while editors on two instances type; every acknowledged edit is stored meanwhile
// but its hint is lost. After Redis returns, each instance notices the gap (sequence numbers and a watermark every
// second) and reconciles with the database by state vector, so every editor and every `content` answer converge.
//
// Bound stated: every acknowledged edit reaches every editor within CATCH_UP_BOUND_MS of Redis answering again
// (watermark period 1 s + ioredis reconnect back-off ≤ 2 s + one reconciliation; ≈ 1–3 s on a quiet machine,
// the margin is for this shared, loaded one).
const CATCH_UP_BOUND_MS = 15_000;

const CONTENT = /* GraphQL */ `query($id: ID!) { node(id: $id) { ... on TenderSection { content { markdown } } } }`;

/** Whether `doc` holds everything `other` wrote (its own client's clock). */
const holds = (doc: Y.Doc, other: Y.Doc) => Y.getState(doc.store, other.clientID) >= Y.getState(other.store, other.clientID);

describe('Cross-instance catch-up', () => {
  const instances = twoInstances();

  it('should bring every acknowledged edit to every editor and content answer after Redis was away', async () => {
    const { redis, a, b, db } = instances;
    printOutputOnFailure(instances, 6000);
    const members = await twoMembers(db);
    const { section, token, otherToken } = members;
    const { alice, bob } = await editorsOnBoth(instances, members);

    // Before: hints flow through Redis.
    typeInto(alice, 'avant ');
    await alice.settled();
    await until(
      () => holds(bob.doc, alice.doc),
      () => 'bob to receive alice’s first words through Redis',
    );
    typeInto(bob, 'ensemble ');
    await bob.settled();
    await until(
      () => holds(alice.doc, bob.doc),
      () => 'alice to receive bob’s first words through Redis',
    );

    // Redis away: both keep typing; every push is acknowledged (stored), its hint lost.
    await redis.stop();
    for (let i = 0; i < 8; i += 1) {
      typeInto(alice, `alice${i} `);
      typeInto(bob, `bob${i} `);
      await Promise.all([alice.settled(), bob.settled()]);
    }
    expect([...alice.rejected, ...bob.rejected]).toEqual([]);
    expect(alice.unacknowledged + bob.unacknowledged).toBe(0);

    // Back: measured from Redis answering PING to every editor holding every acknowledged edit.
    await redis.start();
    const back = Date.now();
    await until(
      () => holds(alice.doc, bob.doc) && holds(bob.doc, alice.doc),
      () => `both editors to hold every edit: alice "${textOf(alice.body)}", bob "${textOf(bob.body)}"`,
    );
    const caughtUpMs = Date.now() - back;
    expect(textOf(alice.body)).toBe(textOf(bob.body));
    for (let i = 0; i < 8; i += 1) {
      expect(textOf(alice.body)).toContain(`bob${i}`);
      expect(textOf(bob.body)).toContain(`alice${i}`);
    }
    // Each instance's `content` (read from its in-memory document) agrees with the editors.
    const markdown = async (url: string, bearer: string) =>
      (await post(url, CONTENT, { id: gid('TenderSection', section.id) }, bearer)).body.data?.node?.content?.markdown;
    const [fromA, fromB] = await Promise.all([markdown(a.url, token), markdown(b.url, otherToken)]);
    expect(fromA).toBe(fromB);
    expect(fromA).toContain('alice7');
    expect(fromA).toContain('bob7');
    expect(caughtUpMs).toBeLessThan(CATCH_UP_BOUND_MS);
    process.stdout.write(`Catch-up after Redis returned: ${caughtUpMs} ms (bound ${CATCH_UP_BOUND_MS} ms)\n`);
    await Promise.all([alice.disconnect(), bob.disconnect()]);
  }, 240_000);
});
