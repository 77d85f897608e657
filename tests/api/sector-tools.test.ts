import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parisDay } from '../../server/src/domain/calendar.js';
import type { Prisma, PrismaClient } from '../../server/src/generated/prisma/client.js';
import type { ReferralStatus, ServiceExchangeStatus } from '../../server/src/generated/prisma/enums.js';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { expectGlobalPayloadIds } from '../support/events.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';
import { expectForbidden, expectRefusal, expectRule, FAILURE, mutate, success as ok } from './operations.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

// ───────────────────────────── Documents ─────────────────────────────

const PRICE =
  'id service unit minCents medianCents maxCents sampleSize periodStart periodEnd notice createdBy { id } collective { id }';
const RECOMMENDATION = 'id supplierName category rating comment recommendedAt recommendedBy { id } collective { id }';
const SERVICE = 'id description hours status provider { id } beneficiary { id } collective { id }';
const REFERRAL = 'id clientName description status amountCents fromMember { id } toMember { id } collective { id }';

function mutation(name: string, inputType: string, fields: string | null) {
  const success = `Mutation${name[0]?.toUpperCase()}${name.slice(1)}Success`;
  return /* GraphQL */ `
    mutation($input: ${inputType}!) {
      result: ${name}(input: $input) {
        __typename
        ... on ${success} { data ${fields ? `{ ${fields} }` : ''} }
        ...Failure
      }
    }
    ${FAILURE}
  `;
}

const CREATE_PRICE = mutation('createPriceReference', 'CreatePriceReferenceInput', PRICE);
const UPDATE_PRICE = mutation('updatePriceReference', 'UpdatePriceReferenceInput', PRICE);
const REMOVE_PRICE = mutation('removePriceReference', 'PriceReferenceRefInput', null);
const RECOMMEND = mutation('recommendSupplier', 'RecommendSupplierInput', RECOMMENDATION);
const UPDATE_RECOMMENDATION = mutation('updateSupplierRecommendation', 'UpdateSupplierRecommendationInput', RECOMMENDATION);
const OFFER = mutation('offerService', 'OfferServiceInput', SERVICE);
const SERVICE_ACTIONS = {
  ACCEPT: mutation('acceptService', 'ServiceExchangeRefInput', SERVICE),
  COMPLETE: mutation('completeService', 'ServiceExchangeRefInput', SERVICE),
  CANCEL: mutation('cancelService', 'ServiceExchangeRefInput', SERVICE),
};
const CREATE_REFERRAL = mutation('createReferral', 'CreateReferralInput', REFERRAL);
const CHANGE_REFERRAL = mutation('changeReferralStatus', 'ChangeReferralStatusInput', REFERRAL);

const NODE = /* GraphQL */ `
  query($id: ID!) {
    node(id: $id) {
      __typename id
      ... on PriceReference { service notice }
      ... on SupplierRecommendation { supplierName }
      ... on ServiceExchange { serviceStatus: status }
      ... on Referral { referralStatus: status }
    }
  }
`;

// ───────────────────────────── Helpers ─────────────────────────────

/** Sends a mutation aliased `result` with this `input`; see operations.ts `mutate`. */
const run = (document: string, input: Record<string, unknown>, token: string) => mutate(t, document, { input }, token);

async function query(document: string, variables: Record<string, unknown>, token: string): Promise<Json> {
  const response = await t.gql(document, variables, token);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data;
}

function expectNotFound(result: Json, field: string): void {
  expect(result, JSON.stringify(result)).toMatchObject({ __typename: 'NotFoundError', field });
}

/** Every row of the tables the sector tools write, and the event count. */
async function toolRows(prisma: PrismaClient) {
  const [prices, recommendations, services, referrals, events] = await Promise.all([
    prisma.priceReference.findMany({ orderBy: { id: 'asc' } }),
    prisma.supplierRecommendation.findMany({ orderBy: { id: 'asc' } }),
    prisma.serviceExchange.findMany({ orderBy: { id: 'asc' } }),
    prisma.referral.findMany({ orderBy: { id: 'asc' } }),
    prisma.eventLog.count(),
  ]);
  return { prices, recommendations, services, referrals, events };
}

/** Runs a change that must be refused and checks the database did not move. */
async function refused(change: () => Promise<Json>): Promise<Json> {
  const before = await toolRows(t.db.prisma);
  const result = await change();
  expect(await toolRows(t.db.prisma)).toEqual(before);
  return result;
}

/** The newest event, to check an accepted change recorded one. */
function lastEvent() {
  return t.db.prisma.eventLog.findFirstOrThrow({ orderBy: { position: 'desc' } });
}

const STAFF: Partial<Prisma.MemberUncheckedCreateInput> = {
  kind: 'SUPPORT_STAFF',
  contract: 'STAFF',
  isAssociate: false,
  sectors: [],
};

/**
 * A writing sector collective with its animator and two members, a member of the support staff, an
 * outsider (active in the cooperative, not in the collective) and a commons collective.
 */
async function sector() {
  const prisma = t.db.prisma;
  const [animator, member, other, staff, outsider] = await Promise.all([
    makeMember(prisma),
    makeMember(prisma),
    makeMember(prisma),
    makeMember(prisma, STAFF),
    makeMember(prisma),
  ]);
  const collective = await makeCollective(prisma, {
    kind: 'SECTOR',
    sector: 'WRITING',
    animatorId: animator.id,
    memberIds: [member.id, other.id],
  });
  const commons = await makeCollective(prisma, { kind: 'COMMONS', animatorId: animator.id, memberIds: [member.id] });
  const business = await makeCollective(prisma, {
    kind: 'BUSINESS',
    horizon: 'LONG_TERM',
    openness: 'CLOSED',
    animatorId: animator.id,
    memberIds: [member.id],
  });
  const token = {
    animator: await t.tokenFor(animator.id),
    member: await t.tokenFor(member.id),
    other: await t.tokenFor(other.id),
    staff: await t.tokenFor(staff.id),
    outsider: await t.tokenFor(outsider.id),
  };
  return {
    animator,
    member,
    other,
    staff,
    outsider,
    collective,
    commons,
    business,
    cid: gid('Collective', collective.id),
    token,
  };
}
type Sector = Awaited<ReturnType<typeof sector>>;

