import type { PastEvent } from '../events/record.js';
import type { EventType } from '../events/types.js';
import type { DemoData } from './rows.js';

// The demo's history: the events the API would have recorded for what the demo's rows say happened in the last
// weeks (memberships, opportunities brought, the deal and its response, the stand, the brand's rules, sales, the
// sector tools), at the times the rows give. Older changes are left out, as the log's pruning would have removed
// them. Payloads have the shapes the mutations record (events/types.ts).

/** How far back the demo's history goes: eight weeks, within the log's default retention (90 days). */
export const HISTORY_DAYS = 56;

const MINUTE = 60_000;
const DAY = 86_400_000;

type Row<K extends keyof DemoData> = DemoData[K][number];

const dateOf = (value: Date | string | null | undefined): Date | null =>
  value === null || value === undefined ? null : new Date(value);
const iso = (value: Date | string | null | undefined): string | null => dateOf(value)?.toISOString() ?? null;
const isoDay = (value: Date | string): string => new Date(value).toISOString().slice(0, 10);
const later = (date: Date, minutes: number) => new Date(date.getTime() + minutes * MINUTE);
/** An instant `share` of the way from `from` to `to`. */
const between = (from: Date, to: Date, share: number) => new Date(from.getTime() + (to.getTime() - from.getTime()) * share);

/** The events of the demo's last `HISTORY_DAYS` days before `now`, in no particular order (`recordHistory` sorts them). */
export function demoHistory(data: DemoData, now: Date): PastEvent[] {
  const events: PastEvent[] = [];
  const since = now.getTime() - HISTORY_DAYS * DAY;
  const add = <T extends EventType>(at: Date | null, event: Omit<PastEvent<T>, 'at'>) => {
    if (at && at.getTime() >= since && at.getTime() < now.getTime()) events.push({ ...event, at } as PastEvent);
  };
  const collectives = new Map(data.collectives.map((c) => [c.id as string, c]));
  const animatorOf = (collectiveId: string) =>
    data.memberships.find((m) => m.collectiveId === collectiveId && m.role === 'ANIMATOR' && m.status === 'ACTIVE')?.memberId ??
    collectives.get(collectiveId)?.proposedById ??
    null;

  for (const c of data.collectives) {
    const id = c.id as string;
    add<'collective.proposed'>(dateOf(c.createdAt), {
      type: 'collective.proposed',
      subject: { typename: 'Collective', id },
      collectiveId: id,
      actorId: c.proposedById ?? null,
      payload: { name: c.name, kind: c.kind, status: c.status === 'PROPOSED' ? 'PROPOSED' : 'ACTIVE' },
    });
    const closedAt = dateOf(c.closedAt);
    if (closedAt)
      add<'collective.closed'>(closedAt, {
        type: 'collective.closed',
        subject: { typename: 'Collective', id },
        collectiveId: id,
        actorId: animatorOf(id),
        payload: { status: 'CLOSED', closedAt: closedAt.toISOString(), day: isoDay(closedAt) },
      });
  }

  for (const m of data.memberships) membershipHistory(m, animatorOf(m.collectiveId), add);

  for (const member of data.members) {
    if (!member.leftCooperativeOn) continue;
    add<'member.leftCooperative'>(dateOf(member.updatedAt), {
      type: 'member.leftCooperative',
      subject: { typename: 'Member', id: member.id as string },
      actorId: member.id as string,
      payload: { memberId: member.id as string, day: isoDay(member.leftCooperativeOn) },
    });
  }

  for (const o of data.opportunities) {
    const lots = data.opportunityLots.filter((lot) => lot.opportunityId === o.id);
    add<'opportunity.created'>(dateOf(o.createdAt), {
      type: 'opportunity.created',
      subject: { typename: 'Opportunity', id: o.id as string },
      actorId: o.broughtById ?? null,
      payload: {
        kind: o.kind,
        title: o.title,
        buyer: o.buyer,
        questionsDeadline: iso(o.questionsDeadline),
        submissionDeadline: iso(o.submissionDeadline),
        broughtByCooperative: o.broughtByCooperative ?? false,
        broughtById: o.broughtById ?? null,
        ...(lots.length > 0 ? { lotNumbers: lots.map((lot) => lot.number) } : {}),
      },
    });
  }

  for (const deal of data.deals) dealHistory(data, deal, add);
  for (const response of data.tenderResponses) tenderHistory(data, response, add);

  for (const stand of data.stands) {
    add<'stand.created'>(dateOf(stand.createdAt), {
      type: 'stand.created',
      subject: { typename: 'TradeShowStand', id: stand.id as string },
      collectiveId: stand.collectiveId,
      actorId: stand.payerId ?? null,
      payload: {
        eventName: stand.eventName,
        venue: stand.venue,
        splitMode: stand.splitMode ?? 'EQUAL',
        openingDays: data.standOpeningDays.filter((d) => d.standId === stand.id).map((d) => isoDay(d.day)),
        setUpStartsAt: iso(stand.setUpStartsAt),
        tearDownEndsAt: iso(stand.tearDownEndsAt),
        registrationDeadline: iso(stand.registrationDeadline),
        cancellationDeadline: iso(stand.cancellationDeadline),
      },
    });
  }

  brandHistory(data, animatorOf, add);

  for (const sale of data.productSales) {
    const product = data.products.find((p) => p.id === sale.productId);
    const soldOn = dateOf(sale.soldOn) as Date;
    const rule = data.revenueSplitRules.find(
      (r) =>
        r.productId === sale.productId &&
        (dateOf(r.validFrom) as Date) <= soldOn &&
        (r.validUntil == null || soldOn <= (dateOf(r.validUntil) as Date)),
    );
    add<'product.saleRecorded'>(dateOf(sale.createdAt), {
      type: 'product.saleRecorded',
      subject: { typename: 'ProductSale', id: sale.id as string },
      collectiveId: product?.collectiveId ?? null,
      actorId: sale.recordedById ?? null,
      payload: {
        productId: sale.productId,
        soldOn: isoDay(soldOn),
        amountCents: sale.amountCents,
        client: sale.client ?? '',
        ruleId: rule?.id ?? null,
        shares: data.productSaleShares
          .filter((share) => share.saleId === sale.id)
          .map((share) => ({ memberId: share.memberId, amountCents: share.amountCents })),
      },
    });
  }

  sectorToolsHistory(data, add);
  return events;
}

