/**
 * The registry of event types: every `type` the event log holds, the node it is about and its payload's shape.
 * `recordEvent` takes its types from here, the web app's French labels are keyed by `EventType` (a missing label
 * fails the client's typecheck) and `tests/client/event-labels.test.ts` checks both sides at run time.
 *
 * This file imports nothing, so the web app can read its types (and its constants) without pulling server code.
 * Dates in payloads are ISO strings: `YYYY-MM-DD` for days (Europe/Paris), full ISO instants otherwise. Amounts
 * are integer cents, shares integer basis points (10 000 = 100 %). The log stores IDs as the database's own UUIDs
 * (the server's own readers compare them with rows); the API sends every ID field of a payload, at any depth, as a
 * global ID of the type `PAYLOAD_ID_TYPES` names, as it sends `subjectId`. A new ID field is added there.
 */

/**
 * The node type each ID field of a payload names, at any depth of the payload (`…Ids` fields hold lists of them).
 * `Session` is not fetchable with `node(id:)`: its global ID only tells sessions apart.
 */
export const PAYLOAD_ID_TYPES = {
  animatorId: 'Member',
  assigneeId: 'Member',
  authorId: 'Member',
  authorisationId: 'BrandAuthorisedUser',
  beneficiaryId: 'Member',
  brandId: 'Brand',
  broughtById: 'Member',
  collectiveId: 'Collective',
  costLineId: 'StandCostLine',
  createdById: 'Member',
  dealId: 'Deal',
  decidedById: 'Member',
  fromMemberId: 'Member',
  invitedById: 'Member',
  lotId: 'OpportunityLot',
  memberId: 'Member',
  membershipId: 'Membership',
  opportunityId: 'Opportunity',
  ownerIds: 'Member',
  ownerPartnerId: 'DealPartner',
  partnerId: 'DealPartner',
  payerId: 'Member',
  productId: 'Product',
  productIds: 'Product',
  providerId: 'Member',
  proposedById: 'Member',
  recommendedById: 'Member',
  recordedById: 'Member',
  removedMemberIds: 'Member',
  replacedPartnerId: 'DealPartner',
  replacementPartnerId: 'DealPartner',
  responseId: 'TenderResponse',
  reviewerId: 'Member',
  ruleId: 'RevenueSplitRule',
  sectionId: 'TenderSection',
  sessionId: 'Session',
  shiftId: 'StandShift',
  standId: 'TradeShowStand',
  toMemberId: 'Member',
  versionId: 'SectionVersion',
} as const satisfies Record<string, string>;

/** A JSON value as stored in a payload. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };
type JsonObject = { [key: string]: JsonValue | undefined };
type Day = string;
type Instant = string;

/** What every membership event carries (the membership after the change). */
export interface MembershipPayload extends JsonObject {
  memberId: string;
  role: string;
  status: string;
}

interface TenderSectionPayload extends JsonObject {
  responseId: string;
  kind: string;
  /** Null for a restricted section: its title is only for those who may open it. */
  title: string | null;
  position: number;
  status: string;
  assigneeId: string | null;
  reviewerId: string | null;
  dueAt: Instant | null;
  restricted: boolean;
}

interface SplitPayload extends JsonObject {
  splitMode: string;
  totalCostCents: number;
  shares: JsonValue;
}

interface ShiftStaffPayload extends JsonObject {
  /** Global ID of the shift. */
  shiftId: string;
  memberId: string;
  staffCount: number;
  minimumStaff: number;
  isUnderstaffed: boolean;
}

interface UsageRulesPayload extends JsonObject {
  brandId: string;
  version: number;
  /** The version's status after the change; null when settling it found nothing pending any more. */
  status: string | null;
}

interface ServiceExchangePayload extends JsonObject {
  status: string;
  providerId: string;
  beneficiaryId: string | null;
  hours: number;
  description: string;
}

interface ReferralPayload extends JsonObject {
  status: string;
  previousStatus: string | null;
  amountCents: number | null;
  clientName: string;
  fromMemberId: string;
  toMemberId: string;
}

interface PriceReferencePayload extends JsonObject {
  service: string;
  unit: string;
  minCents: number;
  medianCents: number;
  maxCents: number;
  sampleSize: number;
  periodStart: Day;
  periodEnd: Day;
}

interface SupplierRecommendationPayload extends JsonObject {
  supplierName: string;
  category: string;
  rating: number;
  recommendedAt: Instant;
}

