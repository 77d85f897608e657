import type { EVENT_TYPES } from '../../../server/src/events/types.js';
import { typenameOfGlobalId } from '../client';
import { fr, label } from '../i18n/fr';

/** The GraphQL types an event can be about, as the server's registry lists them. */
export type SubjectType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES]['subject'];

const id = encodeURIComponent;
/** Subjects whose page needs something the ID does not say (a slug, a parent): the resolver page finds it. */
const resolve = (globalId: string) => `/objet/${id(globalId)}`;

/**
 * Where each kind of subject is shown. Typed by the registry: a new subject type without a page does not compile.
 * Resources of a sector collective, memberships and sections live on their parent's page, found by `/objet/:id`.
 */
export const SUBJECT_PAGES: Record<SubjectType, (globalId: string) => string> = {
  Member: (globalId) => `/membres/${id(globalId)}`,
  Collective: resolve,
  Membership: resolve,
  Opportunity: (globalId) => `/opportunites/${id(globalId)}`,
  Deal: (globalId) => `/affaires/${id(globalId)}`,
  TenderResponse: (globalId) => `/reponses/${id(globalId)}`,
  TenderSection: resolve,
  TradeShowStand: (globalId) => `/stands/${id(globalId)}`,
  Brand: (globalId) => `/marques/${id(globalId)}`,
  BrandUsageRuleVersion: resolve,
  BrandAuthorisedUser: resolve,
  Product: (globalId) => `/produits/${id(globalId)}`,
  RevenueSplitRule: resolve,
  ProductSale: resolve,
  PriceReference: resolve,
  SupplierRecommendation: resolve,
  ServiceExchange: resolve,
  Referral: resolve,
};

/** The page of an event's subject (a global ID), or null when the ID names no type the app knows. */
export function subjectPath(subjectId: string): string | null {
  const type = typenameOfGlobalId(subjectId);
  if (!type || !Object.hasOwn(SUBJECT_PAGES, type)) return null;
  return SUBJECT_PAGES[type as SubjectType](subjectId);
}

/** The French label of an event type; a type the app does not know yet (a newer server) gets a neutral one. */
export function eventLabel(type: string): string {
  return Object.hasOwn(fr.events, type) ? label(fr.events, type) : fr.common.somethingChanged;
}

/**
 * The payload fields that name an event's item, in the order they are looked for: a collective's, brand's or
 * product's `name`, a deal's, response's or section's `title` (null for a restricted section: not named), a stand's
 * `eventName`, a cost line's `label`, a supplier's, a client's or a price reference's own (`server/src/events/types.ts`).
 */
const ITEM_NAME_FIELDS = ['title', 'name', 'eventName', 'label', 'supplierName', 'clientName', 'service'] as const;

/** Longest item name shown in an activity line, in characters; longer ones are cut with an ellipsis. */
const ITEM_NAME_MAX = 80;

/**
 * The name of the item an event is about, as its payload carries it (no request of its own), or null when it carries
 * none (a membership, a shift, a status change) or the item is not to be named (a restricted section's title is null).
 */
export function eventItemName(payload: unknown): string | null {
  if (!payload || typeof payload !== 'object') return null;
  for (const field of ITEM_NAME_FIELDS) {
    const value = (payload as Record<string, unknown>)[field];
    if (typeof value !== 'string') continue;
    const name = value.trim().replace(/\s+/g, ' ');
    if (name === '') continue;
    return name.length > ITEM_NAME_MAX ? `${name.slice(0, ITEM_NAME_MAX - 1).trimEnd()}…` : name;
  }
  return null;
}
