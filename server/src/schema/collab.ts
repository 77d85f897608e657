import { encodeGlobalID } from '@pothos/plugin-relay';
import { createGraphQLError } from 'graphql-yoga';
import * as Y from 'yjs';
import { z } from 'zod';
import { Access } from '../auth/access.js';
import { builder } from '../builder.js';
import { SECTION_FRAGMENT } from '../collab/content.js';
import { type SectionUpdateMessage, stateVectorOf, syncBacklog } from '../collab/documents.js';
import { colourOf, type Presence, presenceKey } from '../collab/presence.js';
import { decodeStateVector, InvalidUpdateError } from '../collab/updates.js';
import type { Context } from '../context.js';
import * as tenders from '../domain/tenders.js';
import { isUnauthenticated, NotFoundError, RuleViolationError } from '../errors.js';
import { accessChange, type StreamSubject } from '../live/lifecycle.js';
import { MUTATION_ERRORS } from './errors.js';
import { decodeGlobalId, idOf } from './ids.js';
import { MemberRef } from './members.js';
import { actorOf } from './tenders.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Updates waiting for a slow subscriber are merged into one beyond this many. */
const MERGE_BEYOND = 256;

/** The section if the viewer may at least read it; otherwise it does not exist for them. */
async function readableSection(context: Context, sectionId: string, field: string) {
  const access = await tenders.sectionBodyAccess(context.prisma, actorOf(context), sectionId);
  if (!access || access.rights === 'none') throw new NotFoundError(field, 'TenderSection');
  return access;
}

function decodeBase64(value: string, field: string): Uint8Array {
  if (value.length % 4 !== 0 || !BASE64.test(value))
    throw new RuleViolationError(field, 'MALFORMED_UPDATE', 'Ce n’est pas du base64.');
  return new Uint8Array(Buffer.from(value, 'base64'));
}

const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

// ───────────────────────────── Sync ─────────────────────────────

const SyncKind = builder.enumType('SectionSyncKind', {
  description: 'What a sync message carries.',
  values: {
    SYNC: {
      description: 'First message: everything the client lacks, given the state vector it sent, and the server’s state vector.',
    },
    UPDATE: { description: 'A later change made by someone else.' },
  },
});

interface SyncMessage {
  kind: 'SYNC' | 'UPDATE';
  update: Uint8Array;
  stateVector: Uint8Array | null;
}

const SectionSyncMessage = builder.objectRef<SyncMessage>('SectionSyncMessage').implement({
  description:
    'A Yjs update for a section’s body. Apply it with `Y.applyUpdate` (base64-decoded); order and repeats do not matter.',
  fields: (t) => ({
    kind: t.field({ type: SyncKind, description: 'First sync, or a later change.', resolve: (message) => message.kind }),
    update: t.string({ description: 'The Yjs update (v1 encoding), base64.', resolve: (message) => toBase64(message.update) }),
    stateVector: t.string({
      nullable: true,
      description:
        'On the first message, the server’s state vector (base64): send back `Y.encodeStateAsUpdate(doc, it)` with `pushSectionUpdate` so the server gets what only you have (edits made offline).',
      resolve: (message) => (message.stateVector ? toBase64(message.stateVector) : null),
    }),
  }),
});

/**
 * The subject of a section's streams: the section while the viewer may read it. Re-checked (with the rule
 * pushes and reads use) when the viewer's membership of the collective changes, the collective closes, the
 * section is restricted, changes owner or is removed, or the deal's partners change.
 */
