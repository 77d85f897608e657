import { type GraphQLSchema, isInputObjectType, isInterfaceType, isObjectType, isUnionType } from 'graphql';

const PAGINATION_ARGS: Record<string, string> = {
  first: 'Return at most this many items from the start (or after `after`); with `last` too, `first` applies first.',
  after: 'Return items after this cursor: its place in the order, even if its item was deleted since.',
  last: 'Return at most this many items from the end (or before `before`).',
  before: 'Return items before this cursor: its place in the order, even if its item was deleted since.',
};

const PAGE_INFO_FIELDS: Record<string, string> = {
  hasNextPage: 'Whether more items follow this page (known when paging with `first`; false with `last` alone).',
  hasPreviousPage: 'Whether items precede this page (known when paging with `last`; false with `first` alone).',
  startCursor: 'Cursor of the first item of this page.',
  endCursor: 'Cursor of the last item of this page; pass it as `after` for the next page.',
};

const words = (name: string) => name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

/**
 * Describes the types the Relay and errors plugins generate (connections, edges, page info,
 * success wrappers and result unions), so every type, field and argument of the API is documented.
 * Descriptions written by hand are kept.
 */
export function documentGeneratedTypes(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isObjectType(type) && type.name.endsWith('ConnectionEdge')) {
      type.description ??= `An item of a ${words(type.name.replace(/Edge$/, ''))}, with its cursor.`;
    } else if (isObjectType(type) && type.name.endsWith('Connection')) {
      type.description ??= `A page of a ${words(type.name)} (Relay cursor connection).`;
    } else if (isObjectType(type) && type.name.endsWith('Success')) {
      type.description ??= `The result of ${words(type.name.replace(/^Mutation|Success$/g, ''))} when it succeeds.`;
    } else if (isUnionType(type) && type.name.endsWith('Result')) {
      type.description ??= `The result of ${words(type.name.replace(/^Mutation|Result$/g, ''))}: success, or one of the typed errors.`;
    } else if (type.name === 'PageInfo') {
      type.description ??= 'Where a page sits in its connection.';
    } else if (type.name === 'Node') {
      type.description ??= 'An object with a global ID, fetchable with `node(id:)`.';
    }
    if (!(isObjectType(type) || isInterfaceType(type) || isInputObjectType(type))) continue;
    for (const field of Object.values(type.getFields())) {
      if (!field.description) {
        if (type.name === 'PageInfo') field.description = PAGE_INFO_FIELDS[field.name];
        else if (field.name === 'edges') field.description = 'The items of this page.';
        else if (field.name === 'pageInfo') field.description = 'Cursors and whether more pages exist.';
        else if (field.name === 'totalCount') field.description = 'Number of items across all pages, with the same filters.';
        else if (field.name === 'cursor') field.description = 'Opaque cursor of this item.';
        else if (field.name === 'node' && type.name.endsWith('Edge')) field.description = 'The item.';
        else if (field.name === 'data' && type.name.endsWith('Success')) field.description = 'What the operation returns.';
        else if (field.name === 'id') field.description = 'Global ID (Relay).';
        else if (type.name === 'Query' && field.name === 'node') field.description = 'Any object by its global ID, or null.';
        else if (type.name === 'Query' && field.name === 'nodes')
          field.description = 'Several objects by global ID, in the same order.';
      }
      if (!('args' in field)) continue;
      for (const arg of field.args) {
        if (arg.description) continue;
        if (arg.name in PAGINATION_ARGS) arg.description = PAGINATION_ARGS[arg.name];
        else if (arg.name === 'input') arg.description = 'The input of this operation.';
        else if (arg.name === 'id') arg.description = 'A global ID.';
        else if (arg.name === 'ids') arg.description = 'Global IDs.';
      }
    }
  }
  return schema;
}
