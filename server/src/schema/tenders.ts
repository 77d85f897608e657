import { z } from 'zod';
import { NO_ONE } from '../auth/access.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import * as tenders from '../domain/tenders.js';
import { NotFoundError } from '../errors.js';
import type { Prisma } from '../generated/prisma/client.js';
import { NUMBER_BOUNDS as BOUNDS, describeBound } from '../limits/numbers.js';
import { documentedEnum } from './enums.js';
import { MUTATION_ERRORS } from './errors.js';
import { idOf } from './ids.js';
import { keysetConnection, relatedKeysetConnection } from './pagination.js';
import { bounded } from './validation.js';

// ───────────────────────────── Enums ─────────────────────────────

export const SectionKindEnum = documentedEnum(
  'SectionKind',
  'What a section of a tender response holds: one of the bid documents, or free.',
  {
    CANDIDACY_FORMS:
      'The candidacy forms: candidacy letter (DC1) and each partner’s capacities (DC2, or the European DUME). Default title « Formulaires de candidature (DC1, DC2) ».',
    TECHNICAL_PROPOSAL:
      'The technical proposal (mémoire technique), written for this buyer: a generic one loses bids. Default title « Mémoire technique ».',
    PRICE_SCHEDULE: 'The price schedule (BPU/DQE or DPGF). Default title « Bordereau des prix ».',
    PLANNING: 'The planning of the work. Default title « Planning ».',
    REFERENCES: 'References of similar work done. Default title « Références ».',
    CVS: 'CVs of the people who will do the work. Default title « CV des intervenants ».',
    PROJECT_DESCRIPTION: 'For a call for projects: the project description. Default title « Description du projet ».',
    BUDGET: 'For a call for projects: the budget, with its co-funders. Default title « Budget et cofinancements ».',
    FREE: 'Any other section; its title is required.',
  },
);

export const SectionStatusEnum = documentedEnum(
  'SectionStatus',
  'Where a section stands: TODO → DRAFT → REVIEW → DONE; REVIEW → DRAFT when changes are requested, DONE → DRAFT to reopen.',
  {
    TODO: 'Not started.',
    DRAFT: 'Being written (also after changes were requested, or after reopening).',
    REVIEW: 'Waiting for its reviewer; needs one.',
    DONE: 'Approved by its reviewer.',
  },
);

// ───────────────────────────── Visibility ─────────────────────────────

function viewerId(context: Context): string {
  return context.access.viewer?.id ?? NO_ONE;
}

/**
 * Responses the viewer may read: all for the support staff; those of the viewer's active collectives and of
 * the deals they are an active partner of otherwise.
 */
export function readableResponsesWhere(context: Context): Prisma.TenderResponseWhereInput {
  if (context.access.isSupportStaff) return {};
  if (!context.access.isMember) return { id: NO_ONE };
  return {
    OR: [
      { collectiveId: { in: [...context.access.insiderOf, NO_ONE] } },
      { deal: { partners: { some: { memberId: viewerId(context), status: 'ACTIVE' } } } },
    ],
  };
}

/** A restricted section is seen only by its owner partner's member and the lead's member (and the support staff). */
function restrictionWhere(context: Context): Prisma.TenderSectionWhereInput {
  if (context.access.isSupportStaff) return {};
  const me = viewerId(context);
  return {
    OR: [
      { restricted: false },
      { ownerPartner: { memberId: me, status: 'ACTIVE' } },
      { response: { deal: { partners: { some: { memberId: me, isLead: true, status: 'ACTIVE' } } } } },
    ],
  };
}

/** Sections the viewer may see: of a readable response, and not restricted away from them. */
export function visibleSectionsWhere(context: Context): Prisma.TenderSectionWhereInput {
  return { AND: [{ response: readableResponsesWhere(context) }, restrictionWhere(context)] };
}

/** The sections of a response as the viewer sees them, in order. Shared by `sections` and `checklist`, so Prisma loads them once. */
const sectionsQuery = (context: Context) => ({ where: restrictionWhere(context), orderBy: { position: 'asc' as const } });

