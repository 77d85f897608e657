import { randomBytes } from 'node:crypto';
import type { Client } from 'graphql-ws';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import * as Y from 'yjs';
import { openSession } from '../../server/src/auth/sessions.js';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { CollabClient, sectionScenario } from '../support/collab.js';
import { subscribe, wsClient } from '../support/live.js';
import { type ServerProcess, startServerProcess } from '../support/processes.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

// Scale-out needs the real services: PostgreSQL shared by both instances, Redis between them.
const { DATABASE_URL, REDIS_URL } = process.env;
const ready = Boolean(DATABASE_URL && REDIS_URL);
if (!ready) process.stderr.write('Scale-out suite skipped: set DATABASE_URL and REDIS_URL (see .ci/run).\n');

const ACTIVITY = /* GraphQL */ `
  subscription($id: ID!, $after: String) { collectiveActivity(collectiveId: $id, after: $after) { ... on ActivityEvent { position type payload } } }
`;

describe.skipIf(!ready)('Two instances sharing PostgreSQL and Redis', () => {
  const name = `collectifs_scale_${randomBytes(4).toString('hex')}`;
  let url: string;
  let db: Database;
  let a: ServerProcess;
  let b: ServerProcess;
  const clients: Client[] = [];

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const target = new URL(DATABASE_URL as string);
    target.pathname = `/${name}`;
    url = target.toString();
    // Both start at once: the migrator's advisory lock makes one migrate and the other wait.
    // Polling is pushed out of the way, so every delivery below went through Redis.
    const env = { DATABASE_URL: url, REDIS_URL: REDIS_URL as string, EVENT_POLL_MS: '600000' };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    db = await openDatabase({ databaseUrl: url });
  }, 120_000);

  // When a test fails, what the two servers printed is the first thing to read.
  const printServers = () =>
    onTestFailed(() => {
      process.stderr.write(`--- instance A\n${a?.output() ?? ''}\n--- instance B\n${b?.output() ?? ''}\n`);
    });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.close();
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });

  it('should deliver a change made through one instance to subscribers of both, once each, in order', async () => {
    printServers();
    const animator = await makeMember(db.prisma);
    const collective = await makeCollective(db.prisma, { animatorId: animator.id });
    const { token } = await openSession(db.prisma, animator.id, 3_600_000);
    const head = await db.prisma.eventLog.findFirst({ orderBy: { position: 'desc' } });
    const after = (head?.position ?? 0n).toString();
    const onA = wsClient(a.url, token);
    const onB = wsClient(b.url, token);
    clients.push(onA, onB);
    const seenOnA = subscribe(onA, ACTIVITY, { id: gid('Collective', collective.id), after });
    const seenOnB = subscribe(onB, ACTIVITY, { id: gid('Collective', collective.id), after });

    const changes = 25;
    for (let i = 0; i < changes; i += 1) {
      const response = await fetch(`${a.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: 'mutation($id: ID!, $p: String!) { updateCollective(input: { id: $id, purpose: $p }) { __typename } }',
          variables: { id: gid('Collective', collective.id), p: `Changement ${i}` },
        }),
      });
      expect((await response.json()).data.updateCollective.__typename).toBe('MutationUpdateCollectiveSuccess');
    }
    const logged = await db.prisma.eventLog.findMany({ where: { collectiveId: collective.id }, orderBy: { position: 'asc' } });
    expect(logged).toHaveLength(changes);
    for (const inbox of [seenOnA.inbox, seenOnB.inbox]) {
      const received = await inbox.waitFor(changes);
      expect(received.map((message) => message.collectiveActivity.position)).toEqual(
        logged.map((row) => row.position.toString()),
      );
    }
    // Once each: nothing more arrives after a further change is seen.
    await fetch(`${a.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: 'mutation($id: ID!) { updateCollective(input: { id: $id, purpose: "Dernier" }) { __typename } }',
        variables: { id: gid('Collective', collective.id) },
      }),
    });
    await seenOnB.inbox.waitFor(changes + 1);
    await seenOnA.inbox.waitFor(changes + 1);
    expect(seenOnB.inbox.received).toHaveLength(changes + 1);
    expect(seenOnA.inbox.received).toHaveLength(changes + 1);
  });

  it('should reach a subscriber of the other instance through Redis (the poll is off)', async () => {
    printServers();
    const animator = await makeMember(db.prisma);
    const collective = await makeCollective(db.prisma, { animatorId: animator.id });
    const { token } = await openSession(db.prisma, animator.id, 3_600_000);
    const onB = wsClient(b.url, token);
    clients.push(onB);
    const head = await db.prisma.eventLog.findFirst({ orderBy: { position: 'desc' } });
    const seen = subscribe(onB, ACTIVITY, { id: gid('Collective', collective.id), after: (head?.position ?? 0n).toString() });
    await fetch(`${a.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: 'mutation($id: ID!) { updateCollective(input: { id: $id, purpose: "Vite" }) { __typename } }',
        variables: { id: gid('Collective', collective.id) },
      }),
    });
    const [message] = await seen.inbox.waitFor(1);
    expect(message.collectiveActivity.type).toBe('collective.updated');
  });

  it('should make editors on both instances converge on one section, with the server’s copy', async () => {
    printServers();
    const { members, section } = await sectionScenario(db.prisma, { members: 4 });
    const editors = await Promise.all(
      members.map(async (member, index) => {
        const { token } = await openSession(db.prisma, member.id, 3_600_000);
        return new CollabClient(index % 2 === 0 ? a.url : b.url, token, section.id);
      }),
    );
    await Promise.all(editors.map((editor) => editor.connect()));
    for (let round = 0; round < 10; round += 1) {
      for (const [index, editor] of editors.entries()) {
        const body = editor.body;
        if (body.length === 0 || round % 4 === 0) {
          const paragraph = new Y.XmlElement('paragraph');
          paragraph.insert(0, [new Y.XmlText(`Éditeur ${index}, tour ${round}. `)]);
          body.insert(body.length, [paragraph]);
        } else {
          const text = (body.get(round % body.length) as Y.XmlElement).get(0) as Y.XmlText;
          text.insert(Math.min(text.length, round), `+${index}`);
          if (text.length > 4) text.format(0, 3, { bold: {} });
        }
      }
    }
    await Promise.all(editors.map((editor) => editor.settled()));
    const reference = () => Buffer.from(Y.encodeStateAsUpdate((editors[0] as CollabClient).doc));
    await until(
      () => editors.every((editor) => Buffer.from(Y.encodeStateAsUpdate(editor.doc)).equals(reference())),
      'the editors on two instances to converge',
    );
    const [snapshot, updates] = await Promise.all([
      db.prisma.sectionSnapshot.findUnique({ where: { sectionId: section.id } }),
      db.prisma.sectionUpdate.findMany({ where: { sectionId: section.id }, orderBy: { id: 'asc' } }),
    ]);
    const stored = new Y.Doc();
    for (const part of [...(snapshot ? [snapshot.state] : []), ...updates.map((row) => row.update)]) Y.applyUpdate(stored, part);
    expect(stored.getXmlFragment('body').toString()).toBe((editors[0] as CollabClient).body.toString());
    expect(editors.flatMap((editor) => editor.rejected)).toEqual([]);
    await Promise.all(editors.map((editor) => editor.disconnect()));
  });
});
