import { createHash, randomBytes } from 'node:crypto';
import type { SqlRunner } from '../db/database.js';
import type { Member, PrismaClient } from '../generated/prisma/client.js';
import type { ContractKind, MemberKind, MemberSituation, MembershipRole, Sector } from '../generated/prisma/enums.js';

export interface SignedIn {
  sessionId: string;
  expiresAt: Date;
  member: Member;
}

/**
 * The last two values digested, with their digests: a request digests its `Authorization` header three times
 * (caller limits) and its token once (the session), so each is worked out once (issue 11).
 */
const recentDigests: Array<{ token: string; digest: string }> = [];

/** Only this digest of a token is stored, so a leaked table grants nothing. */
export function hashToken(token: string): string {
  for (const recent of recentDigests) if (recent.token === token) return recent.digest;
  const digest = createHash('sha256').update(token).digest('hex');
  recentDigests.unshift({ token, digest });
  recentDigests.length = Math.min(recentDigests.length, 2);
  return digest;
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

/** An active membership of the signed-in member: what `Access` needs. */
export interface ActiveMembership {
  collectiveId: string;
  role: MembershipRole;
}

interface SignedInRow {
  sessionId: string;
  expiresAt: Date;
  revokedAt: Date | null;
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  kind: MemberKind;
  contract: ContractKind;
  isAssociate: boolean;
  associateSince: Date | null;
  situation: MemberSituation;
  trade: string;
  sectors: Sector[];
  joinedCooperativeOn: Date;
  leftCooperativeOn: Date | null;
  passwordHash: string;
  createdAt: Date;
  updatedAt: Date;
  /** `collectiveId:role` of each active membership. */
  memberships: string[];
}

/** A live session and its member's active memberships, as `resolveSignedIn` reads them. */
export interface Authenticated {
  session: SignedIn;
  memberships: ActiveMembership[];
}

/**
 * The columns and tables of `resolveSignedIn` and `resolveSignedInSession`, up to their WHERE ($1). The member's
 * columns are listed as Prisma reads them (enums as text, days as UTC midnight: `pg` would read a DATE as the
 * process's local midnight); tests/api/query-count.test.ts checks the row equals what `prisma.member` returns, in any
 * time zone.
 */
const SIGNED_IN = `
    SELECT s.id AS "sessionId", s."expiresAt", s."revokedAt",
      m.id, m.email, m."firstName", m."lastName", m.kind::text AS kind, m.contract::text AS contract, m."isAssociate",
      m."associateSince"::timestamp AT TIME ZONE 'UTC' AS "associateSince", m.situation::text AS situation, m.trade,
      m.sectors::text[] AS sectors, m."joinedCooperativeOn"::timestamp AT TIME ZONE 'UTC' AS "joinedCooperativeOn",
      m."leftCooperativeOn"::timestamp AT TIME ZONE 'UTC' AS "leftCooperativeOn", m."passwordHash", m."createdAt", m."updatedAt",
      ARRAY(SELECT ms."collectiveId"::text || ':' || ms.role::text FROM "Membership" ms
            WHERE ms."memberId" = m.id AND ms.status = 'ACTIVE') AS memberships
    FROM "Session" s JOIN "Member" m ON m.id = s."memberId"`;

/**
 * `resolveSession` and the member's active memberships in one statement (issue 11: a request's authentication
 * cost three, the session, its member and their memberships). Null when the token names no live session.
 */
export function resolveSignedIn(sql: Pick<SqlRunner, 'query'>, token: string, now = new Date()): Promise<Authenticated | null> {
  return readSignedIn(sql, `${SIGNED_IN} WHERE s."tokenHash" = $1`, hashToken(token), now);
}

/**
 * `resolveSignedIn` by the session's ID (a UUID), for a graphql-ws socket, which keeps its session, not its token:
 * what the database says now of a session the socket read at `connection_init` (ended since by a sign-out, a
 * member leaving the cooperative, here or on another instance). Null when it is no longer live.
 */
export function resolveSignedInSession(
  sql: Pick<SqlRunner, 'query'>,
  sessionId: string,
  now = new Date(),
): Promise<Authenticated | null> {
  return readSignedIn(sql, `${SIGNED_IN} WHERE s.id = $1::uuid`, sessionId, now);
}

async function readSignedIn(
  sql: Pick<SqlRunner, 'query'>,
  statement: string,
  key: string,
  now: Date,
): Promise<Authenticated | null> {
  const [row] = await sql.query<SignedInRow>(statement, [key]);
  if (!row || row.revokedAt || row.expiresAt <= now || row.situation !== 'ACTIVE') return null;
  const { sessionId, expiresAt, revokedAt: _revokedAt, memberships, ...member } = row;
  return {
    session: { sessionId, expiresAt, member },
    memberships: memberships.map((entry) => {
      const [collectiveId = '', role] = entry.split(':');
      return { collectiveId, role: role as MembershipRole };
    }),
  };
}
