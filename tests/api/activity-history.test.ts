import { describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT } from '../../server/src/seed/demo.js';
import { type Json, testAppForFile } from '../support/app.js';
import { subscribe } from '../support/live.js';
import { gid, makeCollective, makeMember, SUPPORT_STAFF } from '../support/scenario.js';

// The history of the event log (`activity`), as a page opened after the fact reads it before going live.

const HISTORY = /* GraphQL */ `
  query History($collectiveId: ID, $concerningMe: Boolean, $first: Int, $after: String, $last: Int, $before: String) {
    activity(collectiveId: $collectiveId, concerningMe: $concerningMe, first: $first, after: $after, last: $last, before: $before) {
      livePosition
      edges { cursor node { position type subjectId collectiveId actor { displayName } payload } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;
const UPDATE = /* GraphQL */ `
  mutation Update($id: ID!, $purpose: String!) {
    updateCollective(input: { id: $id, purpose: $purpose }) { __typename }
  }
`;
const INVITE = /* GraphQL */ `
  mutation Invite($collectiveId: ID!, $memberId: ID!) {
    inviteMember(input: { collectiveId: $collectiveId, memberId: $memberId }) { __typename ... on Error { message } }
  }
`;
const ACTIVITY = /* GraphQL */ `
  subscription Activity($collectiveId: ID!, $after: String) {
    collectiveActivity(collectiveId: $collectiveId, after: $after) { ... on ActivityEvent { position type } }
  }
