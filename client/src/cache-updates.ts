import type { Cache, DataFields, UpdatesConfig, Variables } from '@urql/exchange-graphcache';
import { introspection } from './graphql-introspection';

/** The root list of the Query type that shows each kind of created thing. */
const QUERY_LISTS: Record<string, string[]> = {
  Collective: ['collectives'],
  Opportunity: ['opportunities'],
  Deal: ['deals'],
  TenderResponse: ['tenderResponses', 'sectionsAssignedToMe'],
  TenderSection: ['sectionsAssignedToMe'],
  TradeShowStand: ['stands'],
  Brand: ['brands'],
  Product: ['products'],
  PriceReference: ['priceReferences'],
  SupplierRecommendation: ['supplierRecommendations', 'supplierRatings'],
  ServiceExchange: ['serviceExchanges'],
  Referral: ['referrals'],
  Membership: ['members', 'collectives'],
  Member: ['members'],
};

/** Types that hold lists of other things: when a mutation's result names one, its lists are refetched. */
const CONTAINERS = new Set([
  'Collective',
  'Opportunity',
  'Deal',
  'TenderResponse',
  'TradeShowStand',
  'Brand',
  'Product',
  'Member',
]);

interface Entity {
  __typename: string;
  id: string;
}

const isEntity = (value: unknown): value is Entity =>
  !!value &&
  typeof value === 'object' &&
  typeof (value as Entity).__typename === 'string' &&
  typeof (value as Entity).id === 'string';

/** The containers named inside a mutation's result (not the result itself, whose fields were just written). */
function containersIn(value: unknown, found: Map<string, Entity>, depth: number): void {
  if (!value || typeof value !== 'object' || depth > 4) return;
  if (Array.isArray(value)) {
    for (const item of value) containersIn(item, found, depth);
    return;
  }
  if (depth > 0 && isEntity(value) && CONTAINERS.has(value.__typename)) found.set(`${value.__typename}:${value.id}`, value);
  for (const child of Object.values(value)) containersIn(child, found, depth + 1);
}

function invalidateQueryLists(cache: Cache, names: readonly string[]): void {
  for (const field of cache.inspectFields('Query')) {
    if (names.includes(field.fieldName)) cache.invalidate('Query', field.fieldName, field.arguments ?? undefined);
  }
}

/**
 * After any successful mutation, what else shows the change is refetched: the lists of every container its result
 * names (the collective of a new deal, the deal of a new response…) and the root lists of the created type. Live
 * events do the same for changes made by others (see `applyLiveEvent`); this makes one's own change show at once.
 */
function afterMutation(field: string) {
  return (result: DataFields, _args: Variables, cache: Cache) => {
    const payload = result[field] as { __typename?: string; data?: unknown } | null | undefined;
    if (!payload || typeof payload !== 'object' || !payload.__typename?.endsWith('Success')) return;
    const found = new Map<string, Entity>();
    containersIn(payload.data, found, 0);
    // Each field but the ID: invalidating the whole entity would also empty this very result as graphcache reads
    // it back (`data { id collective { id } }` turned null), and the form would not know what it created.
    for (const { __typename, id } of found.values()) {
      const entity = { __typename, id };
      for (const field of cache.inspectFields(entity)) {
        if (field.fieldName !== 'id' && field.fieldName !== '__typename')
          cache.invalidate(entity, field.fieldName, field.arguments ?? undefined);
      }
    }
    const data = payload.data;
    if (isEntity(data)) invalidateQueryLists(cache, QUERY_LISTS[data.__typename] ?? []);
  };
}

const mutationType = introspection.__schema.types.find((type) => type.name === 'Mutation');
const mutationFields = mutationType && 'fields' in mutationType ? mutationType.fields.map((field) => field.name) : [];

/** One updater per mutation of the schema (graphcache wants them by name). */
export const mutationUpdates: NonNullable<UpdatesConfig['Mutation']> = Object.fromEntries(
  mutationFields.map((name) => [name, afterMutation(name)]),
);
