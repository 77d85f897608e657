-- CreateEnum
CREATE TYPE "MemberKind" AS ENUM ('ENTREPRENEUR', 'SUPPORT_STAFF');

-- CreateEnum
CREATE TYPE "ContractKind" AS ENUM ('CAPE', 'CESA', 'STAFF');

-- CreateEnum
CREATE TYPE "MemberSituation" AS ENUM ('ACTIVE', 'LEFT');

-- CreateEnum
CREATE TYPE "Sector" AS ENUM ('WRITING', 'COMMUNICATION', 'DESIGN', 'DIGITAL', 'HUMAN_RESOURCES', 'TRAINING', 'CONSULTING', 'ECOMMERCE', 'CRAFTS', 'BUILDING', 'WELLBEING', 'FOOD');

-- CreateEnum
CREATE TYPE "CollectiveKind" AS ENUM ('COMMONS', 'SECTOR', 'BUSINESS');

-- CreateEnum
CREATE TYPE "BusinessHorizon" AS ENUM ('ONE_OFF', 'LONG_TERM');

-- CreateEnum
CREATE TYPE "CollectiveStatus" AS ENUM ('PROPOSED', 'ACTIVE', 'DORMANT', 'CLOSED');

-- CreateEnum
CREATE TYPE "Openness" AS ENUM ('OPEN', 'ON_REQUEST', 'CLOSED');

-- CreateEnum
CREATE TYPE "MembershipRole" AS ENUM ('ANIMATOR', 'CO_ANIMATOR', 'MEMBER');

-- CreateEnum
CREATE TYPE "MembershipStatus" AS ENUM ('PENDING', 'ACTIVE', 'DECLINED', 'LEFT');

-- CreateEnum
CREATE TYPE "MembershipOrigin" AS ENUM ('FOUNDER', 'JOINED', 'REQUESTED', 'INVITED');

-- CreateEnum
CREATE TYPE "LeaveReason" AS ENUM ('LEFT_COLLECTIVE', 'LEFT_COOPERATIVE', 'COLLECTIVE_CLOSED');

-- CreateEnum
CREATE TYPE "OpportunityKind" AS ENUM ('PUBLIC_TENDER', 'PRIVATE_TENDER', 'CALL_FOR_PROJECTS', 'TRADE_SHOW', 'ORDER', 'OTHER');

-- CreateEnum
CREATE TYPE "GroupForm" AS ENUM ('NONE', 'JOINT', 'JOINT_WITH_JOINTLY_LIABLE_LEAD', 'SEVERAL');

-- CreateEnum
CREATE TYPE "DealStatus" AS ENUM ('WATCH', 'GO', 'NO_GO', 'PREPARING', 'SUBMITTED', 'WON', 'LOST', 'UNSUCCESSFUL', 'ABANDONED');

-- CreateEnum
CREATE TYPE "PartnerStatus" AS ENUM ('ACTIVE', 'SUBSTITUTED');

-- CreateEnum
CREATE TYPE "SectionKind" AS ENUM ('CANDIDACY_FORMS', 'TECHNICAL_PROPOSAL', 'PRICE_SCHEDULE', 'PLANNING', 'REFERENCES', 'CVS', 'PROJECT_DESCRIPTION', 'BUDGET', 'FREE');

-- CreateEnum
CREATE TYPE "SectionStatus" AS ENUM ('TODO', 'DRAFT', 'REVIEW', 'DONE');

-- CreateEnum
CREATE TYPE "CostSplitMode" AS ENUM ('EQUAL', 'PRO_RATA_DAYS', 'CUSTOM');

-- CreateEnum
CREATE TYPE "CostCategory" AS ENUM ('STAND_RENTAL', 'FURNITURE', 'ELECTRICITY', 'COMMUNICATION', 'TRAVEL', 'OTHER');

-- CreateEnum
CREATE TYPE "BrandLegalKind" AS ENUM ('NOT_FILED', 'TRADEMARK', 'COLLECTIVE_MARK', 'CERTIFICATION_MARK');

-- CreateEnum
CREATE TYPE "UsageRuleStatus" AS ENUM ('PENDING', 'IN_FORCE', 'SUPERSEDED', 'WITHDRAWN');

