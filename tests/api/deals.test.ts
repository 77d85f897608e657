import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DealStatus, GroupForm } from '../../server/src/generated/prisma/enums.js';
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

// ───────────────────────────── Documents ─────────────────────────────

const DEAL = /* GraphQL */ `
  fragment DealFields on Deal {
    id title groupForm status totalAmountCents submittedAt decidedAt shareTotal amountTotal nextStatuses isClosed
    collective { id }
    opportunity { id }
    lot { id number }
    lead { id }
    partners { ...PartnerFields }
  }
  fragment PartnerFields on DealPartner {
    id companyName siret isLead scopeOfWork amountCents shareBasisPoints status displayName
    member { id }
  }
`;

const mutation = (name: string, inputType: string) => /* GraphQL */ `
  mutation($input: ${inputType}!) {
    result: ${name}(input: $input) {
      __typename
      ... on Mutation${name[0]?.toUpperCase()}${name.slice(1)}Success { data { ...DealFields } }
      ...Failure
    }
  }
  ${DEAL}
  ${FAILURE}
`;

const CREATE = mutation('createDeal', 'CreateDealInput');
const UPDATE = mutation('updateDeal', 'UpdateDealInput');
const SET_PARTNERS = mutation('setDealPartners', 'SetDealPartnersInput');
const CHANGE_STATUS = mutation('changeDealStatus', 'ChangeDealStatusInput');
const SUBSTITUTE = mutation('substituteDealPartner', 'SubstituteDealPartnerInput');

const NODE = /* GraphQL */ `
  query($id: ID!) { node(id: $id) { __typename id ... on Deal { ...DealFields } ... on DealPartner { id partnerStatus: status } } }
  ${DEAL}
`;

// ───────────────────────────── Helpers ─────────────────────────────

const X = '73282932000074';
const Y = '54205118000066';
const Z = '44306184100047';
/** A La Poste establishment: digits sum to a multiple of 5, Luhn fails. */
const LA_POSTE = '35600000049837';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Sends a mutation aliased `result` with this `input`; see operations.ts `mutate`. */
const mutate = (document: string, input: Record<string, unknown>, token: string) => mutateWith(t, document, { input }, token);

/** Every row a deal rule may touch, to prove a refused change changed nothing. */
async function tables() {
  const prisma = t.db.prisma;
  const [deals, partners, substitutions, opportunities, lots, events] = await Promise.all([
    prisma.deal.findMany({ orderBy: { id: 'asc' } }),
    prisma.dealPartner.findMany({ orderBy: { id: 'asc' } }),
    prisma.dealSubstitution.findMany({ orderBy: { id: 'asc' } }),
    prisma.opportunity.findMany({ orderBy: { id: 'asc' } }),
    prisma.opportunityLot.findMany({ orderBy: { id: 'asc' } }),
    prisma.eventLog.count(),
  ]);
  return { deals, partners, substitutions, opportunities, lots, events };
}

/** Runs a change that must be refused, and checks the database is exactly as before. */
async function unchanged(change: () => Promise<Json>): Promise<Json> {
  const before = await tables();
  const result = await change();
  expect(await tables()).toEqual(before);
  return result;
}

/** Runs a change that must succeed, and checks it recorded exactly one event of this type. */
async function withEvent(type: string, change: () => Promise<Json>): Promise<Json> {
  const before = await t.db.prisma.eventLog.findFirst({ orderBy: { position: 'desc' } });
  const result = success(await change());
  const events = await t.db.prisma.eventLog.findMany({ where: { position: { gt: before?.position ?? 0n } } });
  expect(events.map((event) => event.type)).toEqual([type]);
  expect(events[0]?.subjectId).toBe(result.id);
  return result;
}

async function person(data: Parameters<typeof makeMember>[1] = {}) {
  const member = await makeMember(t.db.prisma, data);
  return { member, id: member.id, gid: gid('Member', member.id), token: await t.tokenFor(member.id) };
}

type Person = Awaited<ReturnType<typeof person>>;

interface World {
  animator: Person;
  member: Person;
  staff: Person;
  outsider: Person;
  /** A member of the cooperative outside the collective, made partner of some deals. */
  partner: Person;
  collective: { id: string; gid: string };
  opportunity: { id: string; gid: string; lots: Array<{ id: string; gid: string; number: number }> };
}

async function makeOpportunity(data: { submissionDeadline?: Date | null; lots?: number[] } = {}) {
  const opportunity = await t.db.prisma.opportunity.create({
    data: {
      kind: 'PUBLIC_TENDER',
      title: `Marché ${randomUUID().slice(0, 8)}`,
      buyer: 'Ville de Lyon',
      submissionDeadline: data.submissionDeadline === undefined ? new Date(Date.now() + 30 * DAY) : data.submissionDeadline,
      lots: { create: (data.lots ?? [1, 2]).map((number) => ({ number, title: `Lot ${number}` })) },
    },
    include: { lots: { orderBy: { number: 'asc' } } },
  });
  return {
    id: opportunity.id,
    gid: gid('Opportunity', opportunity.id),
    lots: opportunity.lots.map((lot) => ({ id: lot.id, gid: gid('OpportunityLot', lot.id), number: lot.number })),
  };
}

async function world(): Promise<World> {
  const animator = await person();
  const member = await person();
  const staff = await person({ kind: 'SUPPORT_STAFF', contract: 'STAFF', isAssociate: false, sectors: [] });
  const outsider = await person();
  const partner = await person();
  const collective = await makeCollective(t.db.prisma, {
    animatorId: animator.id,
    memberIds: [member.id],
    kind: 'BUSINESS',
    horizon: 'ONE_OFF',
    objective: 'Répondre au marché de la ville.',
    targetDate: new Date(Date.now() + 60 * DAY),
  });
  return {
    animator,
    member,
    staff,
    outsider,
    partner,
    collective: { id: collective.id, gid: gid('Collective', collective.id) },
    opportunity: await makeOpportunity(),
  };
}

interface PartnerRow {
  memberId?: string | null;
  companyName?: string | null;
  siret?: string | null;
  isLead?: boolean;
  scopeOfWork?: string | null;
  amountCents?: number;
  shareBasisPoints?: number;
}

/** The usual group: the animator leads (60 %), an external company takes 40 %, of 100 000 cents. */
function jointPartners(w: World): PartnerRow[] {
  return [
    { memberId: w.animator.id, isLead: true, scopeOfWork: 'Rédaction', amountCents: 60_000, shareBasisPoints: 6_000 },
    { companyName: 'Studio X', siret: X, scopeOfWork: 'Graphisme', amountCents: 40_000, shareBasisPoints: 4_000 },
  ];
}

const FROZEN: DealStatus[] = ['SUBMITTED', 'WON', 'LOST', 'UNSUCCESSFUL'];

