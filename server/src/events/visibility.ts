import type { CollectiveKind, PrismaClient } from '../generated/prisma/client.js';
import type { LogEvent } from './bus.js';

const PUBLIC_OUTSIDE_COLLECTIVES = ['opportunity.', 'member.'];

/** Who is listening: enough to decide, event by event, what they may receive. */
export interface Listener {
  memberId: string;
  isSupportStaff: boolean;
}

/**
 * What each instance needs to authorise events at delivery, kept current by the events themselves:
 * collectives' kinds and who is an active member where. Since events are applied in log order before
 * they are delivered, a member removed at position n receives nothing of that collective after n.
 */
export class DeliveryIndex {
  readonly #kinds = new Map<string, CollectiveKind>();
  readonly #insiders = new Map<string, Set<string>>();

  constructor(private readonly prisma: PrismaClient) {}

  async load(): Promise<void> {
    const collectives = await this.prisma.collective.findMany({ select: { id: true, kind: true } });
    for (const collective of collectives) this.#kinds.set(collective.id, collective.kind);
  }

  /** Loads a listener's active collectives, once, before their subscription starts. */
  async watch(memberId: string): Promise<void> {
    if (this.#insiders.has(memberId)) return;
    const rows = await this.prisma.membership.findMany({ where: { memberId, status: 'ACTIVE' }, select: { collectiveId: true } });
    this.#insiders.set(memberId, new Set(rows.map((row) => row.collectiveId)));
  }

  /** Applies an event to the index (before it is delivered to anyone). */
  apply(event: LogEvent): void {
    const payload = event.payload as Record<string, unknown>;
    if (event.type === 'collective.proposed' && event.collectiveId && typeof payload.kind === 'string') {
      this.#kinds.set(event.collectiveId, payload.kind as CollectiveKind);
    }
    if (event.type.startsWith('membership.') && event.collectiveId && typeof payload.memberId === 'string') {
      const collectives = this.#insiders.get(payload.memberId);
      if (collectives) {
        if (payload.status === 'ACTIVE') collectives.add(event.collectiveId);
        else if (payload.status === 'LEFT') collectives.delete(event.collectiveId);
      }
    }
    if (event.type === 'collective.closed' && event.collectiveId) {
      for (const collectives of this.#insiders.values()) collectives.delete(event.collectiveId);
    }
  }

  /**
   * Collective and membership events follow the directory's rule (a business collective's only to its
   * members and the support staff); the events of shared resources go to the collective's active members
   * and the support staff only.
   */
  mayReceive(listener: Listener, event: LogEvent): boolean {
    if (listener.isSupportStaff) return true;
    // An event about the listener themselves (their invitation, their approval, a referral to them) is theirs.
    const payload = event.payload as Record<string, unknown>;
    if ([payload.memberId, payload.fromMemberId, payload.toMemberId].includes(listener.memberId)) return true;
    // Outside any collective: the cooperative's shared pipeline and directory are public to members;
    // anything else (a private referral, a session) is only for those it names.
    if (!event.collectiveId) return PUBLIC_OUTSIDE_COLLECTIVES.some((prefix) => event.type.startsWith(prefix));
    const insider = this.#insiders.get(listener.memberId)?.has(event.collectiveId) ?? false;
    if (insider) return true;
    const directoryEvent = event.type.startsWith('collective.') || event.type.startsWith('membership.');
    if (!directoryEvent) return false;
    const kind = this.#kinds.get(event.collectiveId);
    return kind !== undefined && kind !== 'BUSINESS';
  }
}