async function sectionSubject(context: Context, sectionId: string): Promise<StreamSubject> {
  const { section } = await readableSection(context, sectionId, 'sectionId');
  const response = await context.prisma.tenderResponse.findUnique({
    where: { id: section.responseId },
    select: { collectiveId: true, dealId: true },
  });
  if (!response) throw new NotFoundError('sectionId', 'TenderSection');
  const me = actorOf(context).member.id;
  const sectionGid = encodeGlobalID('TenderSection', sectionId);
  const dealGid = response.dealId ? encodeGlobalID('Deal', response.dealId) : null;
  return {
    affectedBy: (event) => {
      if (event.collectiveId !== response.collectiveId) return false;
      if (event.type.startsWith('tenderSection.')) return event.subjectId === sectionGid && accessChange(event, me, null);
      if (event.type.startsWith('deal.')) return event.subjectId === dealGid && accessChange(event, me, null);
      return accessChange(event, me, null);
    },
    visible: async () => {
      const fresh = { ...context, access: await Access.forViewer(context.prisma, context.session?.member ?? null) };
      const access = await tenders.sectionBodyAccess(context.prisma, actorOf(fresh), sectionId);
      return access !== null && access.rights !== 'none';
    },
  };
}

/** How far the log must be applied before `messages` are sent: the furthest they saw, null when one is unknown. */
function reachOf(messages: readonly SectionUpdateMessage[]): bigint | null {
  let through = 0n;
  for (const message of messages) {
    if (message.logPosition === null) return null;
    if (message.logPosition > through) through = message.logPosition;
  }
  return through;
}

/**
 * Parses the section and state vector of a sync subscription (refusals are typed, see the lifecycle).
 *
 * @throws RuleViolationError `MALFORMED_UPDATE` on `stateVector` when it is not base64 or not a Yjs state vector.
 */
function syncArgs(args: { sectionId: string | number; stateVector?: string | null }) {
  const sectionId = idOf(decodeGlobalId(String(args.sectionId)), 'TenderSection', 'sectionId');
  if (!args.stateVector) return { sectionId, vector: null };
  const vector = decodeBase64(args.stateVector, 'stateVector');
  try {
    decodeStateVector(vector);
  } catch (error) {
    if (error instanceof InvalidUpdateError) throw new RuleViolationError('stateVector', 'MALFORMED_UPDATE', error.message);
    throw error;
  }
  return { sectionId, vector };
}

function syncStream(
  context: Context,
  args: { sectionId: string | number; stateVector?: string | null },
): AsyncIterableIterator<SyncMessage> {
  let sectionId = '';
  let stateVector: Uint8Array | null = null;
  return context.live.stream(
    context,
    async () => {
      ({ sectionId, vector: stateVector } = syncArgs(args));
      return sectionSubject(context, sectionId);
    },
    async function* (live) {
      const queue: SectionUpdateMessage[] = [];
      /** Bytes in `queue`, counted in `syncBacklog` too. */
      let queued = 0;
      // A subscriber that does not read (its client stopped reading, its socket is full) holds at most
      // `maxUpdateBytes` of updates: past it they are dropped, and once it reads again it is sent the difference
      // between the document and what it was last handed (`handed`), bounded by the section's size however much was
      // written and deleted meanwhile (merged updates keep deleted text: a backlog of them grows without end).
      const maxQueued = context.config.maxUpdateBytes;
      let behind = false;
      let handed: Uint8Array = new Uint8Array();
      const take = (): SectionUpdateMessage[] => {
        syncBacklog.bytes -= queued;
        queued = 0;
        return queue.splice(0, queue.length);
      };
      // Listen first, then compute the first message: an update landing in between is sent twice, never lost.
      const { doc, close } = await context.documents.listen(sectionId, (message) => {
        // Echo suppression by connection: what this socket pushed it has; a client-chosen ID hides nothing.
        if (message.connectionId !== null && message.connectionId === context.connection.id) return;
        if (!behind) {
          queue.push(message);
          queued += message.update.byteLength;
          syncBacklog.bytes += message.update.byteLength;
          if (queued > maxQueued) {
            take();
            behind = true;
            syncBacklog.dropped += 1;
          } else if (queue.length > MERGE_BEYOND) {
            const waiting = take();
            const merged = { ...message, update: Y.mergeUpdates(waiting.map((m) => m.update)), logPosition: reachOf(waiting) };
            queue.push(merged);
            queued = merged.update.byteLength;
            syncBacklog.bytes += queued;
          }
        }
        live.notify();
      });
      try {
        if (!(await live.admit())) return;
        handed = stateVectorOf(doc);
        yield {
          kind: 'SYNC',
          update: Y.encodeStateAsUpdate(doc, stateVector ?? undefined),
          stateVector: handed,
        };
        while (!live.stopped) {
          if (behind) {
            // What was dropped, and anything else since: the document is read now, once the subscriber reads again.
            behind = false;
            take();
            if (!(await live.admit({ barrier: true }))) return;
            const update = Y.encodeStateAsUpdate(doc, handed);
            handed = stateVectorOf(doc);
            yield { kind: 'UPDATE', update, stateVector: null };
            continue;
          }
          if (queue.length === 0) {
            await live.wait();
            continue;
          }
          // Each update is sent once every access change committed before it was stored is applied here.
          const batch = take();
          // The document now holds what the subscriber was handed and this batch (and its own pushes).
          handed = stateVectorOf(doc);
          const through = reachOf(batch);
          if (!(await live.admit(through === null ? { barrier: true } : { through }))) return;
          for (const next of batch) {
            if (!(await live.admit())) return;
            yield { kind: 'UPDATE', update: next.update, stateVector: null };
          }
        }
      } finally {
        take();
        close();
      }
    },
  );
}

