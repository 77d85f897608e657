import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prisma } from '../../server/src/generated/prisma/client.js';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { expectGlobalPayloadIds } from '../support/events.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';
import { expectRule, FAILURE, mutate as mutateWith, success } from './operations.js';

// Every statement the server runs, to count them (CONVENTIONS 12).
const statements: string[] = [];
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ onQuery: (sql) => statements.push(sql) });
});
afterAll(() => t.close());

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// ───────────────────────────── Documents ─────────────────────────────

const OPPORTUNITY = /* GraphQL */ `
  fragment OpportunityFields on Opportunity {
    id kind title buyer reference description url questionsDeadline submissionDeadline broughtByCooperative createdAt
    broughtBy { id }
    lots { id number title estimatedAmountCents opportunity { id } }
    collectives { id }
  }
`;

const CREATE = /* GraphQL */ `
  mutation($input: CreateOpportunityInput!) {
    result: createOpportunity(input: $input) {
      __typename
      ... on MutationCreateOpportunitySuccess { data { ...OpportunityFields } }
      ...Failure
    }
  }
  ${OPPORTUNITY}
  ${FAILURE}
`;

const UPDATE = /* GraphQL */ `
  mutation($input: UpdateOpportunityInput!) {
    result: updateOpportunity(input: $input) {
      __typename
      ... on MutationUpdateOpportunitySuccess { data { ...OpportunityFields } }
      ...Failure
    }
  }
  ${OPPORTUNITY}
  ${FAILURE}
`;

const DIRECTORY = /* GraphQL */ `
  query($kind: OpportunityKind, $broughtByCooperative: Boolean, $open: Boolean, $search: String, $orderBy: OpportunityOrder, $first: Int, $after: String) {
    opportunities(kind: $kind, broughtByCooperative: $broughtByCooperative, open: $open, search: $search, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id title } }
    }
  }
`;

const UPCOMING = /* GraphQL */ `
  query($withinDays: Int) {
    upcomingDeadlines(withinDays: $withinDays) { kind at day opportunity { id title } }
  }
`;

// ───────────────────────────── Helpers ─────────────────────────────

/** Sends a mutation aliased `result` with this `input`; see operations.ts `mutate`. */
const mutate = (document: string, input: Record<string, unknown>, token: string) => mutateWith(t, document, { input }, token);

/** Every row an opportunity rule may touch. */
async function tables() {
  const prisma = t.db.prisma;
  const [opportunities, lots, deals, events] = await Promise.all([
    prisma.opportunity.findMany({ orderBy: { id: 'asc' } }),
    prisma.opportunityLot.findMany({ orderBy: { id: 'asc' } }),
    prisma.deal.findMany({ orderBy: { id: 'asc' } }),
    prisma.eventLog.count(),
  ]);
  return { opportunities, lots, deals, events };
}

async function unchanged(change: () => Promise<Json>): Promise<Json> {
  const before = await tables();
  const result = await change();
  expect(await tables()).toEqual(before);
  return result;
}

async function person(data: Parameters<typeof makeMember>[1] = {}) {
  const member = await makeMember(t.db.prisma, data);
  return { member, id: member.id, gid: gid('Member', member.id), token: await t.tokenFor(member.id) };
}

const staffPreset: Partial<Prisma.MemberUncheckedCreateInput> = {
  kind: 'SUPPORT_STAFF',
  contract: 'STAFF',
  isAssociate: false,
  sectors: [],
};

/** A word no other test uses, to find this test's opportunities among the file's. */
const tag = () => `t${randomUUID().replaceAll('-', '').slice(0, 10)}`;

function makeOpportunity(data: Partial<Parameters<TestApp['db']['prisma']['opportunity']['create']>[0]['data']> = {}) {
  return t.db.prisma.opportunity.create({
    data: { kind: 'PUBLIC_TENDER', title: `Marché ${tag()}`, buyer: 'Métropole de Lyon', ...data },
  });
}

// ───────────────────────────── Create ─────────────────────────────

