import { defaultFieldResolver, type GraphQLSchema } from 'graphql';
import { builder } from '../builder.js';
import { type Context, rereadRights } from '../context.js';
import { eventsRecordedSoFar } from '../events/record.js';
import { documentGeneratedTypes } from './documentation.js';
import './errors.js';
import './enums.js';
import './auth.js';
import './members.js';
import './collectives.js';
import './memberships.js';
import './opportunities.js';
import './deals.js';
import './tenders.js';
import './stands.js';
import './brands.js';
import './products.js';
import './sector-tools.js';
import './activity.js';
import './dashboard.js';
import './collab.js';
import './section-history.js';

export const schema = rereadRightsBetweenFields(documentGeneratedTypes(builder.toSchema({ sortSchema: false })));

/**
 * Makes each root mutation field that runs after an earlier field of the same document recorded events read the
 * caller's rights afresh first (context.ts `rereadRights`). GraphQL runs a mutation's root fields one after the other
 * on one context, whose session and memberships were read once, before the first: `mutation { signOut
 * updateMyProfile(…) }` stored the profile of a member who had just signed out, and a co-animator's
 * `leaveCollective` then `updateCollective` renamed the collective they had left (attack, 2026-12-01). A document
 * of one field, or whose earlier fields recorded nothing, reads nothing more. Returns `schema`, changed in place.
 */
function rereadRightsBetweenFields(schema: GraphQLSchema): GraphQLSchema {
  /** Per context, the count of events recorded when its rights were last read. */
  const readAt = new WeakMap<Context, number>();
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
    const resolve = field.resolve ?? defaultFieldResolver;
    field.resolve = (source, args, context: Context, info) => {
      const recorded = eventsRecordedSoFar();
      if (recorded === (readAt.get(context) ?? 0)) return resolve(source, args, context, info);
      readAt.set(context, recorded);
      return rereadRights(context).then(() => resolve(source, args, context, info));
    };
  }
  return schema;
}
