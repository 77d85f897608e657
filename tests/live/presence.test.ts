import { beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { fanoutCounts } from '../../server/src/live/fanout.js';
import { type Json, testAppForFile } from '../support/app.js';
import { sectionScenario } from '../support/collab.js';
import { type Inbox, runOnSocket as over, subscribe } from '../support/live.js';
import { gid, makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

// Issue 10 item 4 and issue 11: presence is keyed by connection (never by a client-chosen ID), kept in
// memory, gone the moment its socket closes, and a cursor move costs no SQL statement.

const statements: string[] = [];
const t = testAppForFile({ onQuery: (sql) => statements.push(sql) });

const PRESENCE =
  'subscription($s: ID!) { sectionPresence(sectionId: $s) { clientId name cursor you member { id displayName } } }';
const UPDATE = `mutation($input: UpdatePresenceInput!) {
  updatePresence(input: $input) { __typename ... on Error { message } } }`;

/** A cursor as the web editor sends it: anchor and head, Yjs RelativePosition JSON at item 1:`clock`. */
function at(clock: number) {
  const position = { type: null, tname: null, item: { client: 1, clock }, assoc: 0 };
  return { anchor: position, head: position };
}

beforeEach(async () => {
  await until(() => t.app.live.connectionCount === 0 && t.app.presence.entryCount === 0, 'no socket and no presence left');
});

/** The first list a presence stream delivers (from message `from` on) that satisfies `predicate`. */
async function listWhere(inbox: Inbox, predicate: (list: Json[]) => boolean, from = 0): Promise<Json[]> {
  for (let index = from; ; index += 1) {
    const list = (await inbox.waitFor(index + 1))[index].sectionPresence as Json[];
    if (predicate(list)) return list;
  }
}

async function twoEditors() {
  const { members, section } = await sectionScenario(t.db.prisma, { members: 2 });
  const [a, b] = members as [Json, Json];
  const sectionId = gid('TenderSection', section.id);
  const tokens = { a: await t.tokenFor(a.id), b: await t.tokenFor(b.id) };
  const clients = { a: t.ws(tokens.a, { lazy: false }), b: t.ws(tokens.b, { lazy: false }) };
  const streams = { a: subscribe(clients.a, PRESENCE, { s: sectionId }), b: subscribe(clients.b, PRESENCE, { s: sectionId }) };
  await streams.a.inbox.waitFor(1);
  await streams.b.inbox.waitFor(1);
  await until(() => t.app.live.streamCount === 2);
  const set = async (who: 'a' | 'b', input: Record<string, unknown>) => {
    const result = await over(clients[who], UPDATE, { input: { sectionId, ...input } });
    expect(result.errors).toBeUndefined();
    expect(result.data?.updatePresence.__typename).toBe('MutationUpdatePresenceSuccess');
  };
  return {
    a,
    b,
    sectionId,
    tokens,
    clients,
    streams,
    set,
    dispose: () => Promise.all([clients.a.dispose(), clients.b.dispose()]),
  };
}

describe('Keyed by connection', () => {
  it('should not let one member move or erase another’s entry, whatever client ID they send', async () => {
    const w = await twoEditors();
    try {
      await w.set('a', { clientId: 'same-tab', cursor: at(1) });
      await w.set('b', { clientId: 'same-tab', cursor: at(2) });
      const both = await listWhere(w.streams.a.inbox, (list) => list.length === 2);
      const mine = both.find((entry) => entry.you);
      const theirs = both.find((entry) => !entry.you);
      expect(mine?.cursor).toEqual(at(1));
      expect(theirs?.cursor).toEqual(at(2));
      // The client-chosen ID names nothing: entries carry the server's key.
      expect(both.map((entry) => entry.clientId)).not.toContain('same-tab');

      // B "leaves" under A's entry ID, over the socket and over HTTP: only B's own entries can go.
      const seen = w.streams.a.inbox.received.length;
      await w.set('b', { clientId: mine?.clientId, leaving: true });
      expect(
        (await t.gql(UPDATE, { input: { sectionId: w.sectionId, clientId: mine?.clientId, leaving: true } }, w.tokens.b)).errors,
      ).toBeUndefined();
      const after = await listWhere(w.streams.a.inbox, (list) => list.length === 1, seen);
      expect(after[0]).toMatchObject({ clientId: mine?.clientId, cursor: at(1), you: true });
      expect(t.app.presence.entryCount).toBe(1);
    } finally {
      await w.dispose();
    }
  });

  it('should refuse presence in a section the caller may not read', async () => {
    const w = await twoEditors();
    const outsider = await makeMember(t.db.prisma);
    try {
      const result = await t.gql(UPDATE, { input: { sectionId: w.sectionId, cursor: at(3) } }, await t.tokenFor(outsider.id));
      expect(result.data?.updatePresence.__typename).toBe('NotFoundError');
    } finally {
      await w.dispose();
    }
  });
});

describe('Cursor shape', () => {
  // Attack: `{"anchor":{},"head":{}}` made Yjs throw "Unexpected case" in every co-author's page (11 per move).
  it('should refuse a cursor that is not two Yjs relative positions, storing and sending nothing', async () => {
    const w = await twoEditors();
    try {
      await w.set('a', { cursor: at(1) });
      await listWhere(w.streams.b.inbox, (list) => list.length === 1);
      const seen = w.streams.b.inbox.received.length;
      const malformed = [
        { anchor: {}, head: {} },
        { anchor: { item: null }, head: { item: null } },
        { anchor: { item: { client: 'x', clock: 1 } }, head: { item: { client: 1, clock: 1 } } },
        { anchor: at(1).anchor },
        { at: 1 },
        'caret',
        [at(1)],
        // A root other than the body (each co-author's Yjs document would create it), even an empty name.
        { anchor: { type: null, tname: '', item: null }, head: { type: null, tname: '', item: null } },
        { anchor: { tname: 'autre' }, head: { tname: 'autre' } },
        // Longer than any two positions: the same refusal, not a rule violation of its own.
        { ...at(1), note: 'x'.repeat(5_000) },
      ];
      for (const cursor of malformed) {
        const result = await over(w.clients.a, UPDATE, { input: { sectionId: w.sectionId, cursor } });
        expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
        expect(result.errors?.[0]?.message).toMatch(/Curseur mal formé/);
      }
      // Nothing stored: B's stream got nothing from those, and the next list it receives still has A's last good cursor.
      expect(w.streams.b.inbox.received.length).toBe(seen);
      await w.set('a', { cursor: at(2) });
      const next = await listWhere(w.streams.b.inbox, () => true, seen);
      expect(next[0]?.cursor).toEqual(at(2));
      expect(w.streams.b.inbox.received.length).toBe(seen + 1);
      // What the editor sends before its first caret stays accepted, as does a caret at the body's end.
      await w.set('a', { cursor: {} });
      const end = { type: null, tname: 'body', item: null, assoc: 0 };
      await w.set('a', { cursor: { anchor: end, head: end } });
    } finally {
      await w.dispose();
    }
  });
});

describe('Socket close', () => {
  it('should remove a socket’s entry the moment the socket closes, long before the timeout', async () => {
    const w = await twoEditors();
    try {
      await w.set('a', { cursor: at(1) });
      await w.set('b', { cursor: at(2) });
      await listWhere(w.streams.a.inbox, (list) => list.length === 2);
      const seen = w.streams.a.inbox.received.length;
      await w.clients.b.dispose();
      const left = await listWhere(w.streams.a.inbox, (list) => list.length === 1, seen);
      expect(left[0]).toMatchObject({ you: true, cursor: at(1) });
      await w.clients.a.dispose();
      await until(() => t.app.presence.entryCount === 0);
    } finally {
      await w.dispose();
    }
  });
});

describe('Cost', () => {
  it('should set presence over the socket without any SQL statement (in memory, no transaction)', async () => {
    const w = await twoEditors();
    try {
      // The first update may read the right if the stream's registration is not settled yet; later ones never.
      await w.set('a', { cursor: at(0) });
      await listWhere(w.streams.b.inbox, (list) => list.length === 1);
      for (let i = 1; i <= 5; i += 1) {
        statements.length = 0;
        const seen = w.streams.b.inbox.received.length;
        await w.set('a', { cursor: at(i) });
        await listWhere(w.streams.b.inbox, (list) => list[0]?.cursor?.anchor?.item?.clock === i, seen);
        // The only read is the lifecycle's barrier before delivery (the event log, so an access change committed
        // first always wins), one shared by every listening stream: nothing about presence, not even the member.
        expect(statements.filter((sql) => !/FROM "(public"\.")?EventLog"/i.test(sql))).toEqual([]);
        expect(statements.length).toBeLessThanOrEqual(1);
      }
    } finally {
      await w.dispose();
    }
  });

  it('should deliver the latest cursor of a burst (changes are coalesced per section: the last one is never held back)', async () => {
    const w = await twoEditors();
    try {
      await w.set('a', { cursor: at(0) });
      await listWhere(w.streams.b.inbox, (list) => list[0]?.cursor?.anchor?.item?.clock === 0);
      const seen = w.streams.b.inbox.received.length;
      // Thirty moves sent at once (as a busy co-author's would queue): the last one always arrives.
      await Promise.all(Array.from({ length: 30 }, (_, i) => w.set('a', { cursor: at(i + 1) })));
      const last = await listWhere(w.streams.b.inbox, (list) => list[0]?.cursor?.anchor?.item?.clock === 30, seen);
      expect(last).toHaveLength(1);
    } finally {
      await w.dispose();
    }
  });

  it('should execute and serialise a presence list and a stored update once for all listeners whose selection is the viewer’s own', async () => {
    const { members, section } = await sectionScenario(t.db.prisma, { members: 3 });
    const sectionId = gid('TenderSection', section.id);
    const clients = await Promise.all(members.map(async (member) => t.ws(await t.tokenFor(member.id), { lazy: false })));
    const [a, b] = clients as [(typeof clients)[0], (typeof clients)[0]];
    try {
      // The bench's selection reads nothing of the viewer; `you` (the web editor's) is each connection's own.
      const NEUTRAL =
        'subscription($s: ID!) { sectionPresence(sectionId: $s) { clientId name cursor member { id displayName } } }';
      const lists = clients.map((client) => subscribe(client, NEUTRAL, { s: sectionId }).inbox);
      const own = subscribe(b, PRESENCE, { s: sectionId }).inbox;
      // Each editor sends its own state vector and client ID: variables the updates' execution never reads.
      const SYNC = `subscription($s: ID!, $v: String, $c: String) {
        sectionSync(sectionId: $s, stateVector: $v, clientId: $c) { kind update stateVector } }`;
      const syncs = clients.map((client, i) => subscribe(client, SYNC, { s: sectionId, v: 'AA==', c: `editor-${i}` }).inbox);
      await Promise.all([...lists, own, ...syncs].map((inbox) => inbox.waitFor(1)));
      await until(() => t.app.live.streamCount === 7);

      let before = { ...fanoutCounts };
      const set = await over(a, UPDATE, { input: { sectionId, cursor: at(1) } });
      expect(set.errors).toBeUndefined();
      for (const inbox of lists) expect((await listWhere(inbox, (list) => list.length === 1))[0]?.cursor).toEqual(at(1));
      const mine = await listWhere(own, (list) => list.length === 1);
      expect(mine[0]?.you).toBe(false);
      // Three listeners of one selection: executed once, shared twice (the one selecting `you` executes alone, uncounted).
      expect(fanoutCounts.executed - before.executed).toBe(1);
      expect(fanoutCounts.shared - before.shared).toBe(2);

      const PUSH = `mutation($input: PushSectionUpdateInput!) { pushSectionUpdate(input: $input) { __typename ... on Error { message } } }`;
      const paragraph = (text: string) => {
        const doc = new Y.Doc();
        const element = new Y.XmlElement('paragraph');
        element.insert(0, [new Y.XmlText(text)]);
        doc.getXmlFragment('body').insert(0, [element]);
        return Y.encodeStateAsUpdate(doc);
      };
      const push = async (client: typeof a, update: Uint8Array) => {
        const result = await over(client, PUSH, { input: { sectionId, update: Buffer.from(update).toString('base64') } });
        expect(result.data?.pushSectionUpdate.__typename).toBe('MutationPushSectionUpdateSuccess');
      };
      before = { ...fanoutCounts };
      const first = paragraph('de a');
      await push(a, first);
      const second = paragraph('de b');
      await push(b, second);
      // Echo suppression per connection still holds: each socket receives the other's update, never its own.
      const [fromB, fromA, both] = await Promise.all([syncs[0]?.waitFor(2), syncs[1]?.waitFor(2), syncs[2]?.waitFor(3)]);
      expect(fromB?.[1].sectionSync.update).toBe(Buffer.from(second).toString('base64'));
      expect(fromA?.[1].sectionSync.update).toBe(Buffer.from(first).toString('base64'));
      expect(both?.slice(1).map((m) => m.sectionSync.update)).toEqual(
        [first, second].map((u) => Buffer.from(u).toString('base64')),
      );
      // Each stored update: executed for one of its two listeners, shared by the other.
      expect(fanoutCounts.executed - before.executed).toBe(2);
      expect(fanoutCounts.shared - before.shared).toBe(2);
    } finally {
      await Promise.all(clients.map((client) => client.dispose()));
    }
  });
});
