import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { expectGlobalPayloadIds } from '../support/events.js';
import { aroundChange, gid, makeCollective, makeMember } from '../support/scenario.js';
import {
  CLOSE_COLLECTIVE,
  CREATE_COLLECTIVE,
  expectForbidden,
  expectRule,
  JOIN,
  mutate,
  success,
  UPDATE_COLLECTIVE,
} from './operations.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** A word no other test uses, to find this test's collectives among the file's. */
const tag = () => `t${randomUUID().replaceAll('-', '').slice(0, 10)}`;
/** A calendar day `days` from today, as the Date scalar writes it. */
const dayFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

const DIRECTORY = /* GraphQL */ `
  query Directory($kind: CollectiveKind, $status: CollectiveStatus, $sector: Sector, $openness: Openness, $search: String, $orderBy: CollectiveOrder, $first: Int, $after: String) {
    collectives(kind: $kind, status: $status, sector: $sector, openness: $openness, search: $search, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id name } }
    }
  }
`;

async function directory(token: string, variables: Record<string, unknown>) {
  const response = await t.gql(DIRECTORY, variables, token);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  const connection = response.data?.collectives as {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: Array<{ node: { id: string; name: string } }>;
  };
  return { ...connection, names: connection.edges.map((edge) => edge.node.name) };
}

async function viewer() {
  const member = await makeMember(t.db.prisma);
  return { member, token: await t.tokenFor(member.id) };
}

