import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { gid } from '../support/scenario.js';

// An update that changes nothing writes nothing and records no event: it answers with the row as it is. Found by the
// new-user test of stop 28: `updateTenderSection` naming only its section (or resending its word limit) recorded
// « Section modifiée » in every co-author's feed each time. The kind: every update mutation (domain/unchanged.ts).

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ demo: true });
});
afterAll(() => t.close());

const logHead = async () => (await t.db.prisma.eventLog.aggregate({ _max: { position: true } }))._max.position ?? 0n;

/** A token of the animator of `collectiveId` (who may change everything of it). */
async function animatorOf(collectiveId: string): Promise<string> {
  const { memberId } = await t.db.prisma.membership.findFirstOrThrow({
    where: { collectiveId, status: 'ACTIVE', role: 'ANIMATOR' },
  });
  return t.tokenFor(memberId);
}

/**
 * Runs `mutation` (`input` as its variable, of type `inputType`, by default the mutation's name and Input) and returns
 * its payload's type name, no top-level error.
 */
async function run(
  mutation: string,
  input: Record<string, unknown>,
  token: string,
  inputType = `${mutation[0]?.toUpperCase()}${mutation.slice(1)}Input`,
): Promise<Json> {
  const result = await t.gql(
    `mutation($input: ${inputType}!) { result: ${mutation}(input: $input) {
      __typename ... on Error { message } } }`,
    { input },
    token,
  );
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data?.result as Json;
}

/** An update mutation and a row of the demo it may change. */
interface Case {
  mutation: string;
  /** Its input's type, when not the mutation's name and Input. */
  inputType?: string;
  /**
   * The row, its collective, and the input that changes nothing (its ID, perhaps a value it already has); `token`,
   * who may change it when not the collective's animator.
   */
  target(): Promise<{ collectiveId: string; input: Record<string, unknown>; row: () => Promise<unknown>; token?: string }>;
}

const openCollective = { status: { not: 'CLOSED' } } as const;

/** A stand of an open collective that has opening days, participants and costs, and its reader with them all. */
async function demoStand() {
  const stand = await t.db.prisma.tradeShowStand.findFirstOrThrow({
    where: {
      collective: openCollective,
      openingDays: { some: {} },
      participants: { some: {} },
      costLines: { some: {} },
    },
    include: { openingDays: true, participants: true, costLines: true },
  });
  const row = () =>
    t.db.prisma.tradeShowStand.findUniqueOrThrow({
      where: { id: stand.id },
      include: {
        openingDays: { orderBy: { day: 'asc' } },
        participants: { orderBy: { memberId: 'asc' } },
        costLines: { orderBy: { id: 'asc' } },
        costShares: { orderBy: { memberId: 'asc' } },
      },
    });
  return { stand, row };
}

