import type { CollectiveKind, Member, PrismaClient } from '../generated/prisma/client.js';
import type { ActiveMembership } from './sessions.js';

/** A UUID that matches no row, for filters built for a viewer with nothing to match. */
export const NO_ONE = '00000000-0000-0000-0000-000000000000';

/** A member's active memberships (one query): what `Access` is built from. */
export function activeMemberships(prisma: PrismaClient, memberId: string): Promise<ActiveMembership[]> {
  return prisma.membership.findMany({ where: { memberId, status: 'ACTIVE' }, select: { collectiveId: true, role: true } });
}

/**
 * Who may see what, for one request. Each answer needs at most one query, made once, so checking
 * fifty collectives costs the same as checking one.
 */
/**
 * The sets `Access.withMemberships` derives from a list of memberships, made once per list: a socket keeps its
 * viewer's memberships (one array, `Lifecycle.memberships`) for all its operations, and each idle subscription's
 * context held two sets of its own built from it (~0.5 KB per subscriber in bench/fanout's heap snapshot, issue 11).
 * Nothing writes to them (read-only sets); a list read again is another array, with sets of its own.
 */
const membershipSets = new WeakMap<
  ReadonlyArray<{ collectiveId: string; role: string }>,
  { insiderOf: ReadonlySet<string>; animatorOf: ReadonlySet<string> }
>();

export class Access {
  #business: Promise<Set<string>> | undefined;
  /** `#business` once read. */
  #businessIds: Set<string> | undefined;
  #partnerDeals: Promise<Set<string>> | undefined;
  /** Kinds of the collectives this request's answer holds (their type check, `checksCollective`). */
  #kinds: Map<string, CollectiveKind> | undefined;

  private constructor(
    private readonly prisma: PrismaClient,
    readonly viewer: Member | null,
    /** Collectives where the viewer has an active membership. */
    readonly insiderOf: ReadonlySet<string>,
    /** Collectives the viewer animates or co-animates. */
    readonly animatorOf: ReadonlySet<string>,
  ) {}

  /** Loads the viewer's active memberships once (one query), so later checks are synchronous. */
  static async forViewer(prisma: PrismaClient, viewer: Member | null): Promise<Access> {
    return Access.withMemberships(prisma, viewer, viewer ? await activeMemberships(prisma, viewer.id) : []);
  }

  /** The viewer with active memberships already read (with the session, `resolveSignedIn`): no query. */
  static withMemberships(
    prisma: PrismaClient,
    viewer: Member | null,
    rows: ReadonlyArray<{ collectiveId: string; role: string }>,
  ): Access {
    let sets = membershipSets.get(rows);
    if (!sets) {
      sets = {
        insiderOf: new Set(rows.map((row) => row.collectiveId)),
        animatorOf: new Set(rows.filter((row) => row.role !== 'MEMBER').map((row) => row.collectiveId)),
      };
      membershipSets.set(rows, sets);
    }
    return new Access(prisma, viewer, sets.insiderOf, sets.animatorOf);
  }

  /**
   * The viewer without their memberships (no query): insider and animator of nothing, so every check that
   * needs them fails closed. For operations that read none (a presence update, see context.ts).
   */
  static withoutMemberships(prisma: PrismaClient, viewer: Member | null): Access {
    return new Access(prisma, viewer, new Set(), new Set());
  }

  get isMember(): boolean {
    return this.viewer?.situation === 'ACTIVE';
  }

  get isSupportStaff(): boolean {
    return this.isMember && this.viewer?.kind === 'SUPPORT_STAFF';
  }

  /** A business collective's internals are for its members and the support staff; the rest is open to every member. */
  canSeeInternals(collective: { id: string; kind: CollectiveKind }): boolean {
    if (!this.isMember) return false;
    return collective.kind !== 'BUSINESS' || this.isSupportStaff || this.insiderOf.has(collective.id);
  }

  /** A collective's shared resources are read by its active members and the support staff. */
  readsResourcesOf(collectiveId: string): boolean {
    return this.isMember && (this.isSupportStaff || this.insiderOf.has(collectiveId));
  }

  /** …and changed by its active members only (the support staff read them, nothing more). */
  changesResourcesOf(collectiveId: string): boolean {
    return this.isMember && this.insiderOf.has(collectiveId);
  }

  /** Deals where the viewer is an active partner: a partner sees the deal even from outside its collective. */
  partnerDeals(): Promise<Set<string>> {
    const viewer = this.viewer;
    this.#partnerDeals ??= viewer
      ? this.prisma.dealPartner
          .findMany({ where: { memberId: viewer.id, status: 'ACTIVE' }, select: { dealId: true } })
          .then((rows) => new Set(rows.map((row) => row.dealId)))
      : Promise.resolve(new Set());
    return this.#partnerDeals;
  }

  /**
   * The Collective type's check (the scope `member`, as a boolean), which also remembers the collective's kind: its
   * memberships' checks (`seesInternalsOf`) then answer synchronously, with no query. Without it the 250 memberships
   * of 50 collectives were all checked in the executor's first pass, before the business collectives were read, so
   * each got a promise and every object above them completed asynchronously (issue 11: nested query).
   */
  checksCollective(collective: { id: string; kind?: CollectiveKind }): boolean {
    if (typeof collective.kind === 'string') {
      this.#kinds ??= new Map();
      this.#kinds.set(collective.id, collective.kind);
    }
    return this.isMember;
  }

  /** The same answer as `canSeeInternals`, from a collective's ID alone. */
  async canSeeInternalsOf(collectiveId: string): Promise<boolean> {
    return this.seesInternalsOf(collectiveId);
  }

  /**
   * `canSeeInternalsOf`, synchronous once the business collectives are known (after the request's first
   * check, or at once for a non-member or the support staff): a list of 250 memberships then costs one
   * promise, not one per row (the Membership type check runs per object; see schema/memberships.ts).
   */
  seesInternalsOf(collectiveId: string): boolean | Promise<boolean> {
    if (!this.isMember) return false;
    if (this.isSupportStaff) return true;
    const kind = this.#kinds?.get(collectiveId);
    if (kind !== undefined) return kind !== 'BUSINESS' || this.insiderOf.has(collectiveId);
    if (this.#businessIds) return !this.#businessIds.has(collectiveId) || this.insiderOf.has(collectiveId);
    this.#business ??= this.prisma.collective.findMany({ where: { kind: 'BUSINESS' }, select: { id: true } }).then((rows) => {
      this.#businessIds = new Set(rows.map((row) => row.id));
      return this.#businessIds;
    });
    return this.#business.then((business) => !business.has(collectiveId) || this.insiderOf.has(collectiveId));
  }
}
