import { describe, expect, it } from 'vitest';
import { testAppForFile } from '../support/app.js';
import { subscribe } from '../support/live.js';
import { aroundChange, gid, makeCollective } from '../support/scenario.js';
import { expectRule, FAILURE, type Json, membershipActions, mutate, success } from './operations.js';

// A member's own profile (issue 12): name, trade and sectors, changed by the member themself.
const t = testAppForFile();

const { person, join } = membershipActions(() => t);

const UPDATE_MY_PROFILE = /* GraphQL */ `
  mutation ($input: UpdateMyProfileInput!) {
    result: updateMyProfile(input: $input) {
      __typename
      ... on MutationUpdateMyProfileSuccess { data { id firstName lastName displayName trade sectors } }
      ...Failure
    }
  }
  ${FAILURE}
`;

const update = (token: string, input: Record<string, unknown>) => mutate(t, UPDATE_MY_PROFILE, { input }, token);

/** Runs a change that must be refused, and checks that nothing changed in the database. */
async function refusedUnchanged(change: () => Promise<Json>): Promise<Json> {
  const { result, before, after } = await aroundChange(t.db.prisma, change);
  expect(after).toEqual(before);
  return result;
}

describe('Update my profile', () => {
  it('should change the name, trade and sectors of the signed-in member, trimmed, and nothing else', async () => {
    const me = await person({ firstName: 'Alix', lastName: 'Durand', trade: 'Rédaction', sectors: ['WRITING'] });
    const other = await person({ firstName: 'Basile', lastName: 'Roux' });
    const data = success(
      await update(me.token, {
        firstName: '  Alix-Marie ',
        lastName: 'Durand',
        trade: ' Traduction et rédaction ',
        sectors: ['WRITING', 'TRAINING'],
      }),
    );
    expect(data).toEqual({
      id: me.gid,
      firstName: 'Alix-Marie',
      lastName: 'Durand',
      displayName: 'Alix-Marie Durand',
      trade: 'Traduction et rédaction',
      sectors: ['WRITING', 'TRAINING'],
    });
    expect(await t.db.prisma.member.findUniqueOrThrow({ where: { id: me.id } })).toMatchObject({
      firstName: 'Alix-Marie',
      trade: 'Traduction et rédaction',
      sectors: ['WRITING', 'TRAINING'],
      email: me.email,
      situation: 'ACTIVE',
    });
    expect(await t.db.prisma.member.findUniqueOrThrow({ where: { id: other.id } })).toMatchObject({ firstName: 'Basile' });
  });

  it('should keep the fields left out', async () => {
    const me = await person({ firstName: 'Chloé', lastName: 'Petit', trade: 'Graphisme', sectors: ['DESIGN'] });
    expect(success(await update(me.token, { trade: 'Graphisme et illustration' }))).toMatchObject({
      firstName: 'Chloé',
      lastName: 'Petit',
      trade: 'Graphisme et illustration',
      sectors: ['DESIGN'],
    });
  });

  it('should refuse an empty or too long name, a too long trade and a trade twice, naming each field, changing nothing', async () => {
    const me = await person();
    const cases: [Record<string, unknown>, string][] = [
      [{ firstName: '   ' }, 'input.firstName'],
      [{ lastName: 'x'.repeat(81) }, 'input.lastName'],
      [{ trade: 'y'.repeat(201) }, 'input.trade'],
      [{ sectors: ['WRITING', 'WRITING'] }, 'input.sectors'],
    ];
    for (const [input, field] of cases) {
      const result = await refusedUnchanged(() => update(me.token, input));
      expect(result.__typename).toBe('InputValidationError');
      expect(result.issues.map((issue: { field: string }) => issue.field)).toEqual([field]);
      expect(result.issues[0].message).toEqual(expect.any(String));
    }
  });

  it('should refuse text with control characters or broken Unicode as a typed error, changing nothing', async () => {
    const me = await person();
    for (const bad of ['Nul\u0000', 'Moitié\ud800']) {
      const response = await refusedUnchanged(async () => t.gql(UPDATE_MY_PROFILE, { input: { firstName: bad } }, me.token));
      expect(response.data?.result ?? null).toBeNull();
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('should refuse removing the trade of a sector collective one belongs to, on the sectors field', async () => {
    const animator = await person({ sectors: ['DIGITAL'] });
    const me = await person({ sectors: ['DIGITAL', 'WRITING'] });
    const collective = await makeCollective(t.db.prisma, {
      animatorId: animator.id,
      kind: 'SECTOR',
      sector: 'DIGITAL',
      openness: 'OPEN',
    });
    success(await join(me.token, collective.id));
    expectRule(
      await refusedUnchanged(() => update(me.token, { sectors: ['WRITING'] })),
      'SECTOR_OF_A_COLLECTIVE',
      'input.sectors',
    );
    // Removing another trade is fine.
    expect(success(await update(me.token, { sectors: ['DIGITAL'] })).sectors).toEqual(['DIGITAL']);
  });

  it('should refuse an anonymous caller', async () => {
    const response = await t.gql(UPDATE_MY_PROFILE, { input: { firstName: 'Personne' } });
    expect(response.data?.result ?? null).toBeNull();
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

const ACTIVITY = /* GraphQL */ `
  subscription ($collectiveId: ID!, $after: String) {
    collectiveActivity(collectiveId: $collectiveId, after: $after) {
      __typename
      ... on ActivityEvent { type subjectId collectiveId actor { id } payload }
    }
  }
`;
const NODE_CHANGES = /* GraphQL */ `
  subscription ($id: ID!, $after: String) {
    nodeChanges(id: $id, after: $after) { ... on ActivityEvent { type collectiveId payload } }
  }
`;
const MERGED_HISTORY = /* GraphQL */ `
  query ($subjectId: ID) {
    activity(subjectId: $subjectId, first: 50) { edges { node { type subjectId collectiveId payload } } }
  }
`;
const DASHBOARD = /* GraphQL */ `{ dashboard { recentActivity { type subjectId payload } } }`;
const HISTORY = /* GraphQL */ `
  query ($collectiveId: ID!) {
    activity(collectiveId: $collectiveId, first: 5) { livePosition edges { node { type subjectId actor { id } } } }
  }
`;

describe('Profile change events', () => {
  const profileEvents = (memberId: string) =>
    t.db.prisma.eventLog.findMany({
      where: { type: 'member.profileUpdated', subjectId: gid('Member', memberId) },
      orderBy: { position: 'asc' },
    });

  it('should record the change once outside any collective and a copy per collective the member is active in, with the new values and what changed', async () => {
    const me = await person({ firstName: 'Denis', lastName: 'Morel', trade: 'Photo', sectors: ['WRITING'] });
    const animator = await person();
    const first = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [me.id] });
    const second = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [me.id] });
    const closed = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [me.id], status: 'CLOSED' });
    await makeCollective(t.db.prisma, { animatorId: animator.id });
    success(await update(me.token, { trade: 'Photographie', lastName: 'Morel' }));
    const events = await profileEvents(me.id);
    // The change itself first, then its copies for the collectives' activity.
    expect(events[0]?.collectiveId).toBeNull();
    expect(events.slice(1).map((event) => event.collectiveId)).toEqual([first.id, second.id].sort());
    expect(events.map((event) => event.collectiveId)).not.toContain(closed.id);
    for (const event of events) {
      expect(event.actorId).toBe(me.id);
      expect(event.payload).toEqual({
        memberId: me.id,
        firstName: 'Denis',
        lastName: 'Morel',
        trade: 'Photographie',
        sectors: ['WRITING'],
        changed: ['trade'],
      });
    }
  });

  it('should record only the change itself, outside any collective, for a member in none, and nothing when nothing changed', async () => {
    const me = await person({ firstName: 'Emma', trade: 'Conseil' });
    success(await update(me.token, { firstName: 'Emma', trade: 'Conseil' }));
    expect(await profileEvents(me.id)).toEqual([]);
    success(await update(me.token, { sectors: ['WRITING', 'TRAINING'] }));
    const events = await profileEvents(me.id);
    expect(events.map((event) => [event.collectiveId, (event.payload as { changed: string[] }).changed])).toEqual([
      [null, ['sectors']],
    ]);
  });

  it('should reach a co-member subscribed to the collective live, and stay in its history', async () => {
    const me = await person({ firstName: 'Fanny' });
    const animator = await person();
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [me.id] });
    const collectiveId = gid('Collective', collective.id);
    const client = t.ws(animator.token);
    const livePosition = (await t.gql(HISTORY, { collectiveId }, animator.token)).data?.activity.livePosition;
    expect(livePosition).toEqual(expect.any(String));
    const { inbox } = subscribe(client, ACTIVITY, { collectiveId, after: livePosition });
    success(await update(me.token, { firstName: 'Fanny-Lou' }));
    const [message] = await inbox.waitFor(1);
    expect(message.collectiveActivity).toEqual({
      __typename: 'ActivityEvent',
      type: 'member.profileUpdated',
      subjectId: me.gid,
      collectiveId,
      actor: { id: me.gid },
      payload: expect.objectContaining({ memberId: me.gid, firstName: 'Fanny-Lou', changed: ['firstName'] }),
    });
    const history = (await t.gql(HISTORY, { collectiveId }, animator.token)).data?.activity;
    expect(history.edges[0].node).toEqual({ type: 'member.profileUpdated', subjectId: me.gid, actor: { id: me.gid } });
  });
  it('should show one entry per change where collectives merge (history, node changes, dashboard), and one in each collective', async () => {
    const me = await person({ firstName: 'Gaspard' });
    const co = await person();
    const outsider = await person();
    const first = await makeCollective(t.db.prisma, { animatorId: co.id, memberIds: [me.id] });
    const second = await makeCollective(t.db.prisma, { animatorId: co.id, memberIds: [me.id] });
    // Subscribed from the log's position before the changes: whatever the subscriptions' timing, they replay from there.
    const after = (await t.post('{ __typename }', {}, co.token)).extensions.livePosition;
    const coClient = t.ws(co.token);
    const myClient = t.ws(me.token);
    const live = subscribe(coClient, NODE_CHANGES, { id: me.gid, after });
    const mine = subscribe(myClient, NODE_CHANGES, { id: me.gid, after });
    success(await update(me.token, { trade: 'Menuiserie' }));
    success(await update(me.token, { trade: 'Ébénisterie' }));
    for (const stream of [live, mine]) {
      const messages = await stream.inbox.waitFor(2);
      expect(messages.map((message: Json) => [message.nodeChanges.collectiveId, message.nodeChanges.payload.trade])).toEqual([
        [null, 'Menuiserie'],
        [null, 'Ébénisterie'],
      ]);
    }
    for (const viewer of [me, co, outsider]) {
      // The log by subject, and unfiltered: each change once.
      const bySubject = await t.gql(MERGED_HISTORY, { subjectId: me.gid }, viewer.token);
      expect(bySubject.data?.activity.edges.map((edge: Json) => edge.node.payload.trade)).toEqual(['Ébénisterie', 'Menuiserie']);
      const all = await t.gql(MERGED_HISTORY, {}, viewer.token);
      const changes = all.data?.activity.edges.filter((edge: Json) => edge.node.subjectId === me.gid);
      expect(changes.map((edge: Json) => edge.node.collectiveId)).toEqual([null, null]);
      const dashboard = await t.gql(DASHBOARD, {}, viewer.token);
      const shown = dashboard.data?.dashboard.recentActivity.filter((event: Json) => event.subjectId === me.gid);
      expect(shown.map((event: Json) => event.payload.trade)).toEqual(['Ébénisterie', 'Menuiserie']);
    }
    // Each collective's activity still shows both, to its members.
    for (const collective of [first, second]) {
      const history = await t.gql(HISTORY, { collectiveId: gid('Collective', collective.id) }, co.token);
      const profile = history.data?.activity.edges.filter((edge: Json) => edge.node.type === 'member.profileUpdated');
      expect(profile).toHaveLength(2);
    }
    live.stop();
    mine.stop();
  });
});
