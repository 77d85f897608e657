import type { SqlRunner } from '../db/database.js';
import { ForbiddenError, NotFoundError, RuleViolationError } from '../errors.js';
import { recordEvent } from '../events/record.js';
import type { EventTypeOf } from '../events/types.js';
import type { Member, Prisma, TenderResponse, TenderSection } from '../generated/prisma/client.js';
import type { DealStatus, OpportunityKind, SectionKind, SectionStatus } from '../generated/prisma/enums.js';
import { changesNothing } from './unchanged.js';

export type Tx = Prisma.TransactionClient;

/** Who is acting: the viewer, whether they are support staff, and the collectives they are an active member of. */
export interface Actor {
  member: Member;
  isSupportStaff: boolean;
  insiderOf: ReadonlySet<string>;
}

// ───────────────────────────── Pure rules ─────────────────────────────

/** The title a section of each kind gets when none is given (the documents of a French bid). */
export const SECTION_TITLES: Record<SectionKind, string> = {
  CANDIDACY_FORMS: 'Formulaires de candidature (DC1, DC2)',
  TECHNICAL_PROPOSAL: 'Mémoire technique',
  PRICE_SCHEDULE: 'Bordereau des prix',
  PLANNING: 'Planning',
  REFERENCES: 'Références',
  CVS: 'CV des intervenants',
  PROJECT_DESCRIPTION: 'Description du projet',
  BUDGET: 'Budget et cofinancements',
  FREE: 'Section libre',
};

const TENDER_SECTIONS: SectionKind[] = [
  'CANDIDACY_FORMS',
  'TECHNICAL_PROPOSAL',
  'PRICE_SCHEDULE',
  'PLANNING',
  'REFERENCES',
  'CVS',
];
const CALL_FOR_PROJECTS_SECTIONS: SectionKind[] = ['PROJECT_DESCRIPTION', 'BUDGET'];

/** The standard sections, in order: a call for projects needs a description and a budget, anything else the tender documents. */
export function defaultSections(kind: OpportunityKind | null): Array<{ kind: SectionKind; title: string }> {
  const kinds = kind === 'CALL_FOR_PROJECTS' ? CALL_FOR_PROJECTS_SECTIONS : TENDER_SECTIONS;
  return kinds.map((section) => ({ kind: section, title: SECTION_TITLES[section] }));
}

/** A deal at or past submission (in the enum's order) freezes its response. */
export const LOCKED_DEAL_STATUSES: DealStatus[] = ['SUBMITTED', 'WON', 'LOST', 'UNSUCCESSFUL', 'ABANDONED'];

/** Whether a response is read-only: submitted itself, or its deal is submitted or decided. */
export function isSubmitted(response: { submittedAt: Date | null; deal: { status: DealStatus } | null }): boolean {
  return response.submittedAt !== null || (response.deal !== null && LOCKED_DEAL_STATUSES.includes(response.deal.status));
}

/** Legal moves: TODO → DRAFT → REVIEW → DONE, plus REVIEW → DRAFT (changes requested) and DONE → DRAFT (reopened). */
export const SECTION_TRANSITIONS: Record<SectionStatus, SectionStatus[]> = {
  TODO: ['DRAFT'],
  DRAFT: ['REVIEW'],
  REVIEW: ['DONE', 'DRAFT'],
  DONE: ['DRAFT'],
};

/**
 * Checks a status change of a section by `actorId`. Going to review needs a reviewer; only the reviewer
 * marks a section done. A section without a reviewer cannot be done: it reaches DONE only from REVIEW,
 * which needs one, and the reviewer cannot be removed while the section is in review.
 */
export function checkStatusChange(
  section: { status: SectionStatus; reviewerId: string | null },
  to: SectionStatus,
  actorId: string,
): void {
  if (!SECTION_TRANSITIONS[section.status].includes(to)) throw new RuleViolationError('input.status', 'INVALID_STATUS_CHANGE');
  if (to === 'REVIEW' && !section.reviewerId) throw new RuleViolationError('input.status', 'REVIEWER_REQUIRED');
  if (to === 'DONE' && section.reviewerId !== actorId) throw new RuleViolationError('input.status', 'ONLY_REVIEWER_COMPLETES');
}

/** A word or character limit is a positive whole number, or absent. */
export function checkLimit(limit: number | null, field: string): void {
  if (limit !== null && !(Number.isInteger(limit) && limit > 0)) throw new RuleViolationError(field, 'LIMIT_NOT_POSITIVE');
}

/** A section is due no later than the opportunity's submission deadline. */
export function checkDueAt(dueAt: Date | null, deadline: Date | null, field: string): void {
  if (dueAt && deadline && dueAt.getTime() > deadline.getTime()) throw new RuleViolationError(field, 'DUE_AFTER_DEADLINE');
}

type Counted = Pick<TenderSection, 'wordCount' | 'characterCount' | 'wordLimit' | 'characterLimit'>;

/** Over its word limit or its character limit (either one, when both are set). */
export function isOverLimit(section: Counted): boolean {
  return (
    (section.wordLimit !== null && section.wordCount > section.wordLimit) ||
    (section.characterLimit !== null && section.characterCount > section.characterLimit)
  );
}

/** The section's own due date, or else the opportunity's submission deadline. */
export function effectiveDueAt(dueAt: Date | null, deadline: Date | null | undefined): Date | null {
  return dueAt ?? deadline ?? null;
}

