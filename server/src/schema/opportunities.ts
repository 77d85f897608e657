import { queryFromInfo } from '@pothos/plugin-prisma';
import { z } from 'zod';
import { builder } from '../builder.js';
import { parisDay } from '../domain/calendar.js';
import { createOpportunity, dealVisibleWhere, type OpportunityInput, updateOpportunity } from '../domain/deals.js';
import type { Opportunity, Prisma } from '../generated/prisma/client.js';
import type { OpportunityKind } from '../generated/prisma/enums.js';
import { NUMBER_BOUNDS as BOUNDS, describeBound } from '../limits/numbers.js';
import { documentedEnum } from './enums.js';
import { MUTATION_ERRORS } from './errors.js';
import { idOf } from './ids.js';
import { type KeysetOrder, keysetConnection, relatedKeysetConnection } from './pagination.js';
import { bounded } from './validation.js';

// Opportunities are the cooperative's shared pipeline: every active member sees all of them. Their
// deadlines are instants (UTC in the API); the cooperative reads and shows them on Paris time.

export const OpportunityKindEnum = documentedEnum('OpportunityKind', 'What kind of opportunity members may answer.', {
  PUBLIC_TENDER: "A public call for tenders (appel d'offres public), under public procurement rules.",
  PRIVATE_TENDER: 'A call for tenders from a private buyer.',
  CALL_FOR_PROJECTS: 'A call for projects (appel à projets): a project description and a budget with co-funders.',
  TRADE_SHOW: 'A trade show where members may share a stand.',
  ORDER: 'An order from a client, too big or too varied for one member alone.',
  OTHER: 'Anything else worth answering together.',
});

export const OpportunityDeadlineKindEnum = documentedEnum('OpportunityDeadlineKind', 'Which deadline of an opportunity.', {
  QUESTIONS: 'The last moment to ask the buyer questions.',
  SUBMISSION: 'The last moment to hand in the offer (date limite de remise des offres).',
});

const OpportunityOrder = documentedEnum('OpportunityOrder', 'How to sort opportunities.', {
  SUBMISSION_DEADLINE: 'Soonest submission deadline first; those without one last.',
  NEWEST: 'Most recently recorded first.',
});

const PARIS_NOTE = 'An instant; the cooperative reads and shows it on Paris time (Europe/Paris).';

