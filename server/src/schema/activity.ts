import { createGraphQLError } from 'graphql-yoga';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import type { LogEvent, StreamMessage } from '../events/bus.js';
import { decodeGlobalId } from './ids.js';
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
      resolve: (event, _args, context) =>
        event.actorId ? context.prisma.member.findUnique({ where: { id: event.actorId } }) : null,
    }),
    payload: t.field({
      type: 'JSON',
      description: 'The new values a screen needs to update without re-querying.',
      resolve: (event) => event.payload,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was committed.' }),
  }),
});

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
function parsePosition(after: string | null | undefined): bigint | null {
  if (after == null) return null;
  if (!/^\d{1,19}$/.test(after))
    throw createGraphQLError('`after` must be a position received from this API.', { extensions: { code: 'BAD_USER_INPUT' } });
  return BigInt(after);
}

/** Subscribes the viewer to the events `matches` selects, mapping a server-ended stream to a coded error. */
export async function* streamFor(
  context: Context,
  after: string | null | undefined,
  matches: (event: LogEvent) => boolean,
  options: { authorize?: boolean } = {},
) {
  const session = context.session;
  if (!session) throw createGraphQLError('Sign in first.', { extensions: { code: 'UNAUTHENTICATED' } });
  const stream = context.events.stream({
    listener: {
      memberId: session.member.id,
      isSupportStaff: context.access.isSupportStaff,
      sessionId: session.sessionId,
      expiresAt: session.expiresAt,
    },
    after: parsePosition(after),
    matches,
    authorize: options.authorize ?? true,
  });
  for await (const message of stream) {
    if (message.kind === 'ended') throw createGraphQLError(message.message, { extensions: { code: message.code } });
    yield message;
  }
}

builder.subscriptionFields((t) => ({
  collectiveActivity: t.field({
    type: ActivityMessage,
    description: "A collective's activity: its changes, memberships and resources, as you may see them.",
    args: {
      collectiveId: t.arg.id({ required: true, description: 'Global ID of the collective.' }),
      after: t.arg.string({ description: 'Replay the events after this position first.' }),
    },
    subscribe: (_root, args, context) => {
      const collectiveId = decodeGlobalId(String(args.collectiveId)).id;
      return streamFor(context, args.after, (event) => event.collectiveId === collectiveId);
    },
    resolve: (message) => message,
  }),
  nodeChanges: t.field({
    type: ActivityMessage,
    description: 'The changes to one node (a collective, a membership, a deal…).',
    args: {
      id: t.arg.id({ required: true, description: 'Global ID of the node.' }),
      after: t.arg.string({ description: 'Replay the events after this position first.' }),
    },
    subscribe: (_root, args, context) => streamFor(context, args.after, (event) => event.subjectId === String(args.id)),
    resolve: (message) => message,
  }),
  myFeed: t.field({
    type: ActivityMessage,
    description: 'What concerns you: invitations, approvals and declines, sections assigned to you or to review, your referrals.',
    args: { after: t.arg.string({ description: 'Replay the events after this position first.' }) },
    subscribe: (_root, args, context) => {
      const me = context.session?.member.id;
      return streamFor(context, args.after, (event) => {
        const payload = event.payload as Record<string, unknown>;
        return (
          event.actorId !== me && [payload.memberId, payload.assigneeId, payload.reviewerId, payload.toMemberId].includes(me)
        );
      });
    },
    resolve: (message) => message,
  }),
}));