describe('Directory', () => {
  it('should filter collectives by kind, status, sector and openness', async () => {
    const { member, token } = await viewer();
    const word = tag();
    const base = { animatorId: member.id, purpose: `Un collectif ${word}.` };
    await makeCollective(t.db.prisma, { ...base, name: 'Commons actif', kind: 'COMMONS', status: 'ACTIVE', openness: 'OPEN' });
    await makeCollective(t.db.prisma, {
      ...base,
      name: 'Numérique sur demande',
      kind: 'SECTOR',
      sector: 'DIGITAL',
      status: 'PROPOSED',
      openness: 'ON_REQUEST',
    });
    await makeCollective(t.db.prisma, {
      ...base,
      name: 'Rédaction ouverte',
      kind: 'SECTOR',
      sector: 'WRITING',
      status: 'ACTIVE',
      openness: 'OPEN',
    });
    await makeCollective(t.db.prisma, {
      ...base,
      name: 'Marque en sommeil',
      kind: 'BUSINESS',
      horizon: 'LONG_TERM',
      status: 'DORMANT',
      openness: 'CLOSED',
    });

    expect((await directory(token, { search: word })).names).toEqual([
      'Commons actif',
      'Marque en sommeil',
      'Numérique sur demande',
      'Rédaction ouverte',
    ]);
    expect(await directory(token, { search: word, kind: 'SECTOR' })).toMatchObject({
      totalCount: 2,
      names: ['Numérique sur demande', 'Rédaction ouverte'],
    });
    expect(await directory(token, { search: word, status: 'DORMANT' })).toMatchObject({
      totalCount: 1,
      names: ['Marque en sommeil'],
    });
    expect(await directory(token, { search: word, sector: 'DIGITAL' })).toMatchObject({
      totalCount: 1,
      names: ['Numérique sur demande'],
    });
    expect(await directory(token, { search: word, openness: 'ON_REQUEST' })).toMatchObject({
      totalCount: 1,
      names: ['Numérique sur demande'],
    });
    expect(await directory(token, { search: word, kind: 'SECTOR', openness: 'OPEN' })).toMatchObject({
      totalCount: 1,
      names: ['Rédaction ouverte'],
    });
    expect(await directory(token, { search: word, kind: 'COMMONS', status: 'DORMANT' })).toMatchObject({
      totalCount: 0,
      names: [],
    });
  });

  it('should search the name and the purpose in any case, with accents as stored', async () => {
    const { member, token } = await viewer();
    const word = tag();
    await makeCollective(t.db.prisma, { animatorId: member.id, name: `Vie coopérative ${word}`, purpose: 'Décider ensemble.' });
    await makeCollective(t.db.prisma, {
      animatorId: member.id,
      name: `Outils ${word}`,
      purpose: 'Mutualiser la comptabilité partagée.',
    });

    expect((await directory(token, { search: `VIE ${word}` })).names).toEqual([`Vie coopérative ${word}`]);
    expect((await directory(token, { search: `coopérative ${word.toUpperCase()}` })).names).toEqual([`Vie coopérative ${word}`]);
    expect((await directory(token, { search: `COOPÉRATIVE ${word}` })).names).toEqual([`Vie coopérative ${word}`]);
    expect((await directory(token, { search: `Comptabilité ${word}` })).names).toEqual([`Outils ${word}`]);
    expect((await directory(token, { search: `  ${word}  ` })).totalCount).toBe(2);
    expect((await directory(token, { search: `introuvable ${word}` })).totalCount).toBe(0);
  });

  it('should order by name, newest first or oldest first', async () => {
    const { member, token } = await viewer();
    const word = tag();
    const base = { animatorId: member.id, purpose: `Ordre ${word}.` };
    await makeCollective(t.db.prisma, { ...base, name: 'Cerisier', createdAt: new Date('2024-03-10T09:00:00Z') });
    await makeCollective(t.db.prisma, { ...base, name: 'Amandier', createdAt: new Date('2024-02-10T09:00:00Z') });
    await makeCollective(t.db.prisma, { ...base, name: 'Bouleau', createdAt: new Date('2024-01-10T09:00:00Z') });

    expect((await directory(token, { search: word })).names).toEqual(['Amandier', 'Bouleau', 'Cerisier']);
    expect((await directory(token, { search: word, orderBy: 'NAME' })).names).toEqual(['Amandier', 'Bouleau', 'Cerisier']);
    expect((await directory(token, { search: word, orderBy: 'NEWEST' })).names).toEqual(['Cerisier', 'Amandier', 'Bouleau']);
    expect((await directory(token, { search: word, orderBy: 'OLDEST' })).names).toEqual(['Bouleau', 'Amandier', 'Cerisier']);
  });

  it('should page with first and after, counting every match', async () => {
    const { member, token } = await viewer();
    const word = tag();
    const names = ['Aulne', 'Bouleau', 'Charme', 'Douglas', 'Épicéa'];
    for (const name of names) await makeCollective(t.db.prisma, { animatorId: member.id, name: `${name} ${word}` });

    const first = await directory(token, { search: word, first: 2 });
    expect(first).toMatchObject({ totalCount: 5, pageInfo: { hasNextPage: true }, names: [`Aulne ${word}`, `Bouleau ${word}`] });
    const second = await directory(token, { search: word, first: 2, after: first.pageInfo.endCursor });
    expect(second).toMatchObject({
      totalCount: 5,
      pageInfo: { hasNextPage: true },
      names: [`Charme ${word}`, `Douglas ${word}`],
    });
    const third = await directory(token, { search: word, first: 2, after: second.pageInfo.endCursor });
    expect(third).toMatchObject({ totalCount: 5, pageInfo: { hasNextPage: false }, names: [`Épicéa ${word}`] });
  });

  it('should find one collective by its slug, or null', async () => {
    const { member, token } = await viewer();
    const collective = await makeCollective(t.db.prisma, {
      animatorId: member.id,
      memberIds: [(await makeMember(t.db.prisma)).id],
    });
    const query = `query($slug: String!) { collective(slug: $slug) { id slug name kind status memberCount animator { id } } }`;
    expect(await t.gql(query, { slug: collective.slug }, token)).toEqual({
      data: {
        collective: {
          id: gid('Collective', collective.id),
          slug: collective.slug,
          name: collective.name,
          kind: 'COMMONS',
          status: 'ACTIVE',
          memberCount: 2,
          animator: { id: gid('Member', member.id) },
        },
      },
    });
    expect(await t.gql(query, { slug: `absent-${tag()}` }, token)).toEqual({ data: { collective: null } });
  });

  it('should fetch collectives, members and memberships by global ID with node and nodes', async () => {
    const { member, token } = await viewer();
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
    const membership = await t.db.prisma.membership.findFirstOrThrow({ where: { collectiveId: collective.id } });
    const query = /* GraphQL */ `
      query($id: ID!, $ids: [ID!]!) {
        node(id: $id) { __typename id ... on Collective { name } }
        nodes(ids: $ids) { __typename id ... on Member { email } ... on Membership { role } ... on Collective { slug } }
      }
    `;
    const response = await t.gql(
      query,
      {
        id: gid('Collective', collective.id),
        ids: [gid('Member', member.id), gid('Membership', membership.id), gid('Collective', collective.id)],
      },
      token,
    );
    expect(response).toEqual({
      data: {
        node: { __typename: 'Collective', id: gid('Collective', collective.id), name: collective.name },
        nodes: [
          { __typename: 'Member', id: gid('Member', member.id), email: member.email },
          { __typename: 'Membership', id: gid('Membership', membership.id), role: 'ANIMATOR' },
          { __typename: 'Collective', id: gid('Collective', collective.id), slug: collective.slug },
        ],
      },
    });
  });

  it('should answer null, without an error, for a global ID that names nothing', async () => {
    const { member, token } = await viewer();
    const missing = [gid('Collective', randomUUID()), gid('Member', randomUUID()), gid('Membership', randomUUID())];
    for (const id of missing) {
      expect(await t.gql('query($id: ID!) { node(id: $id) { id } }', { id }, token), id).toEqual({ data: { node: null } });
    }
    const known = gid('Member', member.id);
    expect(await t.gql('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: [known, ...missing] }, token)).toEqual({
      data: { nodes: [{ id: known }, null, null, null] },
    });
  });

  it('should answer selections of only `__typename`, at the root, nested and by global ID', async () => {
    // Pothos plans an empty Prisma `select` for them unless its adapter reads the id (Prisma refuses `select: {}`).
    const { member, token } = await viewer();
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
    const membership = await t.db.prisma.membership.findFirstOrThrow({ where: { collectiveId: collective.id } });
    const response = await t.gql(
      /* GraphQL */ `
        query($slug: String!, $ids: [ID!]!) {
          collective(slug: $slug) {
            __typename
            memberships { edges { node { __typename member { __typename } collective { __typename } } } }
            animator { __typename }
            viewerMembership { __typename }
          }
          nodes(ids: $ids) { __typename }
          viewer { __typename }
        }
      `,
      {
        slug: collective.slug,
        ids: [gid('Member', member.id), gid('Membership', membership.id), gid('Collective', collective.id)],
      },
      token,
    );
    expect(response).toEqual({
      data: {
        collective: {
          __typename: 'Collective',
          memberships: {
            edges: [
              { node: { __typename: 'Membership', member: { __typename: 'Member' }, collective: { __typename: 'Collective' } } },
            ],
          },
          animator: { __typename: 'Member' },
          viewerMembership: { __typename: 'Membership' },
        },
        nodes: [{ __typename: 'Member' }, { __typename: 'Membership' }, { __typename: 'Collective' }],
        viewer: { __typename: 'Member' },
      },
    });
  });

  const MEMBERS = /* GraphQL */ `
    query($search: String, $kind: MemberKind, $sector: Sector, $situation: MemberSituation) {
      members(search: $search, kind: $kind, sector: $sector, situation: $situation, first: 10) { totalCount edges { node { id displayName } } }
    }
  `;
  async function memberIds(token: string, variables: Record<string, unknown>) {
    const response = await t.gql(MEMBERS, variables, token);
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    const connection = response.data?.members as { totalCount: number; edges: Array<{ node: { id: string } }> };
    expect(connection.totalCount).toBe(connection.edges.length);
    return connection.edges.map((edge) => edge.node.id);
  }

  it('should list members by name, kind and situation, and fetch one by global ID', async () => {
    const { token } = await viewer();
    const word = tag();
    const writer = await makeMember(t.db.prisma, {
      lastName: `Durand${word}`,
      firstName: 'Alice',
      sectors: ['WRITING'],
      trade: 'Traductrice',
    });
    const staff = await makeMember(t.db.prisma, {
      lastName: `Martin${word}`,
      firstName: 'Bruno',
      kind: 'SUPPORT_STAFF',
      contract: 'STAFF',
      isAssociate: false,
      sectors: [],
    });
    const gone = await makeMember(t.db.prisma, {
      lastName: `Petit${word}`,
      firstName: 'Chloé',
      situation: 'LEFT',
      leftCooperativeOn: new Date('2024-05-31'),
    });
    expect(await memberIds(token, { search: word })).toEqual([gid('Member', writer.id), gid('Member', staff.id)]);
    expect(await memberIds(token, { search: word.toUpperCase(), kind: 'SUPPORT_STAFF' })).toEqual([gid('Member', staff.id)]);
    expect(await memberIds(token, { search: word, situation: 'LEFT' })).toEqual([gid('Member', gone.id)]);

    const one = await t.gql(
      'query($id: ID!) { member(id: $id) { id displayName kind sectors trade situation } }',
      { id: gid('Member', writer.id) },
      token,
    );
    expect(one).toEqual({
      data: {
        member: {
          id: gid('Member', writer.id),
          displayName: `Alice Durand${word}`,
          kind: 'ENTREPRENEUR',
          sectors: ['WRITING'],
          trade: 'Traductrice',
          situation: 'ACTIVE',
        },
      },
    });
    const wrongType = await t.gql('query($id: ID!) { member(id: $id) { id } }', { id: gid('Collective', randomUUID()) }, token);
    expect(wrongType).toEqual({ data: { member: null } });
  });

  it('should list the members working in a trade', async () => {
    const { token } = await viewer();
    const word = tag();
    const writer = await makeMember(t.db.prisma, { lastName: `Durand${word}`, sectors: ['WRITING', 'TRAINING'] });
    await makeMember(t.db.prisma, { lastName: `Martin${word}`, sectors: ['DIGITAL'] });
    expect(await memberIds(token, { search: word, sector: 'TRAINING' })).toEqual([gid('Member', writer.id)]);
  });
});