type Add = <T extends EventType>(at: Date | null, event: Omit<PastEvent<T>, 'at'>) => void;

/** A membership's events: joined, or requested then approved or declined, or invited then accepted; left. */
function membershipHistory(m: Row<'memberships'>, animatorId: string | null, add: Add): void {
  const id = m.id as string;
  const requestedAt = dateOf(m.requestedAt) as Date;
  const joinedAt = dateOf(m.joinedAt);
  const event = (
    type: EventType & `membership.${string}`,
    at: Date | null,
    actorId: string | null,
    role: string,
    status: string,
    extra: Record<string, string | boolean> = {},
  ) =>
    add(at, {
      type,
      subject: { typename: 'Membership', id },
      collectiveId: m.collectiveId,
      actorId,
      payload: { memberId: m.memberId, role, status, ...extra },
    });
  const role = m.role ?? 'MEMBER';
  // A founder's membership comes with the collective (`collective.proposed`).
  if (m.origin === 'JOINED') event('membership.joined', joinedAt, m.memberId, 'MEMBER', 'ACTIVE');
  if (m.origin === 'REQUESTED') {
    event('membership.requested', requestedAt, m.memberId, 'MEMBER', 'PENDING');
    const decidedAt = dateOf(m.decidedAt);
    if (joinedAt) event('membership.approved', joinedAt, m.decidedById ?? null, 'MEMBER', 'ACTIVE');
    else if (decidedAt) event('membership.declined', decidedAt, m.decidedById ?? null, 'MEMBER', 'DECLINED');
  }
  if (m.origin === 'INVITED') {
    event('membership.invited', requestedAt, m.invitedById ?? null, 'MEMBER', 'PENDING');
    if (joinedAt) event('membership.approved', later(joinedAt, 1), m.memberId, 'MEMBER', 'ACTIVE');
  }
  if (role === 'CO_ANIMATOR' && joinedAt)
    event('membership.coAnimatorSet', later(joinedAt, 5), animatorId, 'CO_ANIMATOR', 'ACTIVE');
  const leftAt = dateOf(m.leftAt);
  if (m.leaveReason === 'LEFT_COLLECTIVE')
    event('membership.left', leftAt, m.memberId, role, 'LEFT', { animatorLost: role === 'ANIMATOR' });
  if (m.leaveReason === 'LEFT_COOPERATIVE')
    event('membership.left', leftAt, m.memberId, role, 'LEFT', { reason: 'LEFT_COOPERATIVE', animatorLost: role === 'ANIMATOR' });
}