export interface Checklist {
  total: number;
  done: number;
  inReview: number;
  overLimit: number;
  /** done / total, from 0 to 1 (0 for a response without sections). */
  progress: number;
}

/** The progress figures of a list of sections. */
export function checklistOf(sections: Array<Counted & Pick<TenderSection, 'status'>>): Checklist {
  const total = sections.length;
  const done = sections.filter((section) => section.status === 'DONE').length;
  return {
    total,
    done,
    inReview: sections.filter((section) => section.status === 'REVIEW').length,
    overLimit: sections.filter(isOverLimit).length,
    progress: total === 0 ? 0 : done / total,
  };
}

// ───────────────────────────── Access ─────────────────────────────

const RESPONSE_CONTEXT = {
  deal: { select: { id: true, status: true, partners: { where: { status: 'ACTIVE' as const } } } },
  opportunity: { select: { kind: true, submissionDeadline: true } },
} satisfies Prisma.TenderResponseInclude;

export type LoadedResponse = Prisma.TenderResponseGetPayload<{ include: typeof RESPONSE_CONTEXT }>;

export type Rights = 'change' | 'read' | 'none';

/** A response is changed by its collective's active members and its deal's active member-partners, read by the support staff. */
function rightsOnResponse(actor: Actor, response: LoadedResponse): Rights {
  const partner = response.deal?.partners.some((p) => p.memberId === actor.member.id) ?? false;
  if (actor.member.situation === 'ACTIVE' && (actor.insiderOf.has(response.collectiveId) || partner)) return 'change';
  return actor.isSupportStaff ? 'read' : 'none';
}

/** A deal's active partner as the rules on restricted sections read it: its ID, its member (none: a company), whether it leads. */
export interface SectionPartner {
  id: string;
  memberId: string | null;
  isLead: boolean;
}

/**
 * The members who open a restricted section owned by `ownerPartnerId`, among its deal's active `partners`: the owner
 * partner's member and the lead's (the support staff aside), in the partners' order. The one statement of that rule:
 * `rightsOnSection`, `readersLost`, and domain/deals.ts once a deal's partners change.
 */
export function restrictedSectionReaders(partners: readonly SectionPartner[], ownerPartnerId: string | null): string[] {
  return partners.flatMap((p) => (p.memberId && (p.isLead || p.id === ownerPartnerId) ? [p.memberId] : []));
}

/** Whether the actor is the member of the lead partner or of this owner partner: those see a restricted section. */
function seesRestricted(actor: Actor, response: LoadedResponse, ownerPartnerId: string | null): boolean {
  return restrictedSectionReaders(response.deal?.partners ?? [], ownerPartnerId).includes(actor.member.id);
}

function rightsOnSection(actor: Actor, response: LoadedResponse, section: TenderSection): Rights {
  const rights = rightsOnResponse(actor, response);
  if (!section.restricted || rights === 'none' || seesRestricted(actor, response, section.ownerPartnerId)) return rights;
  return actor.isSupportStaff ? 'read' : 'none';
}

function requireRights(rights: Rights, field: string, what: string): void {
  if (rights === 'change') return;
  if (rights === 'read')
    throw new ForbiddenError('Seuls les membres actifs du collectif et les partenaires de l’affaire peuvent modifier ceci.');
  throw new NotFoundError(field, what);
}

/** Locks a response's row for the transaction (section order and status checks run one at a time) and loads what its rules need. */
async function lockResponse(tx: Tx, responseId: string, field: string): Promise<LoadedResponse> {
  await tx.$queryRaw`SELECT id FROM "TenderResponse" WHERE id = ${responseId}::uuid FOR UPDATE`;
  const response = await tx.tenderResponse.findUnique({ where: { id: responseId }, include: RESPONSE_CONTEXT });
  if (!response) throw new NotFoundError(field, 'TenderResponse');
  return response;
}

/** A response the actor may change and that is not submitted yet. */
async function changeableResponse(tx: Tx, actor: Actor, responseId: string, field: string): Promise<LoadedResponse> {
  const response = await lockResponse(tx, responseId, field);
  requireRights(rightsOnResponse(actor, response), field, 'tender response');
  if (isSubmitted(response)) throw new RuleViolationError(field, 'SUBMITTED_READ_ONLY');
  return response;
}

/** A section the actor may see and change, with its locked, not yet submitted response. */
async function changeableSection(tx: Tx, actor: Actor, sectionId: string, field: string) {
  const found = await tx.tenderSection.findUnique({ where: { id: sectionId }, select: { responseId: true } });
  if (!found) throw new NotFoundError(field, 'TenderSection');
  const response = await lockResponse(tx, found.responseId, field);
  const section = await tx.tenderSection.findUnique({ where: { id: sectionId } });
  if (!section) throw new NotFoundError(field, 'TenderSection');
  requireRights(rightsOnSection(actor, response, section), field, 'section');
  if (isSubmitted(response)) throw new RuleViolationError(field, 'SUBMITTED_READ_ONLY');
  return { response, section };
}

/** Whether a member works on this response: an active member of its collective or an active member-partner of its deal. */
async function isContributor(tx: Tx, response: LoadedResponse, memberId: string): Promise<boolean> {
  const member = await tx.member.findUnique({
    where: { id: memberId },
    select: {
      situation: true,
      memberships: { where: { collectiveId: response.collectiveId, status: 'ACTIVE' }, select: { id: true }, take: 1 },
    },
  });
  if (member?.situation !== 'ACTIVE') return false;
  return member.memberships.length > 0 || (response.deal?.partners.some((p) => p.memberId === memberId) ?? false);
}

