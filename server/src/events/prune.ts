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

/**
 * The log's head: the last position ever recorded, whether its row is still there or pruned (`EventLogHorizon`).
 * Two reads (the last row, the horizon). Why not the last row alone: once the retention prune has deleted every row
 * of a quiet cooperative, that read says 0, an instance started then took 0 for its position, refused a client
 * resuming after the last event it saw (BAD_USER_INPUT, "past the log's end"), and a history's `livePosition` of 0
 * lay below the horizon, so a client resuming from it was told LOG_TRUNCATED again at each re-query (attack of this
 * stop, findings 1 and 2). Positions never go back, so the horizon is a position already reached.
 */
export async function readLogHead(prisma: PrismaClient): Promise<bigint> {
  const [last, horizon] = await Promise.all([
    prisma.eventLog.findFirst({ orderBy: { position: 'desc' }, select: { position: true } }),
    prisma.eventLogHorizon.findUnique({ where: { id: 1 }, select: { prunedThrough: true } }),
  ]);
  const row = last?.position ?? 0n;
  const pruned = horizon?.prunedThrough ?? 0n;
  return row > pruned ? row : pruned;
}
