import type { IncomingMessage } from 'node:http';
import { queryFromInfo } from '@pothos/plugin-prisma';
import { RequestCache } from '@pothos/plugin-scope-auth';
import { type GraphQLResolveInfo, Kind, parse } from 'graphql';
import type { YogaInitialContext } from 'graphql-yoga';
import { Access, activeMemberships } from './auth/access.js';
import {
  type ActiveMembership,
  type Authenticated,
  resolveSignedIn,
  resolveSignedInSession,
  type SignedIn,
} from './auth/sessions.js';
import type { SectionDocuments } from './collab/documents.js';
import type { PresenceRegistry } from './collab/presence.js';
import type { Config } from './config.js';
import type { SqlRunner } from './db/database.js';
import type { EventBus } from './events/bus.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { clientAddress, type SignInGuard } from './limits/callers.js';
import type { WorkSlots } from './limits/work.js';
import { type Connection, LiveConnection } from './live/connection.js';
import type { FanoutSink } from './live/fanout.js';
import type { Lifecycle } from './live/lifecycle.js';
import type { SseOperationContext } from './transport/sse.js';
import type { UpgradeRequest } from './transport/websocket.js';

/** What every resolver receives. Built once per request (or per WebSocket operation). */
export interface Context {
  prisma: PrismaClient;
  config: Config;
  /** The event log's live delivery on this instance (subscriptions read it). */
  events: EventBus;
  /** The lifecycle every long-lived stream runs under (live/lifecycle.ts). */
  live: Lifecycle;
  /** The sections' co-edited documents and who is in them. */
  documents: SectionDocuments;
  presence: PresenceRegistry;
  /** The signed-in member and their session, or null for an anonymous caller. */
  session: SignedIn | null;
  /**
   * Who is connected and how: the graphql-ws socket this operation came on (shared by all its operations),
   * or the SSE stream or HTTP request itself. Its `signal` aborts when it closes; see live/connection.ts.
   */
  connection: Connection;
  /** Per-request, memoised answers to "may the viewer see this?". */
  access: Access;
  signInGuard: SignInGuard;
  /** Heavy shared work (exports, dashboard recomputations), a few at a time (limits/work.ts). */
  work: WorkSlots;
  /** The TCP peer's address (the socket's, over graphql-ws): per-address limits count under it. */
  clientAddress: string;
}

export interface ServerContext {
  prisma: PrismaClient;
  /** Raw SQL on the same database (a request's authentication: one statement without Prisma's per-query cost). */
  sql: Pick<SqlRunner, 'query'>;
  config: Config;
  events: EventBus;
  live: Lifecycle;
  documents: SectionDocuments;
  presence: PresenceRegistry;
  /** Sign-in failure counts and the password-hashing queue (limits/callers.ts). */
  signInGuard: SignInGuard;
  /** Heavy shared work, a few at a time (limits/work.ts). */
  work: WorkSlots;
}

/** What Yoga hands the context factory: an HTTP or SSE request, or (over graphql-ws) the socket's connection. */
export type InitialContext = Partial<YogaInitialContext> &
  SseOperationContext & {
    connectionParams?: Record<string, unknown>;
    /** Set by the graphql-ws transport: the socket's connection, authenticated once at `connection_init`. */
    liveConnection?: LiveConnection;
    /** Set by the graphql-ws transport once the operation is parsed: its kind (a mutation reads its rights afresh). */
    operationKind?: 'query' | 'mutation' | 'subscription';
    /** Set by the graphql-ws transport: the operation's socket, for shared events written straight to it (live/fanout.ts). */
    fanoutSink?: FanoutSink;
    /**
     * Node's request (absent in `yoga.fetch`), or over graphql-ws what the socket keeps of its upgrade request
     * (its `x-request-id` and peer address: transport/websocket.ts `UpgradeRequest`).
     */
    req?: IncomingMessage | UpgradeRequest;
  };

/** Reads the bearer token from the Authorization header or, over WebSocket, the connection params. */
export function bearerToken(initial: InitialContext): string | null {
  const header = initial.request?.headers.get('authorization') ?? (initial.connectionParams?.authorization as string | undefined);
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * Builds an operation's context. Over graphql-ws the socket's session, read once at `connection_init` and
 * ended by the lifecycle the moment the session ends, is reused, and so are the viewer's memberships for queries
 * and subscriptions (`Lifecycle.memberships`); over HTTP and SSE the token is read per
 * request, with the viewer's memberships in the same statement, and the request is the connection (SSE when
 * it asks for `text/event-stream`).
 */