describe('Create', () => {
  it('should let any active member record an opportunity, brought by them, with its lots by number', async () => {
    const entrepreneur = await person({ isAssociate: false, contract: 'CAPE' });
    const before = await t.db.prisma.eventLog.count();
    const data = success(
      await mutate(
        CREATE,
        {
          kind: 'PUBLIC_TENDER',
          title: '  Rédaction du magazine municipal  ',
          buyer: 'Ville de Grenoble',
          reference: '2025-COM-014',
          description: 'Rédaction et photographie, 4 numéros par an.',
          url: 'https://marches.grenoble.fr/2025-COM-014',
          questionsDeadline: '2030-03-10T11:00:00.000Z',
          submissionDeadline: '2030-03-20T11:00:00.000Z',
          lots: [
            { number: 2, title: 'Photographie', estimatedAmountCents: 1_200_000 },
            { number: 1, title: 'Rédaction' },
          ],
        },
        entrepreneur.token,
      ),
    );
    expect(data).toMatchObject({
      kind: 'PUBLIC_TENDER',
      title: 'Rédaction du magazine municipal',
      buyer: 'Ville de Grenoble',
      reference: '2025-COM-014',
      url: 'https://marches.grenoble.fr/2025-COM-014',
      questionsDeadline: '2030-03-10T11:00:00.000Z',
      submissionDeadline: '2030-03-20T11:00:00.000Z',
      broughtByCooperative: false,
      broughtBy: { id: entrepreneur.gid },
      lots: [
        { number: 1, title: 'Rédaction', estimatedAmountCents: null, opportunity: { id: data.id } },
        { number: 2, title: 'Photographie', estimatedAmountCents: 1_200_000 },
      ],
      collectives: [],
    });
    const events = await t.db.prisma.eventLog.findMany({ where: {}, orderBy: { position: 'asc' }, skip: before });
    expect(events).toMatchObject([
      { type: 'opportunity.created', subjectId: data.id, actorId: entrepreneur.id, collectiveId: null },
    ]);
  });

  it('should accept questions and submission at the same instant, and no deadline at all', async () => {
    const member = await person();
    const same = '2030-05-01T10:00:00.000Z';
    expect(
      success(
        await mutate(
          CREATE,
          { kind: 'ORDER', title: 'Commande', buyer: 'Client', questionsDeadline: same, submissionDeadline: same },
          member.token,
        ),
      ),
    ).toMatchObject({ questionsDeadline: same, submissionDeadline: same });
    expect(success(await mutate(CREATE, { kind: 'OTHER', title: 'Idée', buyer: 'Réseau' }, member.token))).toMatchObject({
      questionsDeadline: null,
      submissionDeadline: null,
      lots: [],
    });
  });

  it('should refuse a questions deadline after the submission deadline', async () => {
    const member = await person();
    const result = await unchanged(() =>
      mutate(
        CREATE,
        {
          kind: 'PUBLIC_TENDER',
          title: 'Marché',
          buyer: 'Région',
          questionsDeadline: '2030-03-20T11:00:00.001Z',
          submissionDeadline: '2030-03-20T11:00:00.000Z',
        },
        member.token,
      ),
    );
    expectRule(result, 'OPPORTUNITY_DEADLINES_ORDER', 'input.questionsDeadline');
  });

  it('should refuse two lots with one number', async () => {
    const member = await person();
    const result = await unchanged(() =>
      mutate(
        CREATE,
        {
          kind: 'PUBLIC_TENDER',
          title: 'Marché',
          buyer: 'Région',
          lots: [
            { number: 1, title: 'A' },
            { number: 2, title: 'B' },
            { number: 1, title: 'C' },
          ],
        },
        member.token,
      ),
    );
    expectRule(result, 'OPPORTUNITY_LOT_NUMBER_TAKEN', 'input.lots[2].number');
  });

  it('should refuse a missing title or buyer, a lot numbered 0 and an address that is not http(s)', async () => {
    const member = await person();
    const base = { kind: 'PUBLIC_TENDER', title: 'Marché', buyer: 'Région' };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...base, title: '   ' }, 'input.title'],
      [{ ...base, buyer: '' }, 'input.buyer'],
      [{ ...base, lots: [{ number: 0, title: 'Zéro' }] }, 'input.lots.0.number'],
      [{ ...base, url: 'ftp://example.org/dce.zip' }, 'input.url'],
    ];
    for (const [input, field] of cases) {
      const result = await unchanged(() => mutate(CREATE, input, member.token));
      expect(result, field).toMatchObject({ __typename: 'InputValidationError', issues: [{ field }] });
    }
  });

  // Attack (session 6): the validation plugin stopped at an object's first failing field, so a form learnt its
  // mistakes one round trip at a time (a bad address showed only once the buyer was given).
  it('should report every invalid field at once, at every level of the input', async () => {
    const member = await person();
    const input = {
      kind: 'PUBLIC_TENDER',
      title: 'Marché',
      buyer: '',
      url: 'ftp://example.org/dce.zip',
      lots: [{ number: 0, title: '', estimatedAmountCents: -1 }],
    };
    const result = (await unchanged(() => mutate(CREATE, input, member.token))) as { issues?: Array<{ field: string }> };
    expect(result).toMatchObject({ __typename: 'InputValidationError' });
    expect(result.issues?.map((issue) => issue.field).sort()).toEqual([
      'input.buyer',
      'input.lots.0.estimatedAmountCents',
      'input.lots.0.number',
      'input.lots.0.title',
      'input.url',
    ]);
  });

  it('should have an opportunity the cooperative brings brought by the support staff', async () => {
    const staff = await person(staffPreset);
    const entrepreneur = await person();
    const base = { kind: 'CALL_FOR_PROJECTS', title: 'Appel à projets ESS', buyer: 'Région', broughtByCooperative: true };
    expect(success(await mutate(CREATE, base, staff.token))).toMatchObject({
      broughtByCooperative: true,
      broughtBy: { id: staff.gid },
    });
    expect(success(await mutate(CREATE, { ...base, broughtById: staff.gid }, entrepreneur.token))).toMatchObject({
      broughtByCooperative: true,
      broughtBy: { id: staff.gid },
    });
    expectRule(
      await unchanged(() => mutate(CREATE, base, entrepreneur.token)),
      'OPPORTUNITY_COOPERATIVE_BRINGER',
      'input.broughtByCooperative',
    );
    expectRule(
      await unchanged(() => mutate(CREATE, { ...base, broughtById: null }, staff.token)),
      'OPPORTUNITY_COOPERATIVE_BRINGER',
      'input.broughtByCooperative',
    );
  });

  it('should credit another active member, or nobody, and refuse one who has left or does not exist', async () => {
    const member = await person();
    const colleague = await person();
    const left = await person({ situation: 'LEFT', leftCooperativeOn: new Date('2024-01-31') });
    const base = { kind: 'ORDER', title: 'Commande', buyer: 'Client' };
    expect(success(await mutate(CREATE, { ...base, broughtById: colleague.gid }, member.token)).broughtBy).toEqual({
      id: colleague.gid,
    });
    expect(success(await mutate(CREATE, { ...base, broughtById: null }, member.token)).broughtBy).toBeNull();
    expectRule(
      await unchanged(() => mutate(CREATE, { ...base, broughtById: left.gid }, member.token)),
      'MEMBER_NOT_ACTIVE',
      'input.broughtById',
    );
    expect(
      await unchanged(() => mutate(CREATE, { ...base, broughtById: gid('Member', randomUUID()) }, member.token)),
    ).toMatchObject({
      __typename: 'NotFoundError',
      field: 'input.broughtById',
    });
  });

  it('should refuse an anonymous caller', async () => {
    const response = await t.gql(CREATE, { input: { kind: 'ORDER', title: 'Commande', buyer: 'Client' } });
    expect(response.errors?.length).toBeGreaterThan(0);
    expect(response.data?.result ?? null).toBeNull();
  });
});