/** A deal straight in the database, in any status, with valid partners by default. */
async function makeDeal(
  w: World,
  data: {
    status?: DealStatus;
    groupForm?: GroupForm;
    totalAmountCents?: number;
    partners?: PartnerRow[];
    opportunityId?: string;
    submittedAt?: Date | null;
  } = {},
) {
  const status = data.status ?? 'WATCH';
  const partners = data.partners ?? jointPartners(w);
  const deal = await t.db.prisma.deal.create({
    data: {
      collectiveId: w.collective.id,
      opportunityId: data.opportunityId ?? w.opportunity.id,
      title: `Offre ${randomUUID().slice(0, 8)}`,
      groupForm: data.groupForm ?? 'JOINT',
      totalAmountCents: data.totalAmountCents ?? 100_000,
      status,
      submittedAt:
        data.submittedAt !== undefined ? data.submittedAt : FROZEN.includes(status) ? new Date(Date.now() - HOUR) : null,
      partners: {
        create: partners.map((partner, index) => ({
          memberId: partner.memberId ?? null,
          companyName: partner.companyName ?? null,
          siret: partner.siret ?? null,
          isLead: partner.isLead ?? false,
          scopeOfWork: partner.scopeOfWork ?? null,
          amountCents: partner.amountCents ?? 0,
          shareBasisPoints: partner.shareBasisPoints ?? 0,
          createdAt: new Date(Date.now() - DAY + index),
        })),
      },
    },
    include: { partners: { orderBy: { createdAt: 'asc' } } },
  });
  return { ...deal, gid: gid('Deal', deal.id), partnerGids: deal.partners.map((partner) => gid('DealPartner', partner.id)) };
}

/** Partners as the API takes them (member IDs as global IDs). */
function asInput(partners: PartnerRow[]): Json[] {
  return partners.map(({ memberId, ...rest }) => ({ ...rest, ...(memberId ? { memberId: gid('Member', memberId) } : {}) }));
}

// ───────────────────────────── Create ─────────────────────────────

describe('Create', () => {
  it('should create a deal in watch, with its partners in input order, and record the event', async () => {
    const w = await world();
    const data = await withEvent('deal.created', () =>
      mutate(
        CREATE,
        {
          collectiveId: w.collective.gid,
          opportunityId: w.opportunity.gid,
          lotId: w.opportunity.lots[1]?.gid,
          title: '  Marché de rédaction  ',
          groupForm: 'JOINT',
          totalAmountCents: 100_000,
          partners: asInput([
            {
              companyName: 'Studio X',
              siret: '732 829 320 00074',
              scopeOfWork: 'Graphisme',
              amountCents: 40_000,
              shareBasisPoints: 4_000,
            },
            { memberId: w.member.id, isLead: true, scopeOfWork: 'Rédaction', amountCents: 60_000, shareBasisPoints: 6_000 },
          ]),
        },
        w.member.token,
      ),
    );
    expect(data).toMatchObject({
      title: 'Marché de rédaction',
      groupForm: 'JOINT',
      status: 'WATCH',
      totalAmountCents: 100_000,
      submittedAt: null,
      shareTotal: 10_000,
      amountTotal: 100_000,
      nextStatuses: ['GO', 'NO_GO'],
      isClosed: false,
      collective: { id: w.collective.gid },
      opportunity: { id: w.opportunity.gid },
      lot: { id: w.opportunity.lots[1]?.gid, number: 2 },
      partners: [
        { companyName: 'Studio X', siret: X, member: null, isLead: false, displayName: 'Studio X', status: 'ACTIVE' },
        { companyName: null, siret: null, member: { id: w.member.gid }, isLead: true, amountCents: 60_000 },
      ],
    });
    expect(data.lead).toEqual({ id: data.partners[1].id });
  });

  it('should create a deal with no partners yet, as a single bidder', async () => {
    const w = await world();
    const data = success(
      await mutate(
        CREATE,
        { collectiveId: w.collective.gid, opportunityId: w.opportunity.gid, title: 'Veille' },
        w.animator.token,
      ),
    );
    expect(data).toMatchObject({ groupForm: 'NONE', totalAmountCents: 0, partners: [], lead: null, shareTotal: 0, lot: null });
  });

  it('should refuse a collective that is not a business one', async () => {
    const w = await world();
    const commons = await makeCollective(t.db.prisma, { animatorId: w.member.id });
    const result = await unchanged(() =>
      mutate(
        CREATE,
        { collectiveId: gid('Collective', commons.id), opportunityId: w.opportunity.gid, title: 'Offre' },
        w.member.token,
      ),
    );
    expectRule(result, 'DEAL_NEEDS_BUSINESS_COLLECTIVE', 'input.collectiveId');
  });

  it('should refuse a lot of another opportunity and a missing opportunity', async () => {
    const w = await world();
    const other = await makeOpportunity();
    const base = { collectiveId: w.collective.gid, opportunityId: w.opportunity.gid, title: 'Offre' };
    expectRule(
      await unchanged(() => mutate(CREATE, { ...base, lotId: other.lots[0]?.gid }, w.member.token)),
      'DEAL_LOT_OF_OTHER_OPPORTUNITY',
      'input.lotId',
    );
    expect(
      await unchanged(() => mutate(CREATE, { ...base, opportunityId: gid('Opportunity', randomUUID()) }, w.member.token)),
    ).toMatchObject({ __typename: 'NotFoundError', field: 'input.opportunityId' });
  });

  it('should check the partner invariants on creation', async () => {
    const w = await world();
    const base = { collectiveId: w.collective.gid, opportunityId: w.opportunity.gid, title: 'Offre', groupForm: 'JOINT' };
    const partners = jointPartners(w);
    expectRule(
      await unchanged(() =>
        mutate(CREATE, { ...base, totalAmountCents: 100_000, partners: asInput([partners[0] as PartnerRow]) }, w.member.token),
      ),
      'DEAL_GROUP_NEEDS_TWO_PARTIES',
      'input.partners',
    );
    expectRule(
      await unchanged(() => mutate(CREATE, { ...base, totalAmountCents: 90_000, partners: asInput(partners) }, w.member.token)),
      'DEAL_AMOUNTS_NOT_TOTAL',
      'input.partners',
    );
    expectRule(
      await unchanged(() =>
        mutate(
          CREATE,
          {
            ...base,
            totalAmountCents: 100_000,
            partners: asInput([partners[0] as PartnerRow, { ...partners[1], siret: '73282932000075' }]),
          },
          w.member.token,
        ),
      ),
      'DEAL_PARTNER_SIRET_INVALID',
      'input.partners[1].siret',
    );
  });
});

// ───────────────────────────── Partner invariants ─────────────────────────────

interface Case {
  name: string;
  groupForm: GroupForm;
  total?: number;
  partners: (w: World, others: { left: string }) => PartnerRow[];
  /** The refusal, or nothing when the list is accepted. */
  refused?: { rule: string; field: string } | { type: 'NotFoundError' | 'InputValidationError'; field: string };
}

const member = (id: string, extra: PartnerRow = {}): PartnerRow => ({ memberId: id, ...extra });
const company = (name: string, siret: string, extra: PartnerRow = {}): PartnerRow => ({ companyName: name, siret, ...extra });
const part = (amountCents: number, shareBasisPoints: number, scopeOfWork: string | null = 'Une part du travail') => ({
  amountCents,
  shareBasisPoints,
  scopeOfWork,
});

