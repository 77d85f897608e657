import { z } from 'zod';
import { NO_ONE } from '../auth/access.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import {
  CLOSED_DEAL_STATUSES,
  changeDealStatus,
  createDeal,
  DEAL_STATUS_CHANGES,
  dealVisibleWhere,
  type PartnerInput,
  setDealPartners,
  substituteDealPartner,
  updateDeal,
} from '../domain/deals.js';
import { VIEWER_CAN_CHANGE } from '../domain/resources.js';
import type { Deal, Prisma } from '../generated/prisma/client.js';
import type { DealStatus } from '../generated/prisma/enums.js';
import { NUMBER_BOUNDS as BOUNDS, describeBound } from '../limits/numbers.js';
import { documentedEnum } from './enums.js';
import { MUTATION_ERRORS } from './errors.js';
import { idOf } from './ids.js';
import { type KeysetOrder, keysetConnection, relatedKeysetConnection } from './pagination.js';
import { bounded } from './validation.js';

// Co-contracting deals (co-traitance): a business collective's bid for an opportunity, alone or as a
// temporary group with external companies. Seen by the collective's active members, the support staff
// and the deal's own active partners; changed by the collective's active members only.

export const GroupFormEnum = documentedEnum('GroupForm', 'How the partners of a deal answer together.', {
  NONE: 'No group: one bidder (the cooperative), whose split between members is internal. At most one lead.',
  JOINT:
    "Joint group (groupement conjoint): each partner is bound for its own part; the award letter lists each one's work and amount.",
  JOINT_WITH_JOINTLY_LIABLE_LEAD: 'Joint group whose lead (mandataire) is jointly liable for every partner.',
  SEVERAL: 'Several group (groupement solidaire): each partner is liable for the whole contract.',
});

export const DealStatusEnum = documentedEnum(
  'DealStatus',
  'Where a deal stands. Watch → go | no-go; go → preparing | abandoned; preparing → submitted | abandoned; submitted → won | lost | unsuccessful | abandoned. A no-go may go back to watch; won, lost, unsuccessful and abandoned are final.',
  {
    WATCH: 'Being looked at; no decision yet.',
    GO: 'The collective decided to answer.',
    NO_GO: 'The collective decided not to answer (may be reconsidered: back to watch).',
    PREPARING: 'The offer is being written.',
    SUBMITTED: 'The offer was handed in; partners are frozen from now on (changed only by substitution).',
    WON: 'The contract was awarded to the group. Final.',
    LOST: 'Another bidder won. Final.',
    UNSUCCESSFUL: 'The call was declared unsuccessful (infructueux) or cancelled by the buyer. Final.',
    ABANDONED: 'The collective gave up. Final.',
  },
);

export const PartnerStatusEnum = documentedEnum('PartnerStatus', 'Whether a partner is still in the deal.', {
  ACTIVE: 'In the deal.',
  SUBSTITUTED: 'Replaced by another partner after submission; kept as history.',
});

const ALL_PARTNERS = { orderBy: [{ createdAt: 'asc' as const }, { id: 'asc' as const }] };