/** One scenario for a whole table of cases: each case makes rows of its own in it. */
function sharedSector(): () => Promise<Sector> {
  let shared: Promise<Sector> | undefined;
  return () => {
    shared ??= sector();
    return shared;
  };
}

const today = () => parisDay(new Date()).toISOString().slice(0, 10);
const dayAfter = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

const priceInput = (collectiveId: string, overrides: Record<string, unknown> = {}) => ({
  collectiveId,
  service: 'Relecture-correction',
  unit: 'WORD',
  minCents: 2,
  medianCents: 3,
  maxCents: 5,
  sampleSize: 7,
  periodStart: '2024-01-01',
  periodEnd: '2024-12-31',
  ...overrides,
});

function makePrice(s: Sector, data: Partial<{ service: string; unit: 'HOUR' | 'DAY' | 'WORD' | 'FLAT' }> = {}) {
  return t.db.prisma.priceReference.create({
    data: {
      collectiveId: s.collective.id,
      service: data.service ?? 'Traduction anglais-français',
      unit: data.unit ?? 'WORD',
      minCents: 8,
      medianCents: 10,
      maxCents: 14,
      sampleSize: 5,
      periodStart: new Date('2024-01-01'),
      periodEnd: new Date('2024-06-30'),
      createdById: s.member.id,
    },
  });
}

function makeRecommendation(s: Sector, data: { by?: string; supplierName?: string; category?: string; rating?: number } = {}) {
  return t.db.prisma.supplierRecommendation.create({
    data: {
      collectiveId: s.collective.id,
      supplierName: data.supplierName ?? 'Imprimerie Dupont',
      category: data.category ?? 'Impression',
      rating: data.rating ?? 4,
      recommendedById: data.by ?? s.member.id,
    },
  });
}

function makeService(
  s: Sector,
  data: { status?: ServiceExchangeStatus; providerId?: string; beneficiaryId?: string | null } = {},
) {
  return t.db.prisma.serviceExchange.create({
    data: {
      collectiveId: s.collective.id,
      providerId: data.providerId ?? s.member.id,
      beneficiaryId: data.beneficiaryId ?? null,
      description: 'Relire un devis',
      hours: 1.5,
      status: data.status ?? 'OFFERED',
    },
  });
}

function makeReferral(
  s: Sector,
  data: { status?: ReferralStatus; amountCents?: number | null; inCollective?: boolean; from?: string; to?: string } = {},
) {
  return t.db.prisma.referral.create({
    data: {
      collectiveId: data.inCollective === false ? null : s.collective.id,
      fromMemberId: data.from ?? s.member.id,
      toMemberId: data.to ?? s.other.id,
      clientName: 'Éditions du Lac',
      description: 'Un catalogue à traduire.',
      status: data.status ?? 'PROPOSED',
      amountCents: data.amountCents ?? null,
    },
  });
}

// ───────────────────────────── Price references ─────────────────────────────