/** Each event type's payload. */
export interface EventPayloads {
  'session.revoked': { sessionId: string };
  'member.leftCooperative': { memberId: string; day: Day | null };
  /**
   * Recorded once outside any collective (the change, public to members as the directory is) and once more in each
   * collective the member is active in, so each one's activity shows it (`collectiveCopies` below).
   */
  'member.profileUpdated': {
    memberId: string;
    firstName: string;
    lastName: string;
    trade: string;
    sectors: string[];
    /** The fields that changed: `firstName`, `lastName`, `trade`, `sectors`. */
    changed: string[];
  };

  /** `animatorId`: the founder, made its active animator with no membership event of their own (absent before it was recorded). */
  'collective.proposed': { name: string; kind: string; status: string; animatorId?: string };
  'collective.updated': { name: string; status: string; openness: string };
  'collective.closed': { status: 'CLOSED'; closedAt: Instant; day: Day };
  'collective.coAnimatorRemoved': JsonObject;

  'membership.joined': MembershipPayload;
  'membership.requested': MembershipPayload;
  'membership.approved': MembershipPayload;
  'membership.declined': MembershipPayload;
  'membership.invited': MembershipPayload;
  'membership.left': MembershipPayload & { animatorLost?: boolean };
  'membership.animationHandedOver': MembershipPayload;
  'membership.coAnimatorSet': MembershipPayload;

  'opportunity.created': JsonObject;
  'opportunity.updated': JsonObject;

  'deal.created': JsonObject & { title: string; status: string; groupForm: string; totalAmountCents: number };
  'deal.updated': { title: string; groupForm: string; totalAmountCents: number; lotId: string | null };
  'deal.partnersSet': JsonObject & { leadIndex: number };
  'deal.statusChanged': { from: string; status: string; submittedAt: Instant | null; decidedAt: Instant | null };
  'deal.partnerSubstituted': {
    replacedPartnerId: string;
    replacementPartnerId: string;
    memberId: string | null;
    companyName: string | null;
    isLead: boolean;
    reason: string;
  };

  'tenderResponse.created': { title: string; dealId: string | null; opportunityId: string | null; sections: number };
  'tenderResponse.updated': { title: string; dealId: string | null; opportunityId: string | null };
  'tenderSection.added': TenderSectionPayload;
  'tenderSection.updated': TenderSectionPayload;
  'tenderSection.moved': TenderSectionPayload & { from: number };
  'tenderSection.removed': TenderSectionPayload;
  'tenderSection.statusChanged': TenderSectionPayload & { from: string };
  'tenderSection.figuresChanged': {
    responseId: string;
    wordCount: number;
    characterCount: number;
    wordLimit: number | null;
    characterLimit: number | null;
    isOverLimit: boolean;
  };
  'tenderSection.versionRestored': { responseId: string; versionId: string; name: string | null };
  'tenderSection.approved': { responseId: string; reviewerId: string; contentHash: string; assigneeId: string | null };
  /**
   * The section is now restricted away from those who could open it before (`lostBy`, member IDs: the only ones who
   * receive it, `DeliveryIndex.mayReceive`): a screen listing it drops it. The API shows its response alone
   * (`lostBy` is the server's, `INTERNAL_PAYLOAD_KEYS`), nothing of the section.
   */
  'tenderSection.withdrawn': { responseId: string; lostBy: string[] };

  'stand.created': JsonObject & { eventName: string; venue: string; splitMode: string; openingDays: Day[] };
  'stand.updated': JsonObject & { eventName: string; venue: string };
  'stand.openingDaysSet': { openingDays: { day: Day; opensAt: Instant; closesAt: Instant }[] };
  'stand.costLineAdded': SplitPayload & { costLineId: string; label: string; category: string; amountCents: number };
  'stand.costLineUpdated': SplitPayload & { costLineId: string; label: string; category: string; amountCents: number };
  'stand.costLineRemoved': SplitPayload & { costLineId: string };
  'stand.participantsSet': SplitPayload & { participants: JsonValue; removedMemberIds: string[]; assignmentsRemoved: number };
  'stand.splitModeSet': SplitPayload;
  'stand.shiftAdded': { shiftId: string; startsAt: Instant; endsAt: Instant; minimumStaff: number; staffCount: number };
  'stand.shiftRemoved': { shiftId: string };
  'stand.shiftAssigned': ShiftStaffPayload;
  'stand.shiftUnassigned': ShiftStaffPayload;