export async function createContext(server: ServerContext, initial: InitialContext): Promise<Context> {
  const light = readsNoMemberships(initial);
  const { session, memberships } = await readRights(server, initial, light, false);
  let connection = initial.liveConnection;
  if (!connection) {
    // An operation posted onto a graphql-sse single-connection stream lives until it ends, not its request.
    const operation = initial.sseOperation;
    const sse = operation !== undefined || (initial.request?.headers.get('accept')?.includes('text/event-stream') ?? false);
    connection = new LiveConnection(sse ? 'sse' : 'http', session, operation?.signal ?? initial.request?.signal);
  }
  const access = await accessOf(server, session, memberships, light);
  return { ...server, session, connection, access, clientAddress: clientAddress(initial.req) };
}

/**
 * The caller's session and memberships. Over graphql-ws: for queries and subscriptions the socket's session and its
 * memberships kept on the socket (live/lifecycle.ts `memberships`); for a mutation or when `fresh`, both as the database
 * has them now (`resolveSignedInSession`, one statement; a session no longer live ends the socket's); for `light`
 * mutations (a keystroke, a cursor) the socket's session and no memberships. Over HTTP and SSE: the token's (one
 * statement), kept between requests where `authenticateRequest` allows it unless `fresh`.
 */
async function readRights(
  server: ServerContext,
  initial: InitialContext,
  light: boolean,
  fresh: boolean,
): Promise<{ session: SignedIn | null; memberships: readonly ActiveMembership[] | null }> {
  const socket = initial.liveConnection;
  if (socket) {
    const session = socket.session();
    const member = session?.member;
    if (!member || light) return { session, memberships: null };
    // Unknown kind: read as for a mutation.
    if (fresh || (initial.operationKind !== 'query' && initial.operationKind !== 'subscription')) {
      // A mutation, or a later field of one: the session as the database has it now, with the memberships, in the one
      // statement the memberships alone took. The socket's own session ends only when this instance applies the event
      // that ended it: after the document for a `leaveCooperative` in it (attack of stop 25, F1), later for a sign-out
      // on another instance (F2), so a mutation would have been stored for a member signed out or gone.
      const signedIn = await resolveSignedInSession(server.sql, session.sessionId);
      if (!signedIn) {
        // Every socket and stream of that session on this instance, as a sign-out here ends them.
        server.live.endSession(session.sessionId);
        return { session: null, memberships: null };
      }
      return { session: signedIn.session, memberships: signedIn.memberships };
    }
    const memberships = await server.live.memberships(socket, () => activeMemberships(server.prisma, member.id));
    return { session, memberships };
  }
  const token = bearerToken(initial);
  const signedIn = token ? await (fresh ? resolveSignedIn(server.sql, token) : authenticateRequest(server, token)) : null;
  return { session: signedIn?.session ?? null, memberships: signedIn?.memberships ?? null };
}

/** The `Access` of `session` with its `memberships` when read (none read: read by `Access` itself, unless `light`). */
function accessOf(
  server: ServerContext,
  session: SignedIn | null,
  memberships: readonly ActiveMembership[] | null,
  light: boolean,
): Access | Promise<Access> {
  const viewer = session?.member ?? null;
  if (memberships) return Access.withMemberships(server.prisma, viewer, memberships);
  return light ? Access.withoutMemberships(server.prisma, viewer) : Access.forViewer(server.prisma, viewer);
}

/**
 * Reads the caller's session and memberships afresh into `context` (the object the resolvers hold: Yoga copies
 * `createContext`'s fields onto its initial context, so that one has the request, the socket's connection and the
 * parameters too) and drops what Pothos' scope-auth worked out from the old ones. Between a mutation document's root
 * fields once an earlier one recorded events (schema/index.ts), so that a later field never acts with rights an
 * earlier one ended. Over graphql-ws: the socket's session read again by its ID, with its memberships; over HTTP and
 * SSE: the token read again, never a kept answer. A session gone meanwhile leaves the rest of the request anonymous.
 */
export async function rereadRights(context: Context): Promise<void> {
  const initial = context as Context & InitialContext;
  const server: ServerContext = context as Context & Pick<ServerContext, 'sql'>;
  const light = readsNoMemberships(initial);
  const { session, memberships } = await readRights(server, initial, light, true);
  if (!session && !initial.liveConnection && context.connection instanceof LiveConnection) context.connection.endSession();
  context.access = await accessOf(server, session, memberships, light);
  context.session = session;
  RequestCache.clearForContext(context);
}