builder.subscriptionField('sectionSync', (t) =>
  t.field({
    type: SectionSyncMessage,
    description:
      'Co-editing a section: first the difference between the server’s document and the state vector you send, then every update from others. Subscribe before or after loading: the state vector handshake leaves no gap.',
    args: {
      sectionId: t.arg.id({ required: true, description: 'Global ID of the TenderSection.' }),
      stateVector: t.arg.string({
        description: 'Your document’s state vector (`Y.encodeStateVector`, base64); omit for the whole document.',
      }),
      clientId: t.arg.string({
        description:
          'Your editing client’s ID (informative). Updates pushed over this same connection are not echoed back to it.',
      }),
    },
    subscribe: (_root, args, context) => syncStream(context, args),
    resolve: (message) => message,
  }),
);

const SectionUpdateAck = builder.objectRef<{ sectionId: string; updateId: bigint }>('SectionUpdateAck').implement({
  description: 'The update is stored durably: it will survive a restart and reach every editor.',
  fields: (t) => ({
    sectionId: t.id({
      description: 'Global ID of the section.',
      resolve: (ack) => Buffer.from(`TenderSection:${ack.sectionId}`).toString('base64'),
    }),
    updateId: t.string({
      description: 'Position of the update in the section’s log.',
      resolve: (ack) => ack.updateId.toString(),
    }),
  }),
});

builder.mutationField('pushSectionUpdate', (t) =>
  t.field({
    type: SectionUpdateAck,
    description:
      'Sends a Yjs update of a section’s body. Returns once it is stored (the acknowledgement). Refused, changing nothing, when malformed, too large, touching anything but the body, on a done or submitted section, or without the right to edit.',
    errors: { types: MUTATION_ERRORS },
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('PushSectionUpdateInput', {
          description: 'A Yjs update for a section.',
          fields: (f) => ({
            sectionId: f.globalID({ required: true, description: 'The section.' }),
            update: f.string({
              required: true,
              description: 'The Yjs update (v1 encoding), base64.',
              validate: z.string().min(1),
            }),
            clientId: f.string({
              description: 'Your editing client’s ID (informative: echo suppression is by connection).',
              validate: z.string().max(100),
            }),
          }),
        }),
      }),
    },
    resolve: async (_root, { input }, context) => {
      const sectionId = idOf(input.sectionId, 'TenderSection', 'input.sectionId');
      if (input.update.length > Math.ceil((context.config.maxUpdateBytes * 4) / 3) + 4) {
        throw new RuleViolationError('input.update', 'UPDATE_TOO_LARGE');
      }
      const update = decodeBase64(input.update, 'input.update');
      if (update.byteLength > context.config.maxUpdateBytes) throw new RuleViolationError('input.update', 'UPDATE_TOO_LARGE');
      const actor = actorOf(context);
      // Rights, submission, status, the session and the update itself are all judged in the transaction that stores
      // it: a socket keeps its session from connection_init, so one signed out on another instance is refused there.
      try {
        const updateId = await context.documents.push(sectionId, update, {
          actor,
          authorId: actor.member.id,
          connectionId: context.connection.id,
          sessionId: context.session?.sessionId ?? null,
        });
        return { sectionId, updateId };
      } catch (error) {
        // This instance learns it at once: the session's sockets run their later operations anonymously and its
        // streams end (its presence entries go with them), before this instance applies the event.
        if (isUnauthenticated(error) && context.session) context.live.endSession(context.session.sessionId);
        throw error;
      }
    },
  }),
);

