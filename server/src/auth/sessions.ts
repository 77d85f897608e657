import { AsyncResource } from 'node:async_hooks';
import { createHash, randomBytes } from 'node:crypto';
import { outsideReadLane, type SqlRunner } from '../db/database.js';
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
 * cost three, the session, its member and their memberships). Null when the token names no live session. Reads
 * asked in one turn of the event loop are grouped (`GroupedReads`): one statement for them all.
 */
export function resolveSignedIn(sql: Pick<SqlRunner, 'query'>, token: string, now = new Date()): Promise<Authenticated | null> {
  return readsOf(sql, 'token').read(hashToken(token), now);
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
  // Compared with the row's ID as PostgreSQL spells it (its uuid input also takes upper case and braces); anything
  // else names no session, and fails no one's group.
  const hex = sessionId
    .toLowerCase()
    .replace(/^\{(.*)\}$/, '$1')
    .replaceAll('-', '');
  if (!/^[0-9a-f]{32}$/.test(hex)) return Promise.resolve(null);
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return readsOf(sql, 'session').read(id, now);
}

/** The statement of each kind of read, for any number of keys (`$1`, an array), each row naming its key. */
const GROUPED = {
  token: `${SIGNED_IN.replace('SELECT ', 'SELECT s."tokenHash" AS "readKey", ')} WHERE s."tokenHash" = ANY($1::text[])`,
  session: `${SIGNED_IN.replace('SELECT ', 'SELECT s.id::text AS "readKey", ')} WHERE s.id = ANY($1::uuid[])`,
} as const;

/** At most this many keys in one statement; the rest go in another. */
const GROUP_MAX = 256;

const groupedReads = new WeakMap<Pick<SqlRunner, 'query'>, Record<keyof typeof GROUPED, GroupedReads>>();

function readsOf(sql: Pick<SqlRunner, 'query'>, kind: keyof typeof GROUPED): GroupedReads {
  let reads = groupedReads.get(sql);
  if (!reads) {
    reads = { token: new GroupedReads(sql, GROUPED.token), session: new GroupedReads(sql, GROUPED.session) };
    groupedReads.set(sql, reads);
  }
  return reads[kind];
}

interface Waiter {
  now: Date;
  resolve: (signedIn: Authenticated | null) => void;
  reject: (error: unknown) => void;
}

/**
 * Sessions read as a group (issue 11: on PostgreSQL every signed-in request read its own, a statement that cost more
 * server CPU than the rest of a `{ __typename }`). The reads asked during one turn of the event loop (the requests it
 * read and worked on) go together in one statement, sent once that turn's callbacks have run (`setImmediate`). Every
 * read is still sent after it was asked (never answered by a statement sent before), so a sign-out or a departure
 * committed before a request is seen by it, on any instance: nothing is kept. Groups do not wait for each other: a
 * statement held (a table locked elsewhere, a connection gone silent) holds only the reads of its own group, as it held
 * only its own request before (attack of stop 29). A statement that fails rejects the reads of its group with its error.
 * The sending runs outside the request that asked first (its log scope and read lane are not the others').
 */
class GroupedReads {
  #waiting = new Map<string, Waiter[]>();
  #scheduled = false;

  constructor(
    private readonly sql: Pick<SqlRunner, 'query'>,
    private readonly statement: string,
  ) {}

  read(key: string, now: Date): Promise<Authenticated | null> {
    return new Promise((resolve, reject) => {
      const waiters = this.#waiting.get(key);
      if (waiters) waiters.push({ now, resolve, reject });
      else this.#waiting.set(key, [{ now, resolve, reject }]);
      if (this.#scheduled) return;
      this.#scheduled = true;
      detached.runInAsyncScope(() => setImmediate(() => this.#sendWaiting()));
    });
  }

  #sendWaiting(): void {
    this.#scheduled = false;
    const waiting = [...this.#waiting];
    this.#waiting = new Map();
    for (let from = 0; from < waiting.length; from += GROUP_MAX)
      void outsideReadLane(() => this.#send(waiting.slice(from, from + GROUP_MAX)));
  }

  async #send(group: Array<[string, Waiter[]]>): Promise<void> {
    let rows: Array<SignedInRow & { readKey: string }>;
    try {
      rows = await this.sql.query(this.statement, [group.map(([key]) => key)]);
    } catch (error) {
      for (const [, waiters] of group) for (const waiter of waiters) waiter.reject(error);
      return;
    }
    const byKey = new Map(rows.map((row) => [row.readKey, row]));
    // Each answered alone: a row that cannot be read fails its own callers only.
    for (const [key, waiters] of group)
      for (const waiter of waiters) {
        try {
          waiter.resolve(signedInOf(byKey.get(key), waiter.now));
        } catch (error) {
          waiter.reject(error);
        }
      }
  }
}

/** The scope the groups are sent from: made at load, outside any request. */
const detached = new AsyncResource('GroupedReads');

/** The member's row with its own lists and dates. */
function ownCopy<Row extends object>(row: Row): Row {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row))
    copy[key] = value instanceof Date ? new Date(value) : Array.isArray(value) ? [...value] : value;
  return copy as Row;
}

/** A row as `resolveSignedIn` answers it: null unless its session is live and its member active. New objects each call. */
function signedInOf(row: SignedInRow | undefined, now: Date): Authenticated | null {
  if (!row || row.revokedAt || row.expiresAt <= now || row.situation !== 'ACTIVE') return null;
  const {
    sessionId,
    expiresAt,
    revokedAt: _revokedAt,
    memberships,
    readKey: _readKey,
    ...member
  } = row as SignedInRow & {
    readKey?: string;
  };
  return {
    // Copies for each caller (callers of one token share a row): no caller can change another's.
    session: { sessionId, expiresAt: new Date(expiresAt), member: ownCopy(member) },
    memberships: memberships.map((entry) => {
      const [collectiveId = '', role] = entry.split(':');
      return { collectiveId, role: role as MembershipRole };
    }),
  };
}