describe('Price references', () => {
  it('should record observed prices, shown with the fixed non-binding notice, and record an event', async () => {
    const s = await sector();
    const data = ok(await run(CREATE_PRICE, priceInput(s.cid, { service: '  Relecture   correction ' }), s.token.member));
    expect(data).toMatchObject({
      service: 'Relecture correction',
      unit: 'WORD',
      minCents: 2,
      medianCents: 3,
      maxCents: 5,
      sampleSize: 7,
      periodStart: '2024-01-01',
      periodEnd: '2024-12-31',
      notice: 'Prix observés, donnés à titre indicatif et non contraignant : chacun fixe librement ses tarifs.',
      createdBy: { id: gid('Member', s.member.id) },
      collective: { id: s.cid },
    });
    expect(await lastEvent()).toMatchObject({
      type: 'priceReference.created',
      subjectId: data.id,
      collectiveId: s.collective.id,
      actorId: s.member.id,
      payload: { service: 'Relecture correction', unit: 'WORD', minCents: 2, medianCents: 3, maxCents: 5, sampleSize: 7 },
    });
  });

  it('should say in the schema that prices are observed, non-binding and never a price grid', async () => {
    const data = await query(
      `{ __type(name: "PriceReference") { description fields { name type { kind ofType { name } } } } }`,
      {},
      (await sector()).token.member,
    );
    expect(data.__type.description).toMatch(/observed and non-binding/i);
    expect(data.__type.description).toMatch(/cartel under competition law/i);
    expect(data.__type.fields.find((field: Json) => field.name === 'notice')).toEqual({
      name: 'notice',
      type: { kind: 'NON_NULL', ofType: { name: 'String' } },
    });
  });

  it('should accept the edge values: equal figures, the minimum sample and a one-day period ending today', async () => {
    const s = await sector();
    const input = priceInput(s.cid, {
      minCents: 1,
      medianCents: 1,
      maxCents: 1,
      sampleSize: 3,
      periodStart: today(),
      periodEnd: today(),
    });
    expect(ok(await run(CREATE_PRICE, input, s.token.member))).toMatchObject({ minCents: 1, sampleSize: 3, periodEnd: today() });
  });

  it.each([
    ['a price of 0', { minCents: 0, medianCents: 0 }, 'input.minCents', 'TOO_SMALL'],
    ['a negative price', { minCents: -100 }, 'input.minCents', 'TOO_SMALL'],
    ['a price over 20 M€', { maxCents: 2_000_000_001 }, 'input.maxCents', 'TOO_LARGE'],
    ['a median below the minimum', { minCents: 4, medianCents: 3 }, 'input.medianCents', 'PRICE_MEDIAN_BELOW_MIN'],
    ['a maximum below the median', { medianCents: 6, maxCents: 5 }, 'input.maxCents', 'PRICE_MAX_BELOW_MEDIAN'],
    ['a sample of 2', { sampleSize: 2 }, 'input.sampleSize', 'TOO_SMALL'],
    ['a sample of 1', { sampleSize: 1 }, 'input.sampleSize', 'TOO_SMALL'],
    ['an empty sample', { sampleSize: 0 }, 'input.sampleSize', 'TOO_SMALL'],
    ['a sample of over a million', { sampleSize: 1_000_001 }, 'input.sampleSize', 'TOO_LARGE'],
    [
      'a period ending before it starts',
      { periodStart: '2024-03-02', periodEnd: '2024-03-01' },
      'input.periodEnd',
      'PRICE_PERIOD_ENDS_BEFORE_START',
    ],
    [
      'a period ending tomorrow',
      { periodStart: '2024-01-01', periodEnd: dayAfter(today(), 1) },
      'input.periodEnd',
      'PRICE_PERIOD_IN_FUTURE',
    ],
  ])('should refuse %s, naming the field, and change nothing', async (_label, overrides, field, rule) => {
    const s = await sector();
    expectRefusal(await refused(() => run(CREATE_PRICE, priceInput(s.cid, overrides), s.token.member)), rule, field);
  });

  it('should refuse a price reference in a commons or business collective', async () => {
    const s = await sector();
    for (const collective of [s.commons, s.business]) {
      const input = priceInput(gid('Collective', collective.id));
      expectRule(await refused(() => run(CREATE_PRICE, input, s.token.member)), 'NOT_A_SECTOR_COLLECTIVE', 'input.collectiveId');
    }
  });

  it('should refuse a service name too short for the input validation', async () => {
    const s = await sector();
    const result = await refused(() => run(CREATE_PRICE, priceInput(s.cid, { service: ' x ' }), s.token.member));
    expect(result).toMatchObject({ __typename: 'InputValidationError', issues: [{ field: 'input.service' }] });
  });

  it('should let any active member correct a price reference, keeping what the input omits', async () => {
    const s = await sector();
    const price = await makePrice(s);
    const id = gid('PriceReference', price.id);
    const data = ok(await run(UPDATE_PRICE, { id, maxCents: 20, sampleSize: 9 }, s.token.other));
    expect(data).toMatchObject({ id, minCents: 8, medianCents: 10, maxCents: 20, sampleSize: 9, service: price.service });
    expect(await lastEvent()).toMatchObject({ type: 'priceReference.updated', subjectId: id, actorId: s.other.id });
  });

  it.each([
    ['a minimum raised above the median', { minCents: 11 }, 'input.minCents', 'PRICE_MEDIAN_BELOW_MIN'],
    ['a median lowered below the minimum', { medianCents: 7 }, 'input.medianCents', 'PRICE_MEDIAN_BELOW_MIN'],
    ['a median raised above the maximum', { medianCents: 15 }, 'input.medianCents', 'PRICE_MAX_BELOW_MEDIAN'],
    ['a maximum lowered below the median', { maxCents: 9 }, 'input.maxCents', 'PRICE_MAX_BELOW_MEDIAN'],
    ['a smaller sample', { sampleSize: 2 }, 'input.sampleSize', 'TOO_SMALL'],
    ['a start moved after the end', { periodStart: '2024-07-01' }, 'input.periodStart', 'PRICE_PERIOD_ENDS_BEFORE_START'],
    ['an end moved before the start', { periodEnd: '2023-12-31' }, 'input.periodEnd', 'PRICE_PERIOD_ENDS_BEFORE_START'],
    ['an end moved into the future', { periodEnd: dayAfter(today(), 2) }, 'input.periodEnd', 'PRICE_PERIOD_IN_FUTURE'],
  ])('should refuse a correction with %s, naming the field changed', async (_label, changes, field, rule) => {
    const s = await sector();
    const price = await makePrice(s);
    const input = { id: gid('PriceReference', price.id), ...changes };
    expectRefusal(await refused(() => run(UPDATE_PRICE, input, s.token.member)), rule, field);
  });

  it('should remove a price reference for good and record it', async () => {
    const s = await sector();
    const price = await makePrice(s);
    const id = gid('PriceReference', price.id);
    expect(ok(await run(REMOVE_PRICE, { id }, s.token.animator))).toBe(id);
    expect(await t.db.prisma.priceReference.findUnique({ where: { id: price.id } })).toBeNull();
    expect(await lastEvent()).toMatchObject({ type: 'priceReference.removed', subjectId: id, collectiveId: s.collective.id });
    expect(await query(NODE, { id }, s.token.member)).toEqual({ node: null });
    expectNotFound(await refused(() => run(REMOVE_PRICE, { id }, s.token.animator)), 'input.id');
  });

  it('should list price references by collective, service words and unit, in service order', async () => {
    const s = await sector();
    const elsewhere = await sector();
    await makePrice(s, { service: 'Traduction anglais-français', unit: 'WORD' });
    await makePrice(s, { service: 'Traduction allemand-français', unit: 'WORD' });
    await makePrice(s, { service: 'Rédaction web', unit: 'DAY' });
    await makePrice(elsewhere, { service: 'Traduction espagnol-français', unit: 'WORD' });
    const LIST = /* GraphQL */ `
      query($collectiveId: ID, $service: String, $unit: PriceUnit) {
        priceReferences(collectiveId: $collectiveId, service: $service, unit: $unit) { totalCount edges { node { service unit } } }
      }
    `;
    const services = async (variables: Record<string, unknown>) => {
      const { priceReferences } = await query(LIST, { collectiveId: s.cid, ...variables }, s.token.member);
      expect(priceReferences.totalCount).toBe(priceReferences.edges.length);
      return priceReferences.edges.map((edge: Json) => edge.node.service);
    };
    expect(await services({})).toEqual(['Rédaction web', 'Traduction allemand-français', 'Traduction anglais-français']);
    expect(await services({ service: 'TRADUCTION français' })).toEqual([
      'Traduction allemand-français',
      'Traduction anglais-français',
    ]);
    expect(await services({ unit: 'DAY' })).toEqual(['Rédaction web']);
    expect(await services({ service: 'anglais', unit: 'DAY' })).toEqual([]);
    expect(await services({ collectiveId: gid('Collective', elsewhere.collective.id) })).toEqual([]);
    expect(await services({ collectiveId: gid('Member', s.member.id) })).toEqual([]);
  });
});

// ───────────────────────────── Supplier recommendations ─────────────────────────────

