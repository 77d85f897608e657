import type { SectionStatus } from '../../server/src/generated/prisma/enums.js';
import type { TestApp } from './app.js';
import { gid, makeBiddingCollective, makeMember, makeTenderDeal, SUPPORT_STAFF } from './scenario.js';

/**
 * A one-off business collective bidding with a deal whose response has one section restricted to a partner (the
 * scene of the tests of restricted sections through partner changes, tests/live): `lead` animates the collective and
 * leads the deal, `insider` is a member (not a partner at first), `colleague` a member never a partner, `partner` a
 * member-partner from outside the collective (the section's owner and assignee; the lead reviews it), `newcomer` a
 * member from nowhere, `staff` support staff, `other` a member who animates nothing yet (`otherToken`).
 */
export async function restrictedDealScene(t: TestApp, status: SectionStatus) {
  const prisma = t.db.prisma;
  const [lead, insider, colleague, partner, newcomer, other] = await Promise.all([
    makeMember(prisma),
    makeMember(prisma),
    makeMember(prisma),
    makeMember(prisma),
    makeMember(prisma),
    makeMember(prisma),
  ]);
  const staff = await makeMember(prisma, SUPPORT_STAFF);
  const collective = await makeBiddingCollective(prisma, lead.id, [insider.id, colleague.id]);
  const deal = await makeTenderDeal(prisma, collective.id);
  const leadPartner = await prisma.dealPartner.create({
    data: { dealId: deal.id, memberId: lead.id, isLead: true, shareBasisPoints: 5000 },
  });
  const memberPartner = await prisma.dealPartner.create({
    data: { dealId: deal.id, memberId: partner.id, shareBasisPoints: 5000 },
  });
  const response = await prisma.tenderResponse.create({
    data: { collectiveId: collective.id, dealId: deal.id, opportunityId: deal.opportunityId, title: 'Réponse' },
  });
  const section = await prisma.tenderSection.create({
    data: {
      responseId: response.id,
      kind: 'PRICE_SCHEDULE',
      title: 'Prix du partenaire',
      position: 1,
      restricted: true,
      ownerPartnerId: memberPartner.id,
      status,
      assigneeId: partner.id,
      reviewerId: lead.id,
    },
  });
  const tokens = {
    lead: await t.tokenFor(lead.id),
    insider: await t.tokenFor(insider.id),
    colleague: await t.tokenFor(colleague.id),
    partner: await t.tokenFor(partner.id),
    newcomer: await t.tokenFor(newcomer.id),
    staff: await t.tokenFor(staff.id),
  };
  const otherToken = await t.tokenFor(other.id);
  return {
    lead,
    insider,
    colleague,
    partner,
    newcomer,
    staff,
    other,
    otherToken,
    collective,
    deal,
    leadPartner,
    memberPartner,
    response,
    section,
    tokens,
  };
}

/**
 * `setDealPartners`'s input naming `members` of the deal `dealId`, in this order, `lead` leading: shares adding up
 * to 100 % (3,000 basis points each, the first the rest).
 */
export function membersAsPartners(dealId: string, members: ReadonlyArray<{ id: string }>, lead: { id: string }) {
  return {
    dealId: gid('Deal', dealId),
    partners: members.map((member, index) => ({
      memberId: gid('Member', member.id),
      isLead: member.id === lead.id,
      shareBasisPoints: index === 0 ? 10_000 - 3_000 * (members.length - 1) : 3_000,
    })),
  };
}