// ───────────────────────────── Changes ─────────────────────────────

function event(
  tx: Tx,
  type: EventTypeOf<'tenderResponse' | 'tenderSection'>,
  actor: Pick<Actor, 'member'>,
  response: TenderResponse,
  section: TenderSection | null,
  payload = {},
) {
  return recordEvent(tx, {
    type,
    subject: section ? { typename: 'TenderSection', id: section.id } : { typename: 'TenderResponse', id: response.id },
    collectiveId: response.collectiveId,
    actorId: actor.member.id,
    payload: section
      ? {
          responseId: response.id,
          kind: section.kind,
          // A restricted section's title is for those who may open it: a screen reloads the node.
          title: section.restricted ? null : section.title,
          position: section.position,
          status: section.status,
          assigneeId: section.assigneeId,
          reviewerId: section.reviewerId,
          dueAt: section.dueAt?.toISOString() ?? null,
          restricted: section.restricted,
          // Who may read a restricted section's events, for an instance that reads them once it is removed.
          ...(section.restricted ? { ownerPartnerId: section.ownerPartnerId } : {}),
          ...payload,
        }
      : { title: response.title, dealId: response.dealId, opportunityId: response.opportunityId, ...payload },
  });
}

export interface CreateResponseInput {
  dealId: string | null;
  opportunityId: string | null;
  collectiveId: string | null;
  title: string | null;
  withDefaultSections: boolean;
}

/**
 * Creates the response of a deal (collective and opportunity are the deal's; one per deal) or of a call
 * for projects answered by a collective the actor is an active member of, with the standard sections if asked.
 */
export async function createResponse(tx: Tx, actor: Actor, input: CreateResponseInput): Promise<TenderResponse> {
  let target: { collectiveId: string; dealId: string | null; opportunityId: string; title: string; kind: OpportunityKind };
  if (input.dealId) {
    if (input.opportunityId) throw new RuleViolationError('input.opportunityId', 'DEAL_OR_CALL_FOR_PROJECTS');
    if (input.collectiveId) throw new RuleViolationError('input.collectiveId', 'DEAL_OR_CALL_FOR_PROJECTS');
    // One response per deal: the deal's row is held so two creations cannot race past the check.
    await tx.$queryRaw`SELECT id FROM "Deal" WHERE id = ${input.dealId}::uuid FOR UPDATE`;
    const deal = await tx.deal.findUnique({
      where: { id: input.dealId },
      include: {
        partners: { where: { status: 'ACTIVE' }, select: { memberId: true } },
        opportunity: { select: { kind: true } },
        tenderResponse: { select: { id: true } },
      },
    });
    if (!deal) throw new NotFoundError('input.dealId', 'Deal');
    const partner = deal.partners.some((p) => p.memberId === actor.member.id);
    const insider = actor.insiderOf.has(deal.collectiveId);
    requireRights(
      actor.member.situation === 'ACTIVE' && (insider || partner) ? 'change' : actor.isSupportStaff ? 'read' : 'none',
      'input.dealId',
      'deal',
    );
    if (deal.tenderResponse) throw new RuleViolationError('input.dealId', 'RESPONSE_EXISTS');
    if (LOCKED_DEAL_STATUSES.includes(deal.status)) throw new RuleViolationError('input.dealId', 'SUBMITTED_READ_ONLY');
    target = {
      collectiveId: deal.collectiveId,
      dealId: deal.id,
      opportunityId: deal.opportunityId,
      title: deal.title,
      kind: deal.opportunity.kind,
    };
  } else {
    if (!input.opportunityId) throw new RuleViolationError('input.dealId', 'REQUIRED');
    if (!input.collectiveId) throw new RuleViolationError('input.collectiveId', 'REQUIRED');
    const insider = actor.member.situation === 'ACTIVE' && actor.insiderOf.has(input.collectiveId);
    requireRights(insider ? 'change' : actor.isSupportStaff ? 'read' : 'none', 'input.collectiveId', 'collective');
    const opportunity = await tx.opportunity.findUnique({ where: { id: input.opportunityId } });
    if (!opportunity) throw new NotFoundError('input.opportunityId', 'Opportunity');
    if (opportunity.kind !== 'CALL_FOR_PROJECTS') throw new RuleViolationError('input.opportunityId', 'NOT_A_CALL_FOR_PROJECTS');
    target = {
      collectiveId: input.collectiveId,
      dealId: null,
      opportunityId: opportunity.id,
      title: opportunity.title,
      kind: opportunity.kind,
    };
  }
  const sections = input.withDefaultSections ? defaultSections(target.kind) : [];
  const response = await tx.tenderResponse.create({
    data: {
      collectiveId: target.collectiveId,
      dealId: target.dealId,
      opportunityId: target.opportunityId,
      title: input.title ?? target.title,
      sections: { create: sections.map((section, index) => ({ ...section, position: index + 1 })) },
    },
  });
  await event(tx, 'tenderResponse.created', actor, response, null, { sections: sections.length });
  return response;
}

/** Renames a response. */
export async function updateResponse(tx: Tx, actor: Actor, responseId: string, title: string): Promise<TenderResponse> {
  const current = await changeableResponse(tx, actor, responseId, 'input.responseId');
  if (changesNothing(current, { title })) return current;
  const response = await tx.tenderResponse.update({ where: { id: responseId }, data: { title } });
  await event(tx, 'tenderResponse.updated', actor, response, null);
  return response;
}