  'brand.created': JsonObject & { name: string; legalKind: string };
  'brand.updated': JsonObject & { name: string; legalKind: string };
  'brand.holdersSet': JsonObject;
  'brand.usageRulesProposed': UsageRulesPayload;
  'brand.usageRulesApproved': UsageRulesPayload & { effectiveAt: Instant | null };
  'brand.usageRulesWithdrawn': UsageRulesPayload;
  'brand.useGranted': { brandId: string; memberId: string; grantedAt: Instant };
  'brand.useRevoked': { brandId: string; memberId: string; revokedAt: Instant };

  'product.created': { name: string; brandId: string | null; ownerIds: string[] };
  'product.updated': { name: string; description: string | null; brandId: string | null };
  'product.ownersSet': { ownerIds: string[] };
  'product.revenueSplitRuleAdded': JsonObject & { productId: string; validFrom: Day | null; validUntil: Day | null };
  'product.saleRecorded': JsonObject & { productId: string; soldOn: Day | null; amountCents: number };

  'priceReference.created': PriceReferencePayload;
  'priceReference.updated': PriceReferencePayload;
  'priceReference.removed': PriceReferencePayload;
  'supplierRecommendation.created': SupplierRecommendationPayload;
  'supplierRecommendation.updated': SupplierRecommendationPayload;
  'serviceExchange.offered': ServiceExchangePayload;
  'serviceExchange.accepted': ServiceExchangePayload;
  'serviceExchange.completed': ServiceExchangePayload;
  'serviceExchange.cancelled': ServiceExchangePayload;
  'referral.proposed': ReferralPayload;
  'referral.statusChanged': ReferralPayload;
}

export type EventType = keyof EventPayloads;

/** What the registry says of one type: the GraphQL type of its subject (the node `subjectId` names). */
export interface EventTypeInfo {
  subject: string;
  /**
   * One change, several entries: the event is recorded once outside any collective (the change itself) and once
   * more in each collective it concerns, so that each collective's activity shows it. Views that merge collectives
   * (the log unfiltered or by subject, the feed, a node's changes, the dashboard) keep the change itself only
   * (`isCollectiveCopy`), so a viewer sees one entry per change there.
   */
  collectiveCopies?: true;
}

