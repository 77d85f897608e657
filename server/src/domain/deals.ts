import { NO_ONE } from '../auth/access.js';
import { recordSubmission } from '../collab/records.js';
import type { Context } from '../context.js';
import { ForbiddenError, NotFoundError, RULE_MESSAGES, RuleViolationError } from '../errors.js';
import { recordEvent } from '../events/record.js';
import type {
  Deal,
  DealPartner,
  Member,
  Opportunity,
  Prisma,
  TenderResponse,
  TenderSection,
} from '../generated/prisma/client.js';
import type { DealStatus, GroupForm, OpportunityKind } from '../generated/prisma/enums.js';
import type { Tx } from './collectives.js';
import { WHOLE_SHARE } from './money.js';
import { requireChangeable } from './resources.js';
import { compactSiret, isValidSiret } from './siret.js';
import { recordReadersChange, restrictedSectionReaders, type SectionPartner } from './tenders.js';
import { changesNothing, sameList } from './unchanged.js';

// ───────────────────────────── Visibility ─────────────────────────────

/**
 * Prisma filter for the deals the viewer may see: those of the collectives they are an active member
 * of, and those they are an active partner of (even from outside the collective); every deal for the
 * support staff. What is left out looks exactly like what does not exist.
 */
export function dealVisibleWhere(context: Context): Prisma.DealWhereInput {
  const { access } = context;
  if (!access.isMember || !access.viewer) return { id: NO_ONE };
  if (access.isSupportStaff) return {};
  const insiderOf = [...access.insiderOf];
  return {
    OR: [
      { collectiveId: { in: insiderOf.length > 0 ? insiderOf : [NO_ONE] } },
      { partners: { some: { memberId: access.viewer.id, status: 'ACTIVE' } } },
    ],
  };
}

// ─────────────────────────── Status machine ───────────────────────────

/**
 * The legal status changes. A no-go may be reconsidered (back to watch, e.g. when the buyer extends
 * the deadline); won, lost, unsuccessful and abandoned are final.
 */
export const DEAL_STATUS_CHANGES: Readonly<Record<DealStatus, readonly DealStatus[]>> = {
  WATCH: ['GO', 'NO_GO'],
  GO: ['PREPARING', 'ABANDONED'],
  NO_GO: ['WATCH'],
  PREPARING: ['SUBMITTED', 'ABANDONED'],
  SUBMITTED: ['WON', 'LOST', 'UNSUCCESSFUL', 'ABANDONED'],
  WON: [],
  LOST: [],
  UNSUCCESSFUL: [],
  ABANDONED: [],
};

/** Statuses where the deal is over: nothing of it changes any more (a no-go is first reopened to watch). */
export const CLOSED_DEAL_STATUSES: readonly DealStatus[] = ['NO_GO', 'WON', 'LOST', 'UNSUCCESSFUL', 'ABANDONED'];

/** Statuses where partners may still be substituted: the bid is with the buyer, or the contract runs. */
const SUBSTITUTABLE_STATUSES: readonly DealStatus[] = ['SUBMITTED', 'WON'];

export function canChangeDealStatus(from: DealStatus, to: DealStatus): boolean {
  return DEAL_STATUS_CHANGES[from].includes(to);
}

/** Whether the bid has gone to the buyer: from then on its partners and terms are frozen. */
export function isFrozen(deal: Pick<Deal, 'status' | 'submittedAt'>): boolean {
  return deal.submittedAt !== null || ['SUBMITTED', 'WON', 'LOST', 'UNSUCCESSFUL'].includes(deal.status);
}

// ───────────────────────────── Invariants ─────────────────────────────

/** A partner as the rules see it, before or after it is stored. */
export interface PartnerDraft {
  memberId: string | null;
  /** For a member partner: whether they are still active in the cooperative. */
  memberActive: boolean;
  companyName: string | null;
  siret: string | null;
  isLead: boolean;
  scopeOfWork: string | null;
  amountCents: number;
  shareBasisPoints: number;
}

export interface DealTerms {
  groupForm: GroupForm;
  totalAmountCents: number;
}

const JOINT_FORMS: readonly GroupForm[] = ['JOINT', 'JOINT_WITH_JOINTLY_LIABLE_LEAD'];

/** What makes two partners the same party: the same member, or the same SIRET. */
export function partyKey(partner: Pick<PartnerDraft, 'memberId' | 'siret'>): string {
  return partner.memberId ? `member:${partner.memberId}` : `siret:${compactSiret(partner.siret ?? '')}`;
}

/**
 * Checks a deal's terms against its partners (DOMAIN.md, "Co-contracting deal"); throws the first rule
 * broken. Fields are relative to the deal: `partners[1].siret`, `partners`, `totalAmountCents`.
 */