// ───────────────────────────── Presence ─────────────────────────────

/** The subject key of a section's presence stream (`Lifecycle.holds`). */
const presenceSubject = (sectionId: string) => `section:${sectionId}`;

const SectionPresence = builder.objectRef<Presence>('SectionPresence').implement({
  description:
    'Someone in a section: who, in which colour, and where their cursor is. One per connection (a person with two tabs shows twice); gone when that connection closes, or 30 s after its last renewal.',
  fields: (t) => ({
    clientId: t.exposeString('clientId', {
      description: 'The entry’s ID, set by the server from the connection that sent it (stable while that connection lasts).',
    }),
    you: t.boolean({
      description: 'True for the entry your own connection set (over HTTP or SSE: your session).',
      resolve: (presence, _args, context) => presence.clientId === presenceKey(context.connection),
    }),
    memberId: t.id({
      description: 'Global ID of the member (no database read, unlike `member`): group a person’s tabs by it.',
      resolve: (presence) => encodeGlobalID('Member', presence.memberId),
    }),
    member: t.field({
      type: MemberRef,
      nullable: true,
      description: 'The member (read from the database: prefer `memberId`, `name` and `colour` on busy sections).',
      // The member as the setter's session had them when set on this instance (as `name`): no read per listener.
      resolve: (presence, _args, context) =>
        presence.member ?? context.prisma.member.findUnique({ where: { id: presence.memberId } }),
    }),
    name: t.exposeString('name', { description: 'Name to show beside the cursor.' }),
    colour: t.exposeString('colour', { description: 'Colour of their cursor and selection (CSS).' }),
    cursor: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Cursor and selection as the editor encodes them.',
      resolve: (p) => p.cursor ?? null,
    }),
    updatedAt: t.field({ type: 'DateTime', description: 'Last renewal.', resolve: (presence) => new Date(presence.updatedAt) }),
  }),
});

function presenceStream(context: Context, sectionGlobalId: string): AsyncIterableIterator<readonly Presence[]> {
  let sectionId = '';
  return context.live.stream(
    context,
    async () => {
      sectionId = idOf(decodeGlobalId(sectionGlobalId), 'TenderSection', 'sectionId');
      return { ...(await sectionSubject(context, sectionId)), key: presenceSubject(sectionId) };
    },
    async function* (live) {
      let changed = true;
      // When the latest change was made: the log read before sending must have started after it.
      let stamp = context.events.stamp();
      const stop = context.presence.listen(sectionId, () => {
        changed = true;
        stamp = context.events.stamp();
        live.notify();
      });
      try {
        while (!live.stopped) {
          if (changed) {
            if (!(await live.admit({ barrier: stamp }))) return;
            changed = false;
            yield context.presence.list(sectionId);
            continue;
          }
          await live.wait();
        }
      } finally {
        stop();
        // The server ended the stream (access or session gone): this connection's cursor leaves with it.
        if (live.ended) context.presence.remove(sectionId, context.connection);
      }
    },
  );
}

builder.subscriptionField('sectionPresence', (t) =>
  t.field({
    type: [SectionPresence],
    description:
      'Who is in a section, sent at once and on every change. Keep it open on the socket you update your presence on: the stream’s right, re-checked at every access change, then spares each update a database read.',
    args: { sectionId: t.arg.id({ required: true, description: 'Global ID of the TenderSection.' }) },
    subscribe: (_root, args, context) => presenceStream(context, String(args.sectionId)),
    resolve: (list) => list,
  }),
);

