import type { Client } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import { testAppForFile } from '../support/app.js';
import type { Json } from '../support/json.js';
import { connected } from '../support/live.js';
import { gid, makeBiddingCollective, makeCollective, makeMember, makeTenderDeal } from '../support/scenario.js';

// GraphQL runs a mutation document's root fields one after the other on one context: a later field must act with
// the rights an earlier one left, never with those read before the first (attack, 2026-12-01: `signOut` then
// `updateMyProfile` stored the profile; a co-animator's `leaveCollective` then `updateCollective` renamed the
// collective they had left). Over HTTP and over an open graphql-ws socket.
const t = testAppForFile();

const SIGN_OUT_THEN_PROFILE = `mutation { signOut
  profile: updateMyProfile(input: { firstName: "AprèsSortie" }) { __typename ... on Error { message } } }`;
const LEAVE_THEN_RENAME = `mutation($ref: CollectiveRefInput!, $rename: UpdateCollectiveInput!) {
  left: leaveCollective(input: $ref) { __typename }
  renamed: updateCollective(input: $rename) { __typename ... on Error { message } } }`;
const LEAVE_COOPERATIVE_THEN_ACT = `mutation($me: ID!, $collective: ID!) {
  left: leaveCooperative(input: { memberId: $me }) { __typename }
  profile: updateMyProfile(input: { firstName: "Fantôme" }) { __typename ... on Error { message } }
  joined: joinCollective(input: { collectiveId: $collective }) { __typename ... on Error { message } } }`;
const TWO_PROFILES = `mutation { a: updateMyProfile(input: { firstName: "Premier" }) { __typename }
  b: updateMyProfile(input: { lastName: "Second" }) { __typename } }`;

type Answer = { data?: Record<string, Json> | null; errors?: Array<{ extensions?: { code?: string } }> };

function overSocket(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answer: Answer = {};
    client.subscribe(
      { query, variables },
      { next: (value) => (answer = value as Answer), error: reject, complete: () => resolve(answer) },
    );
  });
}

async function coAnimated() {
  const animator = await makeMember(t.db.prisma);
  const coAnimator = await makeMember(t.db.prisma);
  const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, coAnimatorId: coAnimator.id });
  const variables = {
    ref: { collectiveId: gid('Collective', collective.id) },
    rename: { id: gid('Collective', collective.id), name: 'Renommé après départ' },
  };
  return { coAnimator, collective, variables };
}

/** A business collective of an animator and a member, with one deal. */
async function biddingWithDeal() {
  const animator = await makeMember(t.db.prisma);
  const member = await makeMember(t.db.prisma);
  const collective = await makeBiddingCollective(t.db.prisma, animator.id, [member.id]);
  await makeTenderDeal(t.db.prisma, collective.id);
  return { animator, member, collective };
}

/** `selection` of the collective as `token` reads it now (a query sent right after a mutation). */
async function collectiveAs(token: string, collectiveId: string, selection: string): Promise<Json> {
  const query = `query($id: ID!) { node(id: $id) { ... on Collective { ${selection} } } }`;
  return (await t.gql(query, { id: gid('Collective', collectiveId) }, token)).data?.node as Json;
}

/** The code of the error a refused field came back with (its own, or the document's when its null spread up). */
function refusal(answer: Answer): string | undefined {
  return answer.errors?.[0]?.extensions?.code;
}