export function checkDealTerms(terms: DealTerms, partners: readonly PartnerDraft[]): void {
  const grouped = terms.groupForm !== 'NONE';
  const joint = JOINT_FORMS.includes(terms.groupForm);
  partners.forEach((partner, index) => {
    const at = `partners[${index}]`;
    const isCompany = partner.companyName !== null || partner.siret !== null;
    if (partner.memberId !== null && isCompany) throw new RuleViolationError(at, 'DEAL_PARTNER_MEMBER_OR_COMPANY');
    if (partner.memberId === null && !isCompany) throw new RuleViolationError(at, 'DEAL_PARTNER_MEMBER_OR_COMPANY');
    if (partner.memberId !== null && !partner.memberActive) throw new RuleViolationError(`${at}.memberId`, 'MEMBER_NOT_ACTIVE');
    if (isCompany) {
      if (!partner.companyName?.trim()) throw new RuleViolationError(`${at}.companyName`, 'REQUIRED');
      if (!partner.siret) throw new RuleViolationError(`${at}.siret`, 'REQUIRED');
      if (!isValidSiret(partner.siret)) throw new RuleViolationError(`${at}.siret`, 'DEAL_PARTNER_SIRET_INVALID');
    }
    if (joint && !partner.scopeOfWork?.trim()) throw new RuleViolationError(`${at}.scopeOfWork`, 'DEAL_SCOPE_OF_WORK_REQUIRED');
    if (joint && !(partner.amountCents > 0)) throw new RuleViolationError(`${at}.amountCents`, 'DEAL_AMOUNT_REQUIRED');
  });

  const keys = partners.map(partyKey);
  if (grouped && new Set(keys).size < 2) throw new RuleViolationError('partners', 'DEAL_GROUP_NEEDS_TWO_PARTIES');
  const duplicate = keys.findIndex((key, index) => keys.indexOf(key) !== index);
  if (duplicate >= 0) throw new RuleViolationError(`partners[${duplicate}]`, 'DEAL_DUPLICATE_PARTNER');

  const leads = partners.flatMap((partner, index) => (partner.isLead ? [index] : []));
  if (grouped && leads.length === 0) throw new RuleViolationError('partners', 'DEAL_LEAD_REQUIRED');
  if (leads.length > 1) throw new RuleViolationError(`partners[${leads[1]}].isLead`, 'DEAL_ONE_LEAD');

  if (partners.length > 0) {
    if (sum(partners.map((partner) => partner.shareBasisPoints)) !== WHOLE_SHARE)
      throw new RuleViolationError('partners', 'DEAL_SHARES_NOT_100');
    if (sum(partners.map((partner) => partner.amountCents)) !== terms.totalAmountCents)
      throw new RuleViolationError('partners', 'DEAL_AMOUNTS_NOT_TOTAL');
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Runs a check whose fields are relative to the deal, renaming the field of what it throws. */
function renamed(check: () => void, rename: (field: string) => string, message?: (error: RuleViolationError) => string): void {
  try {
    check();
  } catch (error) {
    if (error instanceof RuleViolationError && error.field) {
      throw new RuleViolationError(rename(error.field), error.rule, message?.(error) ?? error.message);
    }
    throw error;
  }
}

// ───────────────────────────── Inputs ─────────────────────────────

/** A partner as a mutation names it. */
export interface PartnerInput {
  memberId?: string | null;
  companyName?: string | null;
  siret?: string | null;
  isLead?: boolean | null;
  scopeOfWork?: string | null;
  amountCents?: number | null;
  shareBasisPoints?: number | null;
}

function blankToNull(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

/**
 * Turns input partners into drafts: members are looked up (an unknown one is not found, at
 * `<field>[i].memberId`), company names and scopes trimmed, SIRETs stripped of their separators.
 */
async function draftsOf(tx: Tx, partners: readonly PartnerInput[], field: (index: number) => string): Promise<PartnerDraft[]> {
  const memberIds = [...new Set(partners.flatMap((partner) => (partner.memberId ? [partner.memberId] : [])))];
  const members = memberIds.length
    ? await tx.member.findMany({ where: { id: { in: memberIds } }, select: { id: true, situation: true } })
    : [];
  const situations = new Map(members.map((member) => [member.id, member.situation]));
  return partners.map((partner, index) => {
    if (partner.memberId && !situations.has(partner.memberId)) throw new NotFoundError(`${field(index)}.memberId`, 'Member');
    const siret = blankToNull(partner.siret);
    return {
      memberId: partner.memberId ?? null,
      memberActive: partner.memberId ? situations.get(partner.memberId) === 'ACTIVE' : false,
      companyName: blankToNull(partner.companyName),
      siret: siret === null ? null : compactSiret(siret),
      isLead: partner.isLead ?? false,
      scopeOfWork: blankToNull(partner.scopeOfWork),
      amountCents: partner.amountCents ?? 0,
      shareBasisPoints: partner.shareBasisPoints ?? 0,
    };
  });
}

/** A stored partner as the rules see it. */
function draftOf(partner: DealPartner & { member: { situation: string } | null }, memberActive?: boolean): PartnerDraft {
  return {
    memberId: partner.memberId,
    memberActive: memberActive ?? partner.member?.situation === 'ACTIVE',
    companyName: partner.companyName,
    siret: partner.siret,
    isLead: partner.isLead,
    scopeOfWork: partner.scopeOfWork,
    amountCents: partner.amountCents,
    shareBasisPoints: partner.shareBasisPoints,
  };
}

function partnerData(draft: PartnerDraft) {
  return {
    memberId: draft.memberId,
    companyName: draft.companyName,
    siret: draft.siret,
    isLead: draft.isLead,
    scopeOfWork: draft.scopeOfWork,
    amountCents: draft.amountCents,
    shareBasisPoints: draft.shareBasisPoints,
  };
}

// ─────────────────────────── Transactions ───────────────────────────

const ACTIVE_PARTNERS = {
  where: { status: 'ACTIVE' as const },
  orderBy: [{ createdAt: 'asc' as const }, { id: 'asc' as const }],
  include: { member: { select: { situation: true } } },
};

function viewerOf(context: Context) {
  const viewer = context.access.viewer;
  if (!viewer) throw new ForbiddenError('Connectez-vous d’abord.');
  return viewer;
}

/**
 * Locks a deal for the rest of the transaction and loads it with its opportunity and active partners.
 * A deal the viewer may not see is not found; one they see but may not change (support staff, a
 * partner from outside the collective) is forbidden.
 */
async function lockDeal(tx: Tx, context: Context, dealId: string, field: string) {
  await tx.$queryRaw`SELECT id FROM "Deal" WHERE id = ${dealId}::uuid FOR UPDATE`;
  const deal = await tx.deal.findFirst({
    where: { id: dealId, AND: [dealVisibleWhere(context)] },
    include: { opportunity: true, partners: ACTIVE_PARTNERS },
  });
  if (!deal) throw new NotFoundError(field, 'Deal');
  if (!context.access.changesResourcesOf(deal.collectiveId)) {
    throw new ForbiddenError('Seuls les membres actifs de son collectif modifient cette affaire.');
  }
  return deal;
}

async function checkLot(tx: Tx, lotId: string, opportunityId: string, field: string): Promise<void> {
  const lot = await tx.opportunityLot.findUnique({ where: { id: lotId }, select: { opportunityId: true } });
  if (!lot) throw new NotFoundError(field, 'OpportunityLot');
  if (lot.opportunityId !== opportunityId) throw new RuleViolationError(field, 'DEAL_LOT_OF_OTHER_OPPORTUNITY');
}

/** Running totals a screen shows beside the partner list. */
function totalsOf(partners: readonly Pick<PartnerDraft, 'shareBasisPoints' | 'amountCents'>[]) {
  return {
    partnerCount: partners.length,
    shareTotal: sum(partners.map((partner) => partner.shareBasisPoints)),
    amountTotal: sum(partners.map((partner) => partner.amountCents)),
  };
}

/** Partners are listed in the order they joined; new ones a millisecond apart, so input order is kept. */
function joinedAt(now: Date, index: number): Date {
  return new Date(now.getTime() + index);
}

export interface CreateDealInput {
  collectiveId: string;
  opportunityId: string;
  lotId: string | null;
  title: string;
  groupForm: GroupForm;
  totalAmountCents: number;
  partners: readonly PartnerInput[];
}

/** Creates a deal (status watch) for a business collective the viewer is an active member of. */
export async function createDeal(tx: Tx, context: Context, input: CreateDealInput, now: Date): Promise<Deal> {
  const viewer = viewerOf(context);
  requireChangeable(context, input.collectiveId, 'input.collectiveId', 'collective');
  const collective = await tx.collective.findUnique({ where: { id: input.collectiveId } });
  if (!collective) throw new NotFoundError('input.collectiveId', 'Collective');
  if (collective.kind !== 'BUSINESS') throw new RuleViolationError('input.collectiveId', 'DEAL_NEEDS_BUSINESS_COLLECTIVE');
  if (collective.status === 'CLOSED') throw new RuleViolationError('input.collectiveId', 'COLLECTIVE_CLOSED');
  const opportunity = await tx.opportunity.findUnique({ where: { id: input.opportunityId }, select: { id: true } });
  if (!opportunity) throw new NotFoundError('input.opportunityId', 'Opportunity');
  if (input.lotId) await checkLot(tx, input.lotId, opportunity.id, 'input.lotId');
  const drafts = await draftsOf(tx, input.partners, (index) => `input.partners[${index}]`);
  renamed(
    () => checkDealTerms(input, drafts),
    (field) => `input.${field}`,
  );
  const deal = await tx.deal.create({
    data: {
      collectiveId: collective.id,
      opportunityId: opportunity.id,
      lotId: input.lotId,
      title: input.title,
      groupForm: input.groupForm,
      totalAmountCents: input.totalAmountCents,
      status: 'WATCH',
      partners: { create: drafts.map((draft, index) => ({ ...partnerData(draft), createdAt: joinedAt(now, index) })) },
    },
  });
  await recordEvent(tx, {
    type: 'deal.created',
    subject: { typename: 'Deal', id: deal.id },
    collectiveId: deal.collectiveId,
    actorId: viewer.id,
    payload: {
      title: deal.title,
      status: deal.status,
      groupForm: deal.groupForm,
      totalAmountCents: deal.totalAmountCents,
      opportunityId: deal.opportunityId,
      ...totalsOf(drafts),
    },
  });
  return deal;
}

export interface UpdateDealInput {
  id: string;
  title?: string | null;
  groupForm?: GroupForm | null;
  totalAmountCents?: number | null;
  /** Undefined keeps the lot, null clears it. */
  lotId?: string | null;
}

/**
 * Changes a deal's title, form, total or lot, keeping its invariants with the partners it has. Once
 * submitted, only the title may change; a deal that is over changes no more.
 */
export async function updateDeal(tx: Tx, context: Context, input: UpdateDealInput): Promise<Deal> {
  const viewer = viewerOf(context);
  const deal = await lockDeal(tx, context, input.id, 'input.id');
  if (CLOSED_DEAL_STATUSES.includes(deal.status)) throw new RuleViolationError('input.id', 'DEAL_CLOSED');
  const groupForm = input.groupForm ?? deal.groupForm;
  const totalAmountCents = input.totalAmountCents ?? deal.totalAmountCents;
  const lotId = input.lotId === undefined ? deal.lotId : input.lotId;
  if (isFrozen(deal)) {
    if (groupForm !== deal.groupForm) throw new RuleViolationError('input.groupForm', 'DEAL_FROZEN');
    if (totalAmountCents !== deal.totalAmountCents) throw new RuleViolationError('input.totalAmountCents', 'DEAL_FROZEN');
    if (lotId !== deal.lotId) throw new RuleViolationError('input.lotId', 'DEAL_FROZEN');
  }
  if (lotId && lotId !== deal.lotId) await checkLot(tx, lotId, deal.opportunityId, 'input.lotId');
  // The partners stay as they are: a member who has since left blocks submission, not this change.
  renamed(
    () =>
      checkDealTerms(
        { groupForm, totalAmountCents },
        deal.partners.map((partner) => draftOf(partner, true)),
      ),
    (field) =>
      field === 'partners' && totalAmountCents !== deal.totalAmountCents ? 'input.totalAmountCents' : 'input.groupForm',
    (error) => `${error.message} (${error.field})`,
  );
  const data = { title: input.title ?? deal.title, groupForm, totalAmountCents, lotId };
  if (changesNothing(deal, data)) return deal;
  const updated = await tx.deal.update({ where: { id: deal.id }, data });
  await recordEvent(tx, {
    type: 'deal.updated',
    subject: { typename: 'Deal', id: deal.id },
    collectiveId: deal.collectiveId,
    actorId: viewer.id,
    payload: { title: updated.title, groupForm, totalAmountCents, lotId },
  });
  return updated;
}

export interface SetDealPartnersInput {
  dealId: string;
  partners: readonly PartnerInput[];
  groupForm?: GroupForm | null;
  totalAmountCents?: number | null;
}

/**
 * Replaces a deal's whole partner list (and, optionally, its form and total with it), before
 * submission only. A party already in the deal (same member, same SIRET) keeps its partner ID.
 */
export async function setDealPartners(tx: Tx, context: Context, input: SetDealPartnersInput, now: Date): Promise<Deal> {
  const viewer = viewerOf(context);
  const deal = await lockDeal(tx, context, input.dealId, 'input.dealId');
  if (isFrozen(deal)) throw new RuleViolationError('input.partners', 'DEAL_FROZEN');
  if (CLOSED_DEAL_STATUSES.includes(deal.status)) throw new RuleViolationError('input.dealId', 'DEAL_CLOSED');
  const terms = {
    groupForm: input.groupForm ?? deal.groupForm,
    totalAmountCents: input.totalAmountCents ?? deal.totalAmountCents,
  };
  const drafts = await draftsOf(tx, input.partners, (index) => `input.partners[${index}]`);
  renamed(
    () => checkDealTerms(terms, drafts),
    (field) => `input.${field}`,
  );
  const restricted = await restrictedSectionsOf(tx, deal.id);
  const nextLeadMember = drafts.find((draft) => draft.isLead)?.memberId ?? null;
  await checkLeadChange(tx, deal, viewer.id, nextLeadMember, restricted.sections.length > 0, 'input.partners');
  const existing = new Map(deal.partners.map((partner) => [partyKey(partner), partner]));
  // The list as it is (any order), with the same terms: nothing written, no event (as any update that changes nothing).
  if (changesNothing(deal, terms) && sameList(deal.partners, drafts.map(partnerData), partyKey)) return deal;
  const kept: SectionPartner[] = [];
  for (const [index, draft] of drafts.entries()) {
    const current = existing.get(partyKey(draft));
    const { id, memberId, isLead } = current
      ? await tx.dealPartner.update({ where: { id: current.id }, data: partnerData(draft) })
      : await tx.dealPartner.create({ data: { ...partnerData(draft), dealId: deal.id, createdAt: joinedAt(now, index) } });
    kept.push({ id, memberId, isLead });
  }
  const keptIds = new Set(kept.map((partner) => partner.id));
  const dropped = deal.partners.flatMap((partner) => (keptIds.has(partner.id) ? [] : [partner.id]));
  await keepRestrictedSectionsOpenable(tx, viewer, restricted, deal.partners, dropped, kept, 'input.partners');
  await tx.dealPartner.deleteMany({
    where: { dealId: deal.id, status: 'ACTIVE', id: { notIn: [...keptIds] } },
  });
  const updated = await tx.deal.update({ where: { id: deal.id }, data: terms });
  await recordEvent(tx, {
    type: 'deal.partnersSet',
    subject: { typename: 'Deal', id: deal.id },
    collectiveId: deal.collectiveId,
    actorId: viewer.id,
    payload: { ...terms, ...totalsOf(drafts), leadIndex: drafts.findIndex((draft) => draft.isLead) },
  });
  return updated;
}

/**
 * Locks the deal's tender response, if it has one (after the deal: the order a submission and a push take them in),
 * then reads its restricted sections, so that the rules below judge what is committed: a section's settings change
 * locks its response (domain/tenders.ts `lockResponse`), so a section being restricted meanwhile is waited for, and a
 * change of settings waiting on this one then reads the new partners.
 */
async function restrictedSectionsOf(tx: Tx, dealId: string): Promise<RestrictedSections> {
  await tx.$queryRaw`SELECT id FROM "TenderResponse" WHERE "dealId" = ${dealId}::uuid FOR UPDATE`;
  const response = await tx.tenderResponse.findUnique({
    where: { dealId },
    include: { sections: { where: { restricted: true } } },
  });
  return { response, sections: response?.sections ?? [] };
}

/** A deal's tender response (none: no response yet) and its restricted sections. */
interface RestrictedSections {
  response: TenderResponse | null;
  sections: readonly TenderSection[];
}

/**
 * A change of the deal's lead's member while its response has restricted sections: that member reads every one of them
 * (domain/tenders.ts `rightsOnSection`), so naming another member lead (`setDealPartners`, or `substituteDealPartner`
 * replacing the lead) hands them that member, and naming a company or no lead takes them from the lead. Only the lead's
 * own member does either (attacks of stop 27: a colleague who was no partner named themself lead, or substituted the
 * lead by themself, and read them all; or named a company lead and deposed the lead's member for good), or anyone who
 * may change the deal once that member has left the cooperative (nobody else could hand it over). With a company lead,
 * or a lead from outside the collective (who may not change the deal, `lockDeal`), nobody: the owners lift their
 * restrictions first (attack 3; confidentiality first). Throws RuleViolationError(`field`, LEAD_CHANGE_BY_LEAD).
 */
async function checkLeadChange(
  tx: Tx,
  deal: { partners: readonly { isLead: boolean; memberId: string | null }[] },
  viewerId: string,
  nextLeadMember: string | null,
  anyRestricted: boolean,
  field: string,
): Promise<void> {
  const leadMember = deal.partners.find((partner) => partner.isLead)?.memberId ?? null;
  if (!anyRestricted || nextLeadMember === leadMember || (leadMember !== null && viewerId === leadMember)) return;
  const departed =
    leadMember !== null &&
    (await tx.member.findUnique({ where: { id: leadMember }, select: { situation: true } }))?.situation !== 'ACTIVE';
  if (!departed) throw new RuleViolationError(field, 'LEAD_CHANGE_BY_LEAD');
}

/**
 * Keeps each of a deal's restricted tender `sections` (`restrictedSectionsOf`) open to someone after its partners
 * changed (`setDealPartners`, `substituteDealPartner`), without showing it to anyone new:
 * - a section owned by a partner leaving (`leaving`: dropped, substituted) passes to the lead among `partners` (the
 *   deal's active partners once changed), whose member reads it already (domain/tenders.ts
 *   `restrictedSectionReaders`: owner and lead), not to a replacement (another company); before, a dropped owner left
 *   none (every later change refused OWNER_REQUIRED), a substituted one stayed owner. Put back later, the old owner
 *   gets it back from the lead (`updateTenderSection`'s `ownerPartnerId`);
 * - its assignee and reviewer, who must be able to open it (RESTRICTED_CONTRIBUTOR), become the lead's member (with a
 *   company lead, the owner's) where they no longer can (a dropped member, a former lead).
 * Each change of a section or of its readers (`partnersBefore` → `partners`; a new lead) is recorded, by `actor`
 * (domain/tenders.ts `recordReadersChange`: the section as it is for its readers now, a withdrawal for those who lost it).
 * Throws RuleViolationError(`field`, RESTRICTED_SECTIONS_NEED_LEAD) when one would be left with no member to open it:
 * the lead has no member (no lead, or a company) and its owner is leaving or is a company too.
 */
async function keepRestrictedSectionsOpenable(
  tx: Tx,
  actor: Member,
  { response, sections }: RestrictedSections,
  partnersBefore: readonly SectionPartner[],
  leaving: readonly string[],
  partners: readonly SectionPartner[],
  field: string,
): Promise<void> {
  if (!response) return;
  const lead = partners.find((partner) => partner.isLead) ?? null;
  for (const section of sections) {
    const handedOver = section.ownerPartnerId !== null && leaving.includes(section.ownerPartnerId);
    const owner = handedOver ? (lead?.id ?? null) : section.ownerPartnerId;
    const readers = restrictedSectionReaders(partners, owner);
    // The lead's member takes over; with a company lead, the owner's (a section in review keeps a reviewer).
    const successor = lead?.memberId ?? readers[0];
    if (!successor) throw new RuleViolationError(field, 'RESTRICTED_SECTIONS_NEED_LEAD');
    const opens = (memberId: string | null) => memberId === null || readers.includes(memberId);
    const data = {
      ...(owner !== section.ownerPartnerId ? { ownerPartnerId: owner } : {}),
      ...(opens(section.assigneeId) ? {} : { assigneeId: successor }),
      ...(opens(section.reviewerId) ? {} : { reviewerId: successor }),
    };
    const after = Object.keys(data).length > 0 ? await tx.tenderSection.update({ where: { id: section.id }, data }) : section;
    await recordReadersChange(tx, actor, response, section, after, partnersBefore, partners);
  }
}

export interface ChangeDealStatusInput {
  dealId: string;
  status: DealStatus;
}

/**
 * Moves a deal along its status machine. Submitting needs the opportunity's deadline not passed and
 * valid partners, and records when; reaching an outcome records when it was decided.
 */
export async function changeDealStatus(tx: Tx, context: Context, input: ChangeDealStatusInput, now: Date): Promise<Deal> {
  const viewer = viewerOf(context);
  const deal = await lockDeal(tx, context, input.dealId, 'input.dealId');
  if (!canChangeDealStatus(deal.status, input.status)) throw new RuleViolationError('input.status', 'INVALID_STATUS_CHANGE');
  const data: Prisma.DealUpdateInput = { status: input.status };
  if (input.status === 'SUBMITTED') {
    const deadline = deal.opportunity.submissionDeadline;
    if (deadline && now.getTime() > deadline.getTime())
      throw new RuleViolationError('input.status', 'DEAL_SUBMISSION_DEADLINE_PASSED');
    if (deal.partners.length === 0) throw new RuleViolationError('input.status', 'DEAL_PARTNERS_REQUIRED');
    renamed(
      () =>
        checkDealTerms(
          deal,
          deal.partners.map((partner) => draftOf(partner)),
        ),
      () => 'input.status',
      (error) => `${RULE_MESSAGES[error.rule]} (${error.field})`,
    );
    data.submittedAt = now;
  }
  if (CLOSED_DEAL_STATUSES.includes(input.status)) data.decidedAt = now;
  if (deal.status === 'NO_GO') data.decidedAt = null;
  const updated = await tx.deal.update({ where: { id: deal.id }, data });
  // The tender response is frozen with the submission: an immutable record of every section.
  if (input.status === 'SUBMITTED') await recordSubmission(tx, deal.id, now, viewer.id);
  await recordEvent(tx, {
    type: 'deal.statusChanged',
    subject: { typename: 'Deal', id: deal.id },
    collectiveId: deal.collectiveId,
    actorId: viewer.id,
    payload: {
      from: deal.status,
      status: updated.status,
      submittedAt: updated.submittedAt?.toISOString() ?? null,
      decidedAt: updated.decidedAt?.toISOString() ?? null,
    },
  });
  return updated;
}

export interface SubstituteDealPartnerInput {
  dealId: string;
  partnerId: string;
  replacement: Pick<PartnerInput, 'memberId' | 'companyName' | 'siret' | 'scopeOfWork'>;
  reason: string;
}

/**
 * After submission, replaces one partner: the old one is kept as substituted, the new one takes over
 * its scope (unless a new one is given), amount, share and lead flag, and the change is recorded with
 * its reason and who made it. Money totals are unchanged by construction.
 */
export async function substituteDealPartner(
  tx: Tx,
  context: Context,
  input: SubstituteDealPartnerInput,
  now: Date,
): Promise<{ deal: Deal; replacementId: string }> {
  const viewer = viewerOf(context);
  const deal = await lockDeal(tx, context, input.dealId, 'input.dealId');
  if (!isFrozen(deal)) throw new RuleViolationError('input.dealId', 'DEAL_NOT_SUBMITTED');
  if (!SUBSTITUTABLE_STATUSES.includes(deal.status)) throw new RuleViolationError('input.dealId', 'DEAL_CLOSED');
  const index = deal.partners.findIndex((partner) => partner.id === input.partnerId);
  if (index < 0) {
    const substituted = await tx.dealPartner.findFirst({ where: { id: input.partnerId, dealId: deal.id } });
    if (substituted) throw new RuleViolationError('input.partnerId', 'DEAL_PARTNER_SUBSTITUTED');
    throw new NotFoundError('input.partnerId', 'DealPartner');
  }
  const replaced = deal.partners[index] as (typeof deal.partners)[number];
  const [fresh] = await draftsOf(
    tx,
    [
      {
        ...input.replacement,
        isLead: replaced.isLead,
        amountCents: replaced.amountCents,
        shareBasisPoints: replaced.shareBasisPoints,
        scopeOfWork: blankToNull(input.replacement.scopeOfWork) ?? replaced.scopeOfWork,
      },
    ],
    () => 'input.replacement',
  );
  const replacement = fresh as PartnerDraft;
  const restricted = await restrictedSectionsOf(tx, deal.id);
  if (replaced.isLead)
    await checkLeadChange(
      tx,
      deal,
      viewer.id,
      replacement.memberId ?? null,
      restricted.sections.length > 0,
      'input.replacement.memberId',
    );
  // The others stay as they are (one who has left is substituted in turn); only the newcomer is checked in full.
  const next = deal.partners.map((partner, at) => (at === index ? replacement : draftOf(partner, true)));
  renamed(
    () => checkDealTerms(deal, next),
    (field) =>
      field.startsWith(`partners[${index}]`)
        ? `input.replacement${field.slice(`partners[${index}]`.length)}`
        : 'input.replacement',
  );
  // Replacing a party by itself is no substitution.
  if (partyKey(replacement) === partyKey(replaced)) throw new RuleViolationError('input.replacement', 'DEAL_DUPLICATE_PARTNER');
  await tx.dealPartner.update({ where: { id: replaced.id }, data: { status: 'SUBSTITUTED' } });
  const created = await tx.dealPartner.create({ data: { ...partnerData(replacement), dealId: deal.id, createdAt: now } });
  const partners = [...deal.partners.filter((partner) => partner.id !== replaced.id), created];
  await keepRestrictedSectionsOpenable(tx, viewer, restricted, deal.partners, [replaced.id], partners, 'input.partnerId');
  await tx.dealSubstitution.create({
    data: {
      dealId: deal.id,
      replacedPartnerId: replaced.id,
      replacementPartnerId: created.id,
      reason: input.reason,
      recordedById: viewer.id,
      recordedAt: now,
    },
  });
  const updated = await tx.deal.update({ where: { id: deal.id }, data: { updatedAt: now } });
  await recordEvent(tx, {
    type: 'deal.partnerSubstituted',
    subject: { typename: 'Deal', id: deal.id },
    collectiveId: deal.collectiveId,
    actorId: viewer.id,
    payload: {
      replacedPartnerId: replaced.id,
      replacementPartnerId: created.id,
      memberId: created.memberId,
      companyName: created.companyName,
      isLead: created.isLead,
      reason: input.reason,
    },
  });
  return { deal: updated, replacementId: created.id };
}

// ───────────────────────────── Opportunities ─────────────────────────────

/** An opportunity's fields that the rules constrain together. */
export interface OpportunityShape {
  broughtByCooperative: boolean;
  /** Who brought it, if anyone. */
  bringer: Pick<Member, 'kind' | 'situation'> | null;
  questionsDeadline: Date | null;
  submissionDeadline: Date | null;
  lots: ReadonlyArray<{ number: number }>;
}

/**
 * Checks an opportunity (DOMAIN.md, "Opportunity"); throws the first rule broken, with fields relative
 * to the opportunity. An opportunity the cooperative brings is brought by one of its support staff;
 * questions are asked before the offer is due; lots have distinct numbers.
 */
export function checkOpportunity(shape: OpportunityShape): void {
  const numbers = shape.lots.map((lot) => lot.number);
  const taken = numbers.findIndex((number, index) => numbers.indexOf(number) !== index);
  if (taken >= 0) throw new RuleViolationError(`lots[${taken}].number`, 'OPPORTUNITY_LOT_NUMBER_TAKEN');
  if (shape.questionsDeadline && shape.submissionDeadline && shape.questionsDeadline > shape.submissionDeadline) {
    throw new RuleViolationError('questionsDeadline', 'OPPORTUNITY_DEADLINES_ORDER');
  }
  if (shape.bringer && shape.bringer.situation !== 'ACTIVE') throw new RuleViolationError('broughtById', 'MEMBER_NOT_ACTIVE');
  if (shape.broughtByCooperative && shape.bringer?.kind !== 'SUPPORT_STAFF') {
    throw new RuleViolationError('broughtByCooperative', 'OPPORTUNITY_COOPERATIVE_BRINGER');
  }
}

export interface LotInput {
  number: number;
  title: string;
  estimatedAmountCents?: number | null;
}

export interface OpportunityInput {
  kind?: OpportunityKind | null;
  title?: string | null;
  buyer?: string | null;
  /** For the optional fields below, undefined keeps the value and null clears it. */
  reference?: string | null;
  description?: string | null;
  url?: string | null;
  questionsDeadline?: Date | null;
  submissionDeadline?: Date | null;
  broughtByCooperative?: boolean | null;
  broughtById?: string | null;
  lots?: readonly LotInput[] | null;
}

function opportunityPayload(opportunity: Opportunity, lots: readonly LotInput[] | null) {
  return {
    kind: opportunity.kind,
    title: opportunity.title,
    buyer: opportunity.buyer,
    questionsDeadline: opportunity.questionsDeadline?.toISOString() ?? null,
    submissionDeadline: opportunity.submissionDeadline?.toISOString() ?? null,
    broughtByCooperative: opportunity.broughtByCooperative,
    broughtById: opportunity.broughtById,
    ...(lots ? { lotNumbers: lots.map((lot) => lot.number) } : {}),
  };
}

async function bringerOf(tx: Tx, memberId: string | null) {
  if (!memberId) return null;
  const member = await tx.member.findUnique({ where: { id: memberId }, select: { kind: true, situation: true } });
  if (!member) throw new NotFoundError('input.broughtById', 'Member');
  return member;
}

function inInput(check: () => void): void {
  renamed(check, (field) => `input.${field}`);
}

/** Records an opportunity, brought by the viewer unless they name someone else. Any active member may. */
export async function createOpportunity(
  tx: Tx,
  context: Context,
  input: OpportunityInput & { kind: OpportunityKind; title: string; buyer: string },
): Promise<Opportunity> {
  const viewer = viewerOf(context);
  const broughtById = input.broughtById === undefined ? viewer.id : input.broughtById;
  const lots = input.lots ?? [];
  const shape = {
    broughtByCooperative: input.broughtByCooperative ?? false,
    bringer: await bringerOf(tx, broughtById),
    questionsDeadline: input.questionsDeadline ?? null,
    submissionDeadline: input.submissionDeadline ?? null,
    lots,
  };
  inInput(() => checkOpportunity(shape));
  const opportunity = await tx.opportunity.create({
    data: {
      kind: input.kind,
      title: input.title,
      buyer: input.buyer,
      reference: input.reference ?? null,
      description: input.description ?? '',
      url: input.url ?? null,
      questionsDeadline: shape.questionsDeadline,
      submissionDeadline: shape.submissionDeadline,
      broughtByCooperative: shape.broughtByCooperative,
      broughtById,
      lots: { create: lots.map((lot) => ({ ...lot, estimatedAmountCents: lot.estimatedAmountCents ?? null })) },
    },
  });
  await recordEvent(tx, {
    type: 'opportunity.created',
    subject: { typename: 'Opportunity', id: opportunity.id },
    actorId: viewer.id,
    payload: opportunityPayload(opportunity, lots),
  });
  return opportunity;
}

/**
 * Changes an opportunity: for the support staff and the member who brought it. Given lots replace the
 * list, matched by number (a kept number keeps its lot and the deals answering it); a lot a deal
 * answers cannot be removed. One that changes nothing (lots included) writes nothing and records no event.
 */
export async function updateOpportunity(tx: Tx, context: Context, id: string, input: OpportunityInput): Promise<Opportunity> {
  const viewer = viewerOf(context);
  await tx.$queryRaw`SELECT id FROM "Opportunity" WHERE id = ${id}::uuid FOR UPDATE`;
  const current = await tx.opportunity.findUnique({
    where: { id },
    include: { lots: { include: { _count: { select: { deals: true } } } } },
  });
  if (!current) throw new NotFoundError('input.id', 'Opportunity');
  if (!context.access.isSupportStaff && current.broughtById !== viewer.id) {
    throw new ForbiddenError('Seuls le membre qui a apporté cette opportunité et l’équipe d’appui la modifient.');
  }
  const keep = <T>(value: T | undefined, fallback: T): T => (value === undefined ? fallback : value);
  const broughtById = keep(input.broughtById, current.broughtById);
  const lots = input.lots ?? current.lots;
  const shape = {
    broughtByCooperative: input.broughtByCooperative ?? current.broughtByCooperative,
    bringer: await bringerOf(tx, broughtById),
    questionsDeadline: keep(input.questionsDeadline, current.questionsDeadline),
    submissionDeadline: keep(input.submissionDeadline, current.submissionDeadline),
    lots,
  };
  renamed(
    () => checkOpportunity(shape),
    (field) =>
      field === 'questionsDeadline' && input.questionsDeadline === undefined ? 'input.submissionDeadline' : `input.${field}`,
  );
  const data = {
    kind: input.kind ?? current.kind,
    title: input.title ?? current.title,
    buyer: input.buyer ?? current.buyer,
    reference: keep(input.reference, current.reference),
    description: input.description ?? current.description,
    url: keep(input.url, current.url),
    questionsDeadline: shape.questionsDeadline,
    submissionDeadline: shape.submissionDeadline,
    broughtByCooperative: shape.broughtByCooperative,
    broughtById,
  };
  const givenLots = input.lots?.map((lot) => ({ ...lot, estimatedAmountCents: lot.estimatedAmountCents ?? null }));
  if ((!givenLots || sameList(current.lots, givenLots, (lot) => lot.number)) && changesNothing(current, data)) return current;
  if (input.lots) {
    const numbers = new Set(input.lots.map((lot) => lot.number));
    const removed = current.lots.filter((lot) => !numbers.has(lot.number));
    if (removed.some((lot) => lot._count.deals > 0)) throw new RuleViolationError('input.lots', 'OPPORTUNITY_LOT_IN_USE');
    await tx.opportunityLot.deleteMany({ where: { id: { in: removed.map((lot) => lot.id) } } });
    for (const lot of input.lots) {
      const data = { title: lot.title, estimatedAmountCents: lot.estimatedAmountCents ?? null };
      await tx.opportunityLot.upsert({
        where: { opportunityId_number: { opportunityId: id, number: lot.number } },
        update: data,
        create: { ...data, opportunityId: id, number: lot.number },
      });
    }
  }
  const opportunity = await tx.opportunity.update({ where: { id }, data });
  await recordEvent(tx, {
    type: 'opportunity.updated',
    subject: { typename: 'Opportunity', id },
    actorId: viewer.id,
    payload: opportunityPayload(opportunity, input.lots ?? null),
  });
  return opportunity;
}