describe('Create', () => {
  async function create(token: string, input: Record<string, unknown>) {
    return mutate(t, CREATE_COLLECTIVE, { input }, token);
  }

  /** Tries to create a collective and expects a rule violation with nothing changed. */
  async function expectCreateRejected(token: string, input: Record<string, unknown>, rule: string, field: string) {
    const { result, before, after } = await aroundChange(t.db.prisma, () => create(token, input));
    expectRule(result, rule, field);
    expect(after).toEqual(before);
  }

  it('should propose an open commons collective with its associate founder as animator', async () => {
    const { member, token } = await viewer();
    const word = tag();
    const collective = success(
      await create(token, { name: `Vie coopérative ${word}`, kind: 'COMMONS', purpose: 'Décider ensemble.' }),
    );
    expect(collective).toMatchObject({
      slug: `vie-cooperative-${word}`,
      name: `Vie coopérative ${word}`,
      kind: 'COMMONS',
      horizon: null,
      status: 'PROPOSED',
      openness: 'OPEN',
      needsAnimator: false,
      memberCount: 1,
      animator: { id: gid('Member', member.id) },
      coAnimator: null,
      proposedBy: { id: gid('Member', member.id) },
    });
    const stored = await t.db.prisma.collective.findUniqueOrThrow({
      where: { slug: `vie-cooperative-${word}` },
      include: { memberships: true },
    });
    expect(gid('Collective', stored.id)).toBe(collective.id);
    expect(stored).toMatchObject({
      kind: 'COMMONS',
      status: 'PROPOSED',
      openness: 'OPEN',
      proposedById: member.id,
      closedAt: null,
    });
    expect(stored.memberships).toEqual([
      expect.objectContaining({
        memberId: member.id,
        role: 'ANIMATOR',
        status: 'ACTIVE',
        origin: 'FOUNDER',
        joinedAt: expect.any(Date),
        leftAt: null,
      }),
    ]);
    expect(await t.db.prisma.eventLog.count({ where: { collectiveId: stored.id, type: 'collective.proposed' } })).toBe(1);
  });

  it('should propose a sector collective with its sector', async () => {
    const { member, token } = await viewer();
    const collective = success(
      await create(token, {
        name: `Rédacteurs ${tag()}`,
        kind: 'SECTOR',
        sector: 'WRITING',
        openness: 'ON_REQUEST',
        purpose: 'Partager nos pratiques.',
      }),
    );
    expect(collective).toMatchObject({
      kind: 'SECTOR',
      sector: 'WRITING',
      openness: 'ON_REQUEST',
      status: 'PROPOSED',
      animator: { id: gid('Member', member.id) },
    });
    const stored = await t.db.prisma.collective.findUniqueOrThrow({ where: { slug: collective.slug } });
    expect(stored).toMatchObject({ kind: 'SECTOR', sector: 'WRITING', openness: 'ON_REQUEST' });
  });

  it('should let a non-associate entrepreneur propose a sector or business collective', async () => {
    const trial = await makeMember(t.db.prisma, { contract: 'CAPE', isAssociate: false, sectors: ['DESIGN'] });
    const token = await t.tokenFor(trial.id);
    const collective = success(
      await create(token, { name: `Graphistes ${tag()}`, kind: 'SECTOR', sector: 'DESIGN', purpose: 'Échanger.' }),
    );
    expect(collective.animator).toEqual({ id: gid('Member', trial.id) });
  });

  it('should propose a one-off business collective with an objective and a target date', async () => {
    const { token } = await viewer();
    const targetDate = dayFromNow(60);
    const collective = success(
      await create(token, {
        name: `Appel d’offres ${tag()}`,
        kind: 'BUSINESS',
        horizon: 'ONE_OFF',
        openness: 'CLOSED',
        objective: 'Répondre au lot 2.',
        targetDate,
        purpose: 'Gagner le marché.',
      }),
    );
    expect(collective).toMatchObject({
      kind: 'BUSINESS',
      horizon: 'ONE_OFF',
      objective: 'Répondre au lot 2.',
      targetDate,
      openness: 'CLOSED',
      status: 'PROPOSED',
    });
    const stored = await t.db.prisma.collective.findUniqueOrThrow({ where: { slug: collective.slug } });
    expect(stored).toMatchObject({
      horizon: 'ONE_OFF',
      objective: 'Répondre au lot 2.',
      targetDate: new Date(`${targetDate}T00:00:00.000Z`),
    });
  });

  it('should accept today as the target date of a one-off business collective', async () => {
    const { token } = await viewer();
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
    const collective = success(
      await create(token, {
        name: `Salon ${tag()}`,
        kind: 'BUSINESS',
        horizon: 'ONE_OFF',
        objective: 'Tenir le stand.',
        targetDate: today,
        purpose: 'Vendre.',
      }),
    );
    expect(collective.targetDate).toBe(today);
  });

  it('should propose a long-term business collective without a date', async () => {
    const { token } = await viewer();
    const collective = success(
      await create(token, {
        name: `Marque commune ${tag()}`,
        kind: 'BUSINESS',
        horizon: 'LONG_TERM',
        purpose: 'Créer une marque.',
      }),
    );
    expect(collective).toMatchObject({ kind: 'BUSINESS', horizon: 'LONG_TERM', targetDate: null, status: 'PROPOSED' });
    expect(await t.db.prisma.collective.findUniqueOrThrow({ where: { slug: collective.slug } })).toMatchObject({
      horizon: 'LONG_TERM',
      targetDate: null,
    });
  });

  it('should let the support staff name an associate as animator', async () => {
    const staff = await makeMember(t.db.prisma, { kind: 'SUPPORT_STAFF', contract: 'STAFF', isAssociate: false, sectors: [] });
    const associate = await makeMember(t.db.prisma);
    const token = await t.tokenFor(staff.id);
    const collective = success(
      await create(token, {
        name: `Accueil ${tag()}`,
        kind: 'COMMONS',
        purpose: 'Accueillir.',
        animatorId: gid('Member', associate.id),
      }),
    );
    expect(collective).toMatchObject({
      animator: { id: gid('Member', associate.id) },
      proposedBy: { id: gid('Member', staff.id) },
      memberCount: 1,
    });
    const stored = await t.db.prisma.collective.findUniqueOrThrow({
      where: { slug: collective.slug },
      include: { memberships: true },
    });
    expect(stored.proposedById).toBe(staff.id);
    expect(stored.memberships).toEqual([
      expect.objectContaining({ memberId: associate.id, role: 'ANIMATOR', status: 'ACTIVE', origin: 'FOUNDER' }),
    ]);
  });

  it('should refuse a commons collective that is not open', async () => {
    const { token } = await viewer();
    await expectCreateRejected(
      token,
      { name: `Commons ${tag()}`, kind: 'COMMONS', openness: 'ON_REQUEST', purpose: 'P.' },
      'COMMONS_MUST_BE_OPEN',
      'input.openness',
    );
    await expectCreateRejected(
      token,
      { name: `Commons ${tag()}`, kind: 'COMMONS', openness: 'CLOSED', purpose: 'P.' },
      'COMMONS_MUST_BE_OPEN',
      'input.openness',
    );
  });

  it('should refuse a commons collective animated by a non-associate', async () => {
    const trial = await makeMember(t.db.prisma, { contract: 'CAPE', isAssociate: false });
    await expectCreateRejected(
      await t.tokenFor(trial.id),
      { name: `Commons ${tag()}`, kind: 'COMMONS', purpose: 'P.' },
      'COMMONS_ANIMATOR_MUST_BE_ASSOCIATE',
      'input.animatorId',
    );
  });

  it('should refuse a commons collective animated by the support staff', async () => {
    const staff = await makeMember(t.db.prisma, { kind: 'SUPPORT_STAFF', contract: 'STAFF', isAssociate: false, sectors: [] });
    await expectCreateRejected(
      await t.tokenFor(staff.id),
      { name: `Commons ${tag()}`, kind: 'COMMONS', purpose: 'P.' },
      'COMMONS_ANIMATOR_MUST_BE_ASSOCIATE',
      'input.animatorId',
    );
  });

  it('should refuse the support staff naming a non-associate animator of a commons collective', async () => {
    const staff = await makeMember(t.db.prisma, { kind: 'SUPPORT_STAFF', contract: 'STAFF', isAssociate: false, sectors: [] });
    const trial = await makeMember(t.db.prisma, { contract: 'CAPE', isAssociate: false });
    await expectCreateRejected(
      await t.tokenFor(staff.id),
      { name: `Commons ${tag()}`, kind: 'COMMONS', purpose: 'P.', animatorId: gid('Member', trial.id) },
      'COMMONS_ANIMATOR_MUST_BE_ASSOCIATE',
      'input.animatorId',
    );
  });

  it('should refuse a sector collective without a sector', async () => {
    const { token } = await viewer();
    await expectCreateRejected(
      token,
      { name: `Secteur ${tag()}`, kind: 'SECTOR', purpose: 'P.' },
      'SECTOR_REQUIRED',
      'input.sector',
    );
  });

  it('should refuse a business collective without a horizon', async () => {
    const { token } = await viewer();
    await expectCreateRejected(
      token,
      { name: `Affaire ${tag()}`, kind: 'BUSINESS', purpose: 'P.' },
      'HORIZON_REQUIRED',
      'input.horizon',
    );
  });

  it('should refuse a horizon on a collective that is not business', async () => {
    const { token } = await viewer();
    await expectCreateRejected(
      token,
      { name: `Commons ${tag()}`, kind: 'COMMONS', horizon: 'LONG_TERM', purpose: 'P.' },
      'HORIZON_ONLY_FOR_BUSINESS',
      'input.horizon',
    );
    await expectCreateRejected(
      token,
      { name: `Secteur ${tag()}`, kind: 'SECTOR', sector: 'WRITING', horizon: 'ONE_OFF', purpose: 'P.' },
      'HORIZON_ONLY_FOR_BUSINESS',
      'input.horizon',
    );
  });

  it('should refuse a one-off business collective without an objective', async () => {
    const { token } = await viewer();
    const input = { name: `Affaire ${tag()}`, kind: 'BUSINESS', horizon: 'ONE_OFF', targetDate: dayFromNow(30), purpose: 'P.' };
    await expectCreateRejected(token, input, 'OBJECTIVE_REQUIRED', 'input.objective');
    await expectCreateRejected(token, { ...input, objective: '   ' }, 'OBJECTIVE_REQUIRED', 'input.objective');
  });

  it('should refuse a one-off business collective without a target date', async () => {
    const { token } = await viewer();
    await expectCreateRejected(
      token,
      { name: `Affaire ${tag()}`, kind: 'BUSINESS', horizon: 'ONE_OFF', objective: 'Gagner.', purpose: 'P.' },
      'TARGET_DATE_REQUIRED',
      'input.targetDate',
    );
  });

  it('should refuse a one-off business collective whose target date is past', async () => {
    const { token } = await viewer();
    await expectCreateRejected(
      token,
      {
        name: `Affaire ${tag()}`,
        kind: 'BUSINESS',
        horizon: 'ONE_OFF',
        objective: 'Gagner.',
        targetDate: dayFromNow(-2),
        purpose: 'P.',
      },
      'TARGET_DATE_IN_PAST',
      'input.targetDate',
    );
  });

  it('should refuse a long-term business collective with a target date', async () => {
    const { token } = await viewer();
    await expectCreateRejected(
      token,
      { name: `Marque ${tag()}`, kind: 'BUSINESS', horizon: 'LONG_TERM', targetDate: dayFromNow(30), purpose: 'P.' },
      'NO_TARGET_DATE_FOR_LONG_TERM',
      'input.targetDate',
    );
  });

  it('should refuse a name another collective has, in any case and accents', async () => {
    const { token } = await viewer();
    const word = tag();
    success(await create(token, { name: `Vie coopérative ${word}`, kind: 'COMMONS', purpose: 'P.' }));
    await expectCreateRejected(
      token,
      { name: `Vie coopérative ${word}`, kind: 'COMMONS', purpose: 'P.' },
      'NAME_TAKEN',
      'input.name',
    );
    await expectCreateRejected(
      token,
      { name: `VIE COOPERATIVE ${word}`, kind: 'COMMONS', purpose: 'P.' },
      'NAME_TAKEN',
      'input.name',
    );
  });

  it('should refuse input that is too long, naming the field at fault', async () => {
    const { token } = await viewer();
    // Each refusal says what is wrong: too long with the maximum, too short with the minimum (a one-letter name
    // was once told « Ce champ est obligatoire. »), empty.
    const cases: Array<[Record<string, unknown>, string, string, number | null]> = [
      [{ name: 'N'.repeat(121), kind: 'COMMONS', purpose: 'P.' }, 'input.name', 'TOO_LONG', 120],
      [{ name: `Commons ${tag()}`, kind: 'COMMONS', purpose: 'P'.repeat(4001) }, 'input.purpose', 'TOO_LONG', 4000],
      [
        {
          name: `Affaire ${tag()}`,
          kind: 'BUSINESS',
          horizon: 'ONE_OFF',
          targetDate: dayFromNow(30),
          objective: 'O'.repeat(1001),
          purpose: 'P.',
        },
        'input.objective',
        'TOO_LONG',
        1000,
      ],
      [{ name: 'N', kind: 'COMMONS', purpose: 'P.' }, 'input.name', 'TOO_SHORT', 2],
      [{ name: ' N ', kind: 'COMMONS', purpose: 'P.' }, 'input.name', 'TOO_SHORT', 2],
      [{ name: '  ', kind: 'COMMONS', purpose: 'P.' }, 'input.name', 'REQUIRED', 1],
      [{ name: `Commons ${tag()}`, kind: 'COMMONS', purpose: '   ' }, 'input.purpose', 'REQUIRED', 1],
    ];
    for (const [input, field, reason, limit] of cases) {
      const { result, before, after } = await aroundChange(t.db.prisma, () => create(token, input));
      expect(result.__typename, field).toBe('InputValidationError');
      expect(result.issues, field).toEqual([{ field, message: expect.any(String), reason, limit }]);
      expect(after, field).toEqual(before);
    }
  });

  it('should forbid a member who is not support staff to name another animator', async () => {
    const { token } = await viewer();
    const other = await makeMember(t.db.prisma);
    const { result, before, after } = await aroundChange(t.db.prisma, () =>
      create(token, { name: `Commons ${tag()}`, kind: 'COMMONS', purpose: 'P.', animatorId: gid('Member', other.id) }),
    );
    expectForbidden(result);
    expect(after).toEqual(before);
  });
});