-- CreateEnum
CREATE TYPE "PriceUnit" AS ENUM ('HOUR', 'DAY', 'WORD', 'FLAT');

-- CreateEnum
CREATE TYPE "ServiceExchangeStatus" AS ENUM ('OFFERED', 'ACCEPTED', 'DONE', 'CANCELLED');

-- CreateEnum
CREATE TYPE "ReferralStatus" AS ENUM ('PROPOSED', 'ACCEPTED', 'QUOTED', 'SIGNED', 'LOST');

-- CreateTable
CREATE TABLE "Member" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "firstName" TEXT NOT NULL,
    "lastName" TEXT NOT NULL,
    "kind" "MemberKind" NOT NULL,
    "contract" "ContractKind" NOT NULL,
    "isAssociate" BOOLEAN NOT NULL DEFAULT false,
    "associateSince" DATE,
    "situation" "MemberSituation" NOT NULL DEFAULT 'ACTIVE',
    "trade" TEXT NOT NULL DEFAULT '',
    "sectors" "Sector"[],
    "joinedCooperativeOn" DATE NOT NULL,
    "leftCooperativeOn" DATE,
    "passwordHash" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Member_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Session" (
    "id" UUID NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "memberId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Collective" (
    "id" UUID NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "CollectiveKind" NOT NULL,
    "horizon" "BusinessHorizon",
    "status" "CollectiveStatus" NOT NULL DEFAULT 'PROPOSED',
    "openness" "Openness" NOT NULL DEFAULT 'OPEN',
    "purpose" TEXT NOT NULL,
    "sector" "Sector",
    "objective" TEXT,
    "targetDate" DATE,
    "needsAnimator" BOOLEAN NOT NULL DEFAULT false,
    "opportunityId" UUID,
    "proposedById" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "closedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Collective_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Membership" (
    "id" UUID NOT NULL,
    "collectiveId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "role" "MembershipRole" NOT NULL DEFAULT 'MEMBER',
    "status" "MembershipStatus" NOT NULL,
    "origin" "MembershipOrigin" NOT NULL,
    "requestedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "joinedAt" TIMESTAMPTZ(3),
    "leftAt" TIMESTAMPTZ(3),
    "leaveReason" "LeaveReason",
    "invitedById" UUID,
    "decidedById" UUID,
    "decidedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Membership_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Opportunity" (
    "id" UUID NOT NULL,
    "kind" "OpportunityKind" NOT NULL,
    "title" TEXT NOT NULL,
    "buyer" TEXT NOT NULL,
    "reference" TEXT,
    "description" TEXT NOT NULL DEFAULT '',
    "url" TEXT,
    "questionsDeadline" TIMESTAMPTZ(3),
    "submissionDeadline" TIMESTAMPTZ(3),
    "broughtByCooperative" BOOLEAN NOT NULL DEFAULT false,
    "broughtById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Opportunity_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OpportunityLot" (
    "id" UUID NOT NULL,
    "opportunityId" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "estimatedAmountCents" INTEGER,

    CONSTRAINT "OpportunityLot_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Deal" (
    "id" UUID NOT NULL,
    "collectiveId" UUID NOT NULL,
    "opportunityId" UUID NOT NULL,
    "lotId" UUID,
    "title" TEXT NOT NULL,
    "groupForm" "GroupForm" NOT NULL DEFAULT 'NONE',
    "status" "DealStatus" NOT NULL DEFAULT 'WATCH',
    "totalAmountCents" INTEGER NOT NULL DEFAULT 0,
    "submittedAt" TIMESTAMPTZ(3),
    "decidedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Deal_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DealPartner" (
    "id" UUID NOT NULL,
    "dealId" UUID NOT NULL,
    "memberId" UUID,
    "companyName" TEXT,
    "siret" CHAR(14),
    "isLead" BOOLEAN NOT NULL DEFAULT false,
    "scopeOfWork" TEXT,
    "amountCents" INTEGER NOT NULL DEFAULT 0,
    "shareBasisPoints" INTEGER NOT NULL DEFAULT 0,
    "status" "PartnerStatus" NOT NULL DEFAULT 'ACTIVE',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DealPartner_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DealSubstitution" (
    "id" UUID NOT NULL,
    "dealId" UUID NOT NULL,
    "replacedPartnerId" UUID NOT NULL,
    "replacementPartnerId" UUID NOT NULL,
    "reason" TEXT NOT NULL,
    "recordedById" UUID NOT NULL,
    "recordedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DealSubstitution_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TenderResponse" (
    "id" UUID NOT NULL,
    "collectiveId" UUID NOT NULL,
    "dealId" UUID,
    "opportunityId" UUID,
    "title" TEXT NOT NULL,
    "submittedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "TenderResponse_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TenderSection" (
    "id" UUID NOT NULL,
    "responseId" UUID NOT NULL,
    "kind" "SectionKind" NOT NULL,
    "title" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "status" "SectionStatus" NOT NULL DEFAULT 'TODO',
    "assigneeId" UUID,
    "reviewerId" UUID,
    "dueAt" TIMESTAMPTZ(3),
    "wordLimit" INTEGER,
    "characterLimit" INTEGER,
    "restricted" BOOLEAN NOT NULL DEFAULT false,
    "ownerPartnerId" UUID,
    "wordCount" INTEGER NOT NULL DEFAULT 0,
    "characterCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "TenderSection_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TradeShowStand" (
    "id" UUID NOT NULL,
    "collectiveId" UUID NOT NULL,
    "opportunityId" UUID,
    "eventName" TEXT NOT NULL,
    "organiser" TEXT NOT NULL,
    "venue" TEXT NOT NULL,
    "standNumber" TEXT,
    "areaSquareMeters" DECIMAL(7,2),
    "setUpStartsAt" TIMESTAMPTZ(3),
    "tearDownEndsAt" TIMESTAMPTZ(3),
    "registrationDeadline" TIMESTAMPTZ(3),
    "cancellationDeadline" TIMESTAMPTZ(3),
    "payerId" UUID,
    "splitMode" "CostSplitMode" NOT NULL DEFAULT 'EQUAL',
    "minimumStaff" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "TradeShowStand_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StandOpeningDay" (
    "id" UUID NOT NULL,
    "standId" UUID NOT NULL,
    "day" DATE NOT NULL,
    "opensAt" TIMESTAMPTZ(3) NOT NULL,
    "closesAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "StandOpeningDay_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StandCostLine" (
    "id" UUID NOT NULL,
    "standId" UUID NOT NULL,
    "label" TEXT NOT NULL,
    "category" "CostCategory" NOT NULL DEFAULT 'OTHER',
    "amountCents" INTEGER NOT NULL,

    CONSTRAINT "StandCostLine_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StandParticipant" (
    "id" UUID NOT NULL,
    "standId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "daysPresent" INTEGER NOT NULL DEFAULT 0,
    "customShareBasisPoints" INTEGER,

    CONSTRAINT "StandParticipant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StandCostShare" (
    "id" UUID NOT NULL,
    "standId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "amountCents" INTEGER NOT NULL,
    "computedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StandCostShare_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StandShift" (
    "id" UUID NOT NULL,
    "standId" UUID NOT NULL,
    "startsAt" TIMESTAMPTZ(3) NOT NULL,
    "endsAt" TIMESTAMPTZ(3) NOT NULL,
    "minimumStaff" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "StandShift_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StandShiftAssignment" (
    "id" UUID NOT NULL,
    "shiftId" UUID NOT NULL,
    "memberId" UUID NOT NULL,

    CONSTRAINT "StandShiftAssignment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Brand" (
    "id" UUID NOT NULL,
    "collectiveId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "legalKind" "BrandLegalKind" NOT NULL DEFAULT 'NOT_FILED',
    "inpiNumber" TEXT,
    "filedOn" DATE,
    "niceClasses" INTEGER[],
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Brand_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BrandHolder" (
    "id" UUID NOT NULL,
    "brandId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "shareBasisPoints" INTEGER NOT NULL,

    CONSTRAINT "BrandHolder_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BrandUsageRuleVersion" (
    "id" UUID NOT NULL,
    "brandId" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "text" TEXT NOT NULL,
    "status" "UsageRuleStatus" NOT NULL DEFAULT 'PENDING',
    "proposedById" UUID NOT NULL,
    "proposedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "effectiveAt" TIMESTAMPTZ(3),

    CONSTRAINT "BrandUsageRuleVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BrandUsageRuleApproval" (
    "id" UUID NOT NULL,
    "versionId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "approvedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BrandUsageRuleApproval_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BrandAuthorisedUser" (
    "id" UUID NOT NULL,
    "brandId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "grantedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "BrandAuthorisedUser_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Product" (
    "id" UUID NOT NULL,
    "collectiveId" UUID NOT NULL,
    "brandId" UUID,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Product_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProductOwner" (
    "id" UUID NOT NULL,
    "productId" UUID NOT NULL,
    "memberId" UUID NOT NULL,

    CONSTRAINT "ProductOwner_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RevenueSplitRule" (
    "id" UUID NOT NULL,
    "productId" UUID NOT NULL,
    "validFrom" DATE NOT NULL,
    "validUntil" DATE,

    CONSTRAINT "RevenueSplitRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RevenueSplitShare" (
    "id" UUID NOT NULL,
    "ruleId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "shareBasisPoints" INTEGER NOT NULL,

    CONSTRAINT "RevenueSplitShare_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProductSale" (
    "id" UUID NOT NULL,
    "productId" UUID NOT NULL,
    "soldOn" DATE NOT NULL,
    "amountCents" INTEGER NOT NULL,
    "client" TEXT NOT NULL DEFAULT '',
    "recordedById" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProductSale_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProductSaleShare" (
    "id" UUID NOT NULL,
    "saleId" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "amountCents" INTEGER NOT NULL,

    CONSTRAINT "ProductSaleShare_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PriceReference" (
    "id" UUID NOT NULL,
    "collectiveId" UUID NOT NULL,
    "service" TEXT NOT NULL,
    "unit" "PriceUnit" NOT NULL,
    "minCents" INTEGER NOT NULL,
    "medianCents" INTEGER NOT NULL,
    "maxCents" INTEGER NOT NULL,
    "sampleSize" INTEGER NOT NULL,
    "periodStart" DATE NOT NULL,
    "periodEnd" DATE NOT NULL,
    "createdById" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PriceReference_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SupplierRecommendation" (
    "id" UUID NOT NULL,
    "collectiveId" UUID NOT NULL,
    "supplierName" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "rating" INTEGER NOT NULL,
    "comment" TEXT NOT NULL DEFAULT '',
    "recommendedById" UUID NOT NULL,
    "recommendedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SupplierRecommendation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ServiceExchange" (
    "id" UUID NOT NULL,
    "collectiveId" UUID NOT NULL,
    "providerId" UUID NOT NULL,
    "beneficiaryId" UUID,
    "description" TEXT NOT NULL,
    "hours" DECIMAL(6,2) NOT NULL,
    "status" "ServiceExchangeStatus" NOT NULL DEFAULT 'OFFERED',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ServiceExchange_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Referral" (
    "id" UUID NOT NULL,
    "collectiveId" UUID,
    "fromMemberId" UUID NOT NULL,
    "toMemberId" UUID NOT NULL,
    "clientName" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "status" "ReferralStatus" NOT NULL DEFAULT 'PROPOSED',
    "amountCents" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Referral_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EventLog" (
    "position" BIGSERIAL NOT NULL,
    "type" TEXT NOT NULL,
    "subjectId" TEXT NOT NULL,
    "collectiveId" UUID,
    "actorId" UUID,
    "payload" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EventLog_pkey" PRIMARY KEY ("position")
);

-- CreateIndex
CREATE UNIQUE INDEX "Member_email_key" ON "Member"("email");

-- CreateIndex
CREATE INDEX "Member_kind_idx" ON "Member"("kind");

-- CreateIndex
CREATE INDEX "Member_situation_idx" ON "Member"("situation");

-- CreateIndex
CREATE INDEX "Member_lastName_firstName_idx" ON "Member"("lastName", "firstName");

-- CreateIndex
CREATE UNIQUE INDEX "Session_tokenHash_key" ON "Session"("tokenHash");

-- CreateIndex
CREATE INDEX "Session_memberId_idx" ON "Session"("memberId");

-- CreateIndex
CREATE UNIQUE INDEX "Collective_slug_key" ON "Collective"("slug");

-- CreateIndex
CREATE INDEX "Collective_kind_status_idx" ON "Collective"("kind", "status");

-- CreateIndex
CREATE INDEX "Collective_status_idx" ON "Collective"("status");

-- CreateIndex
CREATE INDEX "Collective_sector_idx" ON "Collective"("sector");

-- CreateIndex
CREATE INDEX "Collective_openness_idx" ON "Collective"("openness");

-- CreateIndex
CREATE INDEX "Collective_name_idx" ON "Collective"("name");

-- CreateIndex
CREATE INDEX "Collective_createdAt_idx" ON "Collective"("createdAt");

-- CreateIndex
CREATE INDEX "Membership_collectiveId_status_idx" ON "Membership"("collectiveId", "status");

-- CreateIndex
CREATE INDEX "Membership_memberId_status_idx" ON "Membership"("memberId", "status");

-- CreateIndex
CREATE INDEX "Opportunity_kind_idx" ON "Opportunity"("kind");

-- CreateIndex
CREATE INDEX "Opportunity_submissionDeadline_idx" ON "Opportunity"("submissionDeadline");

-- CreateIndex
CREATE INDEX "Opportunity_questionsDeadline_idx" ON "Opportunity"("questionsDeadline");

-- CreateIndex
CREATE UNIQUE INDEX "OpportunityLot_opportunityId_number_key" ON "OpportunityLot"("opportunityId", "number");

-- CreateIndex
CREATE INDEX "Deal_collectiveId_idx" ON "Deal"("collectiveId");

-- CreateIndex
CREATE INDEX "Deal_opportunityId_idx" ON "Deal"("opportunityId");

-- CreateIndex
CREATE INDEX "Deal_status_idx" ON "Deal"("status");

-- CreateIndex
CREATE INDEX "DealPartner_dealId_idx" ON "DealPartner"("dealId");

-- CreateIndex
CREATE INDEX "DealPartner_memberId_idx" ON "DealPartner"("memberId");

-- CreateIndex
CREATE INDEX "DealSubstitution_dealId_idx" ON "DealSubstitution"("dealId");

-- CreateIndex
CREATE UNIQUE INDEX "TenderResponse_dealId_key" ON "TenderResponse"("dealId");

-- CreateIndex
CREATE INDEX "TenderResponse_collectiveId_idx" ON "TenderResponse"("collectiveId");

-- CreateIndex
CREATE INDEX "TenderResponse_opportunityId_idx" ON "TenderResponse"("opportunityId");

-- CreateIndex
CREATE INDEX "TenderSection_assigneeId_idx" ON "TenderSection"("assigneeId");

-- CreateIndex
CREATE INDEX "TenderSection_status_idx" ON "TenderSection"("status");

-- CreateIndex
CREATE UNIQUE INDEX "TenderSection_responseId_position_key" ON "TenderSection"("responseId", "position");

-- CreateIndex
CREATE INDEX "TradeShowStand_collectiveId_idx" ON "TradeShowStand"("collectiveId");

-- CreateIndex
CREATE UNIQUE INDEX "StandOpeningDay_standId_day_key" ON "StandOpeningDay"("standId", "day");

-- CreateIndex
CREATE INDEX "StandCostLine_standId_idx" ON "StandCostLine"("standId");

-- CreateIndex
CREATE UNIQUE INDEX "StandParticipant_standId_memberId_key" ON "StandParticipant"("standId", "memberId");

-- CreateIndex
CREATE UNIQUE INDEX "StandCostShare_standId_memberId_key" ON "StandCostShare"("standId", "memberId");

-- CreateIndex
CREATE INDEX "StandShift_standId_startsAt_idx" ON "StandShift"("standId", "startsAt");

-- CreateIndex
CREATE INDEX "StandShiftAssignment_memberId_idx" ON "StandShiftAssignment"("memberId");

-- CreateIndex
CREATE UNIQUE INDEX "StandShiftAssignment_shiftId_memberId_key" ON "StandShiftAssignment"("shiftId", "memberId");

-- CreateIndex
CREATE INDEX "Brand_collectiveId_idx" ON "Brand"("collectiveId");

-- CreateIndex
CREATE UNIQUE INDEX "BrandHolder_brandId_memberId_key" ON "BrandHolder"("brandId", "memberId");

-- CreateIndex
CREATE UNIQUE INDEX "BrandUsageRuleVersion_brandId_version_key" ON "BrandUsageRuleVersion"("brandId", "version");

-- CreateIndex
CREATE UNIQUE INDEX "BrandUsageRuleApproval_versionId_memberId_key" ON "BrandUsageRuleApproval"("versionId", "memberId");

-- CreateIndex
CREATE INDEX "BrandAuthorisedUser_brandId_idx" ON "BrandAuthorisedUser"("brandId");

-- CreateIndex
CREATE INDEX "BrandAuthorisedUser_memberId_idx" ON "BrandAuthorisedUser"("memberId");

-- CreateIndex
CREATE INDEX "Product_collectiveId_idx" ON "Product"("collectiveId");

-- CreateIndex
CREATE UNIQUE INDEX "ProductOwner_productId_memberId_key" ON "ProductOwner"("productId", "memberId");

-- CreateIndex
CREATE INDEX "RevenueSplitRule_productId_validFrom_idx" ON "RevenueSplitRule"("productId", "validFrom");

-- CreateIndex
CREATE UNIQUE INDEX "RevenueSplitShare_ruleId_memberId_key" ON "RevenueSplitShare"("ruleId", "memberId");

-- CreateIndex
CREATE INDEX "ProductSale_productId_soldOn_idx" ON "ProductSale"("productId", "soldOn");

-- CreateIndex
CREATE UNIQUE INDEX "ProductSaleShare_saleId_memberId_key" ON "ProductSaleShare"("saleId", "memberId");

-- CreateIndex
CREATE INDEX "PriceReference_collectiveId_service_idx" ON "PriceReference"("collectiveId", "service");

-- CreateIndex
CREATE INDEX "SupplierRecommendation_collectiveId_category_idx" ON "SupplierRecommendation"("collectiveId", "category");

-- CreateIndex
CREATE INDEX "ServiceExchange_collectiveId_status_idx" ON "ServiceExchange"("collectiveId", "status");

-- CreateIndex
CREATE INDEX "Referral_collectiveId_status_idx" ON "Referral"("collectiveId", "status");

-- CreateIndex
CREATE INDEX "Referral_toMemberId_status_idx" ON "Referral"("toMemberId", "status");

-- CreateIndex
CREATE INDEX "EventLog_collectiveId_position_idx" ON "EventLog"("collectiveId", "position");

-- CreateIndex
CREATE INDEX "EventLog_subjectId_position_idx" ON "EventLog"("subjectId", "position");

-- CreateIndex
CREATE INDEX "EventLog_createdAt_idx" ON "EventLog"("createdAt");

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Collective" ADD CONSTRAINT "Collective_opportunityId_fkey" FOREIGN KEY ("opportunityId") REFERENCES "Opportunity"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Collective" ADD CONSTRAINT "Collective_proposedById_fkey" FOREIGN KEY ("proposedById") REFERENCES "Member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_collectiveId_fkey" FOREIGN KEY ("collectiveId") REFERENCES "Collective"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_invitedById_fkey" FOREIGN KEY ("invitedById") REFERENCES "Member"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_decidedById_fkey" FOREIGN KEY ("decidedById") REFERENCES "Member"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Opportunity" ADD CONSTRAINT "Opportunity_broughtById_fkey" FOREIGN KEY ("broughtById") REFERENCES "Member"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OpportunityLot" ADD CONSTRAINT "OpportunityLot_opportunityId_fkey" FOREIGN KEY ("opportunityId") REFERENCES "Opportunity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Deal" ADD CONSTRAINT "Deal_collectiveId_fkey" FOREIGN KEY ("collectiveId") REFERENCES "Collective"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Deal" ADD CONSTRAINT "Deal_opportunityId_fkey" FOREIGN KEY ("opportunityId") REFERENCES "Opportunity"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Deal" ADD CONSTRAINT "Deal_lotId_fkey" FOREIGN KEY ("lotId") REFERENCES "OpportunityLot"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DealPartner" ADD CONSTRAINT "DealPartner_dealId_fkey" FOREIGN KEY ("dealId") REFERENCES "Deal"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DealPartner" ADD CONSTRAINT "DealPartner_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DealSubstitution" ADD CONSTRAINT "DealSubstitution_dealId_fkey" FOREIGN KEY ("dealId") REFERENCES "Deal"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DealSubstitution" ADD CONSTRAINT "DealSubstitution_replacedPartnerId_fkey" FOREIGN KEY ("replacedPartnerId") REFERENCES "DealPartner"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DealSubstitution" ADD CONSTRAINT "DealSubstitution_replacementPartnerId_fkey" FOREIGN KEY ("replacementPartnerId") REFERENCES "DealPartner"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DealSubstitution" ADD CONSTRAINT "DealSubstitution_recordedById_fkey" FOREIGN KEY ("recordedById") REFERENCES "Member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TenderResponse" ADD CONSTRAINT "TenderResponse_collectiveId_fkey" FOREIGN KEY ("collectiveId") REFERENCES "Collective"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TenderResponse" ADD CONSTRAINT "TenderResponse_dealId_fkey" FOREIGN KEY ("dealId") REFERENCES "Deal"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TenderResponse" ADD CONSTRAINT "TenderResponse_opportunityId_fkey" FOREIGN KEY ("opportunityId") REFERENCES "Opportunity"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TenderSection" ADD CONSTRAINT "TenderSection_responseId_fkey" FOREIGN KEY ("responseId") REFERENCES "TenderResponse"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TenderSection" ADD CONSTRAINT "TenderSection_assigneeId_fkey" FOREIGN KEY ("assigneeId") REFERENCES "Member"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TenderSection" ADD CONSTRAINT "TenderSection_reviewerId_fkey" FOREIGN KEY ("reviewerId") REFERENCES "Member"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TenderSection" ADD CONSTRAINT "TenderSection_ownerPartnerId_fkey" FOREIGN KEY ("ownerPartnerId") REFERENCES "DealPartner"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TradeShowStand" ADD CONSTRAINT "TradeShowStand_collectiveId_fkey" FOREIGN KEY ("collectiveId") REFERENCES "Collective"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TradeShowStand" ADD CONSTRAINT "TradeShowStand_opportunityId_fkey" FOREIGN KEY ("opportunityId") REFERENCES "Opportunity"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TradeShowStand" ADD CONSTRAINT "TradeShowStand_payerId_fkey" FOREIGN KEY ("payerId") REFERENCES "Member"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StandOpeningDay" ADD CONSTRAINT "StandOpeningDay_standId_fkey" FOREIGN KEY ("standId") REFERENCES "TradeShowStand"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StandCostLine" ADD CONSTRAINT "StandCostLine_standId_fkey" FOREIGN KEY ("standId") REFERENCES "TradeShowStand"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StandParticipant" ADD CONSTRAINT "StandParticipant_standId_fkey" FOREIGN KEY ("standId") REFERENCES "TradeShowStand"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StandParticipant" ADD CONSTRAINT "StandParticipant_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StandCostShare" ADD CONSTRAINT "StandCostShare_standId_fkey" FOREIGN KEY ("standId") REFERENCES "TradeShowStand"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StandCostShare" ADD CONSTRAINT "StandCostShare_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StandShift" ADD CONSTRAINT "StandShift_standId_fkey" FOREIGN KEY ("standId") REFERENCES "TradeShowStand"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StandShiftAssignment" ADD CONSTRAINT "StandShiftAssignment_shiftId_fkey" FOREIGN KEY ("shiftId") REFERENCES "StandShift"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StandShiftAssignment" ADD CONSTRAINT "StandShiftAssignment_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Brand" ADD CONSTRAINT "Brand_collectiveId_fkey" FOREIGN KEY ("collectiveId") REFERENCES "Collective"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BrandHolder" ADD CONSTRAINT "BrandHolder_brandId_fkey" FOREIGN KEY ("brandId") REFERENCES "Brand"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BrandHolder" ADD CONSTRAINT "BrandHolder_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BrandUsageRuleVersion" ADD CONSTRAINT "BrandUsageRuleVersion_brandId_fkey" FOREIGN KEY ("brandId") REFERENCES "Brand"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BrandUsageRuleVersion" ADD CONSTRAINT "BrandUsageRuleVersion_proposedById_fkey" FOREIGN KEY ("proposedById") REFERENCES "Member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BrandUsageRuleApproval" ADD CONSTRAINT "BrandUsageRuleApproval_versionId_fkey" FOREIGN KEY ("versionId") REFERENCES "BrandUsageRuleVersion"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BrandUsageRuleApproval" ADD CONSTRAINT "BrandUsageRuleApproval_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BrandAuthorisedUser" ADD CONSTRAINT "BrandAuthorisedUser_brandId_fkey" FOREIGN KEY ("brandId") REFERENCES "Brand"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BrandAuthorisedUser" ADD CONSTRAINT "BrandAuthorisedUser_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Product" ADD CONSTRAINT "Product_collectiveId_fkey" FOREIGN KEY ("collectiveId") REFERENCES "Collective"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Product" ADD CONSTRAINT "Product_brandId_fkey" FOREIGN KEY ("brandId") REFERENCES "Brand"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProductOwner" ADD CONSTRAINT "ProductOwner_productId_fkey" FOREIGN KEY ("productId") REFERENCES "Product"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProductOwner" ADD CONSTRAINT "ProductOwner_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RevenueSplitRule" ADD CONSTRAINT "RevenueSplitRule_productId_fkey" FOREIGN KEY ("productId") REFERENCES "Product"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RevenueSplitShare" ADD CONSTRAINT "RevenueSplitShare_ruleId_fkey" FOREIGN KEY ("ruleId") REFERENCES "RevenueSplitRule"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RevenueSplitShare" ADD CONSTRAINT "RevenueSplitShare_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProductSale" ADD CONSTRAINT "ProductSale_productId_fkey" FOREIGN KEY ("productId") REFERENCES "Product"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProductSale" ADD CONSTRAINT "ProductSale_recordedById_fkey" FOREIGN KEY ("recordedById") REFERENCES "Member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProductSaleShare" ADD CONSTRAINT "ProductSaleShare_saleId_fkey" FOREIGN KEY ("saleId") REFERENCES "ProductSale"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProductSaleShare" ADD CONSTRAINT "ProductSaleShare_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PriceReference" ADD CONSTRAINT "PriceReference_collectiveId_fkey" FOREIGN KEY ("collectiveId") REFERENCES "Collective"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PriceReference" ADD CONSTRAINT "PriceReference_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "Member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SupplierRecommendation" ADD CONSTRAINT "SupplierRecommendation_collectiveId_fkey" FOREIGN KEY ("collectiveId") REFERENCES "Collective"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SupplierRecommendation" ADD CONSTRAINT "SupplierRecommendation_recommendedById_fkey" FOREIGN KEY ("recommendedById") REFERENCES "Member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ServiceExchange" ADD CONSTRAINT "ServiceExchange_collectiveId_fkey" FOREIGN KEY ("collectiveId") REFERENCES "Collective"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ServiceExchange" ADD CONSTRAINT "ServiceExchange_providerId_fkey" FOREIGN KEY ("providerId") REFERENCES "Member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ServiceExchange" ADD CONSTRAINT "ServiceExchange_beneficiaryId_fkey" FOREIGN KEY ("beneficiaryId") REFERENCES "Member"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Referral" ADD CONSTRAINT "Referral_collectiveId_fkey" FOREIGN KEY ("collectiveId") REFERENCES "Collective"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Referral" ADD CONSTRAINT "Referral_fromMemberId_fkey" FOREIGN KEY ("fromMemberId") REFERENCES "Member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Referral" ADD CONSTRAINT "Referral_toMemberId_fkey" FOREIGN KEY ("toMemberId") REFERENCES "Member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