// ───────────────────────────── Update ─────────────────────────────

describe('Update', () => {
  it('should let the member who brought it change it, clearing optional fields with null, and record the event', async () => {
    const bringer = await person();
    const opportunity = await makeOpportunity({ broughtById: bringer.id, reference: 'REF-1', url: 'https://example.org' });
    const before = await t.db.prisma.eventLog.count();
    const data = success(
      await mutate(
        UPDATE,
        { id: gid('Opportunity', opportunity.id), title: 'Nouveau titre', reference: null, url: null, kind: 'PRIVATE_TENDER' },
        bringer.token,
      ),
    );
    expect(data).toMatchObject({
      title: 'Nouveau titre',
      reference: null,
      url: null,
      kind: 'PRIVATE_TENDER',
      buyer: opportunity.buyer,
    });
    expect(await t.db.prisma.eventLog.count()).toBe(before + 1);
    expect(await t.db.prisma.eventLog.findFirst({ orderBy: { position: 'desc' } })).toMatchObject({
      type: 'opportunity.updated',
    });
  });

  it('should let the support staff change it, and forbid any other member', async () => {
    const bringer = await person();
    const staff = await person(staffPreset);
    const other = await person();
    const opportunity = await makeOpportunity({ broughtById: bringer.id });
    const id = gid('Opportunity', opportunity.id);
    expect(success(await mutate(UPDATE, { id, buyer: 'Département' }, staff.token)).buyer).toBe('Département');
    const result = await unchanged(() => mutate(UPDATE, { id, buyer: 'Autre' }, other.token));
    expect(result).toMatchObject({ __typename: 'ForbiddenError' });
  });

  it('should answer not found for an opportunity that does not exist', async () => {
    const member = await person(staffPreset);
    expect(
      await unchanged(() => mutate(UPDATE, { id: gid('Opportunity', randomUUID()), title: 'X' }, member.token)),
    ).toMatchObject({
      __typename: 'NotFoundError',
      field: 'input.id',
    });
  });

  it('should keep the deadlines in order, naming the deadline that moved', async () => {
    const bringer = await person();
    const opportunity = await makeOpportunity({
      broughtById: bringer.id,
      questionsDeadline: new Date('2030-03-10T11:00:00Z'),
      submissionDeadline: new Date('2030-03-20T11:00:00Z'),
    });
    const id = gid('Opportunity', opportunity.id);
    expectRule(
      await unchanged(() => mutate(UPDATE, { id, submissionDeadline: '2030-03-09T11:00:00Z' }, bringer.token)),
      'OPPORTUNITY_DEADLINES_ORDER',
      'input.submissionDeadline',
    );
    expectRule(
      await unchanged(() => mutate(UPDATE, { id, questionsDeadline: '2030-03-21T11:00:00Z' }, bringer.token)),
      'OPPORTUNITY_DEADLINES_ORDER',
      'input.questionsDeadline',
    );
    expect(
      success(await mutate(UPDATE, { id, questionsDeadline: null, submissionDeadline: '2030-03-09T11:00:00Z' }, bringer.token)),
    ).toMatchObject({
      questionsDeadline: null,
      submissionDeadline: '2030-03-09T11:00:00.000Z',
    });
  });

  it('should refuse to mark it brought by the cooperative while an entrepreneur brought it', async () => {
    const bringer = await person();
    const opportunity = await makeOpportunity({ broughtById: bringer.id });
    expectRule(
      await unchanged(() =>
        mutate(UPDATE, { id: gid('Opportunity', opportunity.id), broughtByCooperative: true }, bringer.token),
      ),
      'OPPORTUNITY_COOPERATIVE_BRINGER',
      'input.broughtByCooperative',
    );
  });

  it('should replace the lots by number, keeping the lots deals answer', async () => {
    const bringer = await person();
    const animator = await person();
    const opportunity = await t.db.prisma.opportunity.create({
      data: {
        kind: 'PUBLIC_TENDER',
        title: 'Marché à lots',
        buyer: 'Région',
        broughtById: bringer.id,
        lots: { create: [1, 2, 3].map((number) => ({ number, title: `Lot ${number}` })) },
      },
      include: { lots: { orderBy: { number: 'asc' } } },
    });
    const collective = await makeCollective(t.db.prisma, {
      animatorId: animator.id,
      kind: 'BUSINESS',
      horizon: 'ONE_OFF',
      objective: 'Répondre',
      targetDate: new Date(Date.now() + 30 * DAY),
    });
    const answered = opportunity.lots[1];
    await t.db.prisma.deal.create({
      data: { collectiveId: collective.id, opportunityId: opportunity.id, lotId: answered?.id, title: 'Offre lot 2' },
    });
    const id = gid('Opportunity', opportunity.id);
    const data = success(
      await mutate(
        UPDATE,
        {
          id,
          lots: [
            { number: 2, title: 'Lot 2 précisé', estimatedAmountCents: 500_000 },
            { number: 4, title: 'Lot 4' },
          ],
        },
        bringer.token,
      ),
    );
    expect(data.lots).toMatchObject([
      { id: gid('OpportunityLot', answered?.id ?? ''), number: 2, title: 'Lot 2 précisé', estimatedAmountCents: 500_000 },
      { number: 4, title: 'Lot 4' },
    ]);
    expectRule(
      await unchanged(() => mutate(UPDATE, { id, lots: [{ number: 4, title: 'Lot 4' }] }, bringer.token)),
      'OPPORTUNITY_LOT_IN_USE',
      'input.lots',
    );
    expectRule(
      await unchanged(() =>
        mutate(
          UPDATE,
          {
            id,
            lots: [
              { number: 2, title: 'A' },
              { number: 2, title: 'B' },
            ],
          },
          bringer.token,
        ),
      ),
      'OPPORTUNITY_LOT_NUMBER_TAKEN',
      'input.lots[1].number',
    );
  });
});

