import type { Limits } from '../config.js';
import { RuleViolationError } from '../errors.js';
import { claimInTransaction } from '../events/idempotency.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { logger } from '../observability/log.js';

/** What a section may keep of its history (`Limits['work']`, SECTION_MAX_* settings; SECURITY.md). */
export type VersionLimits = Pick<
  Limits['work'],
  'maxNamedVersionsPerSection' | 'maxAutomaticVersionsPerSection' | 'maxVersionBytesPerSection'
>;

/** A version to keep: its section, name (null for an automatic one), encoded Yjs state and content hash. */
export interface NewVersion {
  sectionId: string;
  name: string | null;
  state: Uint8Array<ArrayBuffer>;
  contentHash: string;
  authorId: string | null;
}

interface Kept {
  id: string;
  automatic: boolean;
  bytes: number;
}

/**
 * Stores a version of a section within its history's bounds, in one transaction that locks the section's row
 * (so concurrent saves, aliased or not, cannot both pass the count). A section keeps at most
 * `maxNamedVersionsPerSection` named versions and `maxAutomaticVersionsPerSection` automatic ones, and at most
 * `maxVersionBytesPerSection` bytes of states in all. Automatic versions give way: the oldest are deleted to make
 * room for a new one of either kind. Sizes are read with `octet_length`, which PostgreSQL answers from the stored
 * value's header without reading the state.
 *
 * A named version claims the calling mutation's idempotency key in that transaction (`events/idempotency.ts`).
 * Returns the new version's ID, or null for an automatic version that cannot fit beside the named ones (skipped).
 * @throws RuleViolationError `TOO_MANY_VERSIONS` (field `input.sectionId`) for a named version past a bound;
 * nothing is stored or deleted then.
 */
export async function keepVersion(prisma: PrismaClient, limits: VersionLimits, version: NewVersion): Promise<string | null> {
  const automatic = version.name === null;
  return prisma.$transaction(
    async (tx) => {
      await tx.$queryRaw`SELECT id FROM "TenderSection" WHERE id = ${version.sectionId}::uuid FOR UPDATE`;
      // A named version is a mutation's whole write (it records no event): its idempotency key is claimed here.
      // An automatic one is the server's, whatever request's async context it runs in.
      if (!automatic) await claimInTransaction(tx);
      const kept = (
        await tx.$queryRaw<Array<{ id: string; automatic: boolean; bytes: number }>>`
          SELECT id::text AS id, automatic, octet_length(state)::int AS bytes FROM "SectionVersion"
          WHERE "sectionId" = ${version.sectionId}::uuid ORDER BY "createdAt" ASC, id ASC`
      ).map((row): Kept => ({ id: row.id, automatic: row.automatic, bytes: Number(row.bytes) }));
      const named = kept.filter((row) => !row.automatic).length;
      if (!automatic && named >= limits.maxNamedVersionsPerSection)
        throw new RuleViolationError('input.sectionId', 'TOO_MANY_VERSIONS');
      let bytes = kept.reduce((sum, row) => sum + row.bytes, 0);
      let automaticCount = kept.length - named;
      const pruned: string[] = [];
      // Oldest automatic versions first, until the new one fits both bounds.
      for (const row of kept) {
        const fits =
          bytes + version.state.byteLength <= limits.maxVersionBytesPerSection &&
          (!automatic || automaticCount < limits.maxAutomaticVersionsPerSection);
        if (fits) break;
        if (!row.automatic) continue;
        pruned.push(row.id);
        bytes -= row.bytes;
        automaticCount -= 1;
      }
      const fits =
        bytes + version.state.byteLength <= limits.maxVersionBytesPerSection &&
        (!automatic || automaticCount < limits.maxAutomaticVersionsPerSection);
      if (!fits) {
        if (!automatic) throw new RuleViolationError('input.sectionId', 'TOO_MANY_VERSIONS');
        logger.info({ sectionId: version.sectionId }, 'Automatic version skipped: the named versions fill the section’s history');
        return null;
      }
      if (pruned.length > 0) await tx.sectionVersion.deleteMany({ where: { id: { in: pruned } } });
      const created = await tx.sectionVersion.create({
        data: {
          sectionId: version.sectionId,
          name: version.name,
          automatic,
          state: version.state,
          contentHash: version.contentHash,
          authorId: version.authorId,
        },
        select: { id: true },
      });
      return created.id;
    },
    { maxWait: 30_000, timeout: 60_000 },
  );
}