export const DealRef = builder.prismaNode('Deal', {
  description:
    "A co-contracting bid (co-traitance) by a business collective for an opportunity, possibly with external companies. Seen by the collective's active members, the support staff and the deal's active partners.",
  id: { field: 'id' },
  // node(id) finds only what the viewer may see, so a hidden deal looks like a missing one.
  findUnique: (id, context) => ({ id, AND: [dealVisibleWhere(context)] }),
  nullable: true,
  authScopes: { member: true },
  fields: (t) => ({
    viewerCanChange: t.boolean({
      description: `${VIEWER_CAN_CHANGE} A partner from outside the collective reads it only.`,
      select: { collectiveId: true },
      resolve: (deal, _args, context) => context.access.changesResourcesOf(deal.collectiveId),
    }),
    title: t.exposeString('title', { description: 'Title of the bid.' }),
    groupForm: t.expose('groupForm', { type: GroupFormEnum, description: 'How the partners answer together.' }),
    status: t.expose('status', { type: DealStatusEnum, description: 'Where the deal stands.' }),
    nextStatuses: t.field({
      type: [DealStatusEnum],
      description: 'The statuses it may move to from here.',
      select: { status: true },
      resolve: (deal) => [...DEAL_STATUS_CHANGES[deal.status]],
    }),
    isClosed: t.boolean({
      description: 'Whether the deal is over (no-go, won, lost, unsuccessful, abandoned): nothing of it changes any more.',
      select: { status: true },
      resolve: (deal) => CLOSED_DEAL_STATUSES.includes(deal.status),
    }),
    totalAmountCents: t.exposeInt('totalAmountCents', {
      description: "The bid's total, in cents excluding VAT; the partners' amounts sum to it.",
    }),
    submittedAt: t.expose('submittedAt', { type: 'DateTime', nullable: true, description: 'When the offer was handed in.' }),
    decidedAt: t.expose('decidedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it reached its outcome (no-go, won, lost, unsuccessful, abandoned).',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change.' }),
    collective: t.relation('collective', { description: 'The business collective making the bid.' }),
    opportunity: t.relation('opportunity', { description: 'The opportunity answered.' }),
    lot: t.relation('lot', { nullable: true, description: 'The lot answered, when the opportunity has lots.' }),
    // Every field below reads the same selection of the partners (all of them, in order), so that
    // Prisma loads them once for a whole list of deals; each field then filters what it shows.
    partners: t.field({
      type: [DealPartnerRef],
      description: 'The partners, in the order they joined: active ones, or with `includeSubstituted` the whole history.',
      args: {
        includeSubstituted: t.arg.boolean({
          defaultValue: false,
          description: 'Also list the partners replaced by a substitution.',
        }),
      },
      select: (_args, _context, nestedSelection) => ({ partners: nestedSelection(ALL_PARTNERS) }),
      resolve: (deal, args) =>
        args.includeSubstituted ? deal.partners : deal.partners.filter((partner) => partner.status === 'ACTIVE'),
    }),
    lead: t.field({
      type: DealPartnerRef,
      nullable: true,
      description: 'The active lead (mandataire), if one is named.',
      select: (_args, _context, nestedSelection) => ({ partners: nestedSelection(ALL_PARTNERS) }),
      resolve: (deal) => deal.partners.find((partner) => partner.status === 'ACTIVE' && partner.isLead) ?? null,
    }),
    shareTotal: t.int({
      description: "Sum of the active partners' shares, in basis points: 10 000 (100 %) once the split is complete.",
      select: { partners: { ...ALL_PARTNERS, select: { status: true, shareBasisPoints: true } } },
      resolve: (deal) =>
        deal.partners.reduce((sum, partner) => sum + (partner.status === 'ACTIVE' ? partner.shareBasisPoints : 0), 0),
    }),
    amountTotal: t.field({
      type: 'Cents',
      description:
        "Sum of the active partners' amounts, in cents excluding VAT: the total once the split is complete (may exceed `Int` while it is not: see `Cents`).",
      select: { partners: { ...ALL_PARTNERS, select: { status: true, amountCents: true } } },
      resolve: (deal) => deal.partners.reduce((sum, partner) => sum + (partner.status === 'ACTIVE' ? partner.amountCents : 0), 0),
    }),
    substitutions: t.relation('substitutions', {
      description: 'Partner substitutions recorded after submission, oldest first.',
      query: { orderBy: [{ recordedAt: 'asc' }, { id: 'asc' }] },
    }),
  }),
});

export const DealPartnerRef = builder.prismaNode('DealPartner', {
  description:
    'A party of a deal: a member of the cooperative, or an external company with its SIRET. Its amount and share are part of the split that sums to the deal total.',
  id: { field: 'id' },
  findUnique: (id, context) => ({ id, deal: dealVisibleWhere(context) }),
  nullable: true,
  authScopes: { member: true },
  fields: (t) => ({
    member: t.relation('member', { nullable: true, description: 'The member, when the partner is one.' }),
    companyName: t.exposeString('companyName', { nullable: true, description: 'The external company, when the partner is one.' }),
    siret: t.exposeString('siret', { nullable: true, description: "The external company's SIRET (14 digits)." }),
    displayName: t.string({
      description: "The member's name or the company's, as shown.",
      select: { companyName: true, member: { select: { firstName: true, lastName: true } } },
      resolve: (partner) =>
        partner.member ? `${partner.member.firstName} ${partner.member.lastName}` : (partner.companyName ?? ''),
    }),
    isLead: t.exposeBoolean('isLead', { description: 'Whether it is the lead (mandataire) of the group.' }),
    scopeOfWork: t.exposeString('scopeOfWork', {
      nullable: true,
      description: 'Its part of the work (required in joint groups).',
    }),
    amountCents: t.exposeInt('amountCents', { description: 'Its amount, in cents excluding VAT.' }),
    shareBasisPoints: t.exposeInt('shareBasisPoints', { description: 'Its share, in basis points (10 000 = 100 %).' }),
    status: t.expose('status', { type: PartnerStatusEnum, description: 'Active, or substituted.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it joined the deal.' }),
    deal: t.relation('deal', { description: 'The deal.' }),
  }),
});

builder.prismaObject('DealSubstitution', {
  description: 'A change of partner after submission, recorded with its reason and who made it.',
  authScopes: { member: true },
  fields: (t) => ({
    id: t.exposeID('id', { description: 'ID of the record.' }),
    reason: t.exposeString('reason', { description: 'Why the partner was replaced.' }),
    recordedAt: t.expose('recordedAt', { type: 'DateTime', description: 'When.' }),
    recordedBy: t.relation('recordedBy', { description: 'Who recorded it.' }),
    replacedPartner: t.relation('replacedPartner', { description: 'The partner replaced (now substituted).' }),
    replacementPartner: t.relation('replacementPartner', { description: 'The partner who took over.' }),
  }),
});

/** Newest first. */
const DEAL_ORDER: KeysetOrder = [{ createdAt: 'desc' }, { id: 'asc' }];

builder.prismaObjectField('Collective', 'deals', (t) =>
  relatedKeysetConnection(t, 'deals', {
    description: "The collective's co-contracting deals that you may see, newest first.",
    args: { status: t.arg({ type: DealStatusEnum, description: 'Only this status.' }) },
    where: (args, context) => ({ ...dealVisibleWhere(context), ...(args.status ? { status: args.status } : {}) }),
    orderBy: () => DEAL_ORDER,
  }),
);

builder.queryFields((t) => ({
  deals: keysetConnection(t, {
    type: 'Deal',
    description: 'The deals you may see (your collectives’, and those you are a partner of), newest first.',
    args: {
      collectiveId: t.arg.globalID({ description: 'Only this collective’s.' }),
      opportunityId: t.arg.globalID({ description: 'Only those answering this opportunity.' }),
      status: t.arg({ type: DealStatusEnum, description: 'Only this status.' }),
    },
    where: (args, context) => dealsWhere(args, context),
    orderBy: () => DEAL_ORDER,
  }),
}));

type GlobalId = { typename: string; id: string };

function dealsWhere(
  args: { collectiveId?: GlobalId | null; opportunityId?: GlobalId | null; status?: DealStatus | null },
  context: Context,
): Prisma.DealWhereInput {
  const and: Prisma.DealWhereInput[] = [dealVisibleWhere(context)];
  // A wrong type of ID names nothing: an empty list rather than an error.
  if (args.collectiveId) and.push({ collectiveId: args.collectiveId.typename === 'Collective' ? args.collectiveId.id : NO_ONE });
  if (args.opportunityId)
    and.push({ opportunityId: args.opportunityId.typename === 'Opportunity' ? args.opportunityId.id : NO_ONE });
  if (args.status) and.push({ status: args.status });
  return { AND: and };
}

// ───────────────────────────── Mutations ─────────────────────────────

const title = z.string().trim().min(1, 'A title is required.').max(300, 'At most 300 characters.');
const cents = bounded('amountCents');
const share = bounded('basisPoints');
/** The range of an amount, for descriptions. */
const CENTS = `in cents excluding VAT, ${describeBound(BOUNDS.amountCents)}`;
const companyName = z.string().max(300, 'At most 300 characters.');
const siret = z.string().max(40, 'Too long for a SIRET.');
const scopeOfWork = z.string().max(4000, 'At most 4000 characters.');

const DealPartnerInput = builder.inputType('DealPartnerInput', {
  description:
    'A partner: a member (memberId) or an external company (companyName and siret), never both. A party already in the deal (same member, same SIRET) keeps its partner ID.',
  fields: (t) => ({
    memberId: t.globalID({ description: 'The member, for a member partner.' }),
    companyName: t.string({ description: 'The company name, for an external company.', validate: companyName }),
    siret: t.string({ description: "The company's SIRET: 14 digits (spaces allowed), with a valid check key.", validate: siret }),
    isLead: t.boolean({ description: 'Whether it is the lead (mandataire). Defaults to false.' }),
    scopeOfWork: t.string({ description: 'Its part of the work (required in joint groups).', validate: scopeOfWork }),
    amountCents: t.int({
      description: `Its amount ${CENTS} (above 0 in joint groups). Defaults to 0.`,
      validate: cents,
    }),
    shareBasisPoints: t.int({
      description: 'Its share in basis points (0 to 10 000); shares sum to 10 000. Defaults to 0.',
      validate: share,
    }),
  }),
});

const partnersField = z.array(z.unknown()).max(50, 'At most 50 partners.');

function partnersOf(
  partners: ReadonlyArray<{ memberId?: GlobalId | null } & Omit<PartnerInput, 'memberId'>>,
  field: string,
): PartnerInput[] {
  return partners.map((partner, index) => ({
    ...partner,
    memberId: partner.memberId ? idOf(partner.memberId, 'Member', `${field}[${index}].memberId`) : null,
  }));
}

const CreateDealInput = builder.inputType('CreateDealInput', {
  description: 'A new deal, in watch, for a business collective you are an active member of.',
  fields: (t) => ({
    collectiveId: t.globalID({ required: true, description: 'The business collective.' }),
    opportunityId: t.globalID({ required: true, description: 'The opportunity answered.' }),
    lotId: t.globalID({ description: 'The lot answered, one of the opportunity’s.' }),
    title: t.string({ required: true, description: 'Title of the bid.', validate: title }),
    groupForm: t.field({ type: GroupFormEnum, description: 'How the partners answer together. Defaults to none.' }),
    totalAmountCents: t.int({ description: `Total ${CENTS}. Defaults to 0.`, validate: cents }),
    partners: t.field({ type: [DealPartnerInput], description: 'Its partners, if known yet.', validate: partnersField }),
  }),
});

const UpdateDealInput = builder.inputType('UpdateDealInput', {
  description:
    'Changes to a deal; omitted fields stay as they are. Once submitted, only the title changes; a deal that is over changes no more.',
  fields: (t) => ({
    id: t.globalID({ required: true, description: 'The deal.' }),
    title: t.string({ description: 'New title.', validate: title }),
    groupForm: t.field({ type: GroupFormEnum, description: 'New form; the current partners must fit it.' }),
    totalAmountCents: t.int({ description: "New total; the current partners' amounts must sum to it.", validate: cents }),
    lotId: t.globalID({ description: 'New lot (one of the opportunity’s); null for none.' }),
  }),
});

const SetDealPartnersInput = builder.inputType('SetDealPartnersInput', {
  description:
    "A deal's whole new partner list, optionally with its new form and total, checked together. Before submission only.",
  fields: (t) => ({
    dealId: t.globalID({ required: true, description: 'The deal.' }),
    partners: t.field({
      type: [DealPartnerInput],
      required: true,
      description: 'Every partner, in order; those left out leave the deal.',
      validate: partnersField,
    }),
    groupForm: t.field({ type: GroupFormEnum, description: 'New form, if it changes with the partners.' }),
    totalAmountCents: t.int({ description: 'New total, if it changes with the partners.', validate: cents }),
  }),
});

const ChangeDealStatusInput = builder.inputType('ChangeDealStatusInput', {
  description: 'A deal and the status it moves to.',
  fields: (t) => ({
    dealId: t.globalID({ required: true, description: 'The deal.' }),
    status: t.field({
      type: DealStatusEnum,
      required: true,
      description: 'The new status; submitted needs valid partners and the submission deadline not passed.',
    }),
  }),
});

const DealPartnerReplacementInput = builder.inputType('DealPartnerReplacementInput', {
  description:
    'Who replaces a partner: a member or an external company. Amount, share and lead flag are taken over; so is the scope of work unless a new one is given.',
  fields: (t) => ({
    memberId: t.globalID({ description: 'The member, for a member partner.' }),
    companyName: t.string({ description: 'The company name, for an external company.', validate: companyName }),
    siret: t.string({ description: "The company's SIRET.", validate: siret }),
    scopeOfWork: t.string({ description: 'A new scope of work; the replaced partner’s when omitted.', validate: scopeOfWork }),
  }),
});

const SubstituteDealPartnerInput = builder.inputType('SubstituteDealPartnerInput', {
  description: 'Replaces a partner of a submitted deal, with the reason.',
  fields: (t) => ({
    dealId: t.globalID({ required: true, description: 'The deal.' }),
    partnerId: t.globalID({ required: true, description: 'The active partner replaced.' }),
    replacement: t.field({ type: DealPartnerReplacementInput, required: true, description: 'Who takes over.' }),
    reason: t.string({
      required: true,
      description: 'Why (e.g. the partner went out of business).',
      validate: z.string().trim().min(1, 'Say why.').max(2000, 'At most 2000 characters.'),
    }),
  }),
});

type DealQuery = { include?: Prisma.DealInclude; select?: Prisma.DealSelect };

/** Runs a deal change in one transaction, then reloads the deal with the client's selection. */
async function change(context: Context, query: DealQuery, work: (tx: Prisma.TransactionClient, now: Date) => Promise<Deal>) {
  const deal = await context.prisma.$transaction((tx) => work(tx, new Date()));
  return context.prisma.deal.findUniqueOrThrow({ ...query, where: { id: deal.id } });
}

builder.mutationFields((t) => ({
  createDeal: t.prismaField({
    type: 'Deal',
    description: 'Creates a deal, in watch, for a business collective you are an active member of.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: CreateDealInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      change(context, query, (tx, now) =>
        createDeal(
          tx,
          context,
          {
            collectiveId: idOf(input.collectiveId, 'Collective', 'input.collectiveId'),
            opportunityId: idOf(input.opportunityId, 'Opportunity', 'input.opportunityId'),
            lotId: input.lotId ? idOf(input.lotId, 'OpportunityLot', 'input.lotId') : null,
            title: input.title,
            groupForm: input.groupForm ?? 'NONE',
            totalAmountCents: input.totalAmountCents ?? 0,
            partners: partnersOf(input.partners ?? [], 'input.partners'),
          },
          now,
        ),
      ),
  }),
  updateDeal: t.prismaField({
    type: 'Deal',
    description: "Changes a deal's title, form, total or lot, keeping its invariants with its partners.",
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: UpdateDealInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      change(context, query, (tx) =>
        updateDeal(tx, context, {
          id: idOf(input.id, 'Deal', 'input.id'),
          title: input.title,
          groupForm: input.groupForm,
          totalAmountCents: input.totalAmountCents,
          lotId: input.lotId === undefined ? undefined : input.lotId && idOf(input.lotId, 'OpportunityLot', 'input.lotId'),
        }),
      ),
  }),
  setDealPartners: t.prismaField({
    type: 'Deal',
    description:
      "Replaces a deal's whole partner list at once (with its form and total if given), checking every invariant together. Refused once submitted: use substituteDealPartner. " +
      "While the response has restricted sections, only the lead's member changes who leads, to another member, a company or none (LEAD_CHANGE_BY_LEAD; anyone once that member has left the cooperative; with a company lead or one from outside the collective, lift the restrictions first), as the lead reads them all. " +
      "A restricted section owned by a partner dropped passes to the lead partner, who reads it already (give it back with updateTenderSection if the partner returns), and whoever works on one and can no longer open it is replaced by the lead's member; RESTRICTED_SECTIONS_NEED_LEAD when a restricted section would be left with no member to open it.",
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: SetDealPartnersInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      change(context, query, (tx, now) =>
        setDealPartners(
          tx,
          context,
          {
            dealId: idOf(input.dealId, 'Deal', 'input.dealId'),
            partners: partnersOf(input.partners, 'input.partners'),
            groupForm: input.groupForm,
            totalAmountCents: input.totalAmountCents,
          },
          now,
        ),
      ),
  }),
  changeDealStatus: t.prismaField({
    type: 'Deal',
    description: 'Moves a deal along its status machine (see DealStatus). Submitting records when.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: ChangeDealStatusInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      change(context, query, (tx, now) =>
        changeDealStatus(tx, context, { dealId: idOf(input.dealId, 'Deal', 'input.dealId'), status: input.status }, now),
      ),
  }),
  substituteDealPartner: t.prismaField({
    type: 'Deal',
    description:
      'After submission, replaces a partner: the old one is kept as substituted, the new one takes over its scope, amount, share and lead flag, and the substitution is recorded with its reason. ' +
      "Restricted tender sections the old one owned pass to the lead partner, not to the newcomer (another company: it reads them once the lead gives them to it), unless the old one was the lead: the newcomer then leads and reads them all, so only the lead's member replaces it while the response has restricted sections (LEAD_CHANGE_BY_LEAD; anyone once that member has left the cooperative). RESTRICTED_SECTIONS_NEED_LEAD when a restricted section would be left with no member to open it.",
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: SubstituteDealPartnerInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      change(context, query, async (tx, now) => {
        const { replacement } = input;
        const result = await substituteDealPartner(
          tx,
          context,
          {
            dealId: idOf(input.dealId, 'Deal', 'input.dealId'),
            partnerId: idOf(input.partnerId, 'DealPartner', 'input.partnerId'),
            replacement: {
              ...replacement,
              memberId: replacement.memberId ? idOf(replacement.memberId, 'Member', 'input.replacement.memberId') : null,
            },
            reason: input.reason.trim(),
          },
          now,
        );
        return result.deal;
      }),
  }),
}));
