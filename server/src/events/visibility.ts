import { encodeGlobalID } from '@pothos/plugin-relay';
import { outsideReadLane } from '../db/database.js';
import type { CollectiveKind, PrismaClient } from '../generated/prisma/client.js';
import type { LogEvent } from './bus.js';

const PUBLIC_OUTSIDE_COLLECTIVES = ['opportunity.', 'member.'];

/** Who is listening: enough to decide, event by event, what they may receive. */
export interface Listener {
  memberId: string;
  isSupportStaff: boolean;
}

/** The database ID inside a global ID of the given type, or null. */
function idIn(globalId: string, typename: string): string | null {
  const [type, id] = Buffer.from(globalId, 'base64').toString('utf8').split(':');
  return type === typename && id ? id : null;
}

/** Events after which a deal's member-partners (or a restricted section's readers) are read again. */
const REFRESHING = new Set(['deal.created', 'deal.partnersSet', 'deal.partnerSubstituted', 'tenderResponse.created']);

/** Section events that change nothing of who may read the section. */
const NO_REFRESH = new Set(['tenderSection.figuresChanged', 'tenderSection.withdrawn']);

/**
 * A listener's read under way (`DeliveryIndex.watch`), the events that may change its collectives applied meanwhile,
 * and the deals whose partners `refresh` read again meanwhile (their partners here are newer than the read's).
 */
interface Watching {
  read: Promise<void>;
  applied: LogEvent[];
  refreshedDeals: Set<string>;
}

/**
 * The member whose active collectives `event` may change (a membership's member, a proposed collective's founder),
 * or null (`collective.closed` changes everyone's).
 */
function insiderNamed(event: LogEvent): string | null {
  if (!event.collectiveId) return null;
  const payload = event.payload as Record<string, unknown>;
  if (event.type === 'collective.proposed' && typeof payload.animatorId === 'string') return payload.animatorId;
  if (event.type.startsWith('membership.') && typeof payload.memberId === 'string') return payload.memberId;
  return null;
}

/** Applies `event` to `memberId`'s active collectives (`collectives`): joined, left, founded or closed. */
function applyToInsiders(event: LogEvent, memberId: string, collectives: Set<string>): void {
  if (!event.collectiveId) return;
  if (event.type === 'collective.closed') {
    collectives.delete(event.collectiveId);
    return;
  }
  if (insiderNamed(event) !== memberId) return;
  const payload = event.payload as Record<string, unknown>;
  // Its founder is an active member from the start, with no membership event to say so.
  if (event.type === 'collective.proposed') collectives.add(event.collectiveId);
  else if (payload.status === 'ACTIVE') collectives.add(event.collectiveId);
  else if (payload.status === 'LEFT') collectives.delete(event.collectiveId);
}

/**
 * What each instance needs to authorise events at delivery, kept current by the events themselves:
 * collectives' kinds, who is an active member where, each deal's active member-partners and which
 * sections are restricted to whom. Since events are applied in log order before they are delivered, a
 * member removed at position n receives nothing of that collective (or deal) after n.
 */
export class DeliveryIndex {
  readonly #kinds = new Map<string, CollectiveKind>();
  readonly #insiders = new Map<string, Set<string>>();
  /** Deal ID → its active partners' member IDs (external companies have none). */
  readonly #partners = new Map<string, Set<string>>();
  /** Tender response ID → its deal's ID. */
  readonly #responseDeal = new Map<string, string>();
  /** Restricted section ID → the members who may read it (its owner partner's and the lead's). */
  readonly #restricted = new Map<string, Set<string>>();
  /** Listeners being read (`watch`), by member ID: the read their subscribers share. */
  readonly #watching = new Map<string, Watching>();

  constructor(private readonly prisma: PrismaClient) {}

