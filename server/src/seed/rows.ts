import type { Prisma } from '../generated/prisma/client.js';

/** The rows of the demo, per table, in an order that respects foreign keys. */
export interface DemoData {
  members: Prisma.MemberCreateManyInput[];
  opportunities: Prisma.OpportunityCreateManyInput[];
  opportunityLots: Prisma.OpportunityLotCreateManyInput[];
  collectives: Prisma.CollectiveCreateManyInput[];
  memberships: Prisma.MembershipCreateManyInput[];
  deals: Prisma.DealCreateManyInput[];
  dealPartners: Prisma.DealPartnerCreateManyInput[];
  tenderResponses: Prisma.TenderResponseCreateManyInput[];
  tenderSections: Prisma.TenderSectionCreateManyInput[];
  stands: Prisma.TradeShowStandCreateManyInput[];
  standOpeningDays: Prisma.StandOpeningDayCreateManyInput[];
  standCostLines: Prisma.StandCostLineCreateManyInput[];
  standParticipants: Prisma.StandParticipantCreateManyInput[];
  standCostShares: Prisma.StandCostShareCreateManyInput[];
  standShifts: Prisma.StandShiftCreateManyInput[];
  standShiftAssignments: Prisma.StandShiftAssignmentCreateManyInput[];
  brands: Prisma.BrandCreateManyInput[];
  brandHolders: Prisma.BrandHolderCreateManyInput[];
  brandUsageRuleVersions: Prisma.BrandUsageRuleVersionCreateManyInput[];
  brandUsageRuleApprovals: Prisma.BrandUsageRuleApprovalCreateManyInput[];
  brandAuthorisedUsers: Prisma.BrandAuthorisedUserCreateManyInput[];
  products: Prisma.ProductCreateManyInput[];
  productOwners: Prisma.ProductOwnerCreateManyInput[];
  revenueSplitRules: Prisma.RevenueSplitRuleCreateManyInput[];
  revenueSplitShares: Prisma.RevenueSplitShareCreateManyInput[];
  productSales: Prisma.ProductSaleCreateManyInput[];
  productSaleShares: Prisma.ProductSaleShareCreateManyInput[];
  priceReferences: Prisma.PriceReferenceCreateManyInput[];
  supplierRecommendations: Prisma.SupplierRecommendationCreateManyInput[];
  serviceExchanges: Prisma.ServiceExchangeCreateManyInput[];
  referrals: Prisma.ReferralCreateManyInput[];
}