const CASES: Case[] = [
  // Accepted.
  { name: 'no partners at all', groupForm: 'NONE', partners: () => [] },
  {
    name: 'one member, no lead, as a single bidder',
    groupForm: 'NONE',
    partners: (w) => [member(w.animator.id, part(100_000, 10_000, null))],
  },
  {
    name: 'a single bidder with one lead',
    groupForm: 'NONE',
    partners: (w) => [member(w.animator.id, { ...part(70_000, 7_000), isLead: true }), member(w.member.id, part(30_000, 3_000))],
  },
  { name: 'a joint group of a member and a company', groupForm: 'JOINT', partners: (w) => jointPartners(w) },
  {
    name: 'a several group without scopes, one partner at zero',
    groupForm: 'SEVERAL',
    partners: (w) => [
      member(w.animator.id, { ...part(100_000, 10_000, null), isLead: true }),
      member(w.partner.id, part(0, 0, null)),
    ],
  },
  {
    name: 'a joint group with a jointly-liable lead and La Poste',
    groupForm: 'JOINT_WITH_JOINTLY_LIABLE_LEAD',
    partners: () => [
      company('La Poste', LA_POSTE, { ...part(50_000, 5_000), isLead: true }),
      company('Studio Y', Y, part(25_000, 2_500)),
      company('Studio Z', '443 061 841 00047', part(25_000, 2_500)),
    ],
  },
  // Two distinct parties and one lead.
  {
    name: 'a group of one party',
    groupForm: 'JOINT',
    partners: (w) => [member(w.animator.id, { ...part(100_000, 10_000), isLead: true })],
    refused: { rule: 'DEAL_GROUP_NEEDS_TWO_PARTIES', field: 'input.partners' },
  },
  {
    name: 'a group of the same member twice',
    groupForm: 'SEVERAL',
    partners: (w) => [
      member(w.animator.id, { ...part(50_000, 5_000), isLead: true }),
      member(w.animator.id, part(50_000, 5_000)),
    ],
    refused: { rule: 'DEAL_GROUP_NEEDS_TWO_PARTIES', field: 'input.partners' },
  },
  {
    name: 'a group of the same SIRET twice, however typed',
    groupForm: 'JOINT',
    partners: () => [
      company('Studio X', X, { ...part(50_000, 5_000), isLead: true }),
      company('X Studio', '732 829 320 00074', part(50_000, 5_000)),
    ],
    refused: { rule: 'DEAL_GROUP_NEEDS_TWO_PARTIES', field: 'input.partners' },
  },
  {
    name: 'a party listed twice in a larger group',
    groupForm: 'JOINT',
    partners: (w) => [
      ...jointPartners(w).map((p) => ({ ...p, amountCents: 30_000, shareBasisPoints: 3_000 })),
      member(w.animator.id, part(40_000, 4_000)),
    ],
    refused: { rule: 'DEAL_DUPLICATE_PARTNER', field: 'input.partners[2]' },
  },
  {
    name: 'the same member twice as a single bidder',
    groupForm: 'NONE',
    partners: (w) => [member(w.member.id, part(50_000, 5_000)), member(w.member.id, part(50_000, 5_000))],
    refused: { rule: 'DEAL_DUPLICATE_PARTNER', field: 'input.partners[1]' },
  },
  {
    name: 'a group without a lead',
    groupForm: 'JOINT',
    partners: (w) => jointPartners(w).map((p) => ({ ...p, isLead: false })),
    refused: { rule: 'DEAL_LEAD_REQUIRED', field: 'input.partners' },
  },
  {
    name: 'a group with two leads',
    groupForm: 'SEVERAL',
    partners: (w) => jointPartners(w).map((p) => ({ ...p, isLead: true })),
    refused: { rule: 'DEAL_ONE_LEAD', field: 'input.partners[1].isLead' },
  },
  {
    name: 'a single bidder with two leads',
    groupForm: 'NONE',
    partners: (w) => [
      member(w.animator.id, { ...part(50_000, 5_000), isLead: true }),
      member(w.member.id, { ...part(50_000, 5_000), isLead: true }),
    ],
    refused: { rule: 'DEAL_ONE_LEAD', field: 'input.partners[1].isLead' },
  },
  // Money.
  {
    name: 'shares below 100 %',
    groupForm: 'JOINT',
    partners: (w) => [jointPartners(w)[0] as PartnerRow, { ...jointPartners(w)[1], shareBasisPoints: 3_999 }],
    refused: { rule: 'DEAL_SHARES_NOT_100', field: 'input.partners' },
  },
  {
    name: 'shares above 100 %',
    groupForm: 'NONE',
    partners: (w) => [member(w.animator.id, part(60_000, 6_000)), member(w.member.id, part(40_000, 4_001))],
    refused: { rule: 'DEAL_SHARES_NOT_100', field: 'input.partners' },
  },
  {
    name: 'amounts that miss the total by one cent',
    groupForm: 'JOINT',
    partners: (w) => [jointPartners(w)[0] as PartnerRow, { ...jointPartners(w)[1], amountCents: 39_999 }],
    refused: { rule: 'DEAL_AMOUNTS_NOT_TOTAL', field: 'input.partners' },
  },
  {
    name: 'a negative amount',
    groupForm: 'NONE',
    partners: (w) => [member(w.animator.id, part(100_001, 10_000)), member(w.member.id, part(-1, 0))],
    refused: { type: 'InputValidationError', field: 'input.partners.1.amountCents' },
  },
  {
    name: 'a share above 10 000 basis points',
    groupForm: 'NONE',
    partners: (w) => [member(w.animator.id, part(100_000, 10_001))],
    refused: { type: 'InputValidationError', field: 'input.partners.0.shareBasisPoints' },
  },
  // Joint forms.
  {
    name: 'a joint partner without a scope of work',
    groupForm: 'JOINT',
    partners: (w) => [jointPartners(w)[0] as PartnerRow, { ...jointPartners(w)[1], scopeOfWork: null }],
    refused: { rule: 'DEAL_SCOPE_OF_WORK_REQUIRED', field: 'input.partners[1].scopeOfWork' },
  },
  {
    name: 'a blank scope of work under a jointly-liable lead',
    groupForm: 'JOINT_WITH_JOINTLY_LIABLE_LEAD',
    partners: (w) => [{ ...jointPartners(w)[0], scopeOfWork: '   ' }, jointPartners(w)[1] as PartnerRow],
    refused: { rule: 'DEAL_SCOPE_OF_WORK_REQUIRED', field: 'input.partners[0].scopeOfWork' },
  },
  {
    name: 'a joint partner with no amount',
    groupForm: 'JOINT',
    partners: (w) => [
      { ...jointPartners(w)[0], amountCents: 100_000 },
      { ...jointPartners(w)[1], amountCents: 0 },
    ],
    refused: { rule: 'DEAL_AMOUNT_REQUIRED', field: 'input.partners[1].amountCents' },
  },
  // Who a partner is.
  {
    name: 'a partner both member and company',
    groupForm: 'JOINT',
    partners: (w) => [jointPartners(w)[0] as PartnerRow, { ...jointPartners(w)[1], memberId: w.member.id }],
    refused: { rule: 'DEAL_PARTNER_MEMBER_OR_COMPANY', field: 'input.partners[1]' },
  },
  {
    name: 'a partner neither member nor company',
    groupForm: 'JOINT',
    partners: (w) => [jointPartners(w)[0] as PartnerRow, { ...jointPartners(w)[1], companyName: null, siret: null }],
    refused: { rule: 'DEAL_PARTNER_MEMBER_OR_COMPANY', field: 'input.partners[1]' },
  },
  {
    name: 'a company without its SIRET',
    groupForm: 'JOINT',
    partners: (w) => [jointPartners(w)[0] as PartnerRow, { ...jointPartners(w)[1], siret: null }],
    refused: { rule: 'REQUIRED', field: 'input.partners[1].siret' },
  },
  {
    name: 'a SIRET without a company name',
    groupForm: 'JOINT',
    partners: (w) => [jointPartners(w)[0] as PartnerRow, { ...jointPartners(w)[1], companyName: ' ' }],
    refused: { rule: 'REQUIRED', field: 'input.partners[1].companyName' },
  },
  {
    name: 'a SIRET with a wrong key',
    groupForm: 'JOINT',
    partners: (w) => [jointPartners(w)[0] as PartnerRow, { ...jointPartners(w)[1], siret: '73282932000075' }],
    refused: { rule: 'DEAL_PARTNER_SIRET_INVALID', field: 'input.partners[1].siret' },
  },
  {
    name: 'a La Poste SIRET whose digits do not sum to a multiple of 5',
    groupForm: 'JOINT',
    partners: (w) => [jointPartners(w)[0] as PartnerRow, { ...jointPartners(w)[1], siret: '35600000000014' }],
    refused: { rule: 'DEAL_PARTNER_SIRET_INVALID', field: 'input.partners[1].siret' },
  },
  {
    name: 'a SIRET of 13 digits',
    groupForm: 'JOINT',
    partners: (w) => [jointPartners(w)[0] as PartnerRow, { ...jointPartners(w)[1], siret: '7328293200007' }],
    refused: { rule: 'DEAL_PARTNER_SIRET_INVALID', field: 'input.partners[1].siret' },
  },
  {
    name: 'a member who has left the cooperative',
    groupForm: 'JOINT',
    partners: (w, others) => [
      jointPartners(w)[0] as PartnerRow,
      { ...jointPartners(w)[1], companyName: null, siret: null, memberId: others.left },
    ],
    refused: { rule: 'MEMBER_NOT_ACTIVE', field: 'input.partners[1].memberId' },
  },
  {
    name: 'a member who does not exist',
    groupForm: 'JOINT',
    partners: (w) => [
      jointPartners(w)[0] as PartnerRow,
      { ...jointPartners(w)[1], companyName: null, siret: null, memberId: randomUUID() },
    ],
    refused: { type: 'NotFoundError', field: 'input.partners[1].memberId' },
  },
];

