import { createHash, randomBytes } from 'node:crypto';
import type { Member, PrismaClient } from '../generated/prisma/client.js';

export interface SignedIn {
  sessionId: string;
  expiresAt: Date;
  member: Member;
}

/** Only this digest of a token is stored, so a leaked table grants nothing. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Opens a session and returns its opaque token (shown once, never stored). */
export async function openSession(prisma: PrismaClient, memberId: string, ttlMs: number, now = new Date()) {
  const token = randomBytes(32).toString('base64url');
  const session = await prisma.session.create({
    data: { memberId, tokenHash: hashToken(token), expiresAt: new Date(now.getTime() + ttlMs) },
  });
  return { token, session };
}

/** The live session a token names: not expired, not revoked, its member still in the cooperative. */
export async function resolveSession(prisma: PrismaClient, token: string, now = new Date()): Promise<SignedIn | null> {
  const session = await prisma.session.findUnique({ where: { tokenHash: hashToken(token) }, include: { member: true } });
  if (!session || session.revokedAt || session.expiresAt <= now || session.member.situation !== 'ACTIVE') return null;
  return { sessionId: session.id, expiresAt: session.expiresAt, member: session.member };
}