// ───────────────────────────── Directory ─────────────────────────────

describe('Directory', () => {
  async function directory(token: string, variables: Record<string, unknown>) {
    const response = await t.gql(DIRECTORY, variables, token);
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    const connection = response.data?.opportunities as Json;
    return { ...connection, titles: connection.edges.map((edge: Json) => edge.node.title) };
  }

  it('should show every opportunity to every active member, and filter by kind, origin and openness', async () => {
    const word = tag();
    const staff = await person(staffPreset);
    const someone = await person();
    await makeOpportunity({ title: `Marché ${word}`, kind: 'PUBLIC_TENDER', submissionDeadline: new Date(Date.now() + DAY) });
    await makeOpportunity({ title: `Salon ${word}`, kind: 'TRADE_SHOW', broughtByCooperative: true, broughtById: staff.id });
    await makeOpportunity({ title: `Appel ${word}`, kind: 'CALL_FOR_PROJECTS', submissionDeadline: new Date(Date.now() - DAY) });

    const all = await directory(someone.token, { search: word });
    expect(all.totalCount).toBe(3);
    expect((await directory(staff.token, { search: word })).totalCount).toBe(3);
    expect((await directory(someone.token, { search: word, kind: 'TRADE_SHOW' })).titles).toEqual([`Salon ${word}`]);
    expect((await directory(someone.token, { search: word, broughtByCooperative: true })).titles).toEqual([`Salon ${word}`]);
    expect((await directory(someone.token, { search: word, broughtByCooperative: false })).totalCount).toBe(2);
    expect((await directory(someone.token, { search: word, open: true, orderBy: 'SUBMISSION_DEADLINE' })).titles).toEqual([
      `Marché ${word}`,
      `Salon ${word}`,
    ]);
    expect((await directory(someone.token, { search: word, open: false })).titles).toEqual([`Appel ${word}`]);
  });

  it('should search the title, the buyer and the reference, in any case', async () => {
    const word = tag();
    const member = await person();
    await makeOpportunity({ title: `Rédaction ${word}`, buyer: 'Ville de Nantes' });
    await makeOpportunity({ title: 'Identité visuelle', buyer: `Office ${word.toUpperCase()}` });
    await makeOpportunity({ title: 'Formation', buyer: 'Région', reference: `AO-${word}-7` });
    expect((await directory(member.token, { search: word })).totalCount).toBe(3);
    expect((await directory(member.token, { search: `NANTES ${word}` })).titles).toEqual([`Rédaction ${word}`]);
    expect((await directory(member.token, { search: `${word}-7` })).titles).toEqual(['Formation']);
    expect((await directory(member.token, { search: `office ${word}` })).titles).toEqual(['Identité visuelle']);
  });

  it('should order by submission deadline (none last) or newest first, and page', async () => {
    const word = tag();
    const member = await person();
    const now = Date.now();
    await makeOpportunity({
      title: `C ${word}`,
      submissionDeadline: new Date(now + 3 * DAY),
      createdAt: new Date(now - 3 * HOUR),
    });
    await makeOpportunity({ title: `Sans ${word}`, createdAt: new Date(now - 2 * HOUR) });
    await makeOpportunity({ title: `A ${word}`, submissionDeadline: new Date(now + DAY), createdAt: new Date(now - 4 * HOUR) });
    await makeOpportunity({ title: `B ${word}`, submissionDeadline: new Date(now + 2 * DAY), createdAt: new Date(now - HOUR) });

    expect((await directory(member.token, { search: word, orderBy: 'SUBMISSION_DEADLINE' })).titles).toEqual([
      `A ${word}`,
      `B ${word}`,
      `C ${word}`,
      `Sans ${word}`,
    ]);
    expect((await directory(member.token, { search: word })).titles).toEqual([
      `B ${word}`,
      `Sans ${word}`,
      `C ${word}`,
      `A ${word}`,
    ]);
    const first = await directory(member.token, { search: word, orderBy: 'SUBMISSION_DEADLINE', first: 3 });
    expect(first).toMatchObject({ totalCount: 4, pageInfo: { hasNextPage: true } });
    const second = await directory(member.token, {
      search: word,
      orderBy: 'SUBMISSION_DEADLINE',
      first: 3,
      after: first.pageInfo.endCursor,
    });
    expect(second).toMatchObject({ totalCount: 4, pageInfo: { hasNextPage: false }, titles: [`Sans ${word}`] });
  });

  it('should fetch an opportunity and a lot by global ID, with the collectives answering it', async () => {
    const member = await person();
    const opportunity = await t.db.prisma.opportunity.create({
      data: { kind: 'PUBLIC_TENDER', title: 'Marché', buyer: 'Région', lots: { create: [{ number: 1, title: 'Seul lot' }] } },
      include: { lots: true },
    });
    const collective = await makeCollective(t.db.prisma, {
      animatorId: member.id,
      name: `Réponse ${tag()}`,
      kind: 'BUSINESS',
      horizon: 'ONE_OFF',
      objective: 'Répondre',
      targetDate: new Date(Date.now() + 30 * DAY),
      opportunityId: opportunity.id,
    });
    const outsider = await person();
    const response = await t.gql(
      `query($id: ID!, $lot: ID!) {
        node(id: $id) { __typename ... on Opportunity { title collectives { id name } } }
        lot: node(id: $lot) { __typename ... on OpportunityLot { number title opportunity { id } } }
      }`,
      { id: gid('Opportunity', opportunity.id), lot: gid('OpportunityLot', opportunity.lots[0]?.id ?? '') },
      outsider.token,
    );
    expect(response).toEqual({
      data: {
        node: {
          __typename: 'Opportunity',
          title: 'Marché',
          collectives: [{ id: gid('Collective', collective.id), name: collective.name }],
        },
        lot: {
          __typename: 'OpportunityLot',
          number: 1,
          title: 'Seul lot',
          opportunity: { id: gid('Opportunity', opportunity.id) },
        },
      },
    });
    expect(
      await t.gql('query($id: ID!) { node(id: $id) { id } }', { id: gid('Opportunity', randomUUID()) }, outsider.token),
    ).toEqual({
      data: { node: null },
    });
  });

  it('should list only the deals the viewer may see on an opportunity', async () => {
    const animator = await person();
    const outsider = await person();
    const opportunity = await makeOpportunity();
    const collective = await makeCollective(t.db.prisma, {
      animatorId: animator.id,
      kind: 'BUSINESS',
      horizon: 'ONE_OFF',
      objective: 'Répondre',
      targetDate: new Date(Date.now() + 30 * DAY),
    });
    const deal = await t.db.prisma.deal.create({
      data: { collectiveId: collective.id, opportunityId: opportunity.id, title: 'Offre' },
    });
    const query = `query($id: ID!) { node(id: $id) { ... on Opportunity { deals { totalCount edges { node { id title } } } } } }`;
    const variables = { id: gid('Opportunity', opportunity.id) };
    expect((await t.gql(query, variables, animator.token)).data?.node.deals).toEqual({
      totalCount: 1,
      edges: [{ node: { id: gid('Deal', deal.id), title: 'Offre' } }],
    });
    expect((await t.gql(query, variables, outsider.token)).data?.node.deals).toEqual({ totalCount: 0, edges: [] });
  });

  it('should answer nothing to an anonymous caller', async () => {
    const response = await t.gql(DIRECTORY, {});
    expect(response.errors?.length).toBeGreaterThan(0);
    expect(response.data?.opportunities ?? null).toBeNull();
  });
});