describe('Partner invariants', () => {
  let w: World;
  let left: string;
  beforeAll(async () => {
    w = await world();
    left = (await makeMember(t.db.prisma, { situation: 'LEFT', leftCooperativeOn: new Date('2024-06-30') })).id;
  });

  it.each(CASES.filter((c) => !c.refused))('should accept $name', async (c) => {
    const deal = await makeDeal(w, { groupForm: 'NONE', partners: [], totalAmountCents: c.total ?? 100_000 });
    const partners = c.partners(w, { left });
    const send = () =>
      mutate(SET_PARTNERS, { dealId: deal.gid, groupForm: c.groupForm, partners: asInput(partners) }, w.member.token);
    // No partners on a single bid is what the deal has already: accepted, nothing written, no event.
    const changes = partners.length > 0 || c.groupForm !== 'NONE';
    const data = changes ? await withEvent('deal.partnersSet', send) : success(await unchanged(send));
    expect(data.groupForm).toBe(c.groupForm);
    expect(data.partners).toHaveLength(partners.length);
    expect(data.shareTotal).toBe(partners.length ? 10_000 : 0);
    expect(data.amountTotal).toBe(partners.length ? data.totalAmountCents : 0);
    data.partners.forEach((stored: Json, index: number) => {
      const sent = partners[index] as PartnerRow;
      expect(stored).toMatchObject({
        member: sent.memberId ? { id: gid('Member', sent.memberId) } : null,
        siret: sent.siret ? sent.siret.replaceAll(' ', '') : null,
        isLead: sent.isLead ?? false,
        amountCents: sent.amountCents,
        shareBasisPoints: sent.shareBasisPoints,
      });
    });
  });

  it.each(CASES.filter((c) => c.refused))('should refuse $name, changing nothing', async (c) => {
    const deal = await makeDeal(w, { groupForm: 'NONE', partners: [], totalAmountCents: c.total ?? 100_000 });
    const result = await unchanged(() =>
      mutate(
        SET_PARTNERS,
        { dealId: deal.gid, groupForm: c.groupForm, partners: asInput(c.partners(w, { left })) },
        w.member.token,
      ),
    );
    const refused = c.refused as NonNullable<Case['refused']>;
    if ('rule' in refused) expectRule(result, refused.rule, refused.field);
    else if (refused.type === 'InputValidationError')
      expect(result).toMatchObject({ __typename: refused.type, issues: [{ field: refused.field }] });
    else expect(result).toMatchObject({ __typename: refused.type, field: refused.field });
  });

  it('should keep the partner ID of a party that stays, and drop those left out', async () => {
    const deal = await makeDeal(w);
    const [lead, studio] = deal.partners;
    const data = success(
      await mutate(
        SET_PARTNERS,
        {
          dealId: deal.gid,
          partners: asInput([
            {
              memberId: w.animator.id,
              isLead: true,
              scopeOfWork: 'Rédaction et pilotage',
              amountCents: 50_000,
              shareBasisPoints: 5_000,
            },
            { companyName: 'Studio Y', siret: Y, scopeOfWork: 'Illustrations', amountCents: 50_000, shareBasisPoints: 5_000 },
          ]),
        },
        w.member.token,
      ),
    );
    expect(data.partners[0]).toMatchObject({ id: gid('DealPartner', lead?.id ?? ''), scopeOfWork: 'Rédaction et pilotage' });
    expect(data.partners[1].id).not.toBe(gid('DealPartner', studio?.id ?? ''));
    expect(await t.db.prisma.dealPartner.findUnique({ where: { id: studio?.id ?? '' } })).toBeNull();
  });
});

// ───────────────────────────── Update ─────────────────────────────

describe('Update', () => {
  it('should change the title, form, total and lot when the partners fit, and record the event', async () => {
    const w = await world();
    const deal = await makeDeal(w, {
      groupForm: 'NONE',
      partners: [
        { memberId: w.animator.id, isLead: true, amountCents: 100_000, shareBasisPoints: 5_000, scopeOfWork: 'A' },
        { memberId: w.member.id, amountCents: 0, shareBasisPoints: 5_000 },
      ],
    });
    const data = await withEvent('deal.updated', () =>
      mutate(
        UPDATE,
        { id: deal.gid, title: 'Nouvelle offre', groupForm: 'SEVERAL', lotId: w.opportunity.lots[0]?.gid },
        w.member.token,
      ),
    );
    expect(data).toMatchObject({ title: 'Nouvelle offre', groupForm: 'SEVERAL', lot: { number: 1 } });
    const cleared = success(await mutate(UPDATE, { id: deal.gid, lotId: null }, w.member.token));
    expect(cleared).toMatchObject({ title: 'Nouvelle offre', lot: null });
  });

  it('should refuse a form the current partners do not fit, naming the form', async () => {
    const w = await world();
    const deal = await makeDeal(w, {
      groupForm: 'NONE',
      partners: [{ memberId: w.animator.id, scopeOfWork: 'Tout', amountCents: 100_000, shareBasisPoints: 10_000 }],
    });
    expectRule(
      await unchanged(() => mutate(UPDATE, { id: deal.gid, groupForm: 'JOINT' }, w.member.token)),
      'DEAL_GROUP_NEEDS_TWO_PARTIES',
      'input.groupForm',
    );
    const several = await makeDeal(w, {
      groupForm: 'SEVERAL',
      partners: jointPartners(w).map((p) => ({ ...p, scopeOfWork: null })),
    });
    expectRule(
      await unchanged(() => mutate(UPDATE, { id: several.gid, groupForm: 'JOINT' }, w.member.token)),
      'DEAL_SCOPE_OF_WORK_REQUIRED',
      'input.groupForm',
    );
  });

  it("should refuse a total the partners' amounts do not sum to, and accept one without partners", async () => {
    const w = await world();
    const deal = await makeDeal(w);
    expectRule(
      await unchanged(() => mutate(UPDATE, { id: deal.gid, totalAmountCents: 120_000 }, w.member.token)),
      'DEAL_AMOUNTS_NOT_TOTAL',
      'input.totalAmountCents',
    );
    const empty = await makeDeal(w, { groupForm: 'NONE', partners: [] });
    expect(success(await mutate(UPDATE, { id: empty.gid, totalAmountCents: 120_000 }, w.member.token)).totalAmountCents).toBe(
      120_000,
    );
  });

  it('should refuse a lot of another opportunity', async () => {
    const w = await world();
    const deal = await makeDeal(w);
    const other = await makeOpportunity();
    expectRule(
      await unchanged(() => mutate(UPDATE, { id: deal.gid, lotId: other.lots[0]?.gid }, w.member.token)),
      'DEAL_LOT_OF_OTHER_OPPORTUNITY',
      'input.lotId',
    );
  });

  it('should let only the title change once submitted', async () => {
    const w = await world();
    const deal = await makeDeal(w, { status: 'SUBMITTED' });
    expect(
      success(await mutate(UPDATE, { id: deal.gid, title: 'Titre corrigé', groupForm: 'JOINT' }, w.member.token)).title,
    ).toBe('Titre corrigé');
    for (const [field, value] of [
      ['groupForm', 'SEVERAL'],
      ['totalAmountCents', 90_000],
      ['lotId', w.opportunity.lots[0]?.gid],
    ] as const) {
      expectRule(
        await unchanged(() => mutate(UPDATE, { id: deal.gid, [field]: value }, w.member.token)),
        'DEAL_FROZEN',
        `input.${field}`,
      );
    }
  });

  it('should change nothing of a deal that is over', async () => {
    const w = await world();
    for (const status of ['NO_GO', 'WON', 'LOST', 'UNSUCCESSFUL', 'ABANDONED'] as const) {
      const deal = await makeDeal(w, { status });
      expectRule(
        await unchanged(() => mutate(UPDATE, { id: deal.gid, title: 'Encore' }, w.member.token)),
        'DEAL_CLOSED',
        'input.id',
      );
    }
  });
});