  async load(): Promise<void> {
    const [collectives, partners, responses, restricted, removed] = await Promise.all([
      this.prisma.collective.findMany({ select: { id: true, kind: true } }),
      this.prisma.dealPartner.findMany({
        where: { status: 'ACTIVE', memberId: { not: null } },
        select: { dealId: true, memberId: true },
      }),
      this.prisma.tenderResponse.findMany({ where: { dealId: { not: null } }, select: { id: true, dealId: true } }),
      this.prisma.tenderSection.findMany({ where: { restricted: true }, select: { id: true } }),
      // Restricted sections removed before this instance started: their events still in the log stay their readers'
      // (attack of stop 28: a former lead, the partner change's actor, was sent its update; figures, approvals and
      // versions, whose payloads do not say restricted, went to every member of its collective).
      this.prisma.eventLog.findMany({
        where: { type: 'tenderSection.removed', payload: { path: ['restricted'], equals: true } },
        select: { subjectId: true, payload: true, actorId: true },
      }),
    ]);
    for (const collective of collectives) this.#kinds.set(collective.id, collective.kind);
    for (const row of partners) {
      const members = this.#partners.get(row.dealId) ?? new Set<string>();
      if (row.memberId) members.add(row.memberId);
      this.#partners.set(row.dealId, members);
    }
    for (const row of responses) if (row.dealId) this.#responseDeal.set(row.id, row.dealId);
    await Promise.all(restricted.map((row) => this.#readSection(row.id)));
    for (const removal of removed) {
      const sectionId = idIn(removal.subjectId, 'TenderSection');
      if (sectionId) this.#applyRemoval(sectionId, removal);
    }
  }

  /**
   * Loads a listener's active collectives and deals, once, before their subscription starts. Sockets of one member
   * subscribing at once share one read (issue 11: a thousand subscribers of one member opened together each read
   * their memberships, deals and responses, four statements each, before the first read had answered); a failed read
   * is not kept, the next subscriber reads again. Throws what the read throws (the database unreachable).
   */
  watch(memberId: string): Promise<void> {
    if (this.#insiders.has(memberId)) return Promise.resolve();
    const pending = this.#watching.get(memberId);
    if (pending) return pending.read;
    const entry: Watching = { read: Promise.resolve(), applied: [], refreshedDeals: new Set() };
    // Shared by the member's subscribers and readers: outside the lane of the query that happened to start it.
    entry.read = outsideReadLane(() => this.#readListener(memberId, entry)).finally(() => {
      if (this.#watching.get(memberId) === entry) this.#watching.delete(memberId);
    });
    this.#watching.set(memberId, entry);
    return entry.read;
  }

  async #readListener(memberId: string, { applied, refreshedDeals }: Watching): Promise<void> {
    const [rows, partnerships] = await Promise.all([
      this.prisma.membership.findMany({ where: { memberId, status: 'ACTIVE' }, select: { collectiveId: true } }),
      this.prisma.dealPartner.findMany({
        where: { memberId, status: 'ACTIVE' },
        select: { dealId: true, deal: { select: { tenderResponse: { select: { id: true } } } } },
      }),
    ]);
    const collectives = new Set(rows.map((row) => row.collectiveId));
    // Events applied while the read ran may have committed after it read: applied again, in order, on what it read
    // (each sets the state it leaves, so one the read already saw changes nothing).
    for (const event of applied) applyToInsiders(event, memberId, collectives);
    this.#insiders.set(memberId, collectives);
    // Their deals too, whatever the index has heard of them so far, except those whose partners `refresh` read
    // again while this read ran: that read may predate the change (a substitution, a new set of partners) and would
    // bring an ex-partner back (attack 2, finding C); the refreshed partners already hold every change applied.
    for (const { dealId, deal } of partnerships) {
      if (deal.tenderResponse) this.#responseDeal.set(deal.tenderResponse.id, dealId);
      if (refreshedDeals.has(dealId)) continue;
      const members = this.#partners.get(dealId) ?? new Set<string>();
      members.add(memberId);
      this.#partners.set(dealId, members);
    }
  }

  /**
   * A collective's kind, when this instance knows the collective (loaded at start, then from `collective.proposed`):
   * a collective is never deleted and its kind never changes, so a known kind needs no read. Undefined for a
   * collective not known here (made behind the log's back, or no such collective).
   */
  kindOf(collectiveId: string): CollectiveKind | undefined {
    return this.#kinds.get(collectiveId);
  }

  /**
   * Whether `refresh` must read the database for this event before it is applied (deal partners, restrictions). Not
   * for a `withdrawn`: the `updated` before it in the log, from the same change, read the section.
   */
  needsRefresh(event: LogEvent): boolean {
    return REFRESHING.has(event.type) || (event.type.startsWith('tenderSection.') && !NO_REFRESH.has(event.type));
  }

  /**
   * Reads what the event's payload does not carry: the deal's active member-partners, a response's deal,
   * a section's restriction. Runs in log order, before the event is delivered.
   */
  async refresh(event: LogEvent): Promise<void> {
    const payload = event.payload as Record<string, unknown>;
    if (event.type.startsWith('deal.')) {
      const dealId = idIn(event.subjectId, 'Deal');
      if (!dealId) return;
      const rows = await this.prisma.dealPartner.findMany({
        where: { dealId, status: 'ACTIVE', memberId: { not: null } },
        select: { memberId: true },
      });
      this.#partners.set(dealId, new Set(rows.flatMap((row) => (row.memberId ? [row.memberId] : []))));
      for (const watching of this.#watching.values()) watching.refreshedDeals.add(dealId);
      // The lead may have changed: restricted sections of this deal are read again.
      const sections = await this.prisma.tenderSection.findMany({
        where: { restricted: true, response: { dealId } },
        select: { id: true },
      });
      await Promise.all(sections.map((section) => this.#readSection(section.id)));
      return;
    }
    if (event.type === 'tenderResponse.created') {
      const responseId = idIn(event.subjectId, 'TenderResponse');
      if (responseId && typeof payload.dealId === 'string') this.#responseDeal.set(responseId, payload.dealId);
      return;
    }
    const sectionId = idIn(event.subjectId, 'TenderSection');
    if (sectionId) await this.#readSection(sectionId);
  }

  async #readSection(sectionId: string): Promise<void> {
    const section = await this.prisma.tenderSection.findUnique({
      where: { id: sectionId },
      select: {
        restricted: true,
        ownerPartner: { select: { memberId: true, status: true } },
        response: {
          select: { deal: { select: { partners: { where: { status: 'ACTIVE', isLead: true }, select: { memberId: true } } } } },
        },
      },
    });
    // A removed section's events stay those of its readers at its removal, as an instance started after it judges
    // them (`load`), whatever this one applies later or missed meanwhile (attack 2 of stop 28: an instance behind the
    // log gave a section removed just after a partner change to its former lead, not to the new one).
    if (!section) {
      const removal = await this.prisma.eventLog.findFirst({
        where: { type: 'tenderSection.removed', subjectId: encodeGlobalID('TenderSection', sectionId) },
        select: { payload: true, actorId: true },
      });
      // None (removed with its response): what is known stays, an unknown one is judged by `mayReceive`'s fallback.
      if (removal) this.#applyRemoval(sectionId, removal);
      return;
    }
    if (!section.restricted) {
      this.#restricted.delete(sectionId);
      return;
    }
    const readers = new Set<string>();
    if (section.ownerPartner?.status === 'ACTIVE' && section.ownerPartner.memberId) readers.add(section.ownerPartner.memberId);
    for (const lead of section.response.deal?.partners ?? []) if (lead.memberId) readers.add(lead.memberId);
    this.#restricted.set(sectionId, readers);
  }

  /**
   * Applies a section's `tenderSection.removed` row: restricted, its readers then (`readers`; recorded before it named
   * them, the one who removed it, who could open it: never someone named lead since, attack 2 of stop 28); open, none.
   */
  #applyRemoval(sectionId: string, removal: { payload: unknown; actorId: string | null }): void {
    const payload = removal.payload as Record<string, unknown>;
    if (payload.restricted !== true) {
      this.#restricted.delete(sectionId);
      return;
    }
    const named = Array.isArray(payload.readers) ? payload.readers : [removal.actorId];
    this.#restricted.set(sectionId, new Set(named.filter((id): id is string => typeof id === 'string')));
  }

  /** Applies an event to the index (before it is delivered to anyone). */
  apply(event: LogEvent): void {
    const payload = event.payload as Record<string, unknown>;
    if (event.type === 'collective.proposed' && event.collectiveId && typeof payload.kind === 'string') {
      this.#kinds.set(event.collectiveId, payload.kind as CollectiveKind);
    }
    if (event.type === 'collective.closed' && event.collectiveId) {
      for (const collectives of this.#insiders.values()) collectives.delete(event.collectiveId);
    } else {
      const memberId = insiderNamed(event);
      const collectives = memberId === null ? undefined : this.#insiders.get(memberId);
      if (memberId !== null && collectives) applyToInsiders(event, memberId, collectives);
    }
    if (this.#watching.size > 0 && (event.type === 'collective.closed' || insiderNamed(event) !== null)) {
      for (const watching of this.#watching.values()) watching.applied.push(event);
    }
  }

  /** The deal an event belongs to (a deal's, its response's or one of its sections' events), or null. */
  dealOf(event: LogEvent): string | null {
    const payload = event.payload as Record<string, unknown>;
    if (event.type.startsWith('deal.')) return idIn(event.subjectId, 'Deal');
    if (event.type.startsWith('tenderResponse.')) return typeof payload.dealId === 'string' ? payload.dealId : null;
    if (event.type.startsWith('tenderSection.') && typeof payload.responseId === 'string')
      return this.#responseDeal.get(payload.responseId) ?? null;
    return null;
  }

  /**
   * Collective and membership events follow the directory's rule (a business collective's only to its
   * members and the support staff); the events of shared resources go to the collective's active members
   * and the support staff only, and a deal's (its response's, its sections') also to its active
   * member-partners from outside the collective (DOMAIN.md: a deal's partners are members or companies).
   * A restricted section's events reach only its owner partner's member, the lead's and the support staff; its
   * `withdrawn` (restricted away), only those it names as having lost it, and the support staff.
   */
  mayReceive(listener: Listener, event: LogEvent): boolean {
    if (listener.isSupportStaff) return true;
    // An event about the listener themselves (their invitation, their approval, a referral to them) is theirs.
    const payload = event.payload as Record<string, unknown>;
    if ([payload.memberId, payload.fromMemberId, payload.toMemberId].includes(listener.memberId)) return true;
    // Outside any collective: the cooperative's shared pipeline and directory are public to members;
    // anything else (a private referral, a session) is only for those it names.
    if (!event.collectiveId) return PUBLIC_OUTSIDE_COLLECTIVES.some((prefix) => event.type.startsWith(prefix));
    // Only for those it names, who could open the section before (its readers then, not now: a replay is exact).
    if (event.type === 'tenderSection.withdrawn')
      return Array.isArray(payload.lostBy) && payload.lostBy.includes(listener.memberId);
    // A restricted section's readers, among those who may see the response now (below): a reader who has since left
    // the deal or the collective reads no more of it, removed or not (attack 2 of stop 28: a dropped partner replayed
    // a removed section's whole history).
    if (event.type.startsWith('tenderSection.')) {
      const sectionId = idIn(event.subjectId, 'TenderSection');
      const readers = sectionId ? this.#restricted.get(sectionId) : undefined;
      if (readers && !readers.has(listener.memberId)) return false;
      // Restricted when it happened, and its readers unknown here: only whoever did it (and the support staff, above).
      if (!readers && payload.restricted === true && event.actorId !== listener.memberId) return false;
    }
    const insider = this.#insiders.get(listener.memberId)?.has(event.collectiveId) ?? false;
    if (insider) return true;
    const dealId = this.dealOf(event);
    if (dealId && this.#partners.get(dealId)?.has(listener.memberId)) return true;
    const directoryEvent = event.type.startsWith('collective.') || event.type.startsWith('membership.');
    if (!directoryEvent) return false;
    const kind = this.#kinds.get(event.collectiveId);
    return kind !== undefined && kind !== 'BUSINESS';
  }
}
