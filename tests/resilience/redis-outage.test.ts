import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import * as Y from 'yjs';
import { openSession } from '../../server/src/auth/sessions.js';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { CollabClient, sectionScenario, textOf } from '../support/collab.js';
import { type Inbox, sseSubscribe, subscribe, wsClient } from '../support/live.js';
import { type ServerProcess, startServerProcess } from '../support/processes.js';
import { gid } from '../support/scenario.js';
import { type PostgresService, type Service, startPostgres, startRedis } from '../support/services.js';
import { alive, post, readiness, until } from './support.js';

const ACTIVITY = /* GraphQL */ `
  subscription($id: ID!, $after: String) { collectiveActivity(collectiveId: $id, after: $after) { ... on ActivityEvent { position type } } }
`;
const UPDATE = /* GraphQL */ `
  mutation($id: ID!, $p: String!) { updateCollective(input: { id: $id, purpose: $p }) { __typename } }
`;

function type(client: CollabClient, words: string): void {
  const body = client.body;
  if (body.length === 0) body.insert(0, [new Y.XmlElement('paragraph')]);
  const paragraph = body.get(0) as Y.XmlElement;
  if (paragraph.length === 0) paragraph.insert(0, [new Y.XmlText()]);
  const text = paragraph.get(0) as Y.XmlText;
  text.insert(text.length, words);
}

const positions = (inbox: Inbox): string[] => inbox.received.map((message) => message.collectiveActivity.position as string);

/**
 * Redis (the pub/sub between instances) stopped, then started again empty, under two real server processes
 * with subscribers, editors and mutations live: nothing crashes, the log poll keeps events flowing, and
 * notifications through Redis resume.
 */
describe('Redis outage', () => {
  let postgres: PostgresService;
  let redis: Service;
  let a: ServerProcess;
  let b: ServerProcess;
  let db: Database;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    const url = await postgres.createDatabase();
    const env = { DATABASE_URL: url, REDIS_URL: redis.url, EVENT_POLL_MS: '200', LOG_LEVEL: 'info' };
    a = await startServerProcess(env);
    b = await startServerProcess(env);
    db = await openDatabase({ databaseUrl: url });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await db?.close();
    await Promise.all([postgres?.dispose(), redis?.dispose()]);
  });

  it('should keep every instance up, deliver every event once through the log, and keep every acknowledged edit', async () => {
    onTestFailed(() => {
      process.stderr.write(`--- A\n${a.output().slice(-8000)}\n--- B\n${b.output().slice(-8000)}\n`);
    });
    const { members, collective, section } = await sectionScenario(db.prisma, { members: 2 });
    const [animator, other] = members as [(typeof members)[0], (typeof members)[0]];
    const { token } = await openSession(db.prisma, animator.id, 3_600_000);
    const { token: otherToken } = await openSession(db.prisma, other.id, 3_600_000);
    const collectiveId = gid('Collective', collective.id);
    const head = (await db.prisma.eventLog.findFirst({ orderBy: { position: 'desc' } }))?.position ?? 0n;
    const onB = subscribe(wsClient(b.url, token), ACTIVITY, { id: collectiveId, after: head.toString() });
    const onA = sseSubscribe(a.url, otherToken, ACTIVITY, { id: collectiveId, after: head.toString() });
    const alice = new CollabClient(a.url, token, section.id);
    const bob = new CollabClient(b.url, otherToken, section.id);
    await Promise.all([alice.connect(), bob.connect()]);

    let acknowledged = 0;
    const change = async (server: ServerProcess, purpose: string) => {
      const answer = await post(server.url, UPDATE, { id: collectiveId, p: purpose }, token);
      expect(answer.body.data?.updateCollective.__typename).toBe('MutationUpdateCollectiveSuccess');
      acknowledged += 1;
    };
    await change(a, 'Avant');
    type(alice, 'avant ');
    await Promise.all([alice.settled(), onA.inbox.waitFor(1, 30_000), onB.inbox.waitFor(1, 30_000)]);

    // ── The outage ── The database still answers: mutations and edits are acknowledged meanwhile.
    await readiness([a, b], true);
    await redis.stop();
    await readiness([a, b], false);
    for (let i = 0; i < 5; i += 1) await change(i % 2 ? a : b, `Pendant ${i}`);
    for (let i = 0; i < 6; i += 1) type(i % 2 ? alice : bob, `pendant${i} `);
    await Promise.all([alice.settled(), bob.settled()]);
    expect([...alice.rejected, ...bob.rejected]).toEqual([]);
    // Subscribers of both instances get them through the log poll.
    await Promise.all([onA.inbox.waitFor(1 + 5, 30_000), onB.inbox.waitFor(1 + 5, 30_000)]);
    expect(alive(a) && alive(b)).toBe(true);

    // ── Back (empty, as a pub/sub-only Redis restarts) ──
    await redis.start();
    await readiness([a, b], true);
    for (let i = 0; i < 3; i += 1) await change(i % 2 ? a : b, `Après ${i}`);

    const logged = await db.prisma.eventLog.findMany({
      where: { collectiveId: collective.id, position: { gt: head } },
      orderBy: { position: 'asc' },
    });
    expect(logged.filter((row) => row.type === 'collective.updated')).toHaveLength(acknowledged);
    await Promise.all([onA.inbox.waitFor(logged.length, 30_000), onB.inbox.waitFor(logged.length, 30_000)]);
    expect(positions(onA.inbox)).toEqual(logged.map((row) => row.position.toString()));
    expect(positions(onB.inbox)).toEqual(logged.map((row) => row.position.toString()));
    expect([...onA.inbox.errors, ...onB.inbox.errors]).toEqual([]);

    // Every acknowledged edit is stored: a fresh reader on either instance holds what both typed.
    const typed = new Map([
      [alice.doc.clientID, Y.getState(alice.doc.store, alice.doc.clientID)],
      [bob.doc.clientID, Y.getState(bob.doc.store, bob.doc.clientID)],
    ]);
    for (const server of [a, b]) {
      const reader = new CollabClient(server.url, token, section.id);
      await reader.connect();
      await until(
        () => [...typed].every(([client, clock]) => Y.getState(reader.doc.store, client) >= clock),
        () => `a reader on ${server.url} to hold every acknowledged edit: ${textOf(reader.body)}`,
      );
      await reader.abandon();
    }
    // And the editors themselves converge once Redis carries updates again.
    type(bob, 'fin ');
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