describe('Update', () => {
  async function update(token: string, input: Record<string, unknown>) {
    return mutate(t, UPDATE_COLLECTIVE, { input }, token);
  }

  it('should let the animator rename the collective and change its purpose, keeping the slug', async () => {
    const { member, token } = await viewer();
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
    const updated = success(
      await update(token, { id: gid('Collective', collective.id), name: 'Nouveau nom', purpose: 'Nouvelle raison.' }),
    );
    expect(updated).toMatchObject({ name: 'Nouveau nom', purpose: 'Nouvelle raison.', slug: collective.slug });
    expect(await t.db.prisma.collective.findUniqueOrThrow({ where: { id: collective.id } })).toMatchObject({
      name: 'Nouveau nom',
      purpose: 'Nouvelle raison.',
      slug: collective.slug,
    });
  });

  it('should let the co-animator and the support staff change the collective', async () => {
    const animator = await makeMember(t.db.prisma);
    const staff = await makeMember(t.db.prisma, { kind: 'SUPPORT_STAFF', contract: 'STAFF', isAssociate: false, sectors: [] });
    const coAnimator = await makeMember(t.db.prisma, {
      kind: 'SUPPORT_STAFF',
      contract: 'STAFF',
      isAssociate: false,
      sectors: [],
    });
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, coAnimatorId: coAnimator.id });
    success(
      await update(await t.tokenFor(coAnimator.id), { id: gid('Collective', collective.id), purpose: 'Par la co-animatrice.' }),
    );
    success(await update(await t.tokenFor(staff.id), { id: gid('Collective', collective.id), name: 'Par l’équipe d’appui' }));
    expect(await t.db.prisma.collective.findUniqueOrThrow({ where: { id: collective.id } })).toMatchObject({
      purpose: 'Par la co-animatrice.',
      name: 'Par l’équipe d’appui',
    });
  });

  it('should forbid a plain member to change the collective', async () => {
    const animator = await makeMember(t.db.prisma);
    const { member, token } = await viewer();
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [member.id] });
    const { result, before, after } = await aroundChange(t.db.prisma, () =>
      update(token, { id: gid('Collective', collective.id), name: 'Pris' }),
    );
    expectForbidden(result);
    expect(after).toEqual(before);
  });

  it('should move a proposed collective to active, then dormant and back', async () => {
    const { member, token } = await viewer();
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id, status: 'PROPOSED' });
    const id = gid('Collective', collective.id);
    expect(success(await update(token, { id, status: 'ACTIVE' })).status).toBe('ACTIVE');
    expect(success(await update(token, { id, status: 'DORMANT' })).status).toBe('DORMANT');
    expect(success(await update(token, { id, status: 'ACTIVE' })).status).toBe('ACTIVE');
    expect((await t.db.prisma.collective.findUniqueOrThrow({ where: { id: collective.id } })).status).toBe('ACTIVE');
  });

  it('should refuse moving an active collective back to proposed, or closing it without closeCollective', async () => {
    const { member, token } = await viewer();
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id, status: 'ACTIVE' });
    for (const status of ['PROPOSED', 'CLOSED']) {
      const { result, before, after } = await aroundChange(t.db.prisma, () =>
        update(token, { id: gid('Collective', collective.id), status }),
      );
      expectRule(result, 'INVALID_STATUS_CHANGE', 'input.status');
      expect(after).toEqual(before);
    }
  });

  it('should refuse making a commons collective anything but open', async () => {
    const { member, token } = await viewer();
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
    const { result, before, after } = await aroundChange(t.db.prisma, () =>
      update(token, { id: gid('Collective', collective.id), openness: 'ON_REQUEST' }),
    );
    expectRule(result, 'COMMONS_MUST_BE_OPEN', 'input.openness');
    expect(after).toEqual(before);
  });

  it('should refuse moving the target date of a one-off business collective into the past', async () => {
    const { member, token } = await viewer();
    const collective = await makeCollective(t.db.prisma, {
      animatorId: member.id,
      kind: 'BUSINESS',
      horizon: 'ONE_OFF',
      objective: 'Gagner.',
      targetDate: new Date(`${dayFromNow(30)}T00:00:00.000Z`),
    });
    const { result, before, after } = await aroundChange(t.db.prisma, () =>
      update(token, { id: gid('Collective', collective.id), targetDate: dayFromNow(-1) }),
    );
    expectRule(result, 'TARGET_DATE_IN_PAST', 'input.targetDate');
    expect(after).toEqual(before);
  });
});