const YjsId = z.strictObject({ client: z.number().int().nonnegative(), clock: z.number().int().nonnegative() });

/**
 * A Yjs RelativePosition as `Y.relativePositionToJSON` writes it: `{ type?: ID|null, tname?: string|null,
 * item?: ID|null, assoc?: integer }`, with at least one of item, tname or type set — with none,
 * `Y.createAbsolutePositionFromRelativePosition` throws "Unexpected case" (yjs src/utils/RelativePosition.js).
 */
const RelativePositionJson = z
  .strictObject({
    type: YjsId.nullish(),
    // A position at the end of a root type names it: the body is the only one an editor has (another name would
    // make each co-author's Yjs document create that root, `Y.Doc.get`).
    tname: z.literal(SECTION_FRAGMENT).nullish(),
    item: YjsId.nullish(),
    assoc: z.number().int().optional(),
  })
  .refine((position) => position.item != null || position.tname != null || position.type != null);

/**
 * A presence cursor as the web editor sends it: `{}` before its first caret, else `{ anchor, head }`, two
 * RelativePosition JSON objects (@tiptap/y-tiptap's cursor plugin). Anything else is refused (BAD_USER_INPUT).
 */
const PresenceCursor = z.union([
  z.strictObject({}),
  z.strictObject({ anchor: RelativePositionJson, head: RelativePositionJson }),
]);

const PresenceInput = builder.inputType('UpdatePresenceInput', {
  description: 'Your presence in a section (your connection’s: over graphql-ws your socket, over HTTP your session).',
  fields: (f) => ({
    sectionId: f.globalID({ required: true, description: 'The section.' }),
    clientId: f.string({
      required: false,
      deprecationReason: 'Ignored: presence is keyed by your connection, never by an ID the client chooses.',
      description: 'Ignored.',
      validate: z.string().max(100),
    }),
    cursor: f.field({ type: 'JSON', description: 'Cursor and selection, as your editor encodes them; omit to say you left.' }),
    leaving: f.boolean({ description: 'True to leave the section now.' }),
  }),
});

builder.mutationField('updatePresence', (t) =>
  t.boolean({
    description:
      'Says you are in a section (renew it at least every 30 s), where your cursor is, or that you leave. Sets or removes only your own connection’s entry; a socket’s entry goes when it closes. Kept in memory, never in the database.',
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: PresenceInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const sectionId = idOf(input.sectionId, 'TenderSection', 'input.sectionId');
      const member = actorOf(context).member;
      if (input.leaving) {
        // Removing one's own entry needs no right.
        context.presence.update(sectionId, context.connection, null);
        return true;
      }
      // Co-authors' editors decode the cursor as is: a shape Yjs cannot resolve would throw in each of their pages.
      // A well-formed cursor is two small positions: anything longer is malformed too (one refusal, one code).
      if (input.cursor != null && (JSON.stringify(input.cursor).length > 4096 || !PresenceCursor.safeParse(input.cursor).success))
        throw createGraphQLError('Curseur mal formé : attendu { anchor, head }, deux positions relatives Yjs.', {
          extensions: { code: 'BAD_USER_INPUT', field: 'input.cursor' },
        });
      // A presence stream this socket has open on the section, its right re-checked at every access change,
      // already says the caller may read it: no database read per cursor move. Otherwise read the right.
      if (!context.live.holds(context.connection, presenceSubject(sectionId))) {
        const fresh = { ...context, access: await Access.forViewer(context.prisma, member) };
        await readableSection(fresh, sectionId, 'input.sectionId');
      }
      context.presence.update(sectionId, context.connection, {
        memberId: member.id,
        member,
        name: `${member.firstName} ${member.lastName}`,
        colour: colourOf(member.id),
        cursor: input.cursor ?? null,
      });
      return true;
    },
  }),
);