/** What a section's settings may change to; `undefined` keeps the current value, `null` clears it. */
export interface SectionSettings {
  title?: string | null;
  assigneeId?: string | null;
  reviewerId?: string | null;
  dueAt?: Date | null;
  wordLimit?: number | null;
  characterLimit?: number | null;
  restricted?: boolean | null;
  ownerPartnerId?: string | null;
}

type Settled = Pick<
  TenderSection,
  'title' | 'assigneeId' | 'reviewerId' | 'dueAt' | 'wordLimit' | 'characterLimit' | 'restricted' | 'ownerPartnerId'
>;

/** Applies `changes` to `current` and checks every settings rule on the result; returns the new settings. */
async function settle(
  tx: Tx,
  actor: Actor,
  response: LoadedResponse,
  current: Settled & { status: SectionStatus },
  changes: SectionSettings,
): Promise<Settled> {
  const pick = <K extends keyof Settled>(key: K): Settled[K] =>
    changes[key] === undefined ? current[key] : (changes[key] as Settled[K]);
  const next: Settled = {
    title: changes.title ?? current.title,
    assigneeId: pick('assigneeId'),
    reviewerId: pick('reviewerId'),
    dueAt: pick('dueAt'),
    wordLimit: pick('wordLimit'),
    characterLimit: pick('characterLimit'),
    restricted: changes.restricted ?? current.restricted,
    ownerPartnerId: pick('ownerPartnerId'),
  };
  if (changes.assigneeId && !(await isContributor(tx, response, changes.assigneeId)))
    throw new RuleViolationError('input.assigneeId', 'NOT_A_CONTRIBUTOR');
  if (changes.reviewerId && !(await isContributor(tx, response, changes.reviewerId)))
    throw new RuleViolationError('input.reviewerId', 'NOT_A_CONTRIBUTOR');
  if (current.status === 'REVIEW' && !next.reviewerId) throw new RuleViolationError('input.reviewerId', 'REVIEWER_REQUIRED');
  if (changes.dueAt !== undefined) checkDueAt(next.dueAt, response.opportunity?.submissionDeadline ?? null, 'input.dueAt');
  checkLimit(next.wordLimit, 'input.wordLimit');
  checkLimit(next.characterLimit, 'input.characterLimit');
  const partners = response.deal?.partners ?? [];
  if (changes.ownerPartnerId && !partners.some((p) => p.id === changes.ownerPartnerId))
    throw new RuleViolationError('input.ownerPartnerId', 'NOT_A_DEAL_PARTNER');
  if (next.restricted) {
    if (!next.ownerPartnerId) throw new RuleViolationError('input.ownerPartnerId', 'OWNER_REQUIRED');
    const restrictionChanged = !current.restricted || next.ownerPartnerId !== current.ownerPartnerId;
    if (restrictionChanged && !seesRestricted(actor, response, next.ownerPartnerId))
      throw new RuleViolationError(
        changes.restricted ? 'input.restricted' : 'input.ownerPartnerId',
        'RESTRICTED_BY_OWNER_OR_LEAD',
      );
    // Whoever works on a restricted section must be able to open it.
    const readers = restrictedSectionReaders(partners, next.ownerPartnerId);
    const opens = (memberId: string) => readers.includes(memberId);
    const people: Array<['assigneeId' | 'reviewerId', string | null]> = [
      ['assigneeId', next.assigneeId],
      ['reviewerId', next.reviewerId],
    ];
    for (const [key, memberId] of people) {
      if (memberId && (restrictionChanged || changes[key]) && !opens(memberId))
        throw new RuleViolationError(changes[key] ? `input.${key}` : 'input.restricted', 'RESTRICTED_CONTRIBUTOR');
    }
  }
  return next;
}

/** Appends a section to a response. A free section needs its title; the others default to their document's. */
export async function addSection(
  tx: Tx,
  actor: Actor,
  responseId: string,
  kind: SectionKind,
  settings: SectionSettings,
): Promise<TenderSection> {
  const response = await changeableResponse(tx, actor, responseId, 'input.responseId');
  if (kind === 'FREE' && !settings.title) throw new RuleViolationError('input.title', 'REQUIRED');
  const blank: Settled & { status: SectionStatus } = {
    title: SECTION_TITLES[kind],
    assigneeId: null,
    reviewerId: null,
    dueAt: null,
    wordLimit: null,
    characterLimit: null,
    restricted: false,
    ownerPartnerId: null,
    status: 'TODO',
  };
  const next = await settle(tx, actor, response, blank, settings);
  const last = await tx.tenderSection.aggregate({ where: { responseId }, _max: { position: true } });
  const section = await tx.tenderSection.create({
    data: { ...next, kind, responseId, position: (last._max.position ?? 0) + 1 },
  });
  await event(tx, 'tenderSection.added', actor, response, section);
  return section;
}

/** Changes a section's title, people, due date, limits or restriction. */
export async function updateSection(tx: Tx, actor: Actor, sectionId: string, changes: SectionSettings): Promise<TenderSection> {
  const { response, section } = await changeableSection(tx, actor, sectionId, 'input.sectionId');
  const next = await settle(tx, actor, response, section, changes);
  if (changesNothing(section, next)) return section;
  const updated = await tx.tenderSection.update({ where: { id: section.id }, data: next });
  // Restricted now, or to another partner: those who could read it and no longer can are told so (the update
  // itself is only its readers'), or a page of theirs would list its title and figures until reloaded. Only they:
  // to anyone else the event would name a section they never could open.
  if (updated.restricted && (!section.restricted || section.ownerPartnerId !== updated.ownerPartnerId)) {
    await withdrawn(tx, actor.member, response, updated, await readersLost(tx, response, section, updated));
  }
  await event(tx, 'tenderSection.updated', actor, response, updated);
  return updated;
}