// ───────────────────────────── Money ─────────────────────────────

describe('Money', () => {
  it('should keep shares at 100 % and amounts at the total through successive partner changes', async () => {
    const w = await world();
    const deal = await makeDeal(w, { groupForm: 'NONE', partners: [], totalAmountCents: 0 });
    const steps: Array<{ total?: number; groupForm?: GroupForm; partners: PartnerRow[] }> = [
      { total: 99_999, partners: [{ memberId: w.animator.id, amountCents: 99_999, shareBasisPoints: 10_000 }] },
      {
        groupForm: 'JOINT',
        partners: [
          { memberId: w.animator.id, isLead: true, scopeOfWork: 'Rédaction', amountCents: 33_333, shareBasisPoints: 3_334 },
          { memberId: w.member.id, scopeOfWork: 'Relecture', amountCents: 33_333, shareBasisPoints: 3_333 },
          { companyName: 'Studio X', siret: X, scopeOfWork: 'Graphisme', amountCents: 33_333, shareBasisPoints: 3_333 },
        ],
      },
      {
        total: 250_000,
        partners: [
          { memberId: w.member.id, isLead: true, scopeOfWork: 'Relecture', amountCents: 125_000, shareBasisPoints: 5_000 },
          { companyName: 'Studio Y', siret: Y, scopeOfWork: 'Illustrations', amountCents: 125_000, shareBasisPoints: 5_000 },
        ],
      },
      {
        groupForm: 'SEVERAL',
        partners: [
          { memberId: w.member.id, isLead: true, amountCents: 250_000, shareBasisPoints: 9_999 },
          { companyName: 'Studio Y', siret: Y, amountCents: 0, shareBasisPoints: 1 },
        ],
      },
    ];
    for (const step of steps) {
      const data = success(
        await mutate(
          SET_PARTNERS,
          { dealId: deal.gid, groupForm: step.groupForm, totalAmountCents: step.total, partners: asInput(step.partners) },
          w.member.token,
        ),
      );
      expect(data.shareTotal).toBe(10_000);
      expect(data.amountTotal).toBe(data.totalAmountCents);
      const stored = await t.db.prisma.dealPartner.findMany({ where: { dealId: deal.id, status: 'ACTIVE' } });
      const row = await t.db.prisma.deal.findUniqueOrThrow({ where: { id: deal.id } });
      expect(stored.reduce((sum, p) => sum + p.shareBasisPoints, 0)).toBe(10_000);
      expect(stored.reduce((sum, p) => sum + p.amountCents, 0)).toBe(row.totalAmountCents);
      expect(stored).toHaveLength(step.partners.length);
    }
    // A refused step leaves the last good split in place.
    expectRule(
      await unchanged(() =>
        mutate(
          SET_PARTNERS,
          {
            dealId: deal.gid,
            totalAmountCents: 300_000,
            partners: asInput([{ memberId: w.member.id, isLead: true, amountCents: 250_000, shareBasisPoints: 10_000 }]),
          },
          w.member.token,
        ),
      ),
      'DEAL_GROUP_NEEDS_TWO_PARTIES',
      'input.partners',
    );
  });
});

// ───────────────────────────── Status ─────────────────────────────

const STATUSES: DealStatus[] = ['WATCH', 'GO', 'NO_GO', 'PREPARING', 'SUBMITTED', 'WON', 'LOST', 'UNSUCCESSFUL', 'ABANDONED'];
// Written out here, apart from the server's table, so that a change there shows up as a failure.
const LEGAL = new Set([
  'WATCH>GO',
  'WATCH>NO_GO',
  'NO_GO>WATCH',
  'GO>PREPARING',
  'GO>ABANDONED',
  'PREPARING>SUBMITTED',
  'PREPARING>ABANDONED',
  'SUBMITTED>WON',
  'SUBMITTED>LOST',
  'SUBMITTED>UNSUCCESSFUL',
  'SUBMITTED>ABANDONED',
]);
const PAIRS = STATUSES.flatMap((from) => STATUSES.map((to) => ({ from, to, legal: LEGAL.has(`${from}>${to}`) })));

describe('Status', () => {
  let w: World;
  beforeAll(async () => {
    w = await world();
  });

  it('should cover every pair of statuses', () => {
    expect(PAIRS).toHaveLength(81);
    expect(PAIRS.filter((pair) => pair.legal)).toHaveLength(LEGAL.size);
  });

  it.each(PAIRS.filter((pair) => pair.legal))('should move a deal from $from to $to', async ({ from, to }) => {
    const deal = await makeDeal(w, { status: from, ...(from === 'NO_GO' ? {} : {}) });
    const data = await withEvent('deal.statusChanged', () =>
      mutate(CHANGE_STATUS, { dealId: deal.gid, status: to }, w.member.token),
    );
    expect(data.status).toBe(to);
    const row = await t.db.prisma.deal.findUniqueOrThrow({ where: { id: deal.id } });
    if (to === 'SUBMITTED') expect(row.submittedAt?.getTime()).toBeGreaterThan(Date.now() - 60_000);
    else expect(row.submittedAt).toEqual(deal.submittedAt);
    if (['NO_GO', 'WON', 'LOST', 'UNSUCCESSFUL', 'ABANDONED'].includes(to)) expect(row.decidedAt).not.toBeNull();
    else expect(row.decidedAt).toBeNull();
  });

  it.each(PAIRS.filter((pair) => !pair.legal))('should refuse to move a deal from $from to $to', async ({ from, to }) => {
    const deal = await makeDeal(w, { status: from });
    expectRule(
      await unchanged(() => mutate(CHANGE_STATUS, { dealId: deal.gid, status: to }, w.member.token)),
      'INVALID_STATUS_CHANGE',
      'input.status',
    );
  });

  it('should list the next statuses a deal may take', async () => {
    const cases: Array<[DealStatus, DealStatus[]]> = STATUSES.map((from) => [
      from,
      STATUSES.filter((to) => LEGAL.has(`${from}>${to}`)),
    ]);
    for (const [from, next] of cases) {
      const deal = await makeDeal(w, { status: from });
      const response = await t.gql(NODE, { id: deal.gid }, w.member.token);
      expect(response.data?.node.nextStatuses, from).toEqual(next);
    }
  });
});