// ───────────────────────────── Upcoming deadlines ─────────────────────────────

describe('Upcoming deadlines', () => {
  it('should list the questions and submission deadlines of the coming days, soonest first', async () => {
    const member = await person();
    const now = Date.now();
    const both = await makeOpportunity({
      questionsDeadline: new Date(now + 2 * DAY),
      submissionDeadline: new Date(now + 9 * DAY),
    });
    const soon = await makeOpportunity({ submissionDeadline: new Date(now + HOUR) });
    const later = await makeOpportunity({
      questionsDeadline: new Date(now + 20 * DAY),
      submissionDeadline: new Date(now + 45 * DAY),
    });
    const past = await makeOpportunity({ questionsDeadline: new Date(now - DAY), submissionDeadline: new Date(now - HOUR) });
    const mine = new Set([both.id, soon.id, later.id, past.id].map((id) => gid('Opportunity', id)));

    const within = async (withinDays?: number) => {
      const response = await t.gql(UPCOMING, withinDays === undefined ? {} : { withinDays }, member.token);
      expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
      return ((response.data?.upcomingDeadlines ?? []) as Json[])
        .filter((deadline) => mine.has(deadline.opportunity.id))
        .map((deadline) => [deadline.opportunity.id, deadline.kind]);
    };
    const id = (row: { id: string }) => gid('Opportunity', row.id);

    expect(await within()).toEqual([
      [id(soon), 'SUBMISSION'],
      [id(both), 'QUESTIONS'],
      [id(both), 'SUBMISSION'],
      [id(later), 'QUESTIONS'],
    ]);
    expect(await within(7)).toEqual([
      [id(soon), 'SUBMISSION'],
      [id(both), 'QUESTIONS'],
    ]);
    expect(await within(0)).toEqual([]);
    expect(await within(60)).toHaveLength(5);
  });

  it('should give the day a deadline falls on in Paris', async () => {
    const member = await person();
    // 23:30 UTC is already the next day in Paris, summer (UTC+2) or winter (UTC+1).
    const at = new Date(Date.now() + 5 * DAY);
    at.setUTCHours(23, 30, 0, 0);
    const opportunity = await makeOpportunity({ submissionDeadline: at });
    const response = await t.gql(UPCOMING, { withinDays: 7 }, member.token);
    const deadline = ((response.data?.upcomingDeadlines ?? []) as Json[]).find(
      (d) => d.opportunity.id === gid('Opportunity', opportunity.id),
    );
    const nextDay = new Date(at.getTime() + DAY).toISOString().slice(0, 10);
    expect(deadline).toEqual({
      kind: 'SUBMISSION',
      at: at.toISOString(),
      day: nextDay,
      opportunity: { id: gid('Opportunity', opportunity.id), title: opportunity.title },
    });
  });

  it('should refuse a window outside 0 to 366 days', async () => {
    const member = await person();
    const bare = await t.gql('{ upcomingDeadlines(withinDays: 366) { kind at day } }', {}, member.token);
    expect(bare.errors, JSON.stringify(bare.errors)).toBeUndefined();
    for (const withinDays of [-1, 367]) {
      const response = await t.gql(UPCOMING, { withinDays }, member.token);
      expect(response.errors?.length, String(withinDays)).toBeGreaterThan(0);
    }
  });

  it('should load deadlines with their opportunities, lots and bringers in a fixed number of statements', async () => {
    const member = await person();
    const bringers = await Promise.all([person(), person(), person()]);
    const query = /* GraphQL */ `
      query($withinDays: Int) {
        upcomingDeadlines(withinDays: $withinDays) { kind at opportunity { title broughtBy { displayName } lots { number title } } }
        opportunities(first: 40) { edges { node { title broughtBy { displayName } lots { number } deals { totalCount } } } }
      }
    `;
    const count = async () => {
      statements.length = 0;
      const response = await t.gql(query, { withinDays: 3 }, member.token);
      expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
      return { statements: statements.length, deadlines: ((response.data?.upcomingDeadlines ?? []) as Json[]).length };
    };
    const add = async (n: number) => {
      for (let i = 0; i < n; i += 1) {
        await t.db.prisma.opportunity.create({
          data: {
            kind: 'PUBLIC_TENDER',
            title: `Compte ${tag()}`,
            buyer: 'Région',
            broughtById: bringers[i % 3]?.id,
            submissionDeadline: new Date(Date.now() + DAY + i * HOUR),
            lots: { create: [{ number: 1, title: 'Lot' }] },
          },
        });
      }
    };
    // The token's first request reads its session too (kept for its next requests: context.ts), so read once first.
    await count();
    await add(2);
    const small = await count();
    await add(20);
    const large = await count();
    expect(large.deadlines).toBeGreaterThanOrEqual(small.deadlines + 20);
    expect(large.statements).toBe(small.statements);
  });
});

describe('Event payloads', () => {
  it('should send every ID in the payloads this suite recorded as a global ID, as subjectId is', async () => {
    await expectGlobalPayloadIds(t);
  });
});