const CASES: Case[] = [
  {
    mutation: 'updateTenderSection',
    async target() {
      const section = await t.db.prisma.tenderSection.findFirstOrThrow({
        where: { restricted: false, response: { submittedAt: null, deal: { status: 'PREPARING' }, collective: openCollective } },
        include: { response: true },
      });
      const row = () => t.db.prisma.tenderSection.findUniqueOrThrow({ where: { id: section.id } });
      return { collectiveId: section.response.collectiveId, input: { sectionId: gid('TenderSection', section.id) }, row };
    },
  },
  {
    mutation: 'updateTenderResponse',
    async target() {
      const response = await t.db.prisma.tenderResponse.findFirstOrThrow({
        where: { submittedAt: null, deal: { status: 'PREPARING' }, collective: openCollective },
      });
      const row = () => t.db.prisma.tenderResponse.findUniqueOrThrow({ where: { id: response.id } });
      return {
        collectiveId: response.collectiveId,
        input: { responseId: gid('TenderResponse', response.id), title: response.title },
        row,
      };
    },
  },
  {
    mutation: 'updateDeal',
    async target() {
      const deal = await t.db.prisma.deal.findFirstOrThrow({ where: { status: 'PREPARING', collective: openCollective } });
      const row = () => t.db.prisma.deal.findUniqueOrThrow({ where: { id: deal.id } });
      return { collectiveId: deal.collectiveId, input: { id: gid('Deal', deal.id), title: deal.title }, row };
    },
  },
  {
    mutation: 'updateCollective',
    async target() {
      const collective = await t.db.prisma.collective.findFirstOrThrow({ where: { status: 'ACTIVE' } });
      const row = () => t.db.prisma.collective.findUniqueOrThrow({ where: { id: collective.id } });
      return { collectiveId: collective.id, input: { id: gid('Collective', collective.id), name: collective.name }, row };
    },
  },
  {
    mutation: 'updateBrand',
    async target() {
      const brand = await t.db.prisma.brand.findFirstOrThrow({ where: { collective: openCollective } });
      const row = () => t.db.prisma.brand.findUniqueOrThrow({ where: { id: brand.id } });
      return { collectiveId: brand.collectiveId, input: { id: gid('Brand', brand.id), niceClasses: brand.niceClasses }, row };
    },
  },
  {
    mutation: 'updateProduct',
    async target() {
      const product = await t.db.prisma.product.findFirstOrThrow({ where: { collective: openCollective } });
      const row = () => t.db.prisma.product.findUniqueOrThrow({ where: { id: product.id } });
      return { collectiveId: product.collectiveId, input: { id: gid('Product', product.id), name: product.name }, row };
    },
  },
  {
    mutation: 'updateStand',
    async target() {
      const stand = await t.db.prisma.tradeShowStand.findFirstOrThrow({ where: { collective: openCollective } });
      const row = () => t.db.prisma.tradeShowStand.findUniqueOrThrow({ where: { id: stand.id } });
      return {
        collectiveId: stand.collectiveId,
        input: { standId: gid('TradeShowStand', stand.id), venue: stand.venue, minimumStaff: stand.minimumStaff },
        row,
      };
    },
  },
  {
    mutation: 'updatePriceReference',
    async target() {
      const reference = await t.db.prisma.priceReference.findFirstOrThrow({ where: { collective: openCollective } });
      const row = () => t.db.prisma.priceReference.findUniqueOrThrow({ where: { id: reference.id } });
      return {
        collectiveId: reference.collectiveId,
        input: { id: gid('PriceReference', reference.id), medianCents: reference.medianCents },
        row,
      };
    },
  },
  {
    mutation: 'updateOpportunity',
    async target() {
      const opportunity = await t.db.prisma.opportunity.findFirstOrThrow({
        where: { broughtById: { not: null }, lots: { some: {} } },
        include: { lots: true },
      });
      const row = () => t.db.prisma.opportunity.findUniqueOrThrow({ where: { id: opportunity.id }, include: { lots: true } });
      // The lots resent as they are, in reverse order: the same list.
      const lots = opportunity.lots
        .map(({ number, title, estimatedAmountCents }) => ({ number, title, estimatedAmountCents }))
        .reverse();
      return {
        collectiveId: '',
        input: { id: gid('Opportunity', opportunity.id), title: opportunity.title, lots },
        row,
        token: await t.tokenFor(opportunity.broughtById as string),
      };
    },
  },
  {
    mutation: 'setDealPartners',
    async target() {
      const deal = await t.db.prisma.deal.findFirstOrThrow({
        where: { status: 'PREPARING', collective: openCollective, partners: { some: { companyName: { not: null } } } },
        include: { partners: { where: { status: 'ACTIVE' } } },
      });
      const row = () =>
        t.db.prisma.deal.findUniqueOrThrow({ where: { id: deal.id }, include: { partners: { orderBy: { id: 'asc' } } } });
      // Its partners resent as they are, in reverse order, with its terms: the same list.
      const partners = deal.partners
        .map((partner) => ({
          ...(partner.memberId
            ? { memberId: gid('Member', partner.memberId) }
            : { companyName: partner.companyName, siret: partner.siret }),
          isLead: partner.isLead,
          scopeOfWork: partner.scopeOfWork,
          amountCents: partner.amountCents,
          shareBasisPoints: partner.shareBasisPoints,
        }))
        .reverse();
      return {
        collectiveId: deal.collectiveId,
        input: { dealId: gid('Deal', deal.id), partners, totalAmountCents: deal.totalAmountCents },
        row,
      };
    },
  },
  {
    mutation: 'updateSupplierRecommendation',
    async target() {
      const recommendation = await t.db.prisma.supplierRecommendation.findFirstOrThrow({
        where: { collective: openCollective, recommendedBy: { situation: 'ACTIVE' } },
      });
      const row = () => t.db.prisma.supplierRecommendation.findUniqueOrThrow({ where: { id: recommendation.id } });
      return {
        collectiveId: recommendation.collectiveId,
        input: { id: gid('SupplierRecommendation', recommendation.id), rating: recommendation.rating },
        row,
        // Only its author revises it.
        token: await t.tokenFor(recommendation.recommendedById),
      };
    },
  },
  {
    mutation: 'moveTenderSection',
    async target() {
      const section = await t.db.prisma.tenderSection.findFirstOrThrow({
        where: { restricted: false, response: { submittedAt: null, deal: { status: 'PREPARING' }, collective: openCollective } },
        include: { response: true },
      });
      const row = () => t.db.prisma.tenderSection.findMany({ where: { responseId: section.responseId }, orderBy: { id: 'asc' } });
      return {
        collectiveId: section.response.collectiveId,
        input: { sectionId: gid('TenderSection', section.id), position: section.position },
        row,
      };
    },
  },
  {
    mutation: 'setBrandHolders',
    async target() {
      const brand = await t.db.prisma.brand.findFirstOrThrow({
        where: { collective: openCollective, holders: { some: {} } },
        include: { holders: true },
      });
      const row = () =>
        t.db.prisma.brand.findUniqueOrThrow({ where: { id: brand.id }, include: { holders: { orderBy: { memberId: 'asc' } } } });
      // Its holders and shares resent as they are, in reverse order: the same list.
      const holders = brand.holders
        .map(({ memberId, shareBasisPoints }) => ({ memberId: gid('Member', memberId), shareBasisPoints }))
        .reverse();
      return {
        collectiveId: brand.collectiveId,
        input: { brandId: gid('Brand', brand.id), holders },
        row,
        // Only its holders change them.
        token: await t.tokenFor((brand.holders[0] as { memberId: string }).memberId),
      };
    },
  },
  {
    mutation: 'setCoAnimator',
    async target() {
      const coAnimator = await t.db.prisma.membership.findFirstOrThrow({
        where: { status: 'ACTIVE', role: 'CO_ANIMATOR', collective: openCollective },
      });
      const row = () =>
        t.db.prisma.membership.findMany({ where: { collectiveId: coAnimator.collectiveId }, orderBy: { id: 'asc' } });
      return {
        collectiveId: coAnimator.collectiveId,
        input: { collectiveId: gid('Collective', coAnimator.collectiveId), memberId: gid('Member', coAnimator.memberId) },
        row,
      };
    },
  },
  {
    mutation: 'setProductOwners',
    async target() {
      const product = await t.db.prisma.product.findFirstOrThrow({
        where: { collective: openCollective, owners: { some: {} } },
        include: { owners: true },
      });
      const row = () =>
        t.db.prisma.product.findUniqueOrThrow({
          where: { id: product.id },
          include: { owners: { orderBy: { memberId: 'asc' } } },
        });
      // Its co-owners resent as they are, in reverse order: the same list.
      const ownerIds = product.owners.map((owner) => gid('Member', owner.memberId)).reverse();
      return {
        collectiveId: product.collectiveId,
        input: { productId: gid('Product', product.id), ownerIds },
        row,
        // Its co-owners decide who they are.
        token: await t.tokenFor((product.owners[0] as { memberId: string }).memberId),
      };
    },
  },
  {
    mutation: 'setStandOpeningDays',
    inputType: 'StandOpeningDaysInput',
    async target() {
      const { stand, row } = await demoStand();
      // Its days and hours resent as they are, in reverse order: the same list.
      const openingDays = stand.openingDays
        .map(({ day, opensAt, closesAt }) => ({
          day: day.toISOString().slice(0, 10),
          opensAt: opensAt.toISOString(),
          closesAt: closesAt.toISOString(),
        }))
        .reverse();
      return { collectiveId: stand.collectiveId, input: { standId: gid('TradeShowStand', stand.id), openingDays }, row };
    },
  },
  {
    mutation: 'setStandParticipants',
    async target() {
      const { stand, row } = await demoStand();
      // Its participants resent as they are, in reverse order: the same list.
      const participants = stand.participants
        .map(({ memberId, daysPresent, customShareBasisPoints }) => ({
          memberId: gid('Member', memberId),
          daysPresent,
          customShareBasisPoints,
        }))
        .reverse();
      return { collectiveId: stand.collectiveId, input: { standId: gid('TradeShowStand', stand.id), participants }, row };
    },
  },
  {
    mutation: 'setStandSplitMode',
    async target() {
      const { stand, row } = await demoStand();
      return {
        collectiveId: stand.collectiveId,
        input: { standId: gid('TradeShowStand', stand.id), splitMode: stand.splitMode },
        row,
      };
    },
  },
  {
    mutation: 'updateStandCostLine',
    async target() {
      const { stand, row } = await demoStand();
      const line = stand.costLines[0] as (typeof stand.costLines)[number];
      return {
        collectiveId: stand.collectiveId,
        input: {
          costLineId: gid('StandCostLine', line.id),
          label: line.label,
          category: line.category,
          amountCents: line.amountCents,
        },
        row,
      };
    },
  },
  {
    mutation: 'updateMyProfile',
    async target() {
      const member = await t.db.prisma.member.findFirstOrThrow({ where: { situation: 'ACTIVE' } });
      const row = () => t.db.prisma.member.findUniqueOrThrow({ where: { id: member.id } });
      return {
        collectiveId: '',
        input: { firstName: member.firstName, trade: member.trade, sectors: member.sectors },
        row,
        token: await t.tokenFor(member.id),
      };
    },
  },
];

describe('An update that changes nothing', () => {
  it.each(CASES)(
    '$mutation: answers success with the row as it is, writes nothing, records no event',
    async ({ mutation, inputType, target }) => {
      const { collectiveId, input, row, token = await animatorOf(collectiveId) } = await target();
      const [head, before] = [await logHead(), await row()];
      const result = await run(mutation, input, token, inputType);
      expect(result.__typename, JSON.stringify(result)).toMatch(/Success$/);
      expect(await row()).toEqual(before);
      expect(await logHead()).toBe(head);
    },
  );

  it('still records a change that changes something', async () => {
    const { collectiveId, input } = await (CASES[0] as Case).target();
    const head = await logHead();
    const result = await run('updateTenderSection', { ...input, title: 'Titre changé' }, await animatorOf(collectiveId));
    expect(result.__typename, JSON.stringify(result)).toMatch(/Success$/);
    expect(await logHead()).toBeGreaterThan(head);
  });
});
