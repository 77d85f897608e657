import type { Client } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import { recordEvent } from '../../server/src/events/record.js';
import { fanoutCounts } from '../../server/src/live/fanout.js';
import { type Json, testAppForFile } from '../support/app.js';
import { renamed } from '../support/events.js';
import { type Inbox, subscribe } from '../support/live.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

// Issue 11: over graphql-ws, the bus hands a shared event straight to the subscriptions waiting for it and writes the
// result to each socket in one loop (live/fanout.ts `MappedEvents.take`), skipping their iterators. These events come
// in one read of the log (one transaction), so each subscriber holds several at once: a re-check of the right or a
// session's end among them must still apply to the events after it, and each subscriber keeps the log's order.
const t = testAppForFile();

const ACTIVITY = `subscription($id: ID!, $after: String) { collectiveActivity(collectiveId: $id, after: $after) { __typename
  ... on ActivityEvent { position type payload actor { displayName } } } }`;

describe('Direct delivery', () => {
  it('keeps each subscriber’s order across a re-check of its right, and ends a revoked session before anything after', async () => {
    const ada = await makeMember(t.db.prisma, { firstName: 'Ada', lastName: 'Lovelace' });
    const bea = await makeMember(t.db.prisma);
    const cal = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, { animatorId: ada.id, memberIds: [bea.id, cal.id] });
    const id = gid('Collective', collective.id);
    // From the log's head: a stream registered after the first event still replays it.
    const head = await t.db.prisma.eventLog.findFirst({ orderBy: { position: 'desc' }, select: { position: true } });
    const after = (head?.position ?? 0n).toString();
    const clients: Client[] = [];
    const follow = async (memberId: string) => {
      const client = t.ws(await t.tokenFor(memberId), { lazy: false });
      clients.push(client);
      return subscribe(client, ACTIVITY, { id, after }).inbox;
    };
    try {
      const [ofAda, ofBea, ofCal] = [await follow(ada.id), await follow(bea.id), await follow(cal.id)];
      const inboxes = [ofAda, ofBea, ofCal] as Inbox[];
      await until(() => t.app.live.streamCount === 3, '3 streams');
      // A first event reaches everyone: from then on each stream waits, live.
      await t.db.prisma.$transaction((tx) => recordEvent(tx, renamed(collective.id, ada.id, 'Premier')));
      await t.app.events.pump();
      await Promise.all(inboxes.map((inbox) => inbox.waitFor(1)));
      const before = { ...fanoutCounts };

      // Bea is made co-animator (her right is re-checked from there: it holds), among renames, in one read.
      const calSession = await t.db.prisma.session.findFirstOrThrow({ where: { memberId: cal.id }, select: { id: true } });
      await t.db.prisma.$transaction(async (tx) => {
        await recordEvent(tx, renamed(collective.id, ada.id, 'A'));
        await recordEvent(tx, {
          type: 'membership.coAnimatorSet',
          subject: { typename: 'Membership', id: collective.id },
          collectiveId: collective.id,
          actorId: ada.id,
          payload: { memberId: bea.id, role: 'CO_ANIMATOR', status: 'ACTIVE' },
        });
        await recordEvent(tx, renamed(collective.id, ada.id, 'B'));
        // Cal's session ends here: nothing from this read may reach him, his stream ends SESSION_REVOKED.
        await recordEvent(tx, {
          type: 'session.revoked',
          subject: { typename: 'Member', id: cal.id },
          actorId: cal.id,
          payload: { sessionId: calSession.id },
        });
        await recordEvent(tx, renamed(collective.id, ada.id, 'C'));
      });
      await t.app.events.pump();

      const names = (messages: Json[]) =>
        messages.map((message) => `${message.collectiveActivity.type}:${message.collectiveActivity.payload.name ?? ''}`);
      const all = ['collective.updated:Premier', 'collective.updated:A', 'membership.coAnimatorSet:', 'collective.updated:B'];
      const expected = [...all, 'collective.updated:C'];
      expect(names(await ofAda.waitFor(5))).toEqual(expected);
      expect(names(await ofBea.waitFor(5))).toEqual(expected);
      const positions = (ofAda.received as Json[]).map((message) => BigInt(message.collectiveActivity.position));
      expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
      expect((ofBea.received as Json[]).map((message) => message.collectiveActivity.position)).toEqual(
        (ofAda.received as Json[]).map((message) => message.collectiveActivity.position),
      );
      await ofCal.waitForEnd();
      expect(names(ofCal.received as Json[])).toEqual(['collective.updated:Premier']);
      expect(JSON.stringify(ofCal.errors)).toContain('SESSION_REVOKED');
      // Taken straight from the bus: Ada's four, Bea's first two (those after the re-check waited for it in her stream,
      // as before) and Cal's three before his session ended (dropped then, unwritten).
      expect(fanoutCounts.direct - before.direct).toBe(9);
    } finally {
      await Promise.all(clients.map((client) => client.dispose()));
    }
  });
});