export const OpportunityRef = builder.prismaNode('Opportunity', {
  description:
    "A call for tenders, a call for projects, a trade show or an order that members may answer together: the cooperative's shared pipeline, seen by every active member.",
  id: { field: 'id' },
  // A missing ID answers null, not an error.
  nullable: true,
  authScopes: { member: true },
  fields: (t) => ({
    kind: t.expose('kind', { type: OpportunityKindEnum, description: 'What kind of opportunity it is.' }),
    title: t.exposeString('title', { description: 'Title, as the buyer names it.' }),
    buyer: t.exposeString('buyer', { description: 'Who buys: the public body, the company, the organiser or the client.' }),
    reference: t.exposeString('reference', { nullable: true, description: "The buyer's reference for the call, if any." }),
    description: t.exposeString('description', { description: 'What is asked, in a few paragraphs (may be empty).' }),
    url: t.exposeString('url', { nullable: true, description: 'Where the call is published (buyer profile, platform).' }),
    questionsDeadline: t.expose('questionsDeadline', {
      type: 'DateTime',
      nullable: true,
      description: `Last moment to ask the buyer questions. ${PARIS_NOTE}`,
    }),
    submissionDeadline: t.expose('submissionDeadline', {
      type: 'DateTime',
      nullable: true,
      description: `Last moment to hand in the offer; no deal is submitted after it. ${PARIS_NOTE}`,
    }),
    broughtByCooperative: t.exposeBoolean('broughtByCooperative', {
      description: 'Whether the cooperative (its support staff) brought the opportunity to its members.',
    }),
    broughtBy: t.relation('broughtBy', { nullable: true, description: 'Who brought it, if known.' }),
    lots: t.relation('lots', {
      description: 'Its lots, by number (empty when the call is not divided into lots).',
      query: { orderBy: [{ number: 'asc' }] },
    }),
    collectives: t.relation('collectives', {
      description: 'The collectives formed to answer it, by name.',
      query: { orderBy: [{ name: 'asc' }, { id: 'asc' }] },
    }),
    deals: relatedKeysetConnection(t, 'deals', {
      description: 'The co-contracting deals answering it that you may see, newest first.',
      where: (_args, context) => dealVisibleWhere(context),
      orderBy: () => [{ createdAt: 'desc' }, { id: 'asc' }],
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was recorded.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change.' }),
  }),
});

builder.prismaNode('OpportunityLot', {
  description: 'One lot of an opportunity divided into lots; a deal may answer one lot.',
  id: { field: 'id' },
  // A missing ID answers null, not an error.
  nullable: true,
  authScopes: { member: true },
  fields: (t) => ({
    number: t.exposeInt('number', { description: 'Its number within the opportunity, unique there.' }),
    title: t.exposeString('title', { description: 'What the lot covers.' }),
    estimatedAmountCents: t.exposeInt('estimatedAmountCents', {
      nullable: true,
      description: "The buyer's estimate, in cents excluding VAT, if published.",
    }),
    opportunity: t.relation('opportunity', { description: 'The opportunity it belongs to.' }),
  }),
});

interface Deadline {
  kind: 'QUESTIONS' | 'SUBMISSION';
  at: Date;
  opportunity: Opportunity;
}

const OpportunityDeadlineRef = builder.objectRef<Deadline>('OpportunityDeadline').implement({
  description: 'A deadline of an opportunity coming up: a countdown to show.',
  authScopes: { member: true },
  fields: (t) => ({
    kind: t.field({ type: OpportunityDeadlineKindEnum, description: 'Questions or submission.', resolve: (d) => d.kind }),
    at: t.field({ type: 'DateTime', description: `When it falls. ${PARIS_NOTE}`, resolve: (d) => d.at }),
    day: t.field({
      type: 'Date',
      description: 'The calendar day it falls on, in Paris.',
      resolve: (d) => parisDay(d.at),
    }),
    opportunity: t.field({ type: OpportunityRef, description: 'The opportunity.', resolve: (d) => d.opportunity }),
  }),
});

const DAY_MS = 86_400_000;

builder.queryFields((t) => ({
  opportunities: keysetConnection(t, {
    type: 'Opportunity',
    description: "The cooperative's opportunities, filtered and sorted. Every active member sees them all.",
    args: {
      kind: t.arg({ type: OpportunityKindEnum, description: 'Only this kind.' }),
      broughtByCooperative: t.arg.boolean({ description: 'Only those the cooperative brought (true), or the others (false).' }),
      open: t.arg.boolean({
        description: 'Only those still open (submission deadline not passed, or none) when true; only closed ones when false.',
      }),
      search: t.arg.string({ description: 'Words found in the title, the buyer or the reference, any case.' }),
      orderBy: t.arg({ type: OpportunityOrder, defaultValue: 'NEWEST', description: 'Sort order.' }),
    },
    where: (args) => opportunitiesWhere(args, new Date()),
    orderBy: (args) => opportunityOrder(args.orderBy),
  }),
  upcomingDeadlines: t.field({
    type: [OpportunityDeadlineRef],
    description:
      'Questions and submission deadlines falling between now and `withinDays` days from now, soonest first. An opportunity with both deadlines in the window appears twice.',
    args: {
      withinDays: t.arg.int({
        defaultValue: 30,
        description: `How many days ahead to look (${describeBound(BOUNDS.withinDays)}).`,
        validate: bounded('withinDays'),
      }),
    },
    resolve: async (_root, args, context, info) => {
      const now = new Date();
      const until = new Date(now.getTime() + (args.withinDays ?? 30) * DAY_MS);
      const window = { gte: now, lte: until };
      const query = queryFromInfo({
        context,
        info,
        typeName: 'Opportunity',
        path: ['opportunity'],
        select: { questionsDeadline: true, submissionDeadline: true },
      });
      const rows = (await context.prisma.opportunity.findMany({
        ...query,
        where: { OR: [{ questionsDeadline: window }, { submissionDeadline: window }] },
      })) as Opportunity[];
      const within = (at: Date | null): at is Date => at !== null && at >= now && at <= until;
      return rows
        .flatMap((opportunity): Deadline[] => [
          ...(within(opportunity.questionsDeadline)
            ? [{ kind: 'QUESTIONS' as const, at: opportunity.questionsDeadline, opportunity }]
            : []),
          ...(within(opportunity.submissionDeadline)
            ? [{ kind: 'SUBMISSION' as const, at: opportunity.submissionDeadline, opportunity }]
            : []),
        ])
        .sort((a, b) => a.at.getTime() - b.at.getTime() || a.opportunity.id.localeCompare(b.opportunity.id));
    },
  }),
}));

function opportunitiesWhere(
  args: { kind?: OpportunityKind | null; broughtByCooperative?: boolean | null; open?: boolean | null; search?: string | null },
  now: Date,
): Prisma.OpportunityWhereInput {
  const and: Prisma.OpportunityWhereInput[] = [];
  if (args.kind) and.push({ kind: args.kind });
  if (args.broughtByCooperative != null) and.push({ broughtByCooperative: args.broughtByCooperative });
  if (args.open === true) and.push({ OR: [{ submissionDeadline: null }, { submissionDeadline: { gte: now } }] });
  if (args.open === false) and.push({ submissionDeadline: { lt: now } });
  for (const word of args.search?.trim().split(/\s+/).filter(Boolean) ?? []) {
    and.push({
      OR: [
        { title: { contains: word, mode: 'insensitive' } },
        { buyer: { contains: word, mode: 'insensitive' } },
        { reference: { contains: word, mode: 'insensitive' } },
      ],
    });
  }
  return and.length > 0 ? { AND: and } : {};
}

function opportunityOrder(order: 'SUBMISSION_DEADLINE' | 'NEWEST' | null | undefined): KeysetOrder {
  if (order === 'SUBMISSION_DEADLINE') return [{ submissionDeadline: { sort: 'asc', nulls: 'last' } }, { id: 'asc' }];
  return [{ createdAt: 'desc' }, { id: 'asc' }];
}

// ───────────────────────────── Mutations ─────────────────────────────

const title = z.string().trim().min(1, 'A title is required.').max(300, 'At most 300 characters.');
const buyer = z.string().trim().min(1, 'The buyer is required.').max(300, 'At most 300 characters.');
const reference = z.string().trim().max(120, 'At most 120 characters.');
const description = z.string().max(20_000, 'At most 20 000 characters.');
const url = z
  .url({ protocol: /^https?$/, error: 'Adresse web invalide : http ou https attendu.' })
  .max(2000, 'At most 2000 characters.');

const OpportunityLotInput = builder.inputType('OpportunityLotInput', {
  description: 'One lot of an opportunity.',
  fields: (t) => ({
    number: t.int({
      required: true,
      description: `Its number, unique within the opportunity (${describeBound(BOUNDS.lotNumber)}).`,
      validate: bounded('lotNumber'),
    }),
    title: t.string({ required: true, description: 'What the lot covers.', validate: title }),
    estimatedAmountCents: t.int({
      description: `The buyer's estimate, in cents excluding VAT (${describeBound(BOUNDS.amountCents)}).`,
      validate: bounded('amountCents'),
    }),
  }),
});

const lotsField = z.array(z.unknown()).max(200, 'At most 200 lots.');

const CreateOpportunityInput = builder.inputType('CreateOpportunityInput', {
  description:
    'A new opportunity. Any active member records one; it is brought by them unless they name someone else. One the cooperative brings is brought by a member of the support staff.',
  fields: (t) => ({
    kind: t.field({ type: OpportunityKindEnum, required: true, description: 'What kind of opportunity.' }),
    title: t.string({ required: true, description: 'Title (required).', validate: title }),
    buyer: t.string({ required: true, description: 'Who buys (required).', validate: buyer }),
    reference: t.string({ description: "The buyer's reference.", validate: reference }),
    description: t.string({ description: 'What is asked.', validate: description }),
    url: t.string({ description: 'Where the call is published (http or https).', validate: url }),
    questionsDeadline: t.field({
      type: 'DateTime',
      description: `Last moment for questions; at or before the submission deadline. ${PARIS_NOTE}`,
    }),
    submissionDeadline: t.field({ type: 'DateTime', description: `Last moment to hand in the offer. ${PARIS_NOTE}` }),
    broughtByCooperative: t.boolean({
      description: 'Whether the cooperative brings it; then its bringer is a member of the support staff. Defaults to false.',
    }),
    broughtById: t.globalID({ description: 'Who brought it: yourself when omitted, nobody when null.' }),
    lots: t.field({ type: [OpportunityLotInput], description: 'Its lots, with distinct numbers.', validate: lotsField }),
  }),
});

const UpdateOpportunityInput = builder.inputType('UpdateOpportunityInput', {
  description:
    'Changes to an opportunity; omitted fields stay as they are, and null clears an optional one. For the support staff and the member who brought it.',
  fields: (t) => ({
    id: t.globalID({ required: true, description: 'The opportunity.' }),
    kind: t.field({ type: OpportunityKindEnum, description: 'New kind.' }),
    title: t.string({ description: 'New title.', validate: title }),
    buyer: t.string({ description: 'New buyer.', validate: buyer }),
    reference: t.string({ description: 'New reference; null clears it.', validate: reference }),
    description: t.string({ description: 'New description.', validate: description }),
    url: t.string({ description: 'New address; null clears it.', validate: url }),
    questionsDeadline: t.field({ type: 'DateTime', description: `New questions deadline; null clears it. ${PARIS_NOTE}` }),
    submissionDeadline: t.field({ type: 'DateTime', description: `New submission deadline; null clears it. ${PARIS_NOTE}` }),
    broughtByCooperative: t.boolean({ description: 'Whether the cooperative brings it.' }),
    broughtById: t.globalID({ description: 'Who brought it; null for nobody.' }),
    lots: t.field({
      type: [OpportunityLotInput],
      description:
        'The whole new list of lots, matched by number: a kept number keeps its lot (and its deals); a lot a deal answers cannot be removed.',
      validate: lotsField,
    }),
  }),
});

function bringerId(value: { typename: string; id: string } | null | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  return value === null ? null : idOf(value, 'Member', 'input.broughtById');
}

builder.mutationFields((t) => ({
  createOpportunity: t.prismaField({
    type: 'Opportunity',
    description: 'Records an opportunity in the shared pipeline. Any active member may.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: CreateOpportunityInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const opportunity = await context.prisma.$transaction((tx) =>
        createOpportunity(tx, context, { ...input, broughtById: bringerId(input.broughtById) }),
      );
      return context.prisma.opportunity.findUniqueOrThrow({ ...query, where: { id: opportunity.id } });
    },
  }),
  updateOpportunity: t.prismaField({
    type: 'Opportunity',
    description: 'Changes an opportunity. For the support staff and the member who brought it.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: UpdateOpportunityInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const id = idOf(input.id, 'Opportunity', 'input.id');
      const { id: _id, broughtById, ...changes } = input;
      const opportunity = await context.prisma.$transaction((tx) =>
        updateOpportunity(tx, context, id, { ...changes, broughtById: bringerId(broughtById) } satisfies OpportunityInput),
      );
      return context.prisma.opportunity.findUniqueOrThrow({ ...query, where: { id: opportunity.id } });
    },
  }),
}));