/**
 * Records `tenderSection.withdrawn` for the members in `lostBy` (none: nothing), who no longer open `section`. Before
 * the change's `tenderSection.updated`, an access change (live/lifecycle.ts `ACCESS_EVENTS`) that ends the streams of
 * one who lost the deal with the section (a dropped partner from outside the collective): told first, they are told
 * (attack of stop 28: after it, their stream had ended).
 */
async function withdrawn(tx: Tx, actor: Member, response: TenderResponse, section: TenderSection, lostBy: string[]) {
  if (lostBy.length === 0) return;
  await recordEvent(tx, {
    type: 'tenderSection.withdrawn',
    subject: { typename: 'TenderSection', id: section.id },
    collectiveId: response.collectiveId,
    actorId: actor.id,
    payload: { responseId: response.id, lostBy },
  });
}

/**
 * Records what a change of a deal's partners (domain/deals.ts `setDealPartners`, `substituteDealPartner`, by `actor`)
 * did to a restricted section of its `response`, `before` → `after` (its owner, assignee or reviewer handed over, or
 * only its readers changed with the lead): `tenderSection.updated` with the section as it is, for its readers now (a
 * new lead among them), and `tenderSection.withdrawn` for those who opened it among `partnersBefore` and do not among
 * `partnersAfter` (a former lead, a dropped owner's member), as `updateSection` tells those it restricts a section
 * away from. Before, nothing was recorded: a screen fed by events kept the old owner and people, and one that lost
 * the section kept listing it. Records nothing when neither the row nor its readers changed.
 */
export async function recordReadersChange(
  tx: Tx,
  actor: Member,
  response: TenderResponse,
  before: TenderSection,
  after: TenderSection,
  partnersBefore: readonly SectionPartner[],
  partnersAfter: readonly SectionPartner[],
): Promise<void> {
  const readersBefore = new Set(restrictedSectionReaders(partnersBefore, before.ownerPartnerId));
  const readersAfter = new Set(restrictedSectionReaders(partnersAfter, after.ownerPartnerId));
  const lostBy = [...readersBefore].filter((id) => !readersAfter.has(id));
  const gained = [...readersAfter].some((id) => !readersBefore.has(id));
  const people = (section: TenderSection) => [section.ownerPartnerId, section.assigneeId, section.reviewerId].join();
  if (people(before) === people(after) && !gained && lostBy.length === 0) return;
  await withdrawn(tx, actor, response, after, lostBy);
  await event(tx, 'tenderSection.updated', { member: actor }, response, after);
}

/**
 * `{ readers }`, a restricted section's readers (`restrictedSectionReaders`) for its removal's payload, kept by the
 * server alone (events/types.ts `INTERNAL_PAYLOAD_KEYS`): an instance started after the removal judges the section's
 * events still in the log by them (events/visibility.ts `DeliveryIndex.load`). Nothing for an open section.
 */
function readersOf(response: LoadedResponse, section: TenderSection): { readers?: string[] } {
  return section.restricted ? { readers: restrictedSectionReaders(response.deal?.partners ?? [], section.ownerPartnerId) } : {};
}

/**
 * The member IDs of those who could open `before` and cannot open `after` (the section restricted, or given to
 * another partner), in no order: whom its `tenderSection.withdrawn` event is for. An open section is opened by the
 * response's contributors (its collective's active members, its deal's active member-partners); a restricted one by
 * its owner partner's member and the lead's (the rule of `rightsOnSection` above). The support staff open every section.
 */
async function readersLost(tx: Tx, response: LoadedResponse, before: TenderSection, after: TenderSection): Promise<string[]> {
  const partners = response.deal?.partners ?? [];
  const former = new Set<string>();
  if (before.restricted) for (const id of restrictedSectionReaders(partners, before.ownerPartnerId)) former.add(id);
  else {
    const insiders = await tx.membership.findMany({
      where: { collectiveId: response.collectiveId, status: 'ACTIVE' },
      select: { memberId: true },
    });
    for (const { memberId } of insiders) former.add(memberId);
    for (const { memberId } of partners) if (memberId) former.add(memberId);
  }
  for (const id of restrictedSectionReaders(partners, after.ownerPartnerId)) former.delete(id);
  return [...former];
}

/** Gives positions 1…n to the sections in this order (positions are unique, so the rows step aside first). */
async function renumber(tx: Tx, responseId: string, orderedIds: string[]): Promise<void> {
  await tx.$executeRaw`UPDATE "TenderSection" SET position = -position - 1 WHERE "responseId" = ${responseId}::uuid`;
  for (const [index, id] of orderedIds.entries()) {
    await tx.tenderSection.update({ where: { id }, data: { position: index + 1 } });
  }
}

/**
 * Moves a section to `position` (1 is first; positions count every section, restricted ones included). To the
 * position it has, it writes nothing and records no event.
 */