// ───────────────────────────── Submission ─────────────────────────────

describe('Submission', () => {
  it('should set submittedAt when the offer is handed in before the deadline', async () => {
    const w = await world();
    const soon = await makeOpportunity({ submissionDeadline: new Date(Date.now() + 60_000) });
    const deal = await makeDeal(w, { status: 'PREPARING', opportunityId: soon.id });
    const data = success(await mutate(CHANGE_STATUS, { dealId: deal.gid, status: 'SUBMITTED' }, w.member.token));
    expect(data.status).toBe('SUBMITTED');
    expect(new Date(data.submittedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('should submit for an opportunity without a deadline', async () => {
    const w = await world();
    const open = await makeOpportunity({ submissionDeadline: null });
    const deal = await makeDeal(w, { status: 'PREPARING', opportunityId: open.id });
    expect(success(await mutate(CHANGE_STATUS, { dealId: deal.gid, status: 'SUBMITTED' }, w.member.token)).status).toBe(
      'SUBMITTED',
    );
  });

  it("should refuse to submit after the opportunity's submission deadline", async () => {
    const w = await world();
    const past = await makeOpportunity({ submissionDeadline: new Date(Date.now() - 60_000) });
    const deal = await makeDeal(w, { status: 'PREPARING', opportunityId: past.id });
    expectRule(
      await unchanged(() => mutate(CHANGE_STATUS, { dealId: deal.gid, status: 'SUBMITTED' }, w.member.token)),
      'DEAL_SUBMISSION_DEADLINE_PASSED',
      'input.status',
    );
    // Other moves stay possible after the deadline.
    expect(success(await mutate(CHANGE_STATUS, { dealId: deal.gid, status: 'ABANDONED' }, w.member.token)).status).toBe(
      'ABANDONED',
    );
  });

  it('should refuse to submit without partners', async () => {
    const w = await world();
    const deal = await makeDeal(w, { status: 'PREPARING', groupForm: 'NONE', partners: [] });
    expectRule(
      await unchanged(() => mutate(CHANGE_STATUS, { dealId: deal.gid, status: 'SUBMITTED' }, w.member.token)),
      'DEAL_PARTNERS_REQUIRED',
      'input.status',
    );
  });

  it('should refuse to submit with a member partner who has since left the cooperative', async () => {
    const w = await world();
    const leaving = await makeMember(t.db.prisma);
    const deal = await makeDeal(w, {
      status: 'PREPARING',
      partners: [
        jointPartners(w)[0] as PartnerRow,
        { memberId: leaving.id, scopeOfWork: 'Relecture', amountCents: 40_000, shareBasisPoints: 4_000 },
      ],
    });
    await t.db.prisma.member.update({ where: { id: leaving.id }, data: { situation: 'LEFT', leftCooperativeOn: new Date() } });
    const result = await unchanged(() => mutate(CHANGE_STATUS, { dealId: deal.gid, status: 'SUBMITTED' }, w.member.token));
    expectRule(result, 'MEMBER_NOT_ACTIVE', 'input.status');
    expect(result.message).toContain('partners[1].memberId');
  });

  it('should freeze the partners once submitted', async () => {
    const w = await world();
    for (const status of FROZEN) {
      const deal = await makeDeal(w, { status });
      expectRule(
        await unchanged(() => mutate(SET_PARTNERS, { dealId: deal.gid, partners: asInput(jointPartners(w)) }, w.member.token)),
        'DEAL_FROZEN',
        'input.partners',
      );
    }
    const abandonedAfterSubmission = await makeDeal(w, { status: 'ABANDONED', submittedAt: new Date(Date.now() - DAY) });
    expectRule(
      await unchanged(() =>
        mutate(SET_PARTNERS, { dealId: abandonedAfterSubmission.gid, partners: asInput(jointPartners(w)) }, w.member.token),
      ),
      'DEAL_FROZEN',
      'input.partners',
    );
    const abandonedBefore = await makeDeal(w, { status: 'ABANDONED' });
    expectRule(
      await unchanged(() =>
        mutate(SET_PARTNERS, { dealId: abandonedBefore.gid, partners: asInput(jointPartners(w)) }, w.member.token),
      ),
      'DEAL_CLOSED',
      'input.dealId',
    );
  });

  it('should clear the decision when a no-go is reconsidered', async () => {
    const w = await world();
    const deal = await makeDeal(w, { status: 'WATCH' });
    success(await mutate(CHANGE_STATUS, { dealId: deal.gid, status: 'NO_GO' }, w.member.token));
    expect((await t.db.prisma.deal.findUniqueOrThrow({ where: { id: deal.id } })).decidedAt).not.toBeNull();
    const data = success(await mutate(CHANGE_STATUS, { dealId: deal.gid, status: 'WATCH' }, w.member.token));
    expect(data).toMatchObject({ status: 'WATCH', decidedAt: null });
  });
});

// ───────────────────────────── Substitution ─────────────────────────────

const SUBSTITUTIONS = /* GraphQL */ `
  query($id: ID!) {
    node(id: $id) {
      ... on Deal {
        shareTotal amountTotal
        lead { id }
        partners { id status member { id } companyName }
        history: partners(includeSubstituted: true) { id status }
        substitutions {
          reason recordedAt
          recordedBy { id }
          replacedPartner { id status }
          replacementPartner { id status isLead scopeOfWork amountCents shareBasisPoints siret companyName }
        }
      }
    }
  }
`;

describe('Substitution', () => {
  it('should replace a partner after submission, taking over its scope, money and lead, and record why and who', async () => {
    const w = await world();
    const deal = await makeDeal(w, {
      status: 'SUBMITTED',
      partners: [
        { memberId: w.partner.id, isLead: true, scopeOfWork: 'Rédaction', amountCents: 60_000, shareBasisPoints: 6_000 },
        { companyName: 'Studio X', siret: X, scopeOfWork: 'Graphisme', amountCents: 40_000, shareBasisPoints: 4_000 },
      ],
    });
    const [leaving, studio] = deal.partnerGids;
    await withEvent('deal.partnerSubstituted', () =>
      mutate(
        SUBSTITUTE,
        {
          dealId: deal.gid,
          partnerId: leaving,
          replacement: { companyName: 'Studio Y', siret: '542 051 180 00066' },
          reason: 'Cessation d’activité du partenaire.',
        },
        w.member.token,
      ),
    );
    const response = await t.gql(SUBSTITUTIONS, { id: deal.gid }, w.member.token);
    const node = response.data?.node;
    expect(node.shareTotal).toBe(10_000);
    expect(node.amountTotal).toBe(100_000);
    expect(node.partners.map((p: Json) => p.companyName)).toEqual(['Studio X', 'Studio Y']);
    expect(node.history).toEqual([
      { id: leaving, status: 'SUBSTITUTED' },
      { id: studio, status: 'ACTIVE' },
      { id: expect.any(String), status: 'ACTIVE' },
    ]);
    expect(node.substitutions).toEqual([
      {
        reason: 'Cessation d’activité du partenaire.',
        recordedAt: expect.any(String),
        recordedBy: { id: w.member.gid },
        replacedPartner: { id: leaving, status: 'SUBSTITUTED' },
        replacementPartner: {
          id: node.lead.id,
          status: 'ACTIVE',
          isLead: true,
          scopeOfWork: 'Rédaction',
          amountCents: 60_000,
          shareBasisPoints: 6_000,
          siret: Y,
          companyName: 'Studio Y',
        },
      },
    ]);
    // The replaced member, outside the collective, no longer sees the deal.
    expect((await t.gql(NODE, { id: deal.gid }, w.partner.token)).data?.node).toBeNull();
  });

  it('should let a member take over with a new scope of work, and be seen by them from outside the collective', async () => {
    const w = await world();
    const deal = await makeDeal(w, { status: 'WON' });
    const data = success(
      await mutate(
        SUBSTITUTE,
        {
          dealId: deal.gid,
          partnerId: deal.partnerGids[1],
          replacement: { memberId: w.partner.gid, scopeOfWork: 'Graphisme et mise en page' },
          reason: 'Le studio ne peut plus assurer sa part.',
        },
        w.member.token,
      ),
    );
    expect(data.partners[1]).toMatchObject({
      member: { id: w.partner.gid },
      scopeOfWork: 'Graphisme et mise en page',
      amountCents: 40_000,
      isLead: false,
    });
    expect((await t.gql(NODE, { id: deal.gid }, w.partner.token)).data?.node).toMatchObject({ id: deal.gid, status: 'WON' });
  });

  it('should refuse a substitution before submission', async () => {
    const w = await world();
    const deal = await makeDeal(w, { status: 'PREPARING' });
    expectRule(
      await unchanged(() =>
        mutate(
          SUBSTITUTE,
          { dealId: deal.gid, partnerId: deal.partnerGids[1], replacement: { memberId: w.member.gid }, reason: 'Trop tôt' },
          w.member.token,
        ),
      ),
      'DEAL_NOT_SUBMITTED',
      'input.dealId',
    );
  });

  it('should refuse a substitution once the deal is lost, unsuccessful or abandoned', async () => {
    const w = await world();
    for (const status of ['LOST', 'UNSUCCESSFUL'] as const) {
      const deal = await makeDeal(w, { status });
      expectRule(
        await unchanged(() =>
          mutate(
            SUBSTITUTE,
            { dealId: deal.gid, partnerId: deal.partnerGids[1], replacement: { memberId: w.member.gid }, reason: 'Trop tard' },
            w.member.token,
          ),
        ),
        'DEAL_CLOSED',
        'input.dealId',
      );
    }
  });

  it('should refuse a partner already substituted, and one of another deal', async () => {
    const w = await world();
    const deal = await makeDeal(w, { status: 'SUBMITTED' });
    success(
      await mutate(
        SUBSTITUTE,
        { dealId: deal.gid, partnerId: deal.partnerGids[1], replacement: { memberId: w.member.gid }, reason: 'Départ' },
        w.member.token,
      ),
    );
    expectRule(
      await unchanged(() =>
        mutate(
          SUBSTITUTE,
          { dealId: deal.gid, partnerId: deal.partnerGids[1], replacement: { memberId: w.partner.gid }, reason: 'Encore' },
          w.member.token,
        ),
      ),
      'DEAL_PARTNER_SUBSTITUTED',
      'input.partnerId',
    );
    const other = await makeDeal(w, { status: 'SUBMITTED' });
    expect(
      await unchanged(() =>
        mutate(
          SUBSTITUTE,
          { dealId: deal.gid, partnerId: other.partnerGids[1], replacement: { memberId: w.partner.gid }, reason: 'Erreur' },
          w.member.token,
        ),
      ),
    ).toMatchObject({ __typename: 'NotFoundError', field: 'input.partnerId' });
  });

  it('should refuse a replacement that breaks the invariants, naming the replacement', async () => {
    const w = await world();
    const deal = await makeDeal(w, { status: 'SUBMITTED' });
    const substitute = (replacement: Json) =>
      unchanged(() =>
        mutate(
          SUBSTITUTE,
          { dealId: deal.gid, partnerId: deal.partnerGids[1], replacement, reason: 'Changement' },
          w.member.token,
        ),
      );
    expectRule(await substitute({ memberId: w.animator.gid }), 'DEAL_GROUP_NEEDS_TWO_PARTIES', 'input.replacement');
    expectRule(await substitute({ companyName: 'Studio X bis', siret: X }), 'DEAL_DUPLICATE_PARTNER', 'input.replacement');
    expectRule(
      await substitute({ companyName: 'Studio Z', siret: '44306184100048' }),
      'DEAL_PARTNER_SIRET_INVALID',
      'input.replacement.siret',
    );
    expectRule(
      await substitute({ companyName: 'Studio Z', siret: Z, memberId: w.partner.gid }),
      'DEAL_PARTNER_MEMBER_OR_COMPANY',
      'input.replacement',
    );
    expectRule(await substitute({}), 'DEAL_PARTNER_MEMBER_OR_COMPANY', 'input.replacement');
    const left = await makeMember(t.db.prisma, { situation: 'LEFT', leftCooperativeOn: new Date('2024-01-31') });
    expectRule(await substitute({ memberId: gid('Member', left.id) }), 'MEMBER_NOT_ACTIVE', 'input.replacement.memberId');
    expect(await substitute({ memberId: gid('Member', randomUUID()) })).toMatchObject({
      __typename: 'NotFoundError',
      field: 'input.replacement.memberId',
    });
    const blank = await unchanged(() =>
      mutate(
        SUBSTITUTE,
        { dealId: deal.gid, partnerId: deal.partnerGids[1], replacement: { memberId: w.partner.gid }, reason: '  ' },
        w.member.token,
      ),
    );
    expect(blank).toMatchObject({ __typename: 'InputValidationError', issues: [{ field: 'input.reason' }] });
  });
});

// ───────────────────────────── Authorization ─────────────────────────────

const LISTS = /* GraphQL */ `
  query($collective: ID!, $opportunity: ID!) {
    deals(first: 50) { totalCount edges { node { id } } }
    byCollective: deals(collectiveId: $collective, first: 50) { totalCount edges { node { id } } }
    byOpportunity: deals(opportunityId: $opportunity, first: 50) { totalCount edges { node { id } } }
    collective: node(id: $collective) { ... on Collective { deals(first: 50) { totalCount edges { node { id } } } } }
    opportunity: node(id: $opportunity) { ... on Opportunity { deals(first: 50) { totalCount edges { node { id } } } } }
  }
`;

async function lists(w: World, token: string) {
  const response = await t.gql(LISTS, { collective: w.collective.gid, opportunity: w.opportunity.gid }, token);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  const ids = (connection: Json) => {
    if (connection.totalCount <= 50) expect(connection.totalCount).toBe(connection.edges.length);
    return connection.edges.map((edge: Json) => edge.node.id).sort();
  };
  const data = response.data as Json;
  return {
    all: ids(data.deals),
    byCollective: ids(data.byCollective),
    byOpportunity: ids(data.byOpportunity),
    collective: ids(data.collective.deals),
    opportunity: ids(data.opportunity.deals),
  };
}

describe('Authorization', () => {
  let w: World;
  let plain: Awaited<ReturnType<typeof makeDeal>>;
  let withPartner: Awaited<ReturnType<typeof makeDeal>>;
  beforeAll(async () => {
    w = await world();
    plain = await makeDeal(w);
    withPartner = await makeDeal(w, {
      partners: [
        jointPartners(w)[0] as PartnerRow,
        { memberId: w.partner.id, scopeOfWork: 'Traduction', amountCents: 40_000, shareBasisPoints: 4_000 },
      ],
    });
  });

  it("should let the collective's active members read every deal of it", async () => {
    const both = [plain.gid, withPartner.gid].sort();
    expect(await lists(w, w.member.token)).toEqual({
      all: both,
      byCollective: both,
      byOpportunity: both,
      collective: both,
      opportunity: both,
    });
    expect((await t.gql(NODE, { id: plain.gid }, w.member.token)).data?.node).toMatchObject({
      __typename: 'Deal',
      id: plain.gid,
    });
    expect((await t.gql(NODE, { id: plain.partnerGids[0] }, w.member.token)).data?.node).toMatchObject({
      __typename: 'DealPartner',
    });
  });

  it('should let the support staff read every deal but change none', async () => {
    const both = [plain.gid, withPartner.gid].sort();
    const seen = await lists(w, w.staff.token);
    expect(seen.byCollective).toEqual(both);
    expect(seen.collective).toEqual(both);
    expect((await t.gql(NODE, { id: plain.gid }, w.staff.token)).data?.node).toMatchObject({ id: plain.gid });
    const changes: Array<[string, Json]> = [
      [UPDATE, { id: plain.gid, title: 'Non' }],
      [SET_PARTNERS, { dealId: plain.gid, partners: asInput(jointPartners(w)) }],
      [CHANGE_STATUS, { dealId: plain.gid, status: 'GO' }],
      [
        SUBSTITUTE,
        { dealId: plain.gid, partnerId: plain.partnerGids[1], replacement: { companyName: 'Studio Y', siret: Y }, reason: 'Non' },
      ],
      [CREATE, { collectiveId: w.collective.gid, opportunityId: w.opportunity.gid, title: 'Non' }],
    ];
    for (const [document, input] of changes) {
      expect(await unchanged(() => mutate(document, input, w.staff.token))).toMatchObject({ __typename: 'ForbiddenError' });
    }
  });

  it('should let a partner from outside the collective read that deal only, and change nothing', async () => {
    expect(await lists(w, w.partner.token)).toEqual({
      all: [withPartner.gid],
      byCollective: [withPartner.gid],
      byOpportunity: [withPartner.gid],
      collective: [withPartner.gid],
      opportunity: [withPartner.gid],
    });
    expect((await t.gql(NODE, { id: withPartner.gid }, w.partner.token)).data?.node).toMatchObject({ id: withPartner.gid });
    expect((await t.gql(NODE, { id: plain.gid }, w.partner.token)).data?.node).toBeNull();
    expect(await unchanged(() => mutate(UPDATE, { id: withPartner.gid, title: 'Non' }, w.partner.token))).toMatchObject({
      __typename: 'ForbiddenError',
    });
    expect(await unchanged(() => mutate(UPDATE, { id: plain.gid, title: 'Non' }, w.partner.token))).toMatchObject({
      __typename: 'NotFoundError',
      field: 'input.id',
    });
  });

  it('should hide every deal from an outsider: null by ID, absent from lists, not found on change', async () => {
    expect(await lists(w, w.outsider.token)).toEqual({
      all: [],
      byCollective: [],
      byOpportunity: [],
      collective: [],
      opportunity: [],
    });
    for (const id of [plain.gid, withPartner.gid, ...plain.partnerGids]) {
      expect(await t.gql(NODE, { id }, w.outsider.token), id).toEqual({ data: { node: null } });
    }
    const changes: Array<[string, Json, string]> = [
      [UPDATE, { id: plain.gid, title: 'Non' }, 'input.id'],
      [SET_PARTNERS, { dealId: plain.gid, partners: asInput(jointPartners(w)) }, 'input.dealId'],
      [CHANGE_STATUS, { dealId: plain.gid, status: 'GO' }, 'input.dealId'],
      [
        SUBSTITUTE,
        { dealId: plain.gid, partnerId: plain.partnerGids[1], replacement: { companyName: 'Studio Y', siret: Y }, reason: 'Non' },
        'input.dealId',
      ],
      [CREATE, { collectiveId: w.collective.gid, opportunityId: w.opportunity.gid, title: 'Non' }, 'input.collectiveId'],
    ];
    for (const [document, input, field] of changes) {
      expect(await unchanged(() => mutate(document, input, w.outsider.token))).toMatchObject({
        __typename: 'NotFoundError',
        field,
      });
    }
  });

  it('should treat a former member of the collective as an outsider', async () => {
    const former = await person();
    await t.db.prisma.membership.create({
      data: {
        collectiveId: w.collective.id,
        memberId: former.id,
        status: 'LEFT',
        origin: 'JOINED',
        joinedAt: new Date(Date.now() - DAY),
        leftAt: new Date(),
      },
    });
    expect(await lists(w, former.token)).toEqual({
      all: [],
      byCollective: [],
      byOpportunity: [],
      collective: [],
      opportunity: [],
    });
    expect((await t.gql(NODE, { id: plain.gid }, former.token)).data?.node).toBeNull();
  });

  it('should answer nothing to an anonymous caller', async () => {
    const response = await t.gql(NODE, { id: plain.gid });
    expect(response.data?.node ?? null).toBeNull();
  });

  it('should filter the deals list by status', async () => {
    const submitted = await makeDeal(w, { status: 'SUBMITTED' });
    const response = await t.gql(
      `query($c: ID!) { deals(collectiveId: $c, status: SUBMITTED) { totalCount edges { node { id status } } } }`,
      { c: w.collective.gid },
      w.member.token,
    );
    expect(response.data?.deals).toEqual({ totalCount: 1, edges: [{ node: { id: submitted.gid, status: 'SUBMITTED' } }] });
    const byCollective = await t.gql(
      `query($c: ID!) { node(id: $c) { ... on Collective { deals(status: SUBMITTED) { totalCount } } } }`,
      { c: w.collective.gid },
      w.member.token,
    );
    expect(byCollective.data?.node.deals.totalCount).toBe(1);
    await t.db.prisma.deal.delete({ where: { id: submitted.id } });
  });
});

// ───────────────────────────── Statements ─────────────────────────────

describe('Statements', () => {
  it('should load deals with partners, lead, members, substitutions and totals in a fixed number of statements', async () => {
    const w = await world();
    const query = /* GraphQL */ `
      query($c: ID!) {
        deals(collectiveId: $c, first: 50) {
          totalCount
          edges {
            node {
              title shareTotal amountTotal nextStatuses
              lead { displayName member { displayName } }
              partners(includeSubstituted: true) { displayName member { displayName } deal { title } }
              substitutions { reason recordedBy { displayName } replacementPartner { displayName } }
              opportunity { title lots { number } }
              lot { number }
              collective { name }
            }
          }
        }
      }
    `;
    const count = async () => {
      statements.length = 0;
      const response = await t.gql(query, { c: w.collective.gid }, w.member.token);
      expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
      return { statements: statements.length, deals: response.data?.deals.edges.length };
    };
    const add = async (n: number) => {
      for (let i = 0; i < n; i += 1) {
        const deal = await makeDeal(w, { status: 'SUBMITTED' });
        success(
          await mutate(
            SUBSTITUTE,
            { dealId: deal.gid, partnerId: deal.partnerGids[1], replacement: { memberId: w.partner.gid }, reason: 'Relève' },
            w.member.token,
          ),
        );
      }
    };
    await add(2);
    const small = await count();
    await add(10);
    const large = await count();
    expect([small.deals, large.deals]).toEqual([2, 12]);
    expect(large.statements).toBe(small.statements);
  });
});

describe('Event payloads', () => {
  it('should send every ID in the payloads this suite recorded as a global ID, as subjectId is', async () => {
    await expectGlobalPayloadIds(t);
  });
});
