import type { Client } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import { DeliveryIndex } from '../../server/src/events/visibility.js';
import { fanoutCounts } from '../../server/src/live/fanout.js';
import { testAppForFile } from '../support/app.js';
import { type Inbox, subscribe } from '../support/live.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

// Issue 11: an event is loaded for its subscribers once, not once per subscriber: the statements a change
// costs, delivered with its actor (the web app's selection), are the same for one subscriber and for five.
const statements: string[] = [];
const t = testAppForFile({ onQuery: (sql) => statements.push(sql) });

const ACTIVITY = `subscription($id: ID!) { collectiveActivity(collectiveId: $id) { __typename
  ... on ActivityEvent { position type payload actor { id displayName } } } }`;
const RENAME = `mutation($id: ID!, $n: String!) { updateCollective(input: { id: $id, name: $n }) { __typename } }`;

describe('Fan-out', () => {
  it('reads a listener once for the subscriptions of one member opening at once', async () => {
    // Issue 11: a thousand sockets of one member subscribing together each read the member's collectives and deals
    // (four statements) before the first read had answered: ~600 statements while 1,000 subscribers opened.
    const member = await makeMember(t.db.prisma);
    await makeCollective(t.db.prisma, { animatorId: member.id });
    const index = new DeliveryIndex(t.db.prisma);
    statements.length = 0;
    await Promise.all(Array.from({ length: 5 }, () => index.watch(member.id)));
    await index.watch(member.id);
    const reads = statements.filter((sql) => /FROM "public"\."Membership" WHERE/.test(sql));
    expect(reads.length, statements.join('\n')).toBe(1);
  });

  it('keeps a membership change applied while the listener was being read', async () => {
    const member = await makeMember(t.db.prisma);
    const animator = await makeMember(t.db.prisma);
    const business = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [member.id], kind: 'BUSINESS' });
    const index = new DeliveryIndex(t.db.prisma);
    await index.load();
    const listener = { memberId: member.id, isSupportStaff: false };
    const event = (position: bigint, type: string, payload: Record<string, unknown>) => ({
      position,
      type,
      subjectId: gid('Membership', `m-${position}`),
      collectiveId: business.id,
      actorId: animator.id,
      payload,
      createdAt: new Date(),
    });
    // The read sees the membership active (its row is); the member leaves, and that event is applied before the
    // read answers: the listener must not receive the collective's next events.
    const watching = index.watch(member.id);
    index.apply(event(1n, 'membership.left', { memberId: member.id, status: 'LEFT' }));
    await watching;
    expect(index.mayReceive(listener, event(2n, 'document.created', {}))).toBe(false);
    // And joins again: applied as usual once the listener is known.
    index.apply(event(3n, 'membership.joined', { memberId: member.id, status: 'ACTIVE' }));
    expect(index.mayReceive(listener, event(4n, 'document.created', {}))).toBe(true);
  });

  it('runs the same statements for a change whether one or five sockets follow the collective', async () => {
    const animator = await makeMember(t.db.prisma, { firstName: 'Ada', lastName: 'Lovelace' });
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    const token = await t.tokenFor(animator.id);
    const clients: Client[] = [];
    const inboxes: Inbox[] = [];
    const follow = async () => {
      const client = t.ws(token, { lazy: false });
      clients.push(client);
      inboxes.push(subscribe(client, ACTIVITY, { id: gid('Collective', collective.id) }).inbox);
      await until(
        () => t.app.live.streamCount === inboxes.length,
        () => `${inboxes.length} streams`,
      );
    };
    /** Renames the collective and returns the statements run until every subscriber has the event. */
    const rename = async (name: string) => {
      const seen = inboxes.map((inbox) => inbox.received.length);
      statements.length = 0;
      const result = await t.gql(RENAME, { id: gid('Collective', collective.id), n: name }, token);
      expect(result.errors).toBeUndefined();
      const messages = await Promise.all(inboxes.map((inbox, i) => inbox.waitFor((seen[i] as number) + 1)));
      for (const [i, received] of messages.entries()) {
        const event = received[seen[i] as number].collectiveActivity;
        expect(event.payload.name).toBe(name);
        expect(event.actor.displayName).toBe('Ada Lovelace');
      }
      return [...statements];
    };
    try {
      await follow();
      await rename('Un abonné');
      const one = await rename('Un abonné, encore');
      for (let i = 1; i < 5; i += 1) await follow();
      const five = await rename('Cinq abonnés');
      // Reads of the log itself are shared by every subscriber of the instance; how many rounds a burst takes
      // depends on timing, so they are left out of the comparison. So is the rename request's own session read, not
      // per subscriber either: a token's session is kept between its requests, forgotten after the viewer's own
      // mutation (app.ts `forgetViewer`), so the second rename reads it, and the last is served by the read of the
      // sockets opened meanwhile (context.ts `authenticateRequest`).
      const perChange = (run: string[]) =>
        run.filter((sql) => !/FROM "(public"\.")?EventLog"\s+WHERE/.test(sql) && !/FROM "Session" s JOIN "Member"/.test(sql));
      expect(perChange(five).length, five.join('\n')).toBe(perChange(one).length);
      // The actor is read once for all of them, and its whole row answers their selection: Member is in select mode,
      // and a row no planned query loaded is not read again for columns it holds (the @pothos/plugin-prisma patch).
      expect(five.filter((sql) => /FROM "public"\."Member" WHERE/.test(sql)).length, five.join('\n')).toBe(1);
    } finally {
      await Promise.all(clients.map((client) => client.dispose()));
    }
  });

  it('executes an event once for the subscribers sharing its operation and class, and alone what depends on the viewer', async () => {
    // Ada acts in a commons collective she animates, and is also in a business collective whose memberships only
    // its members may see. Bea is in both, Cal in the commons one only.
    const ada = await makeMember(t.db.prisma, { firstName: 'Ada', lastName: 'Byron' });
    const bea = await makeMember(t.db.prisma);
    const cal = await makeMember(t.db.prisma);
    const commons = await makeCollective(t.db.prisma, { animatorId: ada.id, memberIds: [bea.id, cal.id] });
    const business = await makeCollective(t.db.prisma, {
      animatorId: ada.id,
      memberIds: [bea.id],
      kind: 'BUSINESS',
      name: 'Atelier privé',
    });
    const token = await t.tokenFor(ada.id);
    const viewers = [await t.tokenFor(bea.id), await t.tokenFor(cal.id), await t.tokenFor(bea.id)];
    const MEMBERSHIPS = `subscription($id: ID!) { collectiveActivity(collectiveId: $id) { __typename
      ... on ActivityEvent { position actor { displayName memberships { edges { node { collective { name } } } } } } } }`;
    const clients: Client[] = [];
    const open = async (query: string, tokens: string[]) => {
      const inboxes = tokens.map((viewer) => {
        const client = t.ws(viewer, { lazy: false });
        clients.push(client);
        return subscribe(client, query, { id: gid('Collective', commons.id) }).inbox;
      });
      return inboxes;
    };
    try {
      // The previous test's streams are released first (its sockets were disposed).
      await until(() => t.app.live.streamCount === 0, 'the previous test’s streams to end');
      const shared = await open(ACTIVITY, viewers);
      const alone = await open(MEMBERSHIPS, viewers);
      await until(
        () => t.app.live.streamCount === 6,
        () => `6 streams (${t.app.live.streamCount})`,
      );
      const before = { ...fanoutCounts };
      const result = await t.gql(RENAME, { id: gid('Collective', commons.id), n: 'Renommé' }, token);
      expect(result.errors).toBeUndefined();
      const sharedMessages = await Promise.all(shared.map((inbox) => inbox.waitFor(1)));
      const aloneMessages = await Promise.all(alone.map((inbox) => inbox.waitFor(1)));
      // Three subscribers of one operation (two members, one twice): one execution, two shared results.
      expect(fanoutCounts.executed - before.executed).toBe(1);
      expect(fanoutCounts.shared - before.shared).toBe(2);
      // Over graphql-ws each of the three is written straight to its socket, serialised once; the others are not shared.
      expect(fanoutCounts.written - before.written).toBe(3);
      // Handed by the bus straight to those three subscriptions' sinks, in its delivery loop: none of their iterators
      // climbed for it (issue 11); the three executed alone go through their streams as before.
      expect(fanoutCounts.direct - before.direct).toBe(3);
      for (const [received] of sharedMessages) {
        expect(received.collectiveActivity.payload.name).toBe('Renommé');
        expect(received.collectiveActivity.actor.displayName).toBe('Ada Byron');
      }
      // Memberships depend on who looks: executed for each subscriber, so Cal never sees the business collective.
      const names = aloneMessages.map(([received]) =>
        received.collectiveActivity.actor.memberships.edges.map(
          (edge: { node: { collective: { name: string } } }) => edge.node.collective.name,
        ),
      );
      expect(names[0]).toContain(business.name);
      expect(names[2]).toContain(business.name);
      expect(names[1]).not.toContain(business.name);
      expect(names[1]).toContain('Renommé');
    } finally {
      await Promise.all(clients.map((client) => client.dispose()));
    }
  });
});