export async function moveSection(tx: Tx, actor: Actor, sectionId: string, position: number): Promise<TenderSection> {
  const { response, section } = await changeableSection(tx, actor, sectionId, 'input.sectionId');
  const order = await tx.tenderSection.findMany({
    where: { responseId: response.id },
    orderBy: { position: 'asc' },
    select: { id: true },
  });
  if (!Number.isInteger(position) || position < 1 || position > order.length)
    throw new RuleViolationError('input.position', 'POSITION_OUT_OF_RANGE');
  // To the position it has: nothing moves, no event (as any update that changes nothing).
  if (section.position === position) return section;
  const ids = order.map((row) => row.id).filter((id) => id !== section.id);
  ids.splice(position - 1, 0, section.id);
  await renumber(tx, response.id, ids);
  const moved = await tx.tenderSection.findUniqueOrThrow({ where: { id: section.id } });
  await event(tx, 'tenderSection.moved', actor, response, moved, { from: section.position });
  return moved;
}

/** Removes a section still to do and empty; the ones after it move up. Returns its response. */
export async function removeSection(tx: Tx, actor: Actor, sectionId: string): Promise<TenderResponse> {
  const { response, section } = await changeableSection(tx, actor, sectionId, 'input.sectionId');
  if (section.status !== 'TODO' || section.wordCount > 0 || section.characterCount > 0)
    throw new RuleViolationError('input.sectionId', 'SECTION_STARTED');
  await tx.tenderSection.delete({ where: { id: section.id } });
  const rest = await tx.tenderSection.findMany({
    where: { responseId: response.id },
    orderBy: { position: 'asc' },
    select: { id: true },
  });
  await renumber(
    tx,
    response.id,
    rest.map((row) => row.id),
  );
  await event(tx, 'tenderSection.removed', actor, response, section, readersOf(response, section));
  return response;
}

/** Moves a section along TODO → DRAFT → REVIEW → DONE (see `checkStatusChange`). */
export async function changeSectionStatus(
  tx: Tx,
  actor: Actor,
  sectionId: string,
  status: SectionStatus,
): Promise<TenderSection> {
  const { response, section } = await changeableSection(tx, actor, sectionId, 'input.sectionId');
  checkStatusChange(section, status, actor.member.id);
  const updated = await tx.tenderSection.update({ where: { id: section.id }, data: { status } });
  await event(tx, 'tenderSection.statusChanged', actor, response, updated, { from: section.status });
  return updated;
}

// ───────────────────────────── Co-editing ─────────────────────────────

/** What the actor may do with a section's body: `change`, `read` or `none` (then it does not exist for them). */
export async function sectionBodyAccess(
  tx: Tx | Prisma.TransactionClient,
  actor: Actor,
  sectionId: string,
): Promise<{ rights: Rights; section: TenderSection; submitted: boolean } | null> {
  const loaded = await loadSectionContext(tx, sectionId);
  return loaded && sectionAccessOf(actor, loaded);
}

/** A section with its response (deal status and active partners): what `sectionAccessOf` judges. */
export interface SectionContext {
  section: TenderSection;
  response: LoadedResponse;
}

/** Reads a section and what its rights depend on (2 statements); null when it does not exist. */
export async function loadSectionContext(tx: Tx | Prisma.TransactionClient, sectionId: string): Promise<SectionContext | null> {
  const section = await tx.tenderSection.findUnique({ where: { id: sectionId } });
  if (!section) return null;
  const response = await tx.tenderResponse.findUnique({ where: { id: section.responseId }, include: RESPONSE_CONTEXT });
  return response && { section, response };
}

const json = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

/** A pusher as the push's transaction read (and share-locked) them. */
export interface PusherStanding {
  situation: Member['situation'];
  kind: Member['kind'];
  /** An active member of the response's collective. */
  insider: boolean;
}

/** What a push batch's transaction reads: the section's rights context, its pushers' standing, the log's reach. */
export interface PushContext extends SectionContext {
  /** The pushers (of those asked) with an active membership of the response's collective, read in the transaction. */
  insiders: ReadonlySet<string>;
  /** Each pusher (of those asked, by member ID) as the transaction read them; absent: no such member. */
  pushers: ReadonlyMap<string, PusherStanding>;
  /**
   * The sessions asked about (the pushers', by ID) that were not revoked as the transaction read them, each with its
   * expiry (ms since epoch), judged against the clock when the push is (one place for it). A push made under any
   * other, or judged past that expiry, is refused: its socket kept a session signed out on another instance that this instance had not applied yet
   * (issue 11: a socket's kept session must end "at once"). The expiry goes with it because the embedded database's
   * next batches may be judged on this read (`#commitUnchanged`) and time passing writes nothing.
   */
  liveSessions: ReadonlyMap<string, number>;
  /**
   * The event log's last committed position as the statement saw it: every access change committed before the
   * batch's reading statement began is at or before it, so a listener is sent the batch only once its stream
   * has applied the log through it (`LiveStream.admit({ through })`), with no read of the log per listener.
   */
  logPosition: bigint;
  /**
   * The highest ID of the section's stored updates (its log's, or the last one its snapshot folded; 0 when none),
   * read under the section's lock: read on PostgreSQL only (null on the embedded database, where one instance
   * stores everything). Under that lock IDs grow in commit order, so an instance whose document holds less has
   * missed another instance's push (`SectionDocuments.#commit` catches up before judging).
   */
  latestUpdateId: bigint | null;
  /**
   * The next transaction ID to be handed out as the read saw it (`pg_snapshot_xmax`), on the embedded database only
   * (null on PostgreSQL): while it has not moved, nothing was written since, so the read still holds.
   */
  xmax: bigint | null;
}