/** A deal's creation with its partners, then its way to its status (watch, go, preparing…). */
function dealHistory(data: DemoData, deal: Row<'deals'>, add: Add): void {
  const id = deal.id as string;
  const createdAt = dateOf(deal.createdAt) as Date;
  const partners = data.dealPartners.filter((p) => p.dealId === id);
  const lead = partners.find((p) => p.isLead)?.memberId ?? null;
  add<'deal.created'>(createdAt, {
    type: 'deal.created',
    subject: { typename: 'Deal', id },
    collectiveId: deal.collectiveId,
    actorId: lead,
    payload: {
      title: deal.title,
      status: 'WATCH',
      groupForm: deal.groupForm ?? 'NONE',
      totalAmountCents: deal.totalAmountCents ?? 0,
      opportunityId: deal.opportunityId ?? null,
      partnerCount: partners.length,
      shareTotal: partners.reduce((sum, p) => sum + (p.shareBasisPoints ?? 0), 0),
      amountTotal: partners.reduce((sum, p) => sum + (p.amountCents ?? 0), 0),
    },
  });
  const path: Record<string, string[]> = {
    GO: ['GO'],
    PREPARING: ['GO', 'PREPARING'],
    SUBMITTED: ['GO', 'PREPARING', 'SUBMITTED'],
    WON: ['GO', 'PREPARING', 'SUBMITTED', 'WON'],
    LOST: ['GO', 'PREPARING', 'SUBMITTED', 'LOST'],
  };
  const steps = path[deal.status ?? 'WATCH'] ?? [];
  const updatedAt = dateOf(deal.updatedAt) ?? createdAt;
  let from = 'WATCH';
  steps.forEach((status, index) => {
    const at =
      status === 'SUBMITTED'
        ? dateOf(deal.submittedAt)
        : ['WON', 'LOST'].includes(status)
          ? dateOf(deal.decidedAt)
          : index === steps.length - 1
            ? updatedAt
            : between(createdAt, updatedAt, (index + 1) / (steps.length + 1));
    add<'deal.statusChanged'>(at, {
      type: 'deal.statusChanged',
      subject: { typename: 'Deal', id },
      collectiveId: deal.collectiveId,
      actorId: lead,
      payload: {
        from,
        status,
        submittedAt: steps.indexOf('SUBMITTED') !== -1 && index >= steps.indexOf('SUBMITTED') ? iso(deal.submittedAt) : null,
        decidedAt: ['WON', 'LOST'].includes(status) ? iso(deal.decidedAt) : null,
      },
    });
    from = status;
  });
}