/** Not submitted (itself or through its deal): sections still to work on. */
const OPEN_RESPONSE: Prisma.TenderResponseWhereInput = {
  submittedAt: null,
  OR: [{ dealId: null }, { deal: { status: { notIn: tenders.LOCKED_DEAL_STATUSES } } }],
};

// ───────────────────────────── Types ─────────────────────────────

const ChecklistRef = builder.objectRef<tenders.Checklist>('TenderChecklist').implement({
  description: 'Progress figures of a tender response, over the sections the viewer sees.',
  fields: (t) => ({
    total: t.exposeInt('total', { description: 'Number of sections.' }),
    done: t.exposeInt('done', { description: 'Sections done.' }),
    inReview: t.exposeInt('inReview', { description: 'Sections waiting for their reviewer.' }),
    overLimit: t.exposeInt('overLimit', { description: 'Sections over their word or character limit.' }),
    progress: t.exposeFloat('progress', { description: 'Share of sections done, from 0 to 1 (0 without sections).' }),
  }),
});

export const TenderResponseRef = builder.prismaNode('TenderResponse', {
  description:
    "The document a deal's partners (or a collective answering a call for projects) write together, in sections. Read and changed by the collective's active members and the deal's active partners; read by the support staff.",
  id: { field: 'id' },
  authScopes: { member: true },
  // A hidden response loads as null, exactly like a missing one.
  nullable: true,
  findUnique: (id, context) => ({ id, AND: [readableResponsesWhere(context)] }),
  fields: (t) => ({
    viewerCanChange: t.boolean({
      description:
        'Whether the viewer may change it and its sections: an active member of its collective or an active partner of its deal (the support staff read it only). Restricted sections stay their owner’s and the lead’s.',
      select: { collectiveId: true, deal: { select: { partners: { where: { status: 'ACTIVE' }, select: { memberId: true } } } } },
      resolve: (response, _args, context) => {
        const viewer = context.access.viewer;
        if (!viewer || !context.access.isMember) return false;
        return (
          context.access.insiderOf.has(response.collectiveId) ||
          (response.deal?.partners.some((partner) => partner.memberId === viewer.id) ?? false)
        );
      },
    }),
    title: t.exposeString('title', { description: 'Title, by default the deal’s or the call’s.' }),
    submittedAt: t.expose('submittedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the response itself was submitted, if it was.',
    }),
    isSubmitted: t.boolean({
      description: 'True once the response or its deal is submitted (or decided): its sections are then read-only.',
      select: { submittedAt: true, deal: { select: { status: true } } },
      resolve: (response) => tenders.isSubmitted(response),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change of its title.' }),
    collective: t.relation('collective', { description: 'The collective writing it.' }),
    deal: t.relation('deal', {
      nullable: true,
      description: 'The deal it answers; null for a call for projects answered without one.',
    }),
    opportunity: t.relation('opportunity', {
      nullable: true,
      description: "The opportunity it answers (the deal's, or the call for projects).",
    }),
    sections: t.relation('sections', {
      description: 'Its sections in order (restricted ones only for those who may open them).',
      query: (_args, context) => sectionsQuery(context),
    }),
    checklist: t.field({
      type: ChecklistRef,
      description: 'How far the sections are: total, done, in review, over their limit, and progress.',
      select: (_args, context) => ({
        sections: {
          ...sectionsQuery(context),
          select: { status: true, wordCount: true, characterCount: true, wordLimit: true, characterLimit: true },
        },
      }),
      resolve: (response) => tenders.checklistOf(response.sections),
    }),
  }),
});

export const TenderSectionRef = builder.prismaNode('TenderSection', {
  description:
    'One section of a tender response: its kind, order, people, status, due date and limits (its body is co-edited live).',
  id: { field: 'id' },
  authScopes: { member: true },
  nullable: true,
  findUnique: (id, context) => ({ id, AND: [visibleSectionsWhere(context)] }),
  fields: (t) => ({
    kind: t.expose('kind', { type: SectionKindEnum, description: 'Which document it is.' }),
    title: t.exposeString('title', { description: 'Title, in French by default.' }),
    position: t.exposeInt('position', {
      description: 'Order in the response, from 1, contiguous (restricted sections you may not see count too).',
    }),
    status: t.expose('status', { type: SectionStatusEnum, description: 'To do, draft, review or done.' }),
    assignee: t.relation('assignee', { nullable: true, description: 'Who writes it.' }),
    reviewer: t.relation('reviewer', { nullable: true, description: 'Who reviews it and marks it done.' }),
    dueAt: t.expose('dueAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Its own due date, if one was set; see effectiveDueAt.',
    }),
    effectiveDueAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: "Its own due date, or else the opportunity's submission deadline.",
      select: { dueAt: true, response: { select: { opportunity: { select: { submissionDeadline: true } } } } },
      resolve: (section) => tenders.effectiveDueAt(section.dueAt, section.response.opportunity?.submissionDeadline),
    }),
    wordLimit: t.exposeInt('wordLimit', { nullable: true, description: 'Most words allowed, if limited.' }),
    characterLimit: t.exposeInt('characterLimit', { nullable: true, description: 'Most characters allowed, if limited.' }),
    wordCount: t.exposeInt('wordCount', { description: 'Words in its body now.' }),
    characterCount: t.exposeInt('characterCount', { description: 'Characters in its body now.' }),
    isOverLimit: t.boolean({
      description: 'True when it has more words than its word limit or more characters than its character limit.',
      select: { wordCount: true, characterCount: true, wordLimit: true, characterLimit: true },
      resolve: (section) => tenders.isOverLimit(section),
    }),
    restricted: t.exposeBoolean('restricted', {
      description: "Open only to its owner partner's member and the lead's member (and read by the support staff).",
    }),
    ownerPartner: t.relation('ownerPartner', {
      nullable: true,
      description: 'The deal partner that owns it, if one does (required for a restricted section).',
    }),
    response: t.relation('response', { description: 'The response it belongs to.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was added.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change.' }),
  }),
});