/**
 * `lockSectionForPush`'s locking statement: $1 the deal (or null), $2 the response, $3 the pushers (JSON array),
 * $4 the section, $5 the pushers' sessions (JSON array). The sessions are share-locked, and read unrevoked or not on
 * the row as locked (a sign-out updates it: it waits for the push's commit, or the push reads the row it committed).
 * The section's row is locked FOR NO KEY UPDATE, after the response (the order a change of a section locks them
 * in): pushes to one section are serialised across instances, so each is judged against every push stored before it
 * (two instances each judging against its own document stored two valid deletions whose merge broke a list item, and
 * a re-sent struct ID twice with different content: attack of issue 10).
 */
const PUSH_LOCK = `
    WITH deal AS (
      SELECT id FROM "Deal" WHERE id = $1::uuid FOR SHARE
    ), response AS (
      SELECT id, "collectiveId" FROM "TenderResponse"
      WHERE id = $2::uuid AND (SELECT count(*) FROM deal) >= 0 FOR SHARE
    ), pusher AS (
      SELECT id, situation, kind FROM "Member"
      WHERE id IN (SELECT jsonb_array_elements_text($3::jsonb)::uuid) ORDER BY id FOR SHARE
    ), membership AS (
      SELECT "memberId" FROM "Membership"
      WHERE "collectiveId" = (SELECT "collectiveId" FROM response) AND status = 'ACTIVE'
        AND "memberId" IN (SELECT id FROM pusher)
      FOR SHARE
    ), section AS (
      SELECT id FROM "TenderSection"
      WHERE id = $4::uuid AND (SELECT count(*) FROM response) >= 0 FOR NO KEY UPDATE
    ), session AS (
      SELECT id, "revokedAt", "expiresAt" FROM "Session"
      WHERE id IN (SELECT jsonb_array_elements_text($5::jsonb)::uuid) ORDER BY id FOR SHARE
    )
    SELECT (SELECT count(*) FROM response)::int AS responses, (SELECT count(*) FROM section)::int AS sections,
      COALESCE((SELECT jsonb_agg(jsonb_build_object('id', p.id, 'situation', p.situation, 'kind', p.kind,
                  'insider', EXISTS (SELECT 1 FROM membership m WHERE m."memberId" = p.id))) FROM pusher p),
               '[]'::jsonb) AS pushers,
      COALESCE((SELECT jsonb_agg(jsonb_build_object('id', s.id, 'expiresAt', (extract(epoch FROM s."expiresAt") * 1000)::bigint)) FROM session s
                WHERE s."revokedAt" IS NULL),
               '[]'::jsonb) AS sessions`;

/** `lockSectionForPush`'s read, after the locks: $1 the section. */
const PUSH_READ = `
    SELECT to_jsonb(s) AS section, to_jsonb(r) AS response, to_jsonb(d) AS deal,
      COALESCE((SELECT jsonb_agg(to_jsonb(p)) FROM "DealPartner" p WHERE p."dealId" = r."dealId" AND p.status = 'ACTIVE'),
               '[]'::jsonb) AS partners,
      (SELECT COALESCE(max(e.position), 0)::text FROM "EventLog" e) AS "logPosition",
      GREATEST((SELECT max(u.id) FROM "SectionUpdate" u WHERE u."sectionId" = s.id),
               (SELECT n."throughUpdateId" FROM "SectionSnapshot" n WHERE n."sectionId" = s.id), 0)::text AS "latestUpdateId"
    FROM "TenderSection" s JOIN "TenderResponse" r ON r.id = s."responseId" LEFT JOIN "Deal" d ON d.id = r."dealId"
    WHERE s.id = $1::uuid`;

/**
 * `lockSectionForPush`'s one statement when the transaction runs alone on the database (the embedded one): the read
 * of `PUSH_READ` with the pushers' standing and live sessions of `PUSH_LOCK`, no row lock. $1 the section, $2 the
 * pushers (JSON array), $3 their sessions (JSON array).
 */
const PUSH_READ_ALONE = `
    SELECT to_jsonb(s) AS section, to_jsonb(r) AS response, to_jsonb(d) AS deal,
      COALESCE((SELECT jsonb_agg(to_jsonb(p)) FROM "DealPartner" p WHERE p."dealId" = r."dealId" AND p.status = 'ACTIVE'),
               '[]'::jsonb) AS partners,
      (SELECT COALESCE(max(e.position), 0)::text FROM "EventLog" e) AS "logPosition",
      COALESCE((SELECT jsonb_agg(jsonb_build_object('id', m.id, 'situation', m.situation, 'kind', m.kind,
                  'insider', EXISTS (SELECT 1 FROM "Membership" ms WHERE ms."memberId" = m.id
                                     AND ms."collectiveId" = r."collectiveId" AND ms.status = 'ACTIVE')))
                FROM "Member" m WHERE m.id IN (SELECT jsonb_array_elements_text($2::jsonb)::uuid)),
               '[]'::jsonb) AS pushers,
      COALESCE((SELECT jsonb_agg(jsonb_build_object('id', ss.id, 'expiresAt', (extract(epoch FROM ss."expiresAt") * 1000)::bigint)) FROM "Session" ss
                WHERE ss.id IN (SELECT jsonb_array_elements_text($3::jsonb)::uuid)
                  AND ss."revokedAt" IS NULL),
               '[]'::jsonb) AS sessions,
      pg_snapshot_xmax(pg_current_snapshot())::text AS xmax
    FROM "TenderSection" s JOIN "TenderResponse" r ON r.id = s."responseId" LEFT JOIN "Deal" d ON d.id = r."dealId"
    WHERE s.id = $1::uuid`;

