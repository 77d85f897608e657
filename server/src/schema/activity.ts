import { execute, type GraphQLSchema, parse } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import { Access } from '../auth/access.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import { ForbiddenError, NotFoundError, unauthenticatedError } from '../errors.js';
import type { LogEvent, StreamMessage } from '../events/bus.js';
import { payloadWithGlobalIds } from '../events/payload-ids.js';
import { readLogHead } from '../events/prune.js';
import { COPIED_TO_COLLECTIVES, isCollectiveCopy, isLiveOnly } from '../events/types.js';
import type { Member, Prisma } from '../generated/prisma/client.js';
import { accessChange, type StreamSubject, VIEWER } from '../live/lifecycle.js';
import { canonicalGlobalId, decodeGlobalId, idOf } from './ids.js';
import { MemberRef } from './members.js';

type EventMessage = Extract<StreamMessage, { kind: 'event' }>;
type ResyncMessage = Extract<StreamMessage, { kind: 'resync' }>;

export const ActivityEvent = builder.objectRef<EventMessage>('ActivityEvent').implement({
  description: 'One committed change, from the event log, in commit order.',
  fields: (t) => ({
    position: t.string({
      description:
        'Position in the log (a decimal integer, increasing in commit order). Pass the last one you received as `after` to resume.',
      resolve: (event) => event.position.toString(),
    }),
    type: t.exposeString('type', { description: 'What happened, e.g. `membership.joined`, `collective.updated`.' }),
    subjectId: t.exposeID('subjectId', { description: 'Global ID of the node the change is about.' }),
    collectiveId: t.id({
      nullable: true,
      description: 'Global ID of the collective concerned, if any.',
      resolve: (event) => (event.collectiveId ? Buffer.from(`Collective:${event.collectiveId}`).toString('base64') : null),
    }),
    actor: t.field({
      type: MemberRef,
      nullable: true,
      description: 'Who made the change (loaded only when asked for).',
      resolve: (event, _args, context) => (event.actorId ? actorOfEvent(context, event.position, event.actorId) : null),
    }),
    payload: t.field({
      type: 'JSON',
      description:
        'The new values a screen needs to update without re-querying. Every ID in it (`memberId`, `responseId`, `ownerIds`…) is a global ID, as `subjectId` is.',
      resolve: (event) => payloadWithGlobalIds(event.payload),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was committed.' }),
  }),
});

/** Events whose actor was read lately, by log position: one read per event, whatever its number of subscribers. */
const actors = new Map<string, { at: number; member: Promise<Member | null> }>();
/** Enough for the events delivered at once to every subscriber of a burst; the oldest are forgotten first. */
const ACTORS_KEPT = 1_024;
/** How long a read actor serves (ms): long enough for one event's delivery to all, short enough that a renamed member shows soon. */
const ACTOR_FRESH_MS = 10_000;

/**
 * The actor of the event at `position`, read once for all the subscribers it is delivered to (issue 11: not
 * once per subscriber) while fresh (`ACTOR_FRESH_MS`); a failed read is not kept.
 */
function actorOfEvent(context: Context, position: bigint, actorId: string): Promise<Member | null> {
  const key = `${position}:${actorId}`;
  const now = Date.now();
  const known = actors.get(key);
  if (known && now - known.at < ACTOR_FRESH_MS) return known.member;
  const member = context.prisma.member.findUnique({ where: { id: actorId } });
  actors.delete(key);
  actors.set(key, { at: now, member });
  member.catch(() => actors.delete(key));
  if (actors.size > ACTORS_KEPT) actors.delete(actors.keys().next().value as string);
  return member;
}

const ResyncReason = builder.enumType('ResyncReason', {
  description: 'Why a subscriber must re-query.',
  values: {
    LOG_TRUNCATED: { description: 'The position to resume from is older than the log keeps.' },
    LAGGED: { description: 'The subscriber fell behind and the server stopped holding events for it.' },
  },
});

const ResyncRequired = builder.objectRef<ResyncMessage>('ResyncRequired').implement({
  description:
    'Events were missed and cannot be replayed: re-query, then subscribe again with `after: resumeAfter` (when given).',
  fields: (t) => ({
    reason: t.field({ type: ResyncReason, description: 'Why.', resolve: (message) => message.reason }),
    resumeAfter: t.string({
      nullable: true,
      description: 'Pass it as `after` once re-queried; null: subscribe without `after`.',
      resolve: (message) => message.position?.toString() ?? null,
    }),
  }),
});

const ActivityMessage = builder.unionType('ActivityMessage', {
  description: 'An event, or a request to resynchronise.',
  types: [ActivityEvent, ResyncRequired],
  resolveType: (message) => (message.kind === 'event' ? ActivityEvent : ResyncRequired),
});

/** Parses an `after` argument; a malformed one is a client error. */
export function parsePosition(after: string | null | undefined): bigint | null {
  if (after == null) return null;
  if (!/^\d{1,19}$/.test(after))
    throw createGraphQLError('`after` doit être une position reçue de cette API.', { extensions: { code: 'BAD_USER_INPUT' } });
  return BigInt(after);
}

/**
 * The viewer's stream of the events `matches` selects, under the stream lifecycle: `open` checks the right to
 * open it and names the subject to re-check; each event is delivered only if the viewer may see it at its
 * position (the delivery index) and the subject is still theirs.
 */
export function streamFor(
  context: Context,
  after: string | null | undefined,
  matches: (event: LogEvent) => boolean,
  open: () => Promise<StreamSubject> = async () => VIEWER,
): AsyncIterableIterator<StreamMessage> {
  return context.live.stream(
    context,
    async () => {
      const position = parsePosition(after);
      // Past the log's end (a cursor from a restored or reseeded database, a client's bug): refused, not a stream
      // that skips every event up to it in silence (attack 3). Read the log first: this instance may only be behind.
      if (position !== null && position > context.events.position) {
        await context.events.caughtUp(position);
        if (position > context.events.position)
          throw createGraphQLError(
            '`after` est au-delà de la dernière position du journal : relisez l’historique, puis abonnez-vous sans `after` ou avec sa `livePosition`.',
            {
              extensions: { code: 'BAD_USER_INPUT' },
            },
          );
      }
      return open();
    },
    (live) => {
      const session = context.session as NonNullable<Context['session']>;
      // The stream admits each message itself (at its position): no generator of its own per subscriber.
      return context.events.stream({
        listener: { memberId: session.member.id, isSupportStaff: context.access.isSupportStaff },
        after: parsePosition(after),
        matches,
        signal: live,
        admission: live,
      });
    },
  );
}

/** A node the viewer may see (as `node(id:)` answers), or null. */
async function visibleNode(context: Context, schema: GraphQLSchema, id: string): Promise<string | null> {
  const result = await execute({
    schema,
    document: NODE_QUERY,
    variableValues: { id },
    contextValue: context,
  });
  const node = (result.data as { node: { __typename: string } | null } | null | undefined)?.node;
  return node?.__typename ?? null;
}

const NODE_QUERY = parse('query Visible($id: ID!) { node(id: $id) { __typename } }');

/** The viewer's context with their rights read afresh (a stream's own context keeps those it opened with). */
async function freshContext(context: Context): Promise<Context> {
  return { ...context, access: await Access.forViewer(context.prisma, context.session?.member ?? null) };
}

builder.subscriptionFields((t) => ({
  collectiveActivity: t.field({
    type: ActivityMessage,
    description:
      "A collective's activity: its changes, memberships and resources, as you may see them. Refused (`NOT_FOUND`, `FORBIDDEN`) for a collective you may not follow; ends with `ACCESS_REVOKED` when you lose the right, `SESSION_REVOKED` or `SESSION_EXPIRED` when your session ends.",
    args: {
      collectiveId: t.arg.id({ required: true, description: 'Global ID of the collective.' }),
      after: t.arg.string({ description: 'Replay the events after this position first.' }),
    },
    subscribe: (_root, args, context) => {
      let collectiveId = '';
      const me = context.session?.member.id ?? '';
      return streamFor(
        context,
        args.after,
        (event) => event.collectiveId === collectiveId,
        async () => {
          collectiveId = idOf(decodeGlobalId(String(args.collectiveId)), 'Collective', 'collectiveId');
          // Its members and the support staff follow it; so does an active partner of one of its deals
          // (who receives that deal's events only).
          // The collective's kind from the delivery index when it knows it (no statement to open a stream).
          const mayFollow = async (access: Access) => {
            const kind =
              context.events.index.kindOf(collectiveId) ??
              (await context.prisma.collective.findUnique({ where: { id: collectiveId }, select: { kind: true } }))?.kind;
            if (!kind) throw new NotFoundError('collectiveId', 'Collective');
            if (access.canSeeInternals({ id: collectiveId, kind })) return true;
            const partner = await context.prisma.dealPartner.findFirst({
              where: { memberId: me, status: 'ACTIVE', deal: { collectiveId } },
              select: { id: true },
            });
            return partner !== null;
          };
          if (!(await mayFollow(context.access)))
            throw new ForbiddenError(
              'L’activité d’un collectif business est réservée à ses membres, aux partenaires de ses affaires et à l’équipe d’appui.',
            );
          return {
            affectedBy: (event) => accessChange(event, me, collectiveId),
            visible: async () => mayFollow((await freshContext(context)).access),
          };
        },
      );
    },
    resolve: (message) => message,
  }),
  nodeChanges: t.field({
    type: ActivityMessage,
    description:
      'The changes to one node (a collective, a membership, a deal…). Refused with `NOT_FOUND` for a node you may not see; ends with `ACCESS_REVOKED` when you lose sight of it.',
    args: {
      id: t.arg.id({ required: true, description: 'Global ID of the node.' }),
      after: t.arg.string({ description: 'Replay the events after this position first.' }),
    },
    subscribe: (_root, args, context, info) => {
      const id = canonicalGlobalId(String(args.id));
      const me = context.session?.member.id ?? '';
      let collectiveId: string | null = null;
      return streamFor(
        context,
        args.after,
        (event) => {
          // A change recorded with collective copies arrives once: the change itself (events/types.ts).
          if (event.subjectId !== id || isCollectiveCopy(event)) return false;
          collectiveId ??= event.collectiveId;
          return true;
        },
        async () => {
          if (!(await visibleNode(context, info.schema, id))) throw new NotFoundError('id', 'Node');
          // The node's collective, from its own events: only changes there (or to the viewer) are re-checked.
          const known = await context.prisma.eventLog.findFirst({
            where: { subjectId: id, ...NOT_A_COLLECTIVE_COPY },
            select: { collectiveId: true },
          });
          collectiveId = known?.collectiveId ?? null;
          return {
            affectedBy: (event) => event.subjectId === id || accessChange(event, me, collectiveId),
            visible: async () => (await visibleNode(await freshContext(context), info.schema, id)) !== null,
          };
        },
      );
    },
    resolve: (message) => message,
  }),
  myFeed: t.field({
    type: ActivityMessage,
    description:
      'What concerns you: invitations, approvals and declines, sections assigned to you or to review, sections withdrawn from you, your referrals.',
    args: { after: t.arg.string({ description: 'Replay the events after this position first.' }) },
    subscribe: (_root, args, context) => streamFor(context, args.after, concerns(context.session?.member.id)),
    resolve: (message) => message,
  }),
}));

/**
 * The rows of the log a view that merges collectives reads: a change recorded with collective copies once, as the
 * change itself (events/types.ts, `collectiveCopies`).
 */
export const NOT_A_COLLECTIVE_COPY = {
  NOT: { type: { in: [...COPIED_TO_COLLECTIVES] }, collectiveId: { not: null } },
} satisfies Prisma.EventLogWhereInput;

/**
 * The events of someone's own feed: what names them (invitee, assignee, reviewer, referral recipient; a section
 * withdrawn from them, `lostBy`), done by others.
 */
export function concerns(memberId: string | undefined): (event: LogEvent) => boolean {
  return (event) => {
    if (!memberId || event.actorId === memberId || isCollectiveCopy(event)) return false;
    const payload = event.payload as Record<string, unknown>;
    if (Array.isArray(payload.lostBy) && payload.lostBy.includes(memberId)) return true;
    return [payload.memberId, payload.assigneeId, payload.reviewerId, payload.toMemberId].includes(memberId);
  };
}

// ───────────────────────────── History ─────────────────────────────

/** How many log rows one history request reads at most before it answers with what it found (and more to come). */
const HISTORY_SCAN_LIMIT = 5_000;
const HISTORY_BATCH = 500;
const HISTORY_DEFAULT_SIZE = 20;
const HISTORY_MAX_SIZE = 100;

interface HistoryPage {
  events: LogEvent[];
  /** Rows past the page (older going forward, newer going backward) may match. */
  more: boolean;
  /**
   * Where the read stopped when it hit `HISTORY_SCAN_LIMIT` before filling the page (the last row it read, going
   * the page's way): the next page continues from there, not from the last event shown, else a long run of rows the
   * viewer may not see ends the list for good. Null when the read stopped for another reason.
   */
  scannedTo: bigint | null;
  /** The log's last position when the page was read. */
  livePosition: bigint;
}

interface HistoryFilter {
  collectiveId?: string | undefined;
  subjectId?: string | undefined;
  concerningMe: boolean;
}

/**
 * Reads a page of the log as the viewer may see it (the same rule as live delivery: `DeliveryIndex.mayReceive`),
 * between two exclusive positions, newest first, or oldest first when reading backward.
 */
async function readHistory(
  context: Context,
  filter: HistoryFilter,
  page: { size: number; lower: bigint | null; upper: bigint | null; backward: boolean },
): Promise<HistoryPage> {
  const session = context.session;
  if (!session) throw unauthenticatedError();
  const listener = { memberId: session.member.id, isSupportStaff: context.access.isSupportStaff };
  await context.events.index.watch(listener.memberId);
  // Everything up to this position is in the page's reach; a subscription `after` it continues without a gap.
  const livePosition = await readLogHead(context.prisma);
  // Judged by the delivery index as it stands at (at least) `livePosition`, and nothing past it is read: an instance
  // behind the log reads it first, else an ex-member saw what followed their leaving (attack1 finding 1).
  await context.events.caughtUp(livePosition);
  const matches = filter.concerningMe ? concerns(listener.memberId) : () => true;
  const events: LogEvent[] = [];
  let upper = page.upper !== null && page.upper <= livePosition ? page.upper : livePosition + 1n;
  let lower = page.lower ?? 0n;
  let scanned = 0;
  for (;;) {
    const rows = await context.prisma.eventLog.findMany({
      where: {
        position: { gt: lower, lt: upper },
        // A collective's activity shows its copies of a change; any other view, the change once.
        ...(filter.collectiveId ? { collectiveId: filter.collectiveId } : NOT_A_COLLECTIVE_COPY),
        ...(filter.subjectId ? { subjectId: filter.subjectId } : {}),
      },
      orderBy: { position: page.backward ? 'asc' : 'desc' },
      take: HISTORY_BATCH,
    });
    for (const row of rows) {
      scanned += 1;
      if (page.backward) lower = row.position;
      else upper = row.position;
      if (!matches(row) || isLiveOnly(row) || !context.events.index.mayReceive(listener, row)) continue;
      events.push(row);
      if (events.length > page.size) return { events: events.slice(0, page.size), more: true, scannedTo: null, livePosition };
    }
    if (rows.length < HISTORY_BATCH) return { events, more: false, scannedTo: null, livePosition };
    if (scanned >= HISTORY_SCAN_LIMIT) return { events, more: true, scannedTo: page.backward ? lower : upper, livePosition };
  }
}

function cursorPosition(cursor: string | null | undefined, name: string): bigint | null {
  if (cursor == null) return null;
  if (!/^\d{1,19}$/.test(cursor))
    throw createGraphQLError(`\`${name}\` doit être un curseur reçu de cette connexion.`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  const position = BigInt(cursor);
  if (position > MAX_POSITION)
    throw createGraphQLError(`\`${name}\` doit être un curseur reçu de cette connexion.`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  return position;
}

/** Log positions are PostgreSQL bigints. */
const MAX_POSITION = 2n ** 63n - 1n;

function pageSize(value: number | null | undefined, name: 'first' | 'last'): number | null {
  if (value == null) return null;
  if (value < 0 || value > HISTORY_MAX_SIZE)
    throw createGraphQLError(`\`${name}\` : une page contient de 0 à ${HISTORY_MAX_SIZE} événements.`, {
      // As a validated argument says it (transport/unavailable.ts): the field, the reason and the bound.
      extensions: {
        code: 'BAD_USER_INPUT',
        field: name,
        ...(value < 0 ? { reason: 'TOO_SMALL', limit: 0 } : { reason: 'TOO_LARGE', limit: HISTORY_MAX_SIZE }),
      },
    });
  return value;
}

/** The collective's database ID in a `collectiveId` argument; BAD_USER_INPUT when it is not a collective's global ID. */
function collectiveIdOf(globalId: string): string {
  try {
    return idOf(decodeGlobalId(globalId), 'Collective', 'collectiveId');
  } catch {
    throw createGraphQLError('`collectiveId` n’est pas l’ID global d’un collectif.', { extensions: { code: 'BAD_USER_INPUT' } });
  }
}

builder.queryField('activity', (t) =>
  t.connection(
    {
      type: ActivityEvent,
      description:
        "The event log as you may see it, newest first: a collective's activity, one node's changes, or what concerns you. " +
        'Page back with `first` and `after`; subscribe with `after: livePosition` to continue live without a gap.',
      args: {
        collectiveId: t.arg.id({ description: 'Only the events of this collective (its global ID).' }),
        subjectId: t.arg.id({ description: 'Only the events about this node (its global ID).' }),
        concerningMe: t.arg.boolean({ description: 'Only what concerns you, done by others (what `myFeed` sends).' }),
      },
      resolve: async (_root, args, context) => {
        // The Relay spec's EdgesToReturn: the cursors' range, then `first`, then `last` (relay.dev/graphql/connections.htm).
        const first = pageSize(args.first ?? (args.last == null ? HISTORY_DEFAULT_SIZE : null), 'first');
        const last = pageSize(args.last, 'last');
        const backward = first == null;
        const size = backward ? (last ?? 0) : Math.max(first, last ?? 0);
        const after = cursorPosition(args.after, 'after');
        const before = cursorPosition(args.before, 'before');
        const filter: HistoryFilter = {
          collectiveId: args.collectiveId ? collectiveIdOf(String(args.collectiveId)) : undefined,
          subjectId: args.subjectId ? canonicalGlobalId(String(args.subjectId)) : undefined,
          concerningMe: args.concerningMe ?? false,
        };
        // Newest first: `after` a cursor is older than it, `before` newer.
        const found = await readHistory(context, filter, { size, lower: before, upper: after, backward });
        // More than `n` events in the cursors' range: more were read, or more may follow what was read.
        const moreThan = (n: number) => found.events.length > n || found.more;
        let ordered = backward ? [...found.events].reverse() : found.events.slice(0, first);
        if (!backward && last != null) ordered = last === 0 ? [] : ordered.slice(-last);
        const edges = ordered.map((event) => ({ cursor: event.position.toString(), node: { kind: 'event' as const, ...event } }));
        // A cursor is a log position to continue from. When the read stopped at HISTORY_SCAN_LIMIT, every row between
        // the page's far edge and where it stopped is one the viewer may not see: the far edge's cursor (or the page's,
        // with no edge) is where the read stopped, so paging on continues past them instead of ending the list.
        // (A position tells nothing `livePosition` does not.)
        const scannedTo = found.scannedTo?.toString() ?? null;
        const farEdge = backward ? edges[0] : edges.at(-1);
        if (scannedTo && farEdge) farEdge.cursor = scannedTo;
        return {
          edges,
          pageInfo: {
            hasNextPage: first != null && moreThan(first),
            hasPreviousPage: last != null && moreThan(last),
            startCursor: edges[0]?.cursor ?? (backward ? scannedTo : null),
            endCursor: edges.at(-1)?.cursor ?? (backward ? null : scannedTo),
          },
          livePosition: found.livePosition,
        };
      },
    },
    {
      name: 'ActivityConnection',
      description: 'Events of the log, newest first.',
      fields: (tc) => ({
        livePosition: tc.string({
          description: "The log's last position when this page was read: subscribe with `after` it to continue live.",
          resolve: (connection) => (connection as unknown as { livePosition: bigint }).livePosition.toString(),
        }),
      }),
    },
    { name: 'ActivityEdge', description: 'One event and its cursor.' },
  ),
);