describe('Close', () => {
  it('should end every active membership, decline pending ones and keep them all as history', async () => {
    const { member: animator, token } = await viewer();
    const first = await makeMember(t.db.prisma);
    const second = await makeMember(t.db.prisma);
    const requester = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, {
      animatorId: animator.id,
      memberIds: [first.id, second.id],
      kind: 'SECTOR',
      sector: 'WRITING',
      openness: 'ON_REQUEST',
    });
    const pending = await t.db.prisma.membership.create({
      data: { collectiveId: collective.id, memberId: requester.id, status: 'PENDING', origin: 'REQUESTED' },
    });

    const closed = success(await mutate(t, CLOSE_COLLECTIVE, { id: gid('Collective', collective.id) }, token));
    expect(closed).toMatchObject({
      status: 'CLOSED',
      closedAt: expect.any(String),
      memberCount: 0,
      animator: null,
      needsAnimator: false,
    });

    const stored = await t.db.prisma.collective.findUniqueOrThrow({
      where: { id: collective.id },
      include: { memberships: true },
    });
    expect(stored).toMatchObject({ status: 'CLOSED', closedAt: expect.any(Date) });
    expect(stored.memberships).toHaveLength(4);
    for (const membership of stored.memberships.filter((m) => m.id !== pending.id)) {
      expect(membership).toMatchObject({ status: 'LEFT', leaveReason: 'COLLECTIVE_CLOSED', leftAt: stored.closedAt });
      expect(Number(membership.leftAt)).toBeGreaterThanOrEqual(Number(membership.joinedAt));
    }
    expect(stored.memberships.find((m) => m.id === pending.id)).toMatchObject({
      status: 'DECLINED',
      decidedById: animator.id,
      decidedAt: stored.closedAt,
      leftAt: null,
    });

    const history = await t.gql(
      `query($slug: String!) { collective(slug: $slug) { memberships(scope: PAST) { totalCount } current: memberships { totalCount } } }`,
      { slug: collective.slug },
      token,
    );
    expect(history).toEqual({ data: { collective: { memberships: { totalCount: 4 }, current: { totalCount: 0 } } } });
  });

  it('should refuse joining a closed collective', async () => {
    const { member: animator, token } = await viewer();
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    success(await mutate(t, CLOSE_COLLECTIVE, { id: gid('Collective', collective.id) }, token));
    const joinerToken = await t.tokenFor((await makeMember(t.db.prisma)).id);
    const { result, before, after } = await aroundChange(t.db.prisma, () =>
      mutate(t, JOIN, { input: { collectiveId: gid('Collective', collective.id) } }, joinerToken),
    );
    expectRule(result, 'COLLECTIVE_CLOSED', 'input.collectiveId');
    expect(after).toEqual(before);
  });

  it('should refuse closing or changing a collective twice closed', async () => {
    const { member: animator } = await viewer();
    const staff = await makeMember(t.db.prisma, { kind: 'SUPPORT_STAFF', contract: 'STAFF', isAssociate: false, sectors: [] });
    const token = await t.tokenFor(staff.id);
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    success(await mutate(t, CLOSE_COLLECTIVE, { id: gid('Collective', collective.id) }, token));
    const again = await aroundChange(t.db.prisma, () =>
      mutate(t, CLOSE_COLLECTIVE, { id: gid('Collective', collective.id) }, token),
    );
    expectRule(again.result, 'COLLECTIVE_CLOSED', 'id');
    expect(again.after).toEqual(again.before);
    const rename = await aroundChange(t.db.prisma, () =>
      mutate(t, UPDATE_COLLECTIVE, { input: { id: gid('Collective', collective.id), name: 'Rouvert' } }, token),
    );
    expectRule(rename.result, 'COLLECTIVE_CLOSED', 'input.id');
    expect(rename.after).toEqual(rename.before);
  });

  it('should forbid a plain member to close the collective', async () => {
    const animator = await makeMember(t.db.prisma);
    const { member, token } = await viewer();
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [member.id] });
    const { result, before, after } = await aroundChange(t.db.prisma, () =>
      mutate(t, CLOSE_COLLECTIVE, { id: gid('Collective', collective.id) }, token),
    );
    expectForbidden(result);
    expect(after).toEqual(before);
  });
});

describe('Event payloads', () => {
  it('should send every ID in the payloads this suite recorded as a global ID, as subjectId is', async () => {
    await expectGlobalPayloadIds(t);
  });
});