/**
 * For a push's transaction: share-locks everything a push's right depends on, then reads it. Serialised so with
 * every change that can take the right away, each of which locks one of these rows FOR UPDATE (or updates it)
 * before it writes: the deal (its status, its partners: `lockDeal`), the response (a section's status,
 * restriction, owner: `changeableSection`), the pushers' member rows (leaving the cooperative), their
 * memberships of the collective (leaving it, being removed, the collective closing) and the sessions they pushed
 * under (a sign-out, on any instance: `sessionIds`, read live or not in `PushContext.liveSessions`). Such a change
 * either waits for the push's commit, or has committed before the push reads.
 *
 * Statements: deal, response, members, memberships and sessions FOR SHARE in one statement, in the order the changes lock
 * them: the deal first (the order a submission locks in, so the two never deadlock: the response's scan waits on
 * a one-time filter reading the locked deal), the section right after the response, FOR NO KEY UPDATE (pushes to
 * a section serialised across instances; see `PUSH_LOCK`; the select list reads them in that order), then a member
 * before their memberships (as leaving the cooperative does; no change holding those waits on a section);
 * then section, response, deal status, active partners and the log's last position, read in a statement
 * of their own. The read must follow the locks: a statement that waited for a row lock re-reads only the rows it
 * locked, so a section marked done or restricted by the change it waited for would be judged as it was. 2
 * statements, with or without a deal. The rows come back as JSON, with the fields the rights rules read.
 *
 * `alone`: the transaction runs alone on the database, as every transaction on the embedded one does (one
 * connection: PGlite runs one transaction at a time, and a statement outside a transaction waits for the open one
 * to end; Prisma's transactions take the same turn): nothing can change what it reads before it commits, so no row
 * lock is needed and everything is read in one statement (`PUSH_READ_ALONE`). 1 statement.
 */
export async function lockSectionForPush(
  tx: Pick<SqlRunner, 'query'>,
  sectionId: string,
  responseId: string,
  dealId: string | null,
  memberIds: readonly string[],
  sessionIds: readonly string[],
  alone = false,
): Promise<PushContext | null> {
  if (alone) {
    const [row] = await tx.query<PushRow & { pushers: unknown; sessions: unknown }>(PUSH_READ_ALONE, [
      sectionId,
      JSON.stringify(memberIds),
      JSON.stringify(sessionIds),
    ]);
    return row ? pushContextOf(row, row.pushers, row.sessions) : null;
  }
  // Member IDs travel as one text parameter (a JSON array): the same on PostgreSQL and PGlite.
  // The deal's lock is an uncorrelated subquery of the response's scan (a one-time filter, evaluated before the
  // scan returns the row to lock), so the deal is locked before the response, as a submission locks them.
  const [locked] = await tx.query<{ responses: number; sections: number; pushers: unknown; sessions: unknown }>(PUSH_LOCK, [
    dealId,
    responseId,
    JSON.stringify(memberIds),
    sectionId,
    JSON.stringify(sessionIds),
  ]);
  if (!locked || Number(locked.responses) === 0 || Number(locked.sections) === 0) return null;
  const [row] = await tx.query<PushRow>(PUSH_READ, [sectionId]);
  return row ? pushContextOf(row, locked.pushers, locked.sessions) : null;
}

/** What `PUSH_READ` reads (JSON columns as the driver gives them: parsed, or text). */
type PushRow = {
  section: unknown;
  response: unknown;
  deal: unknown;
  partners: unknown;
  logPosition: string;
  latestUpdateId?: string;
  xmax?: string;
};

function pushContextOf(row: PushRow, pushersJson: unknown, sessionsJson: unknown): PushContext {
  const deal = json<{ id: string; status: DealStatus } | null>(row.deal);
  const response = {
    ...json<Omit<LoadedResponse, 'deal' | 'opportunity'>>(row.response),
    deal: deal && {
      id: deal.id,
      status: deal.status,
      partners: json<NonNullable<LoadedResponse['deal']>['partners']>(row.partners),
    },
  };
  const pushers = new Map(
    json<Array<PusherStanding & { id: string }>>(pushersJson).map(({ id, ...standing }) => [id, standing] as const),
  );
  // Only the fields the rights rules read are used (dates stay ISO strings, which is all a null check needs).
  return {
    section: json<TenderSection>(row.section),
    response: response as unknown as LoadedResponse,
    insiders: new Set([...pushers].filter(([, standing]) => standing.insider).map(([id]) => id)),
    pushers,
    liveSessions: new Map(
      // Expiry as ms since epoch, computed by the database (a column without time zone, in UTC).
      json<Array<{ id: string; expiresAt: number }>>(sessionsJson).map(({ id, expiresAt }) => [id, Number(expiresAt)]),
    ),
    logPosition: BigInt(row.logPosition),
    latestUpdateId: row.latestUpdateId === undefined ? null : BigInt(row.latestUpdateId),
    xmax: row.xmax === undefined ? null : BigInt(row.xmax),
  };
}

/** The actor's rights on a loaded section (pure: a push batch judges several pushers against one read). */
export function sectionAccessOf(
  actor: Actor,
  { section, response }: SectionContext,
): { rights: Rights; section: TenderSection; submitted: boolean } {
  return { rights: rightsOnSection(actor, response, section), section, submitted: isSubmitted(response) };
}