/** A tender response's creation, then its sections' way through drafting, review and done. */
function tenderHistory(data: DemoData, response: Row<'tenderResponses'>, add: Add): void {
  const id = response.id as string;
  const sections = data.tenderSections.filter((s) => s.responseId === id);
  const partners = data.dealPartners.filter((p) => p.dealId === response.dealId);
  const createdAt = dateOf(response.createdAt) as Date;
  add<'tenderResponse.created'>(createdAt, {
    type: 'tenderResponse.created',
    subject: { typename: 'TenderResponse', id },
    collectiveId: response.collectiveId,
    actorId: partners.find((p) => p.isLead)?.memberId ?? null,
    payload: {
      title: response.title,
      dealId: response.dealId ?? null,
      opportunityId: response.opportunityId ?? null,
      sections: sections.length,
    },
  });
  const order = ['TODO', 'DRAFT', 'REVIEW', 'DONE'];
  for (const section of sections) {
    const steps = order.slice(1, order.indexOf(section.status ?? 'TODO') + 1);
    const updatedAt = dateOf(section.updatedAt) as Date;
    steps.forEach((status, index) => {
      // Written by its assignee, sent to review by them, marked done by its reviewer.
      const at = index === steps.length - 1 ? updatedAt : between(createdAt, updatedAt, (index + 1) / steps.length);
      add<'tenderSection.statusChanged'>(at, {
        type: 'tenderSection.statusChanged',
        subject: { typename: 'TenderSection', id: section.id as string },
        collectiveId: response.collectiveId,
        actorId: status === 'DONE' ? (section.reviewerId ?? section.assigneeId ?? null) : (section.assigneeId ?? null),
        payload: {
          responseId: id,
          kind: section.kind,
          title: section.restricted ? null : section.title,
          position: section.position,
          status,
          assigneeId: section.assigneeId ?? null,
          reviewerId: section.reviewerId ?? null,
          dueAt: iso(section.dueAt),
          restricted: section.restricted ?? false,
          from: order[order.indexOf(status) - 1] ?? 'TODO',
        },
      });
    });
  }
}

/** The brand's usage rules proposed and approved, and its authorisations granted and revoked. */
function brandHistory(data: DemoData, animatorOf: (collectiveId: string) => string | null, add: Add): void {
  const brandCollective = (brandId: string) => data.brands.find((b) => b.id === brandId)?.collectiveId ?? null;
  for (const version of data.brandUsageRuleVersions) {
    const id = version.id as string;
    const approvals = data.brandUsageRuleApprovals
      .filter((a) => a.versionId === id)
      .sort((a, b) => (dateOf(a.approvedAt) as Date).getTime() - (dateOf(b.approvedAt) as Date).getTime());
    const holders = data.brandHolders.filter((h) => h.brandId === version.brandId).length;
    const proposedAt = dateOf(version.proposedAt) as Date;
    const proposerApproved = approvals.some((a) => a.memberId === version.proposedById);
    const subject = { typename: 'BrandUsageRuleVersion' as const, id };
    add<'brand.usageRulesProposed'>(proposedAt, {
      type: 'brand.usageRulesProposed',
      subject,
      collectiveId: brandCollective(version.brandId),
      actorId: version.proposedById ?? null,
      payload: { brandId: version.brandId, version: version.version, status: 'PENDING' },
    });
    approvals.forEach((approval, index) => {
      // The proposer's own approval came with the proposal.
      if (approval.memberId === version.proposedById && proposerApproved) return;
      const inForce = index === holders - 1;
      const at = dateOf(approval.approvedAt) as Date;
      add<'brand.usageRulesApproved'>(at, {
        type: 'brand.usageRulesApproved',
        subject,
        collectiveId: brandCollective(version.brandId),
        actorId: approval.memberId,
        payload: {
          brandId: version.brandId,
          version: version.version,
          status: inForce ? 'IN_FORCE' : 'PENDING',
          effectiveAt: inForce ? at.toISOString() : null,
        },
      });
    });
  }
  for (const user of data.brandAuthorisedUsers) {
    const subject = { typename: 'BrandAuthorisedUser' as const, id: user.id as string };
    const collectiveId = brandCollective(user.brandId);
    // Granted and revoked by the collective's animator.
    const actorId = collectiveId ? animatorOf(collectiveId) : null;
    const grantedAt = dateOf(user.grantedAt) as Date;
    add<'brand.useGranted'>(grantedAt, {
      type: 'brand.useGranted',
      subject,
      collectiveId,
      actorId,
      payload: { brandId: user.brandId, memberId: user.memberId, grantedAt: grantedAt.toISOString() },
    });
    const revokedAt = dateOf(user.revokedAt);
    if (revokedAt)
      add<'brand.useRevoked'>(revokedAt, {
        type: 'brand.useRevoked',
        subject,
        collectiveId,
        actorId,
        payload: { brandId: user.brandId, memberId: user.memberId, revokedAt: revokedAt.toISOString() },
      });
  }
}