builder.prismaObjectField('Collective', 'tenderResponses', (t) =>
  relatedKeysetConnection(t, 'tenderResponses', {
    description: 'Its tender responses you may read, newest first.',
    where: (_args, context) => readableResponsesWhere(context),
    orderBy: () => [{ createdAt: 'desc' }, { id: 'asc' }],
  }),
);

builder.prismaObjectField('Deal', 'tenderResponse', (t) =>
  t.relation('tenderResponse', {
    nullable: true,
    description: 'The tender response its partners write, once started (its readers are the deal’s).',
  }),
);

// ───────────────────────────── Queries ─────────────────────────────

/** A filter's database ID; a global ID of another type matches nothing. */
function filterId(globalId: { typename: string; id: string } | null | undefined, typename: string): string | undefined {
  if (!globalId) return undefined;
  return globalId.typename === typename ? globalId.id : NO_ONE;
}

builder.queryFields((t) => ({
  tenderResponses: keysetConnection(t, {
    type: 'TenderResponse',
    description: 'Tender responses you may read, newest first.',
    args: {
      collectiveId: t.arg.globalID({ description: 'Only those of this collective.' }),
      dealId: t.arg.globalID({ description: 'Only the response of this deal.' }),
    },
    where: (args, context) => responsesWhere(context, args),
    orderBy: () => [{ createdAt: 'desc' }, { id: 'asc' }],
  }),
  sectionsAssignedToMe: t.prismaField({
    type: ['TenderSection'],
    description: 'Sections assigned to you, not done, of responses not yet submitted, soonest due first (undated last).',
    resolve: async (query, _root, _args, context) => {
      const where: Prisma.TenderSectionWhereInput = {
        AND: [visibleSectionsWhere(context), { assigneeId: viewerId(context), status: { not: 'DONE' }, response: OPEN_RESPONSE }],
      };
      // The due date that counts may be the opportunity's: order on it here, then load the page as asked.
      const rows = await context.prisma.tenderSection.findMany({
        where,
        select: {
          id: true,
          dueAt: true,
          position: true,
          response: { select: { opportunity: { select: { submissionDeadline: true } } } },
        },
      });
      const due = (row: (typeof rows)[number]) =>
        tenders.effectiveDueAt(row.dueAt, row.response.opportunity?.submissionDeadline)?.getTime() ?? Number.POSITIVE_INFINITY;
      const ids = rows
        .sort((a, b) => due(a) - due(b) || a.position - b.position || a.id.localeCompare(b.id))
        .map((row) => row.id);
      const sections = await context.prisma.tenderSection.findMany({ ...query, where: { id: { in: ids } } });
      const byId = new Map(sections.map((section) => [section.id, section]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },
  }),
}));

function responsesWhere(
  context: Context,
  args: { collectiveId?: { typename: string; id: string } | null; dealId?: { typename: string; id: string } | null },
): Prisma.TenderResponseWhereInput {
  const filters: Prisma.TenderResponseWhereInput = {};
  const collectiveId = filterId(args.collectiveId, 'Collective');
  const dealId = filterId(args.dealId, 'Deal');
  if (collectiveId) filters.collectiveId = collectiveId;
  if (dealId) filters.dealId = dealId;
  return { AND: [readableResponsesWhere(context), filters] };
}

// ───────────────────────────── Mutations ─────────────────────────────

/** The viewer as the tender rules see them (co-editing and history use it too). */
export function actorOf(context: Context): tenders.Actor {
  const member = context.access.viewer;
  if (!member) throw new NotFoundError(null);
  return { member, isSupportStaff: context.access.isSupportStaff, insiderOf: context.access.insiderOf };
}

type ResponseQuery = { include?: Prisma.TenderResponseInclude; select?: Prisma.TenderResponseSelect };
type SectionQuery = { include?: Prisma.TenderSectionInclude; select?: Prisma.TenderSectionSelect };

/** Runs a change in one transaction, then reloads the response with the client's selection. */
async function changeResponse(
  context: Context,
  query: ResponseQuery,
  work: (tx: tenders.Tx, actor: tenders.Actor) => Promise<{ id: string }>,
) {
  const actor = actorOf(context);
  const { id } = await context.prisma.$transaction((tx) => work(tx, actor));
  return context.prisma.tenderResponse.findUniqueOrThrow({ ...query, where: { id } });
}

/** Runs a change in one transaction, then reloads the section with the client's selection. */
async function changeSection(
  context: Context,
  query: SectionQuery,
  work: (tx: tenders.Tx, actor: tenders.Actor) => Promise<{ id: string }>,
) {
  const actor = actorOf(context);
  const { id } = await context.prisma.$transaction((tx) => work(tx, actor));
  return context.prisma.tenderSection.findUniqueOrThrow({ ...query, where: { id } });
}

const title = z.string().trim().min(1, 'A title is required.').max(200, 'At most 200 characters.');

/** An optional global ID's database ID: `undefined` when omitted, `null` when cleared. */
function optionalId(globalId: { typename: string; id: string } | null | undefined, typename: string, field: string) {
  if (globalId === undefined) return undefined;
  return globalId === null ? null : idOf(globalId, typename, field);
}

const CreateTenderResponseInput = builder.inputType('CreateTenderResponseInput', {
  description:
    'A new tender response: for a deal (its collective and opportunity are the deal’s; one per deal), or for a call for projects answered by one of your collectives.',
  fields: (t) => ({
    dealId: t.globalID({ description: 'The deal it answers. Omit for a call for projects.' }),
    opportunityId: t.globalID({ description: 'The call for projects it answers, without a deal.' }),
    collectiveId: t.globalID({ description: 'The collective answering the call for projects (you are an active member of it).' }),
    title: t.string({ description: 'Title; by default the deal’s or the call’s.', validate: title }),
    withDefaultSections: t.boolean({
      defaultValue: false,
      description:
        'Adds the standard sections in order: for a tender, candidacy forms, technical proposal, price schedule, planning, references and CVs; for a call for projects, project description and budget.',
    }),
  }),
});

const UpdateTenderResponseInput = builder.inputType('UpdateTenderResponseInput', {
  description: 'A new title for a tender response.',
  fields: (t) => ({
    responseId: t.globalID({ required: true, description: 'The response.' }),
    title: t.string({ required: true, description: 'Its new title.', validate: title }),
  }),
});

const words = bounded('wordLimit');
const characters = bounded('characterLimit');

const AddTenderSectionInput = builder.inputType('AddTenderSectionInput', {
  description: 'A new section, added after the others.',
  fields: (t) => ({
    responseId: t.globalID({ required: true, description: 'The response.' }),
    kind: t.field({ type: SectionKindEnum, required: true, description: 'Which document it is.' }),
    title: t.string({ description: 'Title; required for a free section, else the kind’s French title.', validate: title }),
    assigneeId: t.globalID({
      description: 'Who writes it: an active member of the collective or an active member-partner of the deal.',
    }),
    reviewerId: t.globalID({
      description: 'Who reviews it: an active member of the collective or an active member-partner of the deal.',
    }),
    dueAt: t.field({
      type: 'DateTime',
      description: "When it is due, no later than the opportunity's submission deadline (which applies when omitted).",
    }),
    wordLimit: t.int({ description: `Most words allowed (${describeBound(BOUNDS.wordLimit)}).`, validate: words }),
    characterLimit: t.int({
      description: `Most characters allowed (${describeBound(BOUNDS.characterLimit)}).`,
      validate: characters,
    }),
    restricted: t.boolean({
      description: "Open only to its owner partner's member and the lead's member; needs ownerPartnerId.",
    }),
    ownerPartnerId: t.globalID({ description: 'The deal partner (DealPartner) that owns it.' }),
  }),
});

const UpdateTenderSectionInput = builder.inputType('UpdateTenderSectionInput', {
  description: 'Changes to a section; omitted fields stay as they are, null clears the optional ones.',
  fields: (t) => ({
    sectionId: t.globalID({ required: true, description: 'The section.' }),
    title: t.string({ description: 'New title.', validate: title }),
    assigneeId: t.globalID({ description: 'New assignee, or null for none.' }),
    reviewerId: t.globalID({ description: 'New reviewer, or null for none (not while in review).' }),
    dueAt: t.field({
      type: 'DateTime',
      description: 'New due date, no later than the submission deadline; null to follow the deadline.',
    }),
    wordLimit: t.int({
      description: `New word limit (${describeBound(BOUNDS.wordLimit)}), or null for none.`,
      validate: words,
    }),
    characterLimit: t.int({
      description: `New character limit (${describeBound(BOUNDS.characterLimit)}), or null for none.`,
      validate: characters,
    }),
    restricted: t.boolean({ description: "Whether it is open only to its owner partner's member and the lead's member." }),
    ownerPartnerId: t.globalID({ description: 'The deal partner (DealPartner) that owns it, or null (not while restricted).' }),
  }),
});

const MoveTenderSectionInput = builder.inputType('MoveTenderSectionInput', {
  description: 'A section and where it goes.',
  fields: (t) => ({
    sectionId: t.globalID({ required: true, description: 'The section.' }),
    position: t.int({
      required: true,
      description: 'Its new position, from 1 to the number of sections; the others close up.',
      validate: bounded('sectionPosition'),
    }),
  }),
});

const RemoveTenderSectionInput = builder.inputType('RemoveTenderSectionInput', {
  description: 'A section to remove.',
  fields: (t) => ({ sectionId: t.globalID({ required: true, description: 'The section (still to do and empty).' }) }),
});

const ChangeTenderSectionStatusInput = builder.inputType('ChangeTenderSectionStatusInput', {
  description: 'A section and its next status.',
  fields: (t) => ({
    sectionId: t.globalID({ required: true, description: 'The section.' }),
    status: t.field({ type: SectionStatusEnum, required: true, description: 'The next status.' }),
  }),
});

type SettingsInput = {
  title?: string | null;
  assigneeId?: { typename: string; id: string } | null;
  reviewerId?: { typename: string; id: string } | null;
  dueAt?: Date | null;
  wordLimit?: number | null;
  characterLimit?: number | null;
  restricted?: boolean | null;
  ownerPartnerId?: { typename: string; id: string } | null;
};

function settingsOf(input: SettingsInput): tenders.SectionSettings {
  return {
    title: input.title,
    assigneeId: optionalId(input.assigneeId, 'Member', 'input.assigneeId'),
    reviewerId: optionalId(input.reviewerId, 'Member', 'input.reviewerId'),
    dueAt: input.dueAt,
    wordLimit: input.wordLimit,
    characterLimit: input.characterLimit,
    restricted: input.restricted,
    ownerPartnerId: optionalId(input.ownerPartnerId, 'DealPartner', 'input.ownerPartnerId'),
  };
}

builder.mutationFields((t) => ({
  createTenderResponse: t.prismaField({
    type: 'TenderResponse',
    description:
      'Starts the tender response of a deal (one per deal) or of a call for projects, optionally with its standard sections.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: CreateTenderResponseInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      changeResponse(context, query, (tx, actor) =>
        tenders.createResponse(tx, actor, {
          dealId: input.dealId ? idOf(input.dealId, 'Deal', 'input.dealId') : null,
          opportunityId: input.opportunityId ? idOf(input.opportunityId, 'Opportunity', 'input.opportunityId') : null,
          collectiveId: input.collectiveId ? idOf(input.collectiveId, 'Collective', 'input.collectiveId') : null,
          title: input.title ?? null,
          withDefaultSections: input.withDefaultSections ?? false,
        }),
      ),
  }),
  updateTenderResponse: t.prismaField({
    type: 'TenderResponse',
    description: 'Renames a tender response (not once submitted).',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: UpdateTenderResponseInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      changeResponse(context, query, (tx, actor) =>
        tenders.updateResponse(tx, actor, idOf(input.responseId, 'TenderResponse', 'input.responseId'), input.title),
      ),
  }),
  addTenderSection: t.prismaField({
    type: 'TenderSection',
    description: 'Adds a section at the end of a response (not once submitted).',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: AddTenderSectionInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      changeSection(context, query, (tx, actor) =>
        tenders.addSection(
          tx,
          actor,
          idOf(input.responseId, 'TenderResponse', 'input.responseId'),
          input.kind,
          settingsOf(input),
        ),
      ),
  }),
  updateTenderSection: t.prismaField({
    type: 'TenderSection',
    description: 'Changes a section’s title, assignee, reviewer, due date, limits or restriction (not once submitted).',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: UpdateTenderSectionInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      changeSection(context, query, (tx, actor) =>
        tenders.updateSection(tx, actor, idOf(input.sectionId, 'TenderSection', 'input.sectionId'), settingsOf(input)),
      ),
  }),
  moveTenderSection: t.prismaField({
    type: 'TenderSection',
    description: 'Moves a section to another position; positions stay contiguous from 1 (not once submitted).',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: MoveTenderSectionInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      changeSection(context, query, (tx, actor) =>
        tenders.moveSection(tx, actor, idOf(input.sectionId, 'TenderSection', 'input.sectionId'), input.position),
      ),
  }),
  removeTenderSection: t.prismaField({
    type: 'TenderResponse',
    description: 'Removes a section still to do and empty, and returns its response (not once submitted).',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: RemoveTenderSectionInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      changeResponse(context, query, (tx, actor) =>
        tenders.removeSection(tx, actor, idOf(input.sectionId, 'TenderSection', 'input.sectionId')),
      ),
  }),
  changeTenderSectionStatus: t.prismaField({
    type: 'TenderSection',
    description:
      'Moves a section along TODO → DRAFT → REVIEW → DONE (REVIEW → DRAFT and DONE → DRAFT too). Review needs a reviewer; only the reviewer marks it done.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: ChangeTenderSectionStatusInput, required: true }) },
    resolve: (query, _root, { input }, context) =>
      changeSection(context, query, (tx, actor) =>
        tenders.changeSectionStatus(tx, actor, idOf(input.sectionId, 'TenderSection', 'input.sectionId'), input.status),
      ),
  }),
}));