`;

const t = testAppForFile();

async function history(token: string, variables: Record<string, unknown>): Promise<Json> {
  const result = await t.gql(HISTORY, variables, token);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data?.activity;
}

/** An animator who invites a new member into a collective on invitation (one `membership.invited` for the invitee). */
async function inviteNewMember() {
  const animator = await makeMember(t.db.prisma);
  const invitee = await makeMember(t.db.prisma);
  const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, openness: 'CLOSED' });
  const result = await t.gql(
    INVITE,
    { collectiveId: gid('Collective', collective.id), memberId: gid('Member', invitee.id) },
    await t.tokenFor(animator.id),
  );
  expect(result.data?.inviteMember.__typename).toBe('MutationInviteMemberSuccess');
  return { animator, invitee };
}

describe('Activity history', () => {
  it('should page through a collective’s past events newest first, then continue live after livePosition', async () => {
    const animator = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    const token = await t.tokenFor(animator.id);
    const id = gid('Collective', collective.id);
    for (let i = 0; i < 7; i += 1) {
      const result = await t.gql(UPDATE, { id, purpose: `Objet n°${i}` }, token);
      expect(result.data?.updateCollective.__typename).toBe('MutationUpdateCollectiveSuccess');
    }

    const first = await history(token, { collectiveId: id, first: 5 });
    expect(first.edges).toHaveLength(5);
    const positions = first.edges.map((edge: Json) => BigInt(edge.node.position));
    expect([...positions].sort((a, b) => (a > b ? -1 : 1))).toEqual(positions);
    expect(first.edges.every((edge: Json) => edge.node.type === 'collective.updated' && edge.node.collectiveId === id)).toBe(
      true,
    );
    expect(first.edges[0].node.actor.displayName).toContain(animator.lastName);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(BigInt(first.livePosition)).toBeGreaterThanOrEqual(positions[0] as bigint);

    const second = await history(token, { collectiveId: id, first: 5, after: first.pageInfo.endCursor });
    expect(second.edges).toHaveLength(2);
    expect(second.pageInfo.hasNextPage).toBe(false);
    const all = [...first.edges, ...second.edges].map((edge: Json) => edge.node.position);
    expect(new Set(all).size).toBe(7);

    // Backward from the oldest: the newer ones, nearest first in list order.
    const newer = await history(token, { collectiveId: id, last: 2, before: second.edges[1].cursor });
    expect(newer.edges.map((edge: Json) => edge.node.position)).toEqual([
      first.edges[4].node.position,
      second.edges[0].node.position,
    ]);
    expect(newer.pageInfo.hasPreviousPage).toBe(true);

    // `first` then `last`, as the Relay spec applies them: the 4th and 5th newest; more follow, and precede.
    const both = await history(token, { collectiveId: id, first: 5, last: 2 });
    expect(both.edges.map((edge: Json) => edge.node.position)).toEqual([
      first.edges[3].node.position,
      first.edges[4].node.position,
    ]);
    expect(both.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    // `after` and `before` together: what lies between.
    const between = await history(token, {
      collectiveId: id,
      first: 10,
      after: first.edges[0].cursor,
      before: first.edges[3].cursor,
    });
    expect(between.edges.map((edge: Json) => edge.node.position)).toEqual([
      first.edges[1].node.position,
      first.edges[2].node.position,
    ]);

    // A change after the page was read arrives on the subscription resumed at livePosition, once.
    const ws = t.ws(token);
    const { inbox } = subscribe(ws, ACTIVITY, { collectiveId: id, after: first.livePosition });
    await t.gql(UPDATE, { id, purpose: 'Après la lecture' }, token);
    const [message] = await inbox.waitFor(1);
    expect(BigInt(message.collectiveActivity.position)).toBeGreaterThan(BigInt(first.livePosition));
    expect(message.collectiveActivity.type).toBe('collective.updated');
  });

  it('should show an outsider nothing of a business collective, and its members everything', async () => {
    const animator = await makeMember(t.db.prisma);
    const outsider = await makeMember(t.db.prisma);
    const staff = await makeMember(t.db.prisma, SUPPORT_STAFF);
    const business = await makeCollective(t.db.prisma, {
      animatorId: animator.id,
      kind: 'BUSINESS',
      horizon: 'LONG_TERM',
      openness: 'CLOSED',
    });
    const id = gid('Collective', business.id);
    const token = await t.tokenFor(animator.id);
    await t.gql(UPDATE, { id, purpose: 'Une marque commune.' }, token);

    expect((await history(token, { collectiveId: id })).edges.length).toBe(1);
    expect((await history(await t.tokenFor(outsider.id), { collectiveId: id })).edges).toEqual([]);
    expect((await history(await t.tokenFor(staff.id), { collectiveId: id })).edges.length).toBe(1);
  });

  it('should list what concerns me, done by others, as my feed does', async () => {
    const { animator, invitee } = await inviteNewMember();
    const mine = await history(await t.tokenFor(invitee.id), { concerningMe: true });
    expect(mine.edges.map((edge: Json) => edge.node.type)).toEqual(['membership.invited']);
    // Its payload names the member with a global ID, as subjectId names the membership.
    expect(mine.edges[0].node.payload.memberId).toBe(gid('Member', invitee.id));
    // The animator did it: it is not in their own feed.
    expect((await history(await t.tokenFor(animator.id), { concerningMe: true })).edges).toEqual([]);
  });

  // Found by an attacker: past 5,000 log rows the viewer may not see, a page came back empty with hasNextPage true
  // and endCursor null, so the feed never reached anything older (and the web app's « plus anciens » did nothing).
  it('should page on past a long run of events the viewer may not see, forward and backward', async () => {
    const { animator, invitee } = await inviteNewMember();
    // 5,200 changes of a business collective the invitee is not in, after the invitation.
    const business = await makeCollective(t.db.prisma, { animatorId: animator.id, kind: 'BUSINESS', openness: 'CLOSED' });
    await t.db.prisma.eventLog.createMany({
      data: Array.from({ length: 5_200 }, (_, i) => ({
        type: 'collective.updated',
        subjectId: gid('Collective', business.id),
        collectiveId: business.id,
        actorId: animator.id,
        payload: { purpose: `Secret ${i}` },
      })),
    });
    const token = await t.tokenFor(invitee.id);
    const found: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page += 1) {
      const read: Json = await history(token, { concerningMe: true, first: 20, after });
      found.push(...read.edges.map((edge: Json) => edge.node.type));
      if (!read.pageInfo.hasNextPage) break;
      expect(read.pageInfo.endCursor).not.toBeNull();
      after = read.pageInfo.endCursor;
    }
    expect(found).toEqual(['membership.invited']);
    // Backward from the invitation (`before` reads newer events): through the hidden run to the top of the log,
    // where nothing concerns the invitee; every page that says more may come names where to go on from.
    const invitation = await t.db.prisma.eventLog.findFirstOrThrow({
      where: { type: 'membership.invited', actorId: animator.id },
      select: { position: true },
    });
    let before: string | null = invitation.position.toString();
    const newer: string[] = [];
    let pages = 0;
    for (; pages < 5 && before !== null; pages += 1) {
      const read: Json = await history(token, { concerningMe: true, last: 20, before });
      newer.push(...read.edges.map((edge: Json) => edge.node.type));
      before = read.pageInfo.hasPreviousPage ? read.pageInfo.startCursor : null;
      if (read.pageInfo.hasPreviousPage) expect(read.pageInfo.startCursor).not.toBeNull();
    }
    expect(before).toBeNull();
    expect(pages).toBeGreaterThan(1);
    expect(newer).toEqual([]);
  });

  it('should refuse a malformed cursor or page size as bad input', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    for (const variables of [{ after: 'abc' }, { after: '9999999999999999999' }, { first: 1000 }, { last: -1 }]) {
      const result = await t.gql(HISTORY, variables, token);
      expect(result.errors?.[0]?.extensions?.code, JSON.stringify(variables)).toBe('BAD_USER_INPUT');
    }
    const anonymous = await t.gql(HISTORY, {});
    expect(anonymous.data?.activity ?? null).toBeNull();
  });
});

describe('The demo cooperative’s history', () => {
  // Seeded before the server starts, as SEED=true does on an empty database.
  const demo = testAppForFile({ demo: true });

  const DASHBOARD = /* GraphQL */ `{ dashboard { position recentActivity { position type createdAt } } }`;

  it('should show a new member a past on a collective’s page, the feed and the dashboard, then go live past it without replaying it', async () => {
    const camille = await demo.db.prisma.member.findUniqueOrThrow({ where: { email: DEMO_ACCOUNT.email } });
    const token = await demo.tokenFor(camille.id);
    const last = await demo.db.prisma.eventLog.findFirstOrThrow({ orderBy: { position: 'desc' } });
    // The server went live from the end of the history: it was never delivered as news.
    expect(demo.app.events.position).toBe(last.position);
    expect((await demo.post('{ __typename }', {}, token)).extensions.livePosition).toBe(last.position.toString());

    const commons = await demo.db.prisma.collective.findUniqueOrThrow({ where: { slug: 'vie-cooperative' } });
    const id = gid('Collective', commons.id);
    const page = await (async () => {
      const result = await demo.gql(HISTORY, { collectiveId: id, first: 5 }, token);
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      return result.data?.activity;
    })();
    expect(page.edges.length).toBeGreaterThan(0);
    expect(page.livePosition).toBe(last.position.toString());
    const positions = page.edges.map((edge: Json) => BigInt(edge.node.position));
    expect([...positions].sort((a, b) => (a > b ? -1 : 1))).toEqual(positions);
    const feed = await demo.gql(HISTORY, { concerningMe: true, first: 5 }, token);
    expect(feed.data?.activity.edges.length).toBeGreaterThan(0);
    const dashboard = (await demo.gql(DASHBOARD, {}, token)).data?.dashboard;
    expect(dashboard.recentActivity.length).toBeGreaterThan(0);
    const times = dashboard.recentActivity.map((event: Json) => Date.parse(event.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    // Subscribed after the page's position: the first thing that arrives is the change made now.
    const ws = demo.ws(token);
    const { inbox } = subscribe(ws, ACTIVITY, { collectiveId: id, after: page.livePosition });
    const updated = await demo.gql(UPDATE, { id, purpose: 'Préparer l’assemblée générale de juin.' }, token);
    expect(updated.data?.updateCollective.__typename).toBe('MutationUpdateCollectiveSuccess');
    const [message] = await inbox.waitFor(1);
    expect(message.collectiveActivity).toEqual({ position: (last.position + 1n).toString(), type: 'collective.updated' });
  });
});
