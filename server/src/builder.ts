import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ValidationPlugin from '@pothos/plugin-validation';
import { type GraphQLResolveInfo, GraphQLScalarType, isObjectType } from 'graphql';
import { DateResolver, DateTimeResolver, JSONResolver, SafeIntResolver } from 'graphql-scalars';
import { createGraphQLError } from 'graphql-yoga';
import type { Context } from './context.js';
import { unauthenticatedError } from './errors.js';
import type PrismaTypes from './generated/pothos-types.js';
import { getDatamodel } from './generated/pothos-types.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { isStorableDate } from './limits/dates.js';
import { parseGlobalId } from './schema/ids.js';
import { validationError } from './schema/validation.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: {
    /** An active member of the cooperative is signed in. */
    member: boolean;
    supportStaff: boolean;
    /** The viewer may see inside this collective (always, unless it is a business one they are not in). */
    seesCollectiveInternals: string;
    /** The viewer is this member. */
    viewerIs: string;
  };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    Date: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    Cents: { Input: number; Output: number };
  };
  DefaultFieldNullability: false;
}>({
  defaultFieldNullability: false,
  // Relay first, so that scope checks receive decoded global IDs.
  plugins: [RelayPlugin, ScopeAuthPlugin, ErrorsPlugin, ValidationPlugin, PrismaPlugin],
  scopeAuth: {
    authorizeOnSubscribe: true,
    runScopesOnType: true,
    // A refusal is a coded error (never masked as an internal one): anonymous callers sign in first.
    // Pothos' own message ("Not authorized to resolve…") is English and names the schema: ours says what to do.
    unauthorizedError: (_parent, context) =>
      context.access.isMember
        ? createGraphQLError('Vous n’avez pas le droit de faire cela.', { extensions: { code: 'FORBIDDEN' } })
        : unauthenticatedError(),
    authScopes: (context) => ({
      member: context.access.isMember,
      supportStaff: context.access.isSupportStaff,
      seesCollectiveInternals: (collectiveId) => context.access.canSeeInternalsOf(collectiveId),
      viewerIs: (memberId) => context.access.viewer?.id === memberId,
    }),
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    // A malformed global ID (not base64 of `Type:uuid`) is the caller's mistake: BAD_USER_INPUT, never a 500.
    decodeGlobalID: parseGlobalId,
    // A well-formed ID of a type that is not a node (`Nope:<uuid>`) is simply not found: null, as Relay says.
    nodeQueryOptions: {
      resolve: (_root, args, _context, info, resolveNode) => (isNodeType(info, args.id.typename) ? resolveNode(args.id) : null),
    },
    nodesQueryOptions: {
      resolve: (_root, args, _context, info, resolveNodes) => {
        // Pothos resolves `args.ids` itself (the list passed is ignored): entries set to null resolve to null.
        const ids = args.ids as Array<{ typename: string; id: string } | null>;
        for (const [index, id] of ids.entries()) if (id && !isNodeType(info, id.typename)) ids[index] = null;
        return resolveNodes(args.ids);
      },
    },
  },
  errors: { defaultTypes: [], unsafelyHandleInputErrors: true },
  // Each issue said in French from its reason and limit (schema/validation.ts).
  validation: { validationError },
  prisma: {
    // The client is per request (the context's), so tests and several databases can share one schema.
    client: (context) => context.prisma as PrismaClient,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === 'production' ? null : 'warn',
  },
});

/** Whether `typename` names an object type of the schema that implements `Node` (what `node(id:)` can load). */
function isNodeType(info: GraphQLResolveInfo, typename: string): boolean {
  const type = info.schema.getType(typename);
  return isObjectType(type) && type.getInterfaces().some((implemented) => implemented.name === 'Node');
}

/**
 * `scalar`'s config with its input parsers also refusing instants outside years 0001–9999 (`isStorableDate`):
 * `BAD_USER_INPUT` instead of PostgreSQL's out-of-range error (22008) answered as an internal one.
 */
function storableDates(scalar: GraphQLScalarType) {
  const { parseValue, parseLiteral } = scalar.toConfig();
  const storable = (date: unknown): Date => {
    if (date instanceof Date && !isStorableDate(date)) {
      throw createGraphQLError(`${scalar.name} hors limites : années 0001 à 9999 seulement.`, {
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
    return date as Date;
  };
  return {
    parseValue: (value: unknown) => storable(parseValue?.(value)),
    parseLiteral: (...args: Parameters<NonNullable<typeof parseLiteral>>) => storable(parseLiteral?.(...args)),
  };
}

builder.addScalarType('DateTime', DateTimeResolver, storableDates(DateTimeResolver));
builder.addScalarType('Date', DateResolver, storableDates(DateResolver));
builder.addScalarType('JSON', JSONResolver, {});
// Sums of amounts: each amount is an Int (below 2^31), their sum need not be (two 20 M€ deals). graphql-scalars'
// SafeInt, renamed for what it holds: a JSON number, exact to 2^53 − 1 as any JavaScript number.
builder.addScalarType(
  'Cents',
  new GraphQLScalarType({
    ...SafeIntResolver.toConfig(),
    name: 'Cents',
    description:
      'A sum of amounts in euro cents (an integer), e.g. the total of several deals or sales: sent as a JSON number like `Int`, but not limited to 32 bits. Exact up to 2^53 − 1 (9 007 199 254 740 991 cents); a sum of amounts the API accepts stays far below.',
  }),
  {},
);

builder.queryType({
  description: 'Everything a member can read. Anonymous callers get nothing here: they sign in first.',
  authScopes: { member: true },
});
builder.subscriptionType({
  description: 'Live updates over graphql-ws (same path) or SSE. Each takes `after` to resume exactly where a client left off.',
  authScopes: { member: true },
});
builder.mutationType({
  description: 'Every change. Rules broken come back as typed errors and change nothing.',
  authScopes: { member: true },
});