/** Price references and suppliers shared, services offered and given, clients referred. */
function sectorToolsHistory(data: DemoData, add: Add): void {
  for (const p of data.priceReferences) {
    add<'priceReference.created'>(dateOf(p.createdAt), {
      type: 'priceReference.created',
      subject: { typename: 'PriceReference', id: p.id as string },
      collectiveId: p.collectiveId,
      actorId: p.createdById ?? null,
      payload: {
        service: p.service,
        unit: p.unit,
        minCents: p.minCents,
        medianCents: p.medianCents,
        maxCents: p.maxCents,
        sampleSize: p.sampleSize,
        periodStart: isoDay(p.periodStart),
        periodEnd: isoDay(p.periodEnd),
      },
    });
  }
  for (const s of data.supplierRecommendations) {
    const at = dateOf(s.recommendedAt) as Date;
    add<'supplierRecommendation.created'>(at, {
      type: 'supplierRecommendation.created',
      subject: { typename: 'SupplierRecommendation', id: s.id as string },
      collectiveId: s.collectiveId,
      actorId: s.recommendedById ?? null,
      payload: { supplierName: s.supplierName, category: s.category, rating: s.rating, recommendedAt: at.toISOString() },
    });
  }
  for (const e of data.serviceExchanges) {
    const createdAt = dateOf(e.createdAt) as Date;
    const updatedAt = dateOf(e.updatedAt) as Date;
    const event = (type: EventType & `serviceExchange.${string}`, at: Date, status: string, actorId: string | null) =>
      add(at, {
        type,
        subject: { typename: 'ServiceExchange', id: e.id as string },
        collectiveId: e.collectiveId,
        actorId,
        payload: {
          status,
          providerId: e.providerId,
          beneficiaryId: e.beneficiaryId ?? null,
          hours: Number(e.hours),
          description: e.description,
        },
      });
    event('serviceExchange.offered', createdAt, 'OFFERED', e.providerId);
    if (e.status === 'ACCEPTED') event('serviceExchange.accepted', updatedAt, 'ACCEPTED', e.beneficiaryId ?? null);
    if (e.status === 'DONE') {
      event('serviceExchange.accepted', between(createdAt, updatedAt, 0.3), 'ACCEPTED', e.beneficiaryId ?? null);
      event('serviceExchange.completed', updatedAt, 'DONE', e.providerId);
    }
    if (e.status === 'CANCELLED') event('serviceExchange.cancelled', updatedAt, 'CANCELLED', e.providerId);
  }
  for (const r of data.referrals) {
    const createdAt = dateOf(r.createdAt) as Date;
    const updatedAt = dateOf(r.updatedAt) as Date;
    const base = {
      subject: { typename: 'Referral' as const, id: r.id as string },
      collectiveId: r.collectiveId ?? null,
      payload: { amountCents: null, clientName: r.clientName, fromMemberId: r.fromMemberId, toMemberId: r.toMemberId },
    };
    add<'referral.proposed'>(createdAt, {
      ...base,
      type: 'referral.proposed',
      actorId: r.fromMemberId,
      payload: { ...base.payload, status: 'PROPOSED', previousStatus: null },
    });
    const path: Record<string, string[]> = {
      ACCEPTED: ['ACCEPTED'],
      QUOTED: ['ACCEPTED', 'QUOTED'],
      SIGNED: ['ACCEPTED', 'QUOTED', 'SIGNED'],
      LOST: ['ACCEPTED', 'QUOTED', 'LOST'],
    };
    const steps = path[r.status ?? 'PROPOSED'] ?? [];
    let previous = 'PROPOSED';
    steps.forEach((status, index) => {
      add<'referral.statusChanged'>(between(createdAt, updatedAt, (index + 1) / steps.length), {
        ...base,
        type: 'referral.statusChanged',
        actorId: r.toMemberId,
        payload: {
          ...base.payload,
          status,
          previousStatus: previous,
          amountCents: status === 'QUOTED' || status === 'SIGNED' || status === 'LOST' ? (r.amountCents ?? null) : null,
        },
      });
      previous = status;
    });
  }
}