/**
 * A mutation's answer after a change that narrowed the caller's own rights (they left a collective, closed it, left
 * the cooperative): `load(fresh)`'s row, read under the rights the change left (`rereadRights`), as a query sent
 * right after it would be. `fresh` is the answer's selection as Prisma includes, planned again under those rights:
 * the `query` Pothos planned before the change had its relation filters worked out with the rights of before (attack
 * findings: the memberships and deals of a business collective just left or closed, shown in the answer).
 * `inNoCollective`: rights are not read again but narrowed to the same viewer in no collective (a member who has
 * just left the cooperative: their session has ended, yet their answer confirms it to them). Resolves with what
 * `load` resolves; throws what it throws.
 */
export async function answerWithRightsLeft<T>(
  context: Context,
  info: GraphQLResolveInfo,
  query: object,
  load: (fresh: object) => Promise<T>,
  inNoCollective = false,
): Promise<T> {
  if (!inNoCollective) await rereadRights(context);
  else {
    context.access = Access.withoutMemberships(context.prisma, context.access.viewer);
    RequestCache.clearForContext(context);
  }
  // Reading its keys tells Pothos' check of unused queries (builder.ts `onUnusedQuery`) it is set aside on purpose.
  Object.values(query);
  return load(await queryFromInfo({ context, info, awaitSelections: true }));
}

/**
 * A request's session and memberships. On the embedded database (`Lifecycle.writes` given: one process writes it) they
 * are kept per token as for sockets' `connection_init` (`Lifecycle.authenticate`, issue 11: `{ __typename }` signed
 * in cost a statement), and serve its next requests only while nothing could have changed them: no event that may
 * change them applied here, and no write to the tables they are read from (db/access-writes.ts: a sign-out, a member
 * leaving, a membership changed, counted from the statement's sending to its transaction's commit, so the next
 * request sees it; a test fixture's row too); an expired session is refused at each use. On PostgreSQL (other
 * processes may write it) and with `REDIS_URL`, every request reads its session (one statement).
 */
function authenticateRequest(server: ServerContext, token: string): Promise<Authenticated | null> {
  const read = () => resolveSignedIn(server.sql, token);
  if (server.config.redisUrl || !server.live.writes) return read();
  return server.live.authenticate(token, read).then((kept) => kept.signedIn);
}

/**
 * Root mutations that read no membership of the viewer's from the context, so their operations skip loading
 * them: a presence update (its right comes from the socket's presence stream, or is read when it has none) and
 * a pushed section update (its storing transaction reads the pusher's membership of the section's collective).
 */
const LIGHT_FIELDS = ['updatePresence', 'pushSectionUpdate'];
const LIGHT_FIELD_SET = new Set(LIGHT_FIELDS);

/**
 * Whether every root field of the operation is a light mutation (issue 11: a cursor move or a keystroke costs
 * no membership read). A cheap text test first; only then is the (small) document parsed to check every root field.
 */
function readsNoMemberships(initial: InitialContext): boolean {
  const params = (initial as { params?: { query?: unknown; operationName?: unknown } }).params;
  const query = params?.query;
  if (typeof query !== 'string' || query.length > 2_000 || !LIGHT_FIELDS.some((field) => query.includes(field))) return false;
  // The verdict depends on the text alone: an editor sends the same two documents at every keystroke and cursor move
  // (parsing them each time was 1.5 % of the co-editing server's CPU, issue 11).
  let light = lightQueries.get(query);
  if (light === undefined) {
    light = parsesAsLight(query);
    if (lightQueries.size >= LIGHT_QUERIES_KEPT) lightQueries.clear();
    lightQueries.set(query, light);
  }
  return light;
}

/** `readsNoMemberships`' verdicts by query text (at most `LIGHT_QUERIES_KEPT`, then forgotten all at once). */
const lightQueries = new Map<string, boolean>();
const LIGHT_QUERIES_KEPT = 64;

/** Whether `query` parses as light mutations only (see `readsNoMemberships`). */
function parsesAsLight(query: string): boolean {
  try {
    const document = parse(query, { noLocation: true });
    const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    return (
      document.definitions.length === operations.length &&
      operations.every(
        (operation) =>
          operation.operation === 'mutation' &&
          operation.selectionSet.selections.every(
            (selection) =>
              selection.kind === Kind.FIELD &&
              (LIGHT_FIELD_SET.has(selection.name.value) || selection.name.value === '__typename'),
          ),
      )
    );
  } catch {
    return false;
  }
}