describe('Supplier recommendations', () => {
  it('should record a recommendation by the viewer, dated now, and record an event', async () => {
    const s = await sector();
    const before = Date.now();
    const input = {
      collectiveId: s.cid,
      supplierName: ' Imprimerie  Dupont ',
      category: 'Impression',
      rating: 5,
      comment: 'Rapide.',
    };
    const data = ok(await run(RECOMMEND, input, s.token.member));
    expect(data).toMatchObject({
      supplierName: 'Imprimerie Dupont',
      category: 'Impression',
      rating: 5,
      comment: 'Rapide.',
      recommendedBy: { id: gid('Member', s.member.id) },
      collective: { id: s.cid },
    });
    expect(Date.parse(data.recommendedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(await lastEvent()).toMatchObject({
      type: 'supplierRecommendation.created',
      subjectId: data.id,
      actorId: s.member.id,
      payload: { supplierName: 'Imprimerie Dupont', rating: 5 },
    });
  });

  it.each([0, 6, -1])('should refuse a rating of %i, naming the field', async (rating) => {
    const s = await sector();
    const input = { collectiveId: s.cid, supplierName: 'Papeterie Martin', category: 'Fournitures', rating };
    expectRefusal(
      await refused(() => run(RECOMMEND, input, s.token.member)),
      rating < 1 ? 'TOO_SMALL' : 'TOO_LARGE',
      'input.rating',
    );
  });

  it('should accept ratings from 1 to 5', async () => {
    const s = await sector();
    for (const rating of [1, 2, 3, 4, 5]) {
      const input = { collectiveId: s.cid, supplierName: `Fournisseur ${rating}`, category: 'Divers', rating };
      expect(ok(await run(RECOMMEND, input, s.token.member)).rating).toBe(rating);
    }
  });

  it('should keep one recommendation per member, supplier and category, in any case and spacing', async () => {
    const s = await sector();
    await makeRecommendation(s, { supplierName: 'Imprimerie Dupont', category: 'Impression' });
    const again = { collectiveId: s.cid, supplierName: 'imprimerie   DUPONT', category: ' impression', rating: 2 };
    expectRule(await refused(() => run(RECOMMEND, again, s.token.member)), 'ALREADY_RECOMMENDED', 'input.supplierName');
    expect(ok(await run(RECOMMEND, again, s.token.other)).recommendedBy.id).toBe(gid('Member', s.other.id));
    expect(ok(await run(RECOMMEND, { ...again, category: 'Reliure' }, s.token.member)).category).toBe('Reliure');
  });

  it('should refuse a recommendation in a commons collective', async () => {
    const s = await sector();
    const input = {
      collectiveId: gid('Collective', s.commons.id),
      supplierName: 'Imprimerie Dupont',
      category: 'Impression',
      rating: 4,
    };
    expectRule(await refused(() => run(RECOMMEND, input, s.token.member)), 'NOT_A_SECTOR_COLLECTIVE', 'input.collectiveId');
  });

  it('should let its author revise a recommendation, renewing its date', async () => {
    const s = await sector();
    const recommendation = await makeRecommendation(s, { rating: 4 });
    const id = gid('SupplierRecommendation', recommendation.id);
    const data = ok(await run(UPDATE_RECOMMENDATION, { id, rating: 2, comment: 'Délais non tenus.' }, s.token.member));
    expect(data).toMatchObject({ id, rating: 2, comment: 'Délais non tenus.', category: 'Impression' });
    expect(Date.parse(data.recommendedAt)).toBeGreaterThan(recommendation.recommendedAt.getTime());
    expect(await lastEvent()).toMatchObject({ type: 'supplierRecommendation.updated', subjectId: id, payload: { rating: 2 } });
  });

  it('should refuse a revision by anyone but its author, a rating out of range, or a category that makes a duplicate', async () => {
    const s = await sector();
    const recommendation = await makeRecommendation(s, { category: 'Impression' });
    await makeRecommendation(s, { category: 'Reliure' });
    const id = gid('SupplierRecommendation', recommendation.id);
    expectForbidden(await refused(() => run(UPDATE_RECOMMENDATION, { id, rating: 1 }, s.token.other)));
    expectRefusal(
      await refused(() => run(UPDATE_RECOMMENDATION, { id, rating: 9 }, s.token.member)),
      'TOO_LARGE',
      'input.rating',
    );
    expectRule(
      await refused(() => run(UPDATE_RECOMMENDATION, { id, category: 'RELIURE' }, s.token.member)),
      'ALREADY_RECOMMENDED',
      'input.category',
    );
  });

  it('should average ratings per supplier and category, best first, for readers only', async () => {
    const s = await sector();
    await makeRecommendation(s, { by: s.member.id, supplierName: 'Imprimerie Dupont', category: 'Impression', rating: 5 });
    await makeRecommendation(s, { by: s.other.id, supplierName: 'imprimerie dupont', category: 'impression', rating: 4 });
    await makeRecommendation(s, { by: s.animator.id, supplierName: 'Imprimerie Dupont', category: 'Impression', rating: 4 });
    await makeRecommendation(s, { by: s.member.id, supplierName: 'Comptable Durand', category: 'Comptabilité', rating: 5 });
    await makeRecommendation(s, { by: s.other.id, supplierName: 'Imprimerie Dupont', category: 'Reliure', rating: 2 });
    const RATINGS = /* GraphQL */ `
      query($collectiveId: ID!, $category: String) {
        supplierRatings(collectiveId: $collectiveId, category: $category) { supplierName category averageRating count }
      }
    `;
    expect((await query(RATINGS, { collectiveId: s.cid }, s.token.member)).supplierRatings).toEqual([
      { supplierName: 'Comptable Durand', category: 'Comptabilité', averageRating: 5, count: 1 },
      { supplierName: 'Imprimerie Dupont', category: 'Impression', averageRating: 13 / 3, count: 3 },
      { supplierName: 'Imprimerie Dupont', category: 'Reliure', averageRating: 2, count: 1 },
    ]);
    expect((await query(RATINGS, { collectiveId: s.cid, category: 'reliure' }, s.token.staff)).supplierRatings).toEqual([
      { supplierName: 'Imprimerie Dupont', category: 'Reliure', averageRating: 2, count: 1 },
    ]);
    expect((await query(RATINGS, { collectiveId: s.cid }, s.token.outsider)).supplierRatings).toEqual([]);
  });

  it('should list recommendations by collective and category, newest first', async () => {
    const s = await sector();
    const older = await makeRecommendation(s, { supplierName: 'A', category: 'Impression' });
    await t.db.prisma.supplierRecommendation.update({ where: { id: older.id }, data: { recommendedAt: new Date('2024-01-01') } });
    await makeRecommendation(s, { supplierName: 'B', category: 'Impression' });
    await makeRecommendation(s, { supplierName: 'C', category: 'Comptabilité' });
    const LIST = /* GraphQL */ `
      query($collectiveId: ID, $category: String) {
        supplierRecommendations(collectiveId: $collectiveId, category: $category) { totalCount edges { node { supplierName } } }
      }
    `;
    const { supplierRecommendations } = await query(LIST, { collectiveId: s.cid, category: 'IMPRESSION' }, s.token.member);
    expect(supplierRecommendations).toEqual({
      totalCount: 2,
      edges: [{ node: { supplierName: 'B' } }, { node: { supplierName: 'A' } }],
    });
  });
});

// ───────────────────────────── Service exchanges ─────────────────────────────

describe('Service exchanges', () => {
  it('should offer a service to every member, with no beneficiary yet, and record an event', async () => {
    const s = await sector();
    const data = ok(await run(OFFER, { collectiveId: s.cid, description: 'Relire un devis', hours: 1.75 }, s.token.member));
    expect(data).toMatchObject({
      description: 'Relire un devis',
      hours: 1.75,
      status: 'OFFERED',
      provider: { id: gid('Member', s.member.id) },
      beneficiary: null,
      collective: { id: s.cid },
    });
    expect(await lastEvent()).toMatchObject({
      type: 'serviceExchange.offered',
      subjectId: data.id,
      payload: { status: 'OFFERED', hours: 1.75, beneficiaryId: null },
    });
  });

  it.each([0.25, 1, 7.5, 100])('should accept %d hours', async (hours) => {
    const s = await sector();
    expect(ok(await run(OFFER, { collectiveId: s.cid, description: 'Aide', hours }, s.token.member)).hours).toBe(hours);
  });

  it.each([
    [0, 'TOO_SMALL'],
    [-1, 'TOO_SMALL'],
    [100.25, 'TOO_LARGE'],
    [0.1, 'TOO_SMALL'],
    [1.3, 'SERVICE_HOURS_NOT_QUARTER'],
    [2.125, 'SERVICE_HOURS_NOT_QUARTER'],
  ])('should refuse %d hours, naming the field', async (hours, rule) => {
    const s = await sector();
    expectRefusal(
      await refused(() => run(OFFER, { collectiveId: s.cid, description: 'Aide', hours }, s.token.member)),
      rule,
      'input.hours',
    );
  });

  it('should refuse an offer in a commons collective', async () => {
    const s = await sector();
    const input = { collectiveId: gid('Collective', s.commons.id), description: 'Aide', hours: 1 };
    expectRule(await refused(() => run(OFFER, input, s.token.member)), 'NOT_A_SECTOR_COLLECTIVE', 'input.collectiveId');
  });

  it('should offer a service to one member of the collective, who alone may accept it', async () => {
    const s = await sector();
    const self = { collectiveId: s.cid, description: 'Aide', hours: 1, beneficiaryId: gid('Member', s.member.id) };
    expectRule(await refused(() => run(OFFER, self, s.token.member)), 'OWN_SERVICE', 'input.beneficiaryId');
    const stranger = { ...self, beneficiaryId: gid('Member', s.outsider.id) };
    expectRule(await refused(() => run(OFFER, stranger, s.token.member)), 'NOT_A_MEMBER', 'input.beneficiaryId');

    const offer = ok(await run(OFFER, { ...self, beneficiaryId: gid('Member', s.other.id) }, s.token.member));
    expect(offer).toMatchObject({ status: 'OFFERED', beneficiary: { id: gid('Member', s.other.id) } });
    expectForbidden(await refused(() => run(SERVICE_ACTIONS.ACCEPT, { id: offer.id }, s.token.animator)));
    expect(ok(await run(SERVICE_ACTIONS.ACCEPT, { id: offer.id }, s.token.other))).toMatchObject({ status: 'ACCEPTED' });
  });

  describe('Status', () => {
    type Actor = 'provider' | 'beneficiary' | 'third';
    type Outcome = ServiceExchangeStatus | 'OWN_SERVICE' | 'INVALID_STATUS_CHANGE' | 'Forbidden';
    // For an OFFERED exchange, "beneficiary" is the member who would accept it (none is set yet).
    const EXPECTED: Record<ServiceExchangeStatus, Record<keyof typeof SERVICE_ACTIONS, Record<Actor, Outcome>>> = {
      OFFERED: {
        ACCEPT: { provider: 'OWN_SERVICE', beneficiary: 'ACCEPTED', third: 'ACCEPTED' },
        COMPLETE: { provider: 'INVALID_STATUS_CHANGE', beneficiary: 'INVALID_STATUS_CHANGE', third: 'INVALID_STATUS_CHANGE' },
        CANCEL: { provider: 'CANCELLED', beneficiary: 'Forbidden', third: 'Forbidden' },
      },
      ACCEPTED: {
        ACCEPT: { provider: 'INVALID_STATUS_CHANGE', beneficiary: 'INVALID_STATUS_CHANGE', third: 'INVALID_STATUS_CHANGE' },
        COMPLETE: { provider: 'DONE', beneficiary: 'DONE', third: 'Forbidden' },
        CANCEL: { provider: 'CANCELLED', beneficiary: 'CANCELLED', third: 'Forbidden' },
      },
      DONE: {
        ACCEPT: { provider: 'INVALID_STATUS_CHANGE', beneficiary: 'INVALID_STATUS_CHANGE', third: 'INVALID_STATUS_CHANGE' },
        COMPLETE: { provider: 'INVALID_STATUS_CHANGE', beneficiary: 'INVALID_STATUS_CHANGE', third: 'INVALID_STATUS_CHANGE' },
        CANCEL: { provider: 'INVALID_STATUS_CHANGE', beneficiary: 'INVALID_STATUS_CHANGE', third: 'INVALID_STATUS_CHANGE' },
      },
      CANCELLED: {
        ACCEPT: { provider: 'INVALID_STATUS_CHANGE', beneficiary: 'INVALID_STATUS_CHANGE', third: 'INVALID_STATUS_CHANGE' },
        COMPLETE: { provider: 'INVALID_STATUS_CHANGE', beneficiary: 'INVALID_STATUS_CHANGE', third: 'INVALID_STATUS_CHANGE' },
        CANCEL: { provider: 'INVALID_STATUS_CHANGE', beneficiary: 'INVALID_STATUS_CHANGE', third: 'INVALID_STATUS_CHANGE' },
      },
    };
    const EVENTS = {
      ACCEPT: 'serviceExchange.accepted',
      COMPLETE: 'serviceExchange.completed',
      CANCEL: 'serviceExchange.cancelled',
    };
    const cases = Object.entries(EXPECTED).flatMap(([from, actions]) =>
      Object.entries(actions).flatMap(([action, actors]) =>
        Object.entries(actors).map(([actor, outcome]) => ({
          from: from as ServiceExchangeStatus,
          action: action as keyof typeof SERVICE_ACTIONS,
          actor: actor as Actor,
          outcome,
        })),
      ),
    );

    const scenario = sharedSector();
    it.each(cases)('$action on $from by the $actor → $outcome', async ({ from, action, actor, outcome }) => {
      const s = await scenario();
      const exchange = await makeService(s, {
        status: from,
        providerId: s.member.id,
        beneficiaryId: from === 'OFFERED' ? null : s.other.id,
      });
      const id = gid('ServiceExchange', exchange.id);
      const who = { provider: s.member, beneficiary: s.other, third: s.animator }[actor];
      const token = { provider: s.token.member, beneficiary: s.token.other, third: s.token.animator }[actor];
      if (outcome === 'Forbidden') return expectForbidden(await refused(() => run(SERVICE_ACTIONS[action], { id }, token)));
      if (outcome === 'OWN_SERVICE' || outcome === 'INVALID_STATUS_CHANGE')
        return expectRule(await refused(() => run(SERVICE_ACTIONS[action], { id }, token)), outcome, 'input.id');
      const data = ok(await run(SERVICE_ACTIONS[action], { id }, token));
      const beneficiary = action === 'ACCEPT' ? who.id : exchange.beneficiaryId;
      expect(data).toMatchObject({ status: outcome, beneficiary: beneficiary ? { id: gid('Member', beneficiary) } : null });
      expect(await lastEvent()).toMatchObject({
        type: EVENTS[action],
        subjectId: id,
        actorId: who.id,
        payload: { status: outcome },
      });
    });
  });
});

// ───────────────────────────── Referrals ─────────────────────────────

describe('Referrals', () => {
  it('should refer a client to a member of the same sector collective, and record an event', async () => {
    const s = await sector();
    const input = {
      collectiveId: s.cid,
      toMemberId: gid('Member', s.other.id),
      clientName: 'Éditions du Lac',
      description: 'Catalogue.',
    };
    const data = ok(await run(CREATE_REFERRAL, input, s.token.member));
    expect(data).toMatchObject({
      clientName: 'Éditions du Lac',
      description: 'Catalogue.',
      status: 'PROPOSED',
      amountCents: null,
      fromMember: { id: gid('Member', s.member.id) },
      toMember: { id: gid('Member', s.other.id) },
      collective: { id: s.cid },
    });
    expect(await lastEvent()).toMatchObject({
      type: 'referral.proposed',
      subjectId: data.id,
      collectiveId: s.collective.id,
      payload: { status: 'PROPOSED', toMemberId: s.other.id },
    });
  });

  it('should refer a client outside any collective, to any active member', async () => {
    const s = await sector();
    const input = { toMemberId: gid('Member', s.outsider.id), clientName: 'Mairie de Lyon' };
    const data = ok(await run(CREATE_REFERRAL, input, s.token.member));
    expect(data).toMatchObject({ status: 'PROPOSED', collective: null, toMember: { id: gid('Member', s.outsider.id) } });
    expect(await lastEvent()).toMatchObject({ type: 'referral.proposed', collectiveId: null });
  });

  it('should refuse a referral to oneself, to a member who left, to a non-member of the collective, or in a commons one', async () => {
    const s = await sector();
    const gone = await makeMember(t.db.prisma, { situation: 'LEFT', leftCooperativeOn: new Date('2024-01-31') });
    const base = { clientName: 'Client', toMemberId: gid('Member', s.other.id) };
    const self = { ...base, toMemberId: gid('Member', s.member.id) };
    expectRule(await refused(() => run(CREATE_REFERRAL, self, s.token.member)), 'REFERRAL_TO_SELF', 'input.toMemberId');
    const left = { ...base, toMemberId: gid('Member', gone.id) };
    expectRule(await refused(() => run(CREATE_REFERRAL, left, s.token.member)), 'MEMBER_NOT_ACTIVE', 'input.toMemberId');
    const stranger = { ...base, collectiveId: s.cid, toMemberId: gid('Member', s.outsider.id) };
    expectRule(await refused(() => run(CREATE_REFERRAL, stranger, s.token.member)), 'NOT_A_MEMBER', 'input.toMemberId');
    const commons = { ...base, collectiveId: gid('Collective', s.commons.id) };
    expectRule(
      await refused(() => run(CREATE_REFERRAL, commons, s.token.member)),
      'NOT_A_SECTOR_COLLECTIVE',
      'input.collectiveId',
    );
    const unknown = { ...base, toMemberId: gid('Member', randomUUID()) };
    expectNotFound(await refused(() => run(CREATE_REFERRAL, unknown, s.token.member)), 'input.toMemberId');
  });

  describe('Status', () => {
    const STATUSES: ReferralStatus[] = ['PROPOSED', 'ACCEPTED', 'QUOTED', 'SIGNED', 'LOST'];
    const LEGAL = new Set(['PROPOSED→ACCEPTED', 'PROPOSED→LOST', 'ACCEPTED→QUOTED', 'QUOTED→SIGNED', 'QUOTED→LOST']);
    const cases = STATUSES.flatMap((from) => STATUSES.map((to) => ({ from, to, legal: LEGAL.has(`${from}→${to}`) })));
    const QUOTE = 250_000;

    const scenario = sharedSector();
    it.each(cases)('$from → $to by the recipient: legal $legal', async ({ from, to, legal }) => {
      const s = await scenario();
      const quoted = from === 'QUOTED' || from === 'SIGNED';
      const referral = await makeReferral(s, { status: from, amountCents: quoted ? QUOTE : null });
      const id = gid('Referral', referral.id);
      // A quote always brings its amount, so a refusal can only come from the transition itself.
      const input = { id, status: to, ...(to === 'QUOTED' ? { amountCents: QUOTE } : {}) };
      if (!legal)
        return expectRule(
          await refused(() => run(CHANGE_REFERRAL, input, s.token.other)),
          'INVALID_STATUS_CHANGE',
          'input.status',
        );
      const data = ok(await run(CHANGE_REFERRAL, input, s.token.other));
      expect(data).toMatchObject({ status: to, amountCents: to === 'QUOTED' || quoted ? QUOTE : null });
      expect(await lastEvent()).toMatchObject({
        type: 'referral.statusChanged',
        subjectId: id,
        actorId: s.other.id,
        payload: { status: to, previousStatus: from },
      });
    });

    it('should need a positive amount for a quote, and take one only with a quote or a signature', async () => {
      const s = await sector();
      const accepted = gid('Referral', (await makeReferral(s, { status: 'ACCEPTED' })).id);
      const change = (input: Record<string, unknown>) => refused(() => run(CHANGE_REFERRAL, input, s.token.other));
      expectRule(await change({ id: accepted, status: 'QUOTED' }), 'REFERRAL_AMOUNT_REQUIRED', 'input.amountCents');
      expectRefusal(await change({ id: accepted, status: 'QUOTED', amountCents: 0 }), 'TOO_SMALL', 'input.amountCents');
      expectRefusal(await change({ id: accepted, status: 'QUOTED', amountCents: -5 }), 'TOO_SMALL', 'input.amountCents');
      const proposed = gid('Referral', (await makeReferral(s)).id);
      for (const status of ['ACCEPTED', 'LOST']) {
        expectRule(await change({ id: proposed, status, amountCents: 100 }), 'REFERRAL_AMOUNT_NOT_EXPECTED', 'input.amountCents');
      }
    });

    it('should sign at the quoted amount, or at a new positive one', async () => {
      const s = await sector();
      const first = gid('Referral', (await makeReferral(s, { status: 'QUOTED', amountCents: 120_000 })).id);
      expect(ok(await run(CHANGE_REFERRAL, { id: first, status: 'SIGNED' }, s.token.other))).toMatchObject({
        amountCents: 120_000,
      });
      const second = gid('Referral', (await makeReferral(s, { status: 'QUOTED', amountCents: 120_000 })).id);
      expectRefusal(
        await refused(() => run(CHANGE_REFERRAL, { id: second, status: 'SIGNED', amountCents: 0 }, s.token.other)),
        'TOO_SMALL',
        'input.amountCents',
      );
      const signed = ok(await run(CHANGE_REFERRAL, { id: second, status: 'SIGNED', amountCents: 110_000 }, s.token.other));
      expect(signed).toMatchObject({ status: 'SIGNED', amountCents: 110_000 });
    });

    it('should let only the recipient move a referral on', async () => {
      const s = await sector();
      const id = gid('Referral', (await makeReferral(s, { from: s.member.id, to: s.other.id })).id);
      const input = { id, status: 'ACCEPTED' };
      for (const token of [s.token.member, s.token.animator, s.token.staff]) {
        expectForbidden(await refused(() => run(CHANGE_REFERRAL, input, token)));
      }
      expectNotFound(await refused(() => run(CHANGE_REFERRAL, input, s.token.outsider)), 'input.id');
      expect(ok(await run(CHANGE_REFERRAL, input, s.token.other)).status).toBe('ACCEPTED');
    });
  });

  it('should show a referral made outside any collective only to its two members and the support staff', async () => {
    const s = await sector();
    const referral = await makeReferral(s, { inCollective: false, from: s.member.id, to: s.outsider.id });
    const id = gid('Referral', referral.id);
    const LIST = `query($direction: ReferralDirection) { referrals(direction: $direction) { totalCount edges { node { id } } } }`;
    for (const token of [s.token.member, s.token.outsider, s.token.staff]) {
      expect(await query(NODE, { id }, token)).toEqual({ node: { __typename: 'Referral', id, referralStatus: 'PROPOSED' } });
      expect((await query(LIST, {}, token)).referrals.edges).toContainEqual({ node: { id } });
    }
    for (const token of [s.token.other, s.token.animator]) {
      expect(await query(NODE, { id }, token)).toEqual({ node: null });
      expect((await query(LIST, {}, token)).referrals.edges).not.toContainEqual({ node: { id } });
    }
    expect((await query(LIST, { direction: 'SENT' }, s.token.member)).referrals).toEqual({
      totalCount: 1,
      edges: [{ node: { id } }],
    });
    expect((await query(LIST, { direction: 'RECEIVED' }, s.token.member)).referrals).toEqual({ totalCount: 0, edges: [] });
    expect((await query(LIST, { direction: 'RECEIVED' }, s.token.outsider)).referrals).toEqual({
      totalCount: 1,
      edges: [{ node: { id } }],
    });
    // The recipient moves it on although neither of them shares a collective.
    expect(ok(await run(CHANGE_REFERRAL, { id, status: 'ACCEPTED' }, s.token.outsider)).status).toBe('ACCEPTED');
  });

  it('should keep a referral visible to its members after they leave the collective', async () => {
    const s = await sector();
    const referral = await makeReferral(s, { from: s.member.id, to: s.other.id });
    await t.db.prisma.membership.updateMany({
      where: { collectiveId: s.collective.id, memberId: s.other.id },
      data: { status: 'LEFT', leftAt: new Date(), leaveReason: 'LEFT_COLLECTIVE' },
    });
    const id = gid('Referral', referral.id);
    const token = await t.tokenFor(s.other.id);
    expect(await query(NODE, { id }, token)).toEqual({ node: { __typename: 'Referral', id, referralStatus: 'PROPOSED' } });
    expect(ok(await run(CHANGE_REFERRAL, { id, status: 'ACCEPTED' }, token)).status).toBe('ACCEPTED');
  });
});

// ───────────────────────────── Authorization ─────────────────────────────

describe('Authorization', () => {
  interface Resource {
    name: string;
    typename: string;
    list: string;
    collectiveField: string;
    make: (s: Sector) => Promise<{ id: string }>;
    create: (s: Sector) => { document: string; input: Record<string, unknown> };
    change: (s: Sector, id: string) => { document: string; input: Record<string, unknown> };
  }
  const RESOURCES: Resource[] = [
    {
      name: 'price reference',
      typename: 'PriceReference',
      list: 'priceReferences',
      collectiveField: 'priceReferences',
      make: makePrice,
      create: (s) => ({ document: CREATE_PRICE, input: priceInput(s.cid) }),
      change: (_s, id) => ({ document: UPDATE_PRICE, input: { id, sampleSize: 12 } }),
    },
    {
      name: 'supplier recommendation',
      typename: 'SupplierRecommendation',
      list: 'supplierRecommendations',
      collectiveField: 'supplierRecommendations',
      make: (s) => makeRecommendation(s, { by: s.member.id }),
      create: (s) => ({
        document: RECOMMEND,
        input: { collectiveId: s.cid, supplierName: 'Nouveau', category: 'Divers', rating: 3 },
      }),
      change: (_s, id) => ({ document: UPDATE_RECOMMENDATION, input: { id, rating: 1 } }),
    },
    {
      name: 'service exchange',
      typename: 'ServiceExchange',
      list: 'serviceExchanges',
      collectiveField: 'serviceExchanges',
      make: (s) => makeService(s, { providerId: s.member.id }),
      create: (s) => ({ document: OFFER, input: { collectiveId: s.cid, description: 'Aide', hours: 2 } }),
      change: (_s, id) => ({ document: SERVICE_ACTIONS.CANCEL, input: { id } }),
    },
    {
      name: 'referral',
      typename: 'Referral',
      list: 'referrals',
      collectiveField: 'referrals',
      make: (s) => makeReferral(s, { from: s.member.id, to: s.other.id }),
      create: (s) => ({
        document: CREATE_REFERRAL,
        input: { collectiveId: s.cid, toMemberId: gid('Member', s.other.id), clientName: 'Client' },
      }),
      change: (_s, id) => ({ document: CHANGE_REFERRAL, input: { id, status: 'ACCEPTED' } }),
    },
  ];

  const readers = (resource: Resource) => /* GraphQL */ `
    query($id: ID!, $slug: String!, $collectiveId: ID) {
      node(id: $id) { id }
      list: ${resource.list}(collectiveId: $collectiveId) { totalCount edges { node { id } } }
      collective(slug: $slug) { tools: ${resource.collectiveField} { totalCount edges { node { id } } } }
    }
  `;

  async function reads(s: Sector, resource: Resource, id: string, token: string) {
    const data = await query(readers(resource), { id, slug: s.collective.slug, collectiveId: s.cid }, token);
    return { node: data.node, list: data.list.edges.map((edge: Json) => edge.node.id), tools: data.collective?.tools };
  }

  describe.each(RESOURCES)('$name', (resource) => {
    it('should let the active members of the collective read it and change it', async () => {
      const s = await sector();
      const id = gid(resource.typename, (await resource.make(s)).id);
      expect(await reads(s, resource, id, s.token.member)).toEqual({
        node: { id },
        list: [id],
        tools: { totalCount: 1, edges: [{ node: { id } }] },
      });
      const created = resource.create(s);
      ok(await run(created.document, created.input, resource.name === 'referral' ? s.token.member : s.token.animator));
      const changed = resource.change(s, id);
      // Each change is its party's: the author, the provider, the recipient; prices are anyone's.
      const party = resource.name === 'referral' ? s.token.other : s.token.member;
      ok(await run(changed.document, changed.input, party));
    });

    it('should let the support staff read it but change nothing', async () => {
      const s = await sector();
      const id = gid(resource.typename, (await resource.make(s)).id);
      expect(await reads(s, resource, id, s.token.staff)).toEqual({
        node: { id },
        list: [id],
        tools: { totalCount: 1, edges: [{ node: { id } }] },
      });
      const created = resource.create(s);
      expectForbidden(await refused(() => run(created.document, created.input, s.token.staff)));
      const changed = resource.change(s, id);
      expectForbidden(await refused(() => run(changed.document, changed.input, s.token.staff)));
    });

    it('should hide it from an outsider: no node, no row, not-found on changes', async () => {
      const s = await sector();
      const id = gid(resource.typename, (await resource.make(s)).id);
      expect(await reads(s, resource, id, s.token.outsider)).toEqual({
        node: null,
        list: [],
        tools: { totalCount: 0, edges: [] },
      });
      const created = resource.create(s);
      expectNotFound(await refused(() => run(created.document, created.input, s.token.outsider)), 'input.collectiveId');
      const changed = resource.change(s, id);
      expectNotFound(await refused(() => run(changed.document, changed.input, s.token.outsider)), 'input.id');
    });

    it('should treat a member who left the collective as an outsider', async () => {
      const s = await sector();
      const id = gid(resource.typename, (await resource.make(s)).id);
      await t.db.prisma.membership.updateMany({
        where: { collectiveId: s.collective.id, memberId: s.animator.id },
        data: { status: 'LEFT', leftAt: new Date(), leaveReason: 'LEFT_COLLECTIVE' },
      });
      const token = await t.tokenFor(s.animator.id);
      expect((await reads(s, resource, id, token)).node).toBeNull();
      const created = resource.create(s);
      expectNotFound(await refused(() => run(created.document, created.input, token)), 'input.collectiveId');
    });
  });

  it('should refuse every list and node to an anonymous caller', async () => {
    const s = await sector();
    const id = gid('PriceReference', (await makePrice(s)).id);
    const response = await t.gql(`query($id: ID!) { node(id: $id) { id } priceReferences { totalCount } }`, { id });
    expect(response.errors?.length ?? 0).toBeGreaterThan(0);
    expect(response.data ?? null).toBeNull();
  });
});

describe('Event payloads', () => {
  it('should send every ID in the payloads this suite recorded as a global ID, as subjectId is', async () => {
    await expectGlobalPayloadIds(t);
  });
});