describe.each(['http', 'ws'] as const)('a mutation document whose first field ends rights (%s)', (transport) => {
  const send = async (token: string, query: string, variables: Record<string, unknown> = {}): Promise<Answer> => {
    if (transport === 'http') return (await t.gql(query, variables, token)) as Answer;
    const client = t.ws(token, { lazy: false });
    await connected(client);
    try {
      return await overSocket(client, query, variables);
    } finally {
      await client.dispose();
    }
  };

  it('signOut, then updateMyProfile: the profile is not changed, the second field is refused', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    const answer = await send(token, SIGN_OUT_THEN_PROFILE);
    expect(refusal(answer)).toBe('UNAUTHENTICATED');
    const row = await t.db.prisma.member.findUniqueOrThrow({ where: { id: member.id } });
    expect(row.firstName).toBe(member.firstName);
    expect((await t.gql('{ viewer { id } }', {}, token)).data?.viewer).toBeNull();
  });

  it('a co-animator leaves, then renames the collective: the rename is refused and not stored', async () => {
    const { coAnimator, collective, variables } = await coAnimated();
    const token = await t.tokenFor(coAnimator.id);
    const answer = await send(token, LEAVE_THEN_RENAME, variables);
    expect(JSON.stringify(answer)).toContain('MutationLeaveCollectiveSuccess');
    // Refused as any caller who is no co-animator is: the typed error of the union.
    expect(answer.data?.renamed).toEqual({ __typename: 'ForbiddenError', message: expect.any(String) });
    const row = await t.db.prisma.collective.findUniqueOrThrow({ where: { id: collective.id } });
    expect(row.name).toBe(collective.name);
  });

  // Attack of 2026-12-01 (stop 25, F1): over graphql-ws the later fields used the socket's session, which ends only
  // when this instance applies `member.leftCooperative`, after the document: the profile and the joining were stored.
  it('a member leaves the cooperative, then edits their profile and joins a collective: both refused, nothing stored', async () => {
    const member = await makeMember(t.db.prisma);
    const animator = await makeMember(t.db.prisma);
    const open = await makeCollective(t.db.prisma, { animatorId: animator.id });
    const token = await t.tokenFor(member.id);
    const answer = await send(token, LEAVE_COOPERATIVE_THEN_ACT, {
      me: gid('Member', member.id),
      collective: gid('Collective', open.id),
    });
    // The later fields' refusal is the document's (their null spreads up): the leaving is seen in the database.
    expect(refusal(answer), JSON.stringify(answer)).toBe('UNAUTHENTICATED');
    const row = await t.db.prisma.member.findUniqueOrThrow({ where: { id: member.id } });
    expect(row.situation).toBe('LEFT');
    expect(row.firstName).toBe(member.firstName);
    expect(await t.db.prisma.membership.count({ where: { memberId: member.id, collectiveId: open.id } })).toBe(0);
  });

  // Attack of 2026-11 (finding 4): the answer of `leaveCollective` listed the business collective's memberships and
  // deals to the member who had just left it, read with the rights of before. A field's own answer is read with the
  // rights its change left, as a query sent right after it would be.
  it('a member leaves a business collective: the answer shows what a query right after shows, not its internals', async () => {
    const { member, collective } = await biddingWithDeal();
    const token = await t.tokenFor(member.id);
    const selection = `id name memberCount viewerMembership { status }
      memberships(first: 10) { edges { node { id role } } } deals(first: 10) { edges { node { id title } } }`;
    const before = await collectiveAs(token, collective.id, selection);
    expect(before.memberships.edges).toHaveLength(2);
    expect(before.deals.edges).toHaveLength(1);
    const answer = await send(
      token,
      `mutation($ref: CollectiveRefInput!) { leaveCollective(input: $ref) { __typename
        ... on MutationLeaveCollectiveSuccess { data { status collective { ${selection} } } } } }`,
      { ref: { collectiveId: gid('Collective', collective.id) } },
    );
    const left = answer.data?.leaveCollective as Json;
    expect(left?.data?.status, JSON.stringify(answer)).toBe('LEFT');
    const after = await collectiveAs(token, collective.id, selection);
    expect(after.memberships.edges).toEqual([]);
    expect(after.deals.edges).toEqual([]);
    expect(left.data.collective).toEqual(after);
  });

  // Attack of 2026-12-02 (F1): the animator closing a business collective (every membership ends, theirs too) was
  // answered with its past memberships, their emails, and its deals.
  it('the animator closes a business collective: the answer shows what a query right after shows', async () => {
    const { animator, collective } = await biddingWithDeal();
    const token = await t.tokenFor(animator.id);
    const selection = `status memberCount past: memberships(first: 5, scope: ALL) { totalCount edges { node { id member { email } } } }
      deals(first: 5) { totalCount edges { node { id title } } }`;
    const answer = await send(
      token,
      `mutation($id: ID!) { closeCollective(id: $id) { __typename ... on MutationCloseCollectiveSuccess { data { ${selection} } } } }`,
      { id: gid('Collective', collective.id) },
    );
    const closed = (answer.data?.closeCollective as Json)?.data;
    expect(closed?.status, JSON.stringify(answer)).toBe('CLOSED');
    const after = await collectiveAs(token, collective.id, selection);
    expect(after.past.totalCount).toBe(0);
    expect(after.deals.totalCount).toBe(0);
    expect(closed).toEqual(after);
  });

  // Attack of 2026-12-02 (F2): a member leaving the cooperative was answered with their business collectives' deals
  // and memberships (counts and cursors, which hold IDs, roles and dates).
  it('a member leaves the cooperative: the answer shows their own row, nothing of the collectives they left', async () => {
    const { member } = await biddingWithDeal();
    const answer = await send(
      await t.tokenFor(member.id),
      `mutation($me: ID!) { leaveCooperative(input: { memberId: $me }) { __typename ... on Error { message }
        ... on MutationLeaveCooperativeSuccess { data { id situation leftCooperativeOn memberships(first: 5) { edges { node { status
          collective { id d: deals(first: 5) { totalCount edges { cursor } } m: memberships(first: 5, scope: ALL) { totalCount edges { cursor } } } } } } } } } }`,
      { me: gid('Member', member.id) },
    );
    const left = (answer.data?.leaveCooperative as Json)?.data;
    // What the web app asks for is there (memberships.tsx): the leaving is confirmed.
    expect(left?.id, JSON.stringify(answer)).toBe(gid('Member', member.id));
    expect(left.situation).toBe('LEFT');
    expect(left.leftCooperativeOn).toEqual(expect.any(String));
    for (const { node } of left.memberships?.edges ?? []) {
      if (!node?.collective) continue;
      expect(node.collective.d.totalCount).toBe(0);
      expect(node.collective.m.totalCount).toBe(0);
    }
  });

  it('two fields that change no rights both run, as before', async () => {
    const member = await makeMember(t.db.prisma);
    const answer = await send(await t.tokenFor(member.id), TWO_PROFILES);
    expect(answer.data).toEqual({
      a: { __typename: 'MutationUpdateMyProfileSuccess' },
      b: { __typename: 'MutationUpdateMyProfileSuccess' },
    });
    const row = await t.db.prisma.member.findUniqueOrThrow({ where: { id: member.id } });
    expect([row.firstName, row.lastName]).toEqual(['Premier', 'Second']);
  });
});
