import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { aroundChange, gid, makeCollective, SUPPORT_STAFF } from '../support/scenario.js';
import { membershipActions, success } from './operations.js';

// A business collective is listed to every member, but who is in it is for its members and the support staff.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const { person, join, approve, decline } = membershipActions(() => t);

const MEMBERSHIPS = /* GraphQL */ `
  query($slug: String!) {
    collective(slug: $slug) {
      id name kind
      current: memberships { totalCount edges { node { id member { id } } } }
      all: memberships(scope: ALL) { totalCount edges { node { id } } }
    }
  }
`;

async function businessCollective() {
  const animator = await person();
  const partner = await person();
  const outsider = await person();
  const staff = await person(SUPPORT_STAFF);
  const collective = await makeCollective(t.db.prisma, {
    animatorId: animator.id,
    memberIds: [partner.id],
    kind: 'BUSINESS',
    horizon: 'LONG_TERM',
    openness: 'ON_REQUEST',
  });
  return { animator, partner, outsider, staff, collective };
}

describe('Business collectives', () => {
  it('should appear in the directory to every member', async () => {
    const { outsider, collective } = await businessCollective();
    const directory = await t.gql(
      `query($search: String) { collectives(kind: BUSINESS, search: $search) { totalCount edges { node { id } } } }`,
      { search: collective.name },
      outsider.token,
    );
    expect(directory).toEqual({
      data: { collectives: { totalCount: 1, edges: [{ node: { id: gid('Collective', collective.id) } }] } },
    });
    const one = await t.gql(
      `query($slug: String!) { collective(slug: $slug) { id kind } }`,
      { slug: collective.slug },
      outsider.token,
    );
    expect(one).toEqual({ data: { collective: { id: gid('Collective', collective.id), kind: 'BUSINESS' } } });
  });

  it('should list no memberships to an entrepreneur outside it', async () => {
    const { outsider, collective } = await businessCollective();
    const response = await t.gql(MEMBERSHIPS, { slug: collective.slug }, outsider.token);
    expect(response.errors).toBeUndefined();
    expect(response.data?.collective).toMatchObject({ current: { totalCount: 0, edges: [] }, all: { totalCount: 0, edges: [] } });
  });

  it('should list every membership to its members and to the support staff', async () => {
    const { animator, partner, staff, collective } = await businessCollective();
    for (const viewer of [animator, partner, staff]) {
      const response = await t.gql(MEMBERSHIPS, { slug: collective.slug }, viewer.token);
      expect(response.errors).toBeUndefined();
      expect(response.data?.collective.current.totalCount).toBe(2);
      expect(
        response.data?.collective.current.edges.map((edge: { node: { member: { id: string } } }) => edge.node.member.id).sort(),
      ).toEqual([animator.gid, partner.gid].sort());
      expect(response.data?.collective.all.totalCount).toBe(2);
    }
  });

  it('should hide its memberships from an outsider reading a member’s history', async () => {
    const { partner, outsider, staff, collective } = await businessCollective();
    const open = await makeCollective(t.db.prisma, { animatorId: outsider.id, memberIds: [partner.id] });
    const query = `query($id: ID!) { member(id: $id) { memberships { totalCount edges { node { collective { id } } } } } }`;
    const seenByOutsider = await t.gql(query, { id: partner.gid }, outsider.token);
    expect(seenByOutsider).toEqual({
      data: { member: { memberships: { totalCount: 1, edges: [{ node: { collective: { id: gid('Collective', open.id) } } }] } } },
    });
    const seenByStaff = await t.gql(query, { id: partner.gid }, staff.token);
    expect(seenByStaff.data?.member.memberships.totalCount).toBe(2);
    const seenBySelf = await t.gql(query, { id: partner.gid }, partner.token);
    expect(
      seenBySelf.data?.member.memberships.edges
        .map((edge: { node: { collective: { id: string } } }) => edge.node.collective.id)
        .sort(),
    ).toEqual([gid('Collective', collective.id), gid('Collective', open.id)].sort());
  });

  const NODE = `query($id: ID!) { node(id: $id) { id ... on Membership { role member { id } } } nodes(ids: [$id]) { id } }`;

  it('should answer null (or refuse) one of its memberships fetched by an outsider with node or nodes', async () => {
    const { partner, outsider, collective } = await businessCollective();
    const membership = await t.db.prisma.membership.findFirstOrThrow({
      where: { collectiveId: collective.id, memberId: partner.id },
    });
    const outside = await t.gql(NODE, { id: gid('Membership', membership.id) }, outsider.token);
    expect(outside.data?.node ?? null).toBeNull();
    expect(outside.data?.nodes ?? [null]).toEqual([null]);
    expect(JSON.stringify(outside)).not.toContain(partner.gid);
    // Hidden is a normal answer, not a crash: no masked internal error.
    expect(outside.errors?.filter((error) => error.extensions?.code === 'INTERNAL_SERVER_ERROR') ?? []).toEqual([]);
  });

  it('should let its members fetch its memberships with node or nodes', async () => {
    const { partner, animator, collective } = await businessCollective();
    const membership = await t.db.prisma.membership.findFirstOrThrow({
      where: { collectiveId: collective.id, memberId: partner.id },
    });
    const id = gid('Membership', membership.id);
    for (const viewer of [partner, animator]) {
      expect(await t.gql(NODE, { id }, viewer.token)).toEqual({
        data: { node: { id, role: 'MEMBER', member: { id: partner.gid } }, nodes: [{ id }] },
      });
    }
  });

  it('should let the support staff fetch any membership with node or nodes', async () => {
    const { partner, staff, collective } = await businessCollective();
    const commons = await makeCollective(t.db.prisma, { animatorId: partner.id });
    for (const collectiveId of [collective.id, commons.id]) {
      const membership = await t.db.prisma.membership.findFirstOrThrow({ where: { collectiveId, memberId: partner.id } });
      const id = gid('Membership', membership.id);
      expect(await t.gql(NODE, { id }, staff.token)).toEqual({
        data: { node: { id, role: membership.role, member: { id: partner.gid } }, nodes: [{ id }] },
      });
    }
  });

  it('should return the requester’s own pending membership when they ask to join', async () => {
    const { outsider, collective } = await businessCollective();
    const response = await t.gql(
      `mutation($id: ID!) { joinCollective(input: { collectiveId: $id }) { __typename ... on MutationJoinCollectiveSuccess { data { id status origin member { id } collective { id name } } } } }`,
      { id: gid('Collective', collective.id) },
      outsider.token,
    );
    expect(response.errors).toBeUndefined();
    const membership = response.data?.joinCollective.data;
    expect(membership).toMatchObject({
      status: 'PENDING',
      origin: 'REQUESTED',
      member: { id: outsider.gid },
      collective: { id: gid('Collective', collective.id), name: collective.name },
    });
    expect(
      await t.db.prisma.membership.findFirstOrThrow({ where: { collectiveId: collective.id, memberId: outsider.id } }),
    ).toMatchObject({ status: 'PENDING' });

    const mine = await t.gql(
      `query($slug: String!) { collective(slug: $slug) { viewerMembership { id status } } }`,
      { slug: collective.slug },
      outsider.token,
    );
    expect(mine).toEqual({ data: { collective: { viewerMembership: { id: membership.id, status: 'PENDING' } } } });
    const byNode = await t.gql(
      `query($id: ID!) { node(id: $id) { id ... on Membership { status } } }`,
      { id: membership.id },
      outsider.token,
    );
    expect(byNode).toEqual({ data: { node: { id: membership.id, status: 'PENDING' } } });
  });

  it('should answer not found to an outsider deciding on one of its requests', async () => {
    const { animator, outsider, collective } = await businessCollective();
    const requester = await person();
    const request = success(await join(requester.token, collective.id));
    const requestId = (
      await t.db.prisma.membership.findFirstOrThrow({ where: { collectiveId: collective.id, memberId: requester.id } })
    ).id;
    for (const decide of [approve, decline]) {
      const { result, before, after } = await aroundChange(t.db.prisma, () => decide(outsider.token, requestId));
      expect(result).toMatchObject({ __typename: 'NotFoundError', field: 'input.membershipId' });
      expect(after).toEqual(before);
    }
    expect(success(await approve(animator.token, requestId))).toMatchObject({ id: request.id, status: 'ACTIVE' });
  });
});
