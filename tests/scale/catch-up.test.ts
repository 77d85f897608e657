import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import * as Y from 'yjs';
import { openSession } from '../../server/src/auth/sessions.js';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { post, until } from '../resilience/support.js';
import { CollabClient, sectionScenario, textOf } from '../support/collab.js';
import { type ServerProcess, startServerProcess } from '../support/processes.js';
import { gid } from '../support/scenario.js';
import { type PostgresService, type Service, startPostgres, startRedis } from '../support/services.js';

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

function type(client: CollabClient, words: string): void {
  const body = client.body;
  if (body.length === 0) body.insert(0, [new Y.XmlElement('paragraph')]);
  const paragraph = body.get(0) as Y.XmlElement;
  if (paragraph.length === 0) paragraph.insert(0, [new Y.XmlText()]);
  const text = paragraph.get(0) as Y.XmlText;
  text.insert(text.length, words);
}

/** Whether `doc` holds everything `other` wrote (its own client's clock). */
const holds = (doc: Y.Doc, other: Y.Doc) => Y.getState(doc.store, other.clientID) >= Y.getState(other.store, other.clientID);

describe('Cross-instance catch-up', () => {
  let postgres: PostgresService;
  let redis: Service;
  let a: ServerProcess;
  let b: ServerProcess;
  let db: Database;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    const url = await postgres.createDatabase();
    const env = { DATABASE_URL: url, REDIS_URL: redis.url, LOG_LEVEL: 'info' };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    db = await openDatabase({ databaseUrl: url });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await db?.close();
    await Promise.all([postgres?.dispose(), redis?.dispose()]);
  });

  it('should bring every acknowledged edit to every editor and content answer after Redis was away', async () => {
    onTestFailed(() => {
      process.stderr.write(`--- A\n${a.output().slice(-6000)}\n--- B\n${b.output().slice(-6000)}\n`);
    });
    const { members, section } = await sectionScenario(db.prisma, { members: 2 });
    const [first, second] = members as [(typeof members)[0], (typeof members)[0]];
    const { token } = await openSession(db.prisma, first.id, 3_600_000);
    const { token: otherToken } = await openSession(db.prisma, second.id, 3_600_000);
    const alice = new CollabClient(a.url, token, section.id);
    const bob = new CollabClient(b.url, otherToken, section.id);
    await Promise.all([alice.connect(), bob.connect()]);

    // Before: hints flow through Redis.
    type(alice, 'avant ');
    await alice.settled();
    await until(
      () => holds(bob.doc, alice.doc),
      () => 'bob to receive alice’s first words through Redis',
    );
    type(bob, 'ensemble ');
    await bob.settled();
    await until(
      () => holds(alice.doc, bob.doc),
      () => 'alice to receive bob’s first words through Redis',
    );

    // Redis away: both keep typing; every push is acknowledged (stored), its hint lost.
    await redis.stop();
    for (let i = 0; i < 8; i += 1) {
      type(alice, `alice${i} `);
      type(bob, `bob${i} `);
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
