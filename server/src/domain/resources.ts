import { NO_ONE } from '../auth/access.js';
import type { Context } from '../context.js';
import { ForbiddenError, NotFoundError } from '../errors.js';

/**
 * Prisma filter for the resources of the collectives the viewer may read: all of them for the support
 * staff, those of the viewer's active collectives otherwise. Use it in every list and node lookup, so that
 * what the viewer may not see looks exactly like what does not exist.
 */
export function readableCollectivesWhere(context: Context): { collectiveId?: { in: string[] } } {
  if (context.access.isSupportStaff) return {};
  const ids = [...context.access.insiderOf];
  return { collectiveId: { in: ids.length > 0 ? ids : [NO_ONE] } };
}

/** Description of the `viewerCanChange` field of a collective's resources (brands, products, stands, deals). */
export const VIEWER_CAN_CHANGE =
  'Whether the viewer may change it: an active member of its collective. The support staff read it only; the web app hides what the viewer cannot do.';

/**
 * Before changing a resource of `collectiveId`: outsiders get not-found (no existence leak), the support
 * staff (who may read) get forbidden, active members pass.
 */
export function requireChangeable(context: Context, collectiveId: string, field: string | null, what = 'resource'): void {
  if (context.access.changesResourcesOf(collectiveId)) return;
  if (context.access.readsResourcesOf(collectiveId))
    throw new ForbiddenError('Seuls les membres actifs de son collectif peuvent modifier ceci.');
  throw new NotFoundError(field, what);
}
