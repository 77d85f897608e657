import type { PrismaClient } from '../generated/prisma/client.js';

/**
 * Deletes the events older than `before` and records how far the log was cut, so a subscriber
 * resuming from a deleted position is told to re-query instead of silently missing events.
 */
export async function pruneEventLog(prisma: PrismaClient, before: Date): Promise<bigint | null> {
  return prisma.$transaction(async (tx) => {
    const newest = await tx.eventLog.findFirst({
      where: { createdAt: { lt: before } },
      orderBy: { position: 'desc' },
      select: { position: true },
    });
    if (!newest) return null;
    await tx.eventLog.deleteMany({ where: { position: { lte: newest.position } } });
    await tx.eventLogHorizon.upsert({
      where: { id: 1 },
      create: { id: 1, prunedThrough: newest.position },
      update: { prunedThrough: newest.position },
    });
    return newest.position;
  });
}