/** Every event type with its subject's type; a type missing here (or here and not in `EventPayloads`) does not compile. */
export const EVENT_TYPES = {
  'session.revoked': { subject: 'Member' },
  'member.leftCooperative': { subject: 'Member' },
  'member.profileUpdated': { subject: 'Member', collectiveCopies: true },

  'collective.proposed': { subject: 'Collective' },
  'collective.updated': { subject: 'Collective' },
  'collective.closed': { subject: 'Collective' },
  'collective.coAnimatorRemoved': { subject: 'Collective' },

  'membership.joined': { subject: 'Membership' },
  'membership.requested': { subject: 'Membership' },
  'membership.approved': { subject: 'Membership' },
  'membership.declined': { subject: 'Membership' },
  'membership.invited': { subject: 'Membership' },
  'membership.left': { subject: 'Membership' },
  'membership.animationHandedOver': { subject: 'Membership' },
  'membership.coAnimatorSet': { subject: 'Membership' },

  'opportunity.created': { subject: 'Opportunity' },
  'opportunity.updated': { subject: 'Opportunity' },

  'deal.created': { subject: 'Deal' },
  'deal.updated': { subject: 'Deal' },
  'deal.partnersSet': { subject: 'Deal' },
  'deal.statusChanged': { subject: 'Deal' },
  'deal.partnerSubstituted': { subject: 'Deal' },

  'tenderResponse.created': { subject: 'TenderResponse' },
  'tenderResponse.updated': { subject: 'TenderResponse' },
  'tenderSection.added': { subject: 'TenderSection' },
  'tenderSection.updated': { subject: 'TenderSection' },
  'tenderSection.moved': { subject: 'TenderSection' },
  'tenderSection.removed': { subject: 'TenderSection' },
  'tenderSection.statusChanged': { subject: 'TenderSection' },
  'tenderSection.figuresChanged': { subject: 'TenderSection' },
  'tenderSection.versionRestored': { subject: 'TenderSection' },
  'tenderSection.approved': { subject: 'TenderSection' },
  'tenderSection.withdrawn': { subject: 'TenderSection' },

  'stand.created': { subject: 'TradeShowStand' },
  'stand.updated': { subject: 'TradeShowStand' },
  'stand.openingDaysSet': { subject: 'TradeShowStand' },
  'stand.costLineAdded': { subject: 'TradeShowStand' },
  'stand.costLineUpdated': { subject: 'TradeShowStand' },
  'stand.costLineRemoved': { subject: 'TradeShowStand' },
  'stand.participantsSet': { subject: 'TradeShowStand' },
  'stand.splitModeSet': { subject: 'TradeShowStand' },
  'stand.shiftAdded': { subject: 'TradeShowStand' },
  'stand.shiftRemoved': { subject: 'TradeShowStand' },
  'stand.shiftAssigned': { subject: 'TradeShowStand' },
  'stand.shiftUnassigned': { subject: 'TradeShowStand' },

  'brand.created': { subject: 'Brand' },
  'brand.updated': { subject: 'Brand' },
  'brand.holdersSet': { subject: 'Brand' },
  'brand.usageRulesProposed': { subject: 'BrandUsageRuleVersion' },
  'brand.usageRulesApproved': { subject: 'BrandUsageRuleVersion' },
  'brand.usageRulesWithdrawn': { subject: 'BrandUsageRuleVersion' },
  'brand.useGranted': { subject: 'BrandAuthorisedUser' },
  'brand.useRevoked': { subject: 'BrandAuthorisedUser' },

  'product.created': { subject: 'Product' },
  'product.updated': { subject: 'Product' },
  'product.ownersSet': { subject: 'Product' },
  'product.revenueSplitRuleAdded': { subject: 'RevenueSplitRule' },
  'product.saleRecorded': { subject: 'ProductSale' },

  'priceReference.created': { subject: 'PriceReference' },
  'priceReference.updated': { subject: 'PriceReference' },
  'priceReference.removed': { subject: 'PriceReference' },
  'supplierRecommendation.created': { subject: 'SupplierRecommendation' },
  'supplierRecommendation.updated': { subject: 'SupplierRecommendation' },
  'serviceExchange.offered': { subject: 'ServiceExchange' },
  'serviceExchange.accepted': { subject: 'ServiceExchange' },
  'serviceExchange.completed': { subject: 'ServiceExchange' },
  'serviceExchange.cancelled': { subject: 'ServiceExchange' },
  'referral.proposed': { subject: 'Referral' },
  'referral.statusChanged': { subject: 'Referral' },
} as const satisfies Record<EventType, EventTypeInfo>;

/** The subject type an event type names. */
export type EventSubject<T extends EventType> = (typeof EVENT_TYPES)[T]['subject'];

/** The event types recorded with collective copies (`EventTypeInfo.collectiveCopies`). */
export const COPIED_TO_COLLECTIVES: readonly EventType[] = (Object.keys(EVENT_TYPES) as EventType[]).filter(
  (type) => (EVENT_TYPES[type] as EventTypeInfo).collectiveCopies === true,
);

/**
 * True for an event that is a collective's copy of a change recorded once outside any collective: its collective's
 * activity shows it; views that merge collectives leave it out (they show the change itself).
 */
export function isCollectiveCopy(event: { type: string; collectiveId: string | null }): boolean {
  return event.collectiveId !== null && (COPIED_TO_COLLECTIVES as readonly string[]).includes(event.type);
}

/**
 * Top-level payload keys that are the server's alone (`tenderSection.withdrawn`'s `lostBy`: whom it is for, naming
 * other members; a restricted section's `readers` at its removal): stored and read by delivery, never sent (events/payload-ids.ts `payloadWithGlobalIds`).
 */
export const INTERNAL_PAYLOAD_KEYS: ReadonlySet<string> = new Set(['lostBy', 'readers']);

/**
 * True for an event that is a cue to live screens, not a part of the history (`tenderSection.withdrawn`: it names a
 * section its receivers may no longer see, which the history otherwise shows them as if it did not exist): the
 * activity history and the dashboard's recent activity leave it out; streams and their catch-up deliver it.
 */
export function isLiveOnly(event: { type: string }): boolean {
  return event.type === 'tenderSection.withdrawn';
}

/** True for a string that names a registered event type. */
export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EVENT_TYPES, type);
}

/** The families of event types: `membership` for `membership.joined`… */
export type EventFamily = EventType extends `${infer Family}.${string}` ? Family : never;

/** The event types of one family, e.g. `EventTypeOf<'stand'>` for `stand.created`, `stand.updated`… */
export type EventTypeOf<Family extends string> = Extract<EventType, `${Family}.${string}`>;
