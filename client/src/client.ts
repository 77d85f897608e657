import { type Cache, cacheExchange, type DataFields, type Variables } from '@urql/exchange-graphcache';
import { createClient as createWsClient } from 'graphql-ws';
import {
  Client,
  type CombinedError,
  composeExchanges,
  type Exchange,
  fetchExchange,
  gql,
  makeOperation,
  mapExchange,
  type Operation,
  subscriptionExchange,
} from 'urql';
import type { EventFamily } from '../../server/src/events/types.js';
import type { SocketAckLimits } from '../../server/src/transport/websocket.js';
import { EMBEDDED_TYPES } from './cache-keys';
import { mutationUpdates } from './cache-updates';
import { introspection } from './graphql-introspection';
import { fr } from './i18n/fr';
import { changesMoreThanFigures, figuresOf } from './liveFigures';
import { sawEvent } from './withdrawals';

/** Where the session token is kept between visits. */
export const TOKEN_KEY = 'collectifs.token';

export function readToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage disabled (private mode, policy): behave as signed out
  }
}

export function writeToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage unavailable: the session lasts as long as the page.
  }
}

/** The `Authorization` header value for a token, or null when signed out. */
export function bearer(token: string | null): string | null {
  return token ? `Bearer ${token}` : null;
}

const SESSION_CODES = new Set(['UNAUTHENTICATED', 'SESSION_EXPIRED', 'SESSION_REVOKED']);

/** True when an error says the session is gone (expired, revoked, never valid), rather than a transient failure. */
export function isSessionError(error: CombinedError | undefined): boolean {
  if (!error) return false;
  if (error.response && (error.response as { status?: number }).status === 401) return true;
  // By code only: the server's words are French and may change.
  return error.graphQLErrors.some((item) => SESSION_CODES.has(String(item.extensions?.code ?? '')));
}

/**
 * Codes that end a stream for good: subscribing again would only be refused again (the stream was never
 * the caller's, or no longer is). Anything else (a network error, `UNAVAILABLE`) is worth a retry.
 */
const FINAL_STREAM_CODES = new Set([
  'NOT_FOUND',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'ACCESS_REVOKED',
  'UNAUTHENTICATED',
  'SESSION_EXPIRED',
  'SESSION_REVOKED',
]);

/** The code of a stream's final refusal or end, or null when the error is worth retrying. */
export function finalStreamCode(error: CombinedError | undefined): string | null {
  for (const item of error?.graphQLErrors ?? []) {
    const code = String(item.extensions?.code ?? '');
    if (FINAL_STREAM_CODES.has(code)) return code;
  }
  return null;
}

interface AuthExchangeOptions {
  getToken(): string | null;
  /** Called once per failing result when the server no longer accepts the session. */
  onSessionLost(): void;
}

/**
 * Adds `Authorization: Bearer <token>` to every HTTP operation and reports a lost session.
 * Subscriptions carry the token in graphql-ws's `connection_init` instead (see below).
 */
export function authExchange({ getToken, onSessionLost }: AuthExchangeOptions): Exchange {
  return mapExchange({
    onOperation(operation) {
      const authorization = bearer(getToken());
      if (!authorization) return operation;
      const previous =
        typeof operation.context.fetchOptions === 'function'
          ? operation.context.fetchOptions()
          : (operation.context.fetchOptions ?? {});
      return makeOperation(operation.kind, operation, {
        ...operation.context,
        fetchOptions: { ...previous, headers: { ...(previous.headers as Record<string, string>), authorization } },
      });
    },
    onResult(result) {
      if (isSessionError(result.error)) onSessionLost();
    },
  });
}

/** The type named inside a Relay global ID (base64 of `Type:id`), or null if it is not one. */
export function typenameOfGlobalId(id: string): string | null {
  try {
    const decoded = atob(id);
    const colon = decoded.indexOf(':');
    return colon > 0 ? decoded.slice(0, colon) : null;
  } catch {
    return null;
  }
}

/** Which fields of a Collective an event's subject shows in, by the event type's family (from the server's registry). */
const COLLECTIVE_LISTS: Record<EventFamily, string[]> = {
  session: [],
  member: ['memberships', 'memberCount', 'animator', 'coAnimator', 'needsAnimator'],
  collective: [],
  membership: ['memberships', 'memberCount', 'viewerMembership', 'animator', 'coAnimator', 'needsAnimator'],
  opportunity: ['deals'],
  deal: ['deals', 'tenderResponses'],
  tenderResponse: ['tenderResponses', 'deals'],
  tenderSection: ['tenderResponses', 'deals'],
  stand: ['stands'],
  brand: ['brands', 'products'],
  product: ['products'],
  priceReference: ['priceReferences'],
  supplierRecommendation: ['supplierRecommendations'],
  serviceExchange: ['serviceExchanges'],
  referral: ['referrals'],
};

function invalidateFields(cache: Cache, entity: { __typename: string; id: string }, names: string[]) {
  for (const field of cache.inspectFields(entity)) {
    if (names.includes(field.fieldName)) cache.invalidate(entity, field.fieldName, field.arguments ?? undefined);
  }
}

interface LiveEvent {
  __typename?: string;
  type?: string;
  subjectId?: string;
  collectiveId?: string | null;
  payload?: unknown;
}

/**
 * A section's recount that changes only its figures (see liveFigures.ts), written into the cached section: every
 * screen showing it updates from the cache, none re-queries. False when the event says more, or the section is not
 * cached as far as needed to tell: the caller invalidates as for any event.
 */
function wroteFigures(cache: Cache, message: LiveEvent, section: string): boolean {
  const figures = figuresOf(message);
  if (!figures) return false;
  const entity = { __typename: 'TenderSection', id: section };
  const isOverLimit = cache.resolve(entity, 'isOverLimit');
  const approval = cache.resolve(entity, 'approval');
  const known = {
    isOverLimit: typeof isOverLimit === 'boolean' ? isOverLimit : undefined,
    hasApproval: approval === undefined ? undefined : approval !== null,
  };
  if (changesMoreThanFigures(figures, known)) return false;
  cache.writeFragment(SECTION_FIGURES, { __typename: 'TenderSection', id: section, ...figures });
  return true;
}

const SECTION_FIGURES = gql`
  fragment _ on TenderSection {
    id
    wordCount
    characterCount
    isOverLimit
  }
`;

/**
 * Applies one live event to the cache: the changed entity and the lists of its collective are invalidated,
 * so every screen showing them refreshes just those fields (a ResyncRequired invalidates the whole collective).
 */
export function applyLiveEvent(cache: Cache, message: LiveEvent | null | undefined, collectiveId?: string) {
  if (!message) return;
  if (message.__typename === 'ResyncRequired') {
    if (collectiveId) cache.invalidate({ __typename: 'Collective', id: collectiveId });
    return;
  }
  const type = message.type ?? '';
  sawEvent(type);
  const prefix = type.split('.')[0] ?? '';
  const subject = message.subjectId;
  const subjectType = subject ? typenameOfGlobalId(subject) : null;
  if (subject && subjectType === 'TenderSection' && wroteFigures(cache, message, subject)) return;
  if (subject && subjectType) cache.invalidate({ __typename: subjectType, id: subject });
  const collective = message.collectiveId ?? collectiveId;
  if (!collective) return;
  if (prefix === 'collective') cache.invalidate({ __typename: 'Collective', id: collective });
  else invalidateFields(cache, { __typename: 'Collective', id: collective }, COLLECTIVE_LISTS[prefix as EventFamily] ?? []);
  // Directory cards show counts and the viewer's membership: refresh the connection that lists collectives.
  if (prefix === 'membership' || prefix === 'collective')
    invalidateFields(cache, { __typename: 'Query', id: 'Query' }, ['collectives']);
}

function liveUpdater(field: string) {
  return (result: DataFields, args: Variables, cache: Cache) => {
    const collectiveId = typeof args.collectiveId === 'string' ? args.collectiveId : undefined;
    applyLiveEvent(cache, result[field] as LiveEvent | null, collectiveId);
  };
}

/** Events have no ID but a unique position in the log. */
function keyByPosition(event: DataFields): string | null {
  return typeof event.position === 'string' ? event.position : null;
}

/** The normalised cache: embedded types, abstract types, and how subscription events refresh cached data. */
export function createCache() {
  return cacheExchange({
    keys: {
      ...Object.fromEntries(EMBEDDED_TYPES.map((name) => [name, () => null])),
      ActivityEvent: keyByPosition,
    },
    // The schema lets graphcache match `... on Error` and the result unions exactly, instead of guessing.
    schema: introspection,
    updates: {
      Subscription: {
        collectiveActivity: liveUpdater('collectiveActivity'),
        myFeed: liveUpdater('myFeed'),
        nodeChanges: liveUpdater('nodeChanges'),
        // `dashboard` sends a full snapshot each time: nothing to reconcile.
      },
      // Every mutation refetches the lists its change shows in (see cache-updates.ts).
      Mutation: mutationUpdates,
    },
  });
}

/** True when `read` has a null (or nothing) where `sent` has a value: graphcache read back less than the server sent. */
function lostInCache(sent: unknown, read: unknown): boolean {
  if (sent === null || sent === undefined || typeof sent !== 'object') return false;
  if (read === null || read === undefined || typeof read !== 'object') return true;
  if (Array.isArray(sent)) {
    const items = read as unknown[];
    return !Array.isArray(read) || sent.some((item, index) => lostInCache(item, items[index]));
  }
  const fields = read as Record<string, unknown>;
  return Object.entries(sent).some(([name, value]) => lostInCache(value, fields[name]));
}

/** Consecutive refetches of a query whose answers the cache keeps reading back short, before giving up. */
const MAX_SHORT_READS = 3;

/**
 * graphcache, kept honest about queries in flight: a query is sent again, `network-only`, when its answer may show
 * less, or older, than the cache knows. Wrap the cache with it (`refetchingCache(createCache())`).
 *
 * Why: graphcache writes a query's answer in a layer reserved when the query was sent, and what happens while it is in
 * flight goes around that layer. Two cases, the same cause underneath:
 * - A mutation's `cache.invalidate` made meanwhile stays on top of the answer, so the answer is read back with the
 *   invalidated fields missing, and schema awareness turns them into a null up to the nearest nullable field
 *   (`collective(slug:)` itself): « Page introuvable » with `stale: false`. Caught by comparing what the cache returns
 *   with what the server sent.
 * - A live event's writes go under the layer of a query in flight, so its late answer, read by the server before the
 *   change, reads back whole over the event's invalidation: the page keeps the text from before the change.
 * graphcache means to refetch a query an invalidation hits while in flight (it re-dispatches it `cache-first`, to send
 * it again once its answer is in), but the urql client drops a `cache-first` re-dispatch of a query already in flight,
 * so nothing was refetched. The cache is given a client that notes those re-dispatches made while it applies a
 * subscription's event. Either answer is passed on with `stale: true` (the page keeps what it shows) and the query is
 * sent again, `network-only`.
 */
export function refetchingCache(cache: Exchange): Exchange {
  return (input) => {
    /** The network's answer to each query, as sent, until the cache has answered it. */
    const sent = new Map<number, unknown>();
    const shortReads = new Map<number, number>();
    /** Queries sent to the network and not answered yet. */
    const inFlight = new Set<number>();
    /** Queries in flight whose answer predates a live event that changed what they show. */
    const outdated = new Set<number>();
    /** The kind of operation whose result the cache is applying now (set below it, cleared above it). */
    let applying: Operation['kind'] | null = null;
    const client: Client = Object.create(input.client);
    client.reexecuteOperation = (operation) => {
      if (
        applying === 'subscription' &&
        operation.kind === 'query' &&
        operation.context.requestPolicy !== 'network-only' &&
        inFlight.has(operation.key)
      )
        outdated.add(operation.key);
      input.client.reexecuteOperation(operation);
    };
    const below = mapExchange({
      onOperation(operation) {
        if (operation.kind !== 'query') return;
        inFlight.add(operation.key);
        // Sent now, the answer follows whatever came before.
        outdated.delete(operation.key);
      },
      onResult(result) {
        applying = result.operation.kind;
        if (result.operation.kind !== 'query') return;
        if (!result.hasNext) inFlight.delete(result.operation.key);
        if (result.data) sent.set(result.operation.key, result.data);
      },
    });
    const above = mapExchange({
      onResult(result) {
        applying = null;
        const { key } = result.operation;
        if (result.operation.kind !== 'query' || !sent.has(key)) return result;
        const answer = sent.get(key);
        sent.delete(key);
        const older = outdated.delete(key);
        const short = lostInCache(answer, result.data);
        if (short) {
          const count = (shortReads.get(key) ?? 0) + 1;
          shortReads.set(key, count);
          if (count > MAX_SHORT_READS) return result;
        } else {
          shortReads.delete(key);
          if (!older) return result;
        }
        input.client.reexecuteOperation(
          makeOperation('query', result.operation, { ...result.operation.context, requestPolicy: 'network-only' }),
        );
        return { ...result, stale: true };
      },
    });
    return composeExchanges([above, cache, below])({ ...input, client });
  };
}

/** Close code the server uses for a `connection_init` whose token names no live session. */
export const CLOSE_FORBIDDEN = 4403;

/** What graphql-ws hands to `error`: GraphQL errors, an Error, or the CloseEvent of the socket. */
export function toSubscriptionError(error: unknown): unknown {
  if (Array.isArray(error) || error instanceof Error) return error;
  if (error && typeof error === 'object' && 'code' in error) {
    const { code, reason } = error as { code: number; reason?: string };
    const sessionLost = code === CLOSE_FORBIDDEN || code === 4401;
    return [{ message: reason || `Socket closed (${code})`, extensions: sessionLost ? { code: 'UNAUTHENTICATED' } : {} }];
  }
  return new Error(String(error));
}

/** The position to resume a log subscription after: the event's own, or the one a ResyncRequired names. */
export function resumePosition(data: Record<string, unknown> | null | undefined): string | null {
  const message = data ? (Object.values(data)[0] as { position?: unknown; resumeAfter?: unknown } | null) : null;
  if (typeof message?.position === 'string') return message.position;
  if (typeof message?.resumeAfter === 'string') return message.resumeAfter;
  return null;
}

/**
 * Operation context for mutations that go over the page's graphql-ws socket instead of HTTP (section pushes
 * and presence, as the README says): the server keys presence and echo suppression by that socket, the
 * socket's close removes the page's presence, and no request is authenticated again per keystroke.
 */
export const OVER_SOCKET = { requestPolicy: 'network-only', overSocket: true } as const;

function websocketUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/graphql`;
}

/** How the page's live connection (its graphql-ws socket) stands: every live screen shows `reconnecting`. */
export type LiveState = 'idle' | 'connecting' | 'connected' | 'reconnecting';

/** The longest wait between two reconnection attempts (the page retries for as long as it is open). */
export const MAX_RETRY_WAIT_MS = 10_000;
/** A ping every so often, and a socket whose pong does not come back in time is closed and reopened. */
const KEEP_ALIVE_MS = 10_000;
const PONG_TIMEOUT_MS = 5_000;

function compare(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The page's live connection: its state (for the "reconnecting" notices) and the event-log positions its
 * answers reflect (each query and mutation answer carries `extensions.livePosition`, read by the server no
 * later than its data), so a subscription resumes without a gap (issue 10 item 9).
 */
export class LiveStatus {
  state: LiveState = 'idle';
  /** The first position an answer reflected (the oldest data the page can show). */
  first: string | null = null;
  /** The latest position an answer reflected. */
  latest: string | null = null;
  /**
   * What the server's `connection_ack` said its socket accepts (`SocketAckLimits`: the largest message, the largest
   * co-editing update), once the socket has been acknowledged; null before.
   */
  limits: SocketAckLimits | null = null;
  readonly #listeners = new Set<(state: LiveState) => void>();

  /** Calls `listener` on every change of state; returns the unsubscribe function. */
  listen(listener: (state: LiveState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  set(state: LiveState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of [...this.#listeners]) listener(state);
  }

  /** Records the position an answer reflects. */
  seen(position: unknown): void {
    if (typeof position !== 'string' || !/^\d+$/.test(position)) return;
    if (this.first === null) this.first = position;
    if (this.latest === null || compare(position, this.latest) > 0) this.latest = position;
  }
}

const statuses = new WeakMap<Client, LiveStatus>();

/** The live connection of a client made by `createGraphqlSession` (a detached one for any other client). */
export function liveStatusOf(client: Client): LiveStatus {
  let status = statuses.get(client);
  if (!status) {
    status = new LiveStatus();
    statuses.set(client, status);
  }
  return status;
}

/** Records the `livePosition` of every answer that reaches the page (HTTP and socket alike). */
function livePositionExchange(status: LiveStatus): Exchange {
  return mapExchange({
    onResult(result) {
      status.seen(result.extensions?.livePosition);
    },
  });
}

/**
 * A stream's error result without the data of its previous event. graphql-ws ends a stream with an `error` message
 * (`ACCESS_REVOKED`, `SESSION_REVOKED`…, a list of GraphQL errors), which urql's `subscriptionExchange` merges into the
 * stream's last result (`mergeResultPatch`): the error came with the previous event's data, which a consumer reading
 * `data` first took for a new event (the section editor re-ran its last handshake and stayed "connected" after its
 * access was revoked). Placed right above the subscription exchange, this drops that repeated data, so an ended
 * stream reads `data: undefined` with its error, as its first result would.
 */
export function endedStreamExchange(): Exchange {
  /** The data of each running stream's last result, by operation key. */
  const last = new Map<number, unknown>();
  return mapExchange({
    onOperation(operation) {
      if (operation.kind === 'teardown') last.delete(operation.key);
    },
    onResult(result) {
      if (result.operation.kind !== 'subscription') return;
      const { key } = result.operation;
      const previous = last.get(key);
      if (result.error && result.data !== undefined && result.data === previous) {
        last.delete(key);
        return { ...result, data: undefined };
      }
      if (result.data !== undefined) last.set(key, result.data);
      if (result.error) last.delete(key);
      return result;
    },
  });
}

/** A `connection_ack` payload's limits, if it carries well-formed ones. */
function ackLimits(payload: unknown): SocketAckLimits | null {
  const limits = (payload as { limits?: Partial<SocketAckLimits> } | null | undefined)?.limits;
  const { maxMessageBytes, maxUpdateBytes } = limits ?? {};
  return Number.isSafeInteger(maxMessageBytes) && Number.isSafeInteger(maxUpdateBytes)
    ? { maxMessageBytes: maxMessageBytes as number, maxUpdateBytes: maxUpdateBytes as number }
    : null;
}

/** UTF-8 length of `text`, in bytes. */
function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}

/**
 * The browser's WebSocket, but an operation whose `subscribe` message is past the server's `maxMessageBytes` is
 * never sent: the server would close the socket (1009) and graphql-ws would send the same message again on every
 * reconnect, for ever. The operation is answered here instead with the `error` the server would give a body past
 * its limit (`REQUEST_ENTITY_TOO_LARGE`), so graphql-ws ends it and the socket stays up for the others.
 */
function boundedWebSocket(limits: () => SocketAckLimits | null): typeof WebSocket {
  return class BoundedWebSocket extends WebSocket {
    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      const max = limits()?.maxMessageBytes;
      // A UTF-8 byte is at least a third of a UTF-16 unit: only a long message is measured.
      if (typeof data === 'string' && max !== undefined && data.length * 3 > max && utf8Bytes(data) > max) {
        // graphql-ws serialises `{ id, type, payload }` in that order; its ids are plain (no quote to escape).
        const id = /^\{"id":"([^"\\]+)","type":"subscribe"/.exec(data)?.[1];
        if (id !== undefined) {
          const refusal = {
            id,
            type: 'error',
            payload: [{ message: fr.errors.tooLarge, extensions: { code: 'REQUEST_ENTITY_TOO_LARGE', limit: max } }],
          };
          // Answered after this send returns, as the server's answer would be (graphql-ws listens already).
          queueMicrotask(() => this.onmessage?.(new MessageEvent('message', { data: JSON.stringify(refusal) })));
          return;
        }
      }
      super.send(data);
    }
  };
}

/** Waits before the `retries`-th reconnection: exponential, with jitter, capped (so a page retries for ever). */
function retryWait(retries: number): Promise<void> {
  const base = Math.min(MAX_RETRY_WAIT_MS, 500 * 2 ** Math.min(retries, 10));
  return new Promise((resolve) => setTimeout(resolve, base * (0.75 + Math.random() * 0.5)));
}

export interface GraphqlSession {
  client: Client;
  /** Closes the WebSocket; call when the session (token) changes. */
  dispose(): void;
}

interface SessionOptions {
  getToken(): string | null;
  onSessionLost(): void;
}

/**
 * Builds the urql client: graphcache, then the bearer token on HTTP, queries and mutations over HTTP (POST),
 * and subscriptions over graphql-ws (the token goes in the connection parameters).
 * Build a new one whenever the token changes, so the cache never mixes two viewers.
 */
export function createGraphqlSession({ getToken, onSessionLost }: SessionOptions): GraphqlSession {
  const status = new LiveStatus();
  /** Operations running on the socket: without any, a closed socket is idle, not reconnecting. */
  let active = 0;
  let socket: WebSocket | null = null;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  const ws = createWsClient({
    url: websocketUrl(),
    webSocketImpl: boundedWebSocket(() => status.limits),
    lazy: true,
    // Pages come and go: keep the socket a moment so that the next page's streams reuse it.
    lazyCloseTimeout: 3_000,
    // Issue 10 item 10: retry with backoff for as long as the page is open, unless the session is refused.
    retryAttempts: Number.POSITIVE_INFINITY,
    retryWait,
    shouldRetry: (error) => !(error && typeof error === 'object' && 'code' in error && error.code === CLOSE_FORBIDDEN),
    keepAlive: KEEP_ALIVE_MS,
    connectionParams: () => {
      const authorization = bearer(getToken());
      return authorization ? { authorization } : {};
    },
    on: {
      connecting: (isRetry) => status.set(isRetry || status.state === 'reconnecting' ? 'reconnecting' : 'connecting'),
      connected: (opened, payload) => {
        socket = opened as WebSocket;
        status.limits = ackLimits(payload);
        status.set('connected');
      },
      closed: () => {
        socket = null;
        clearTimeout(pongTimer);
        status.set(active > 0 ? 'reconnecting' : 'idle');
      },
      // A half-open socket (a cut that sends no reset) is closed when its pong does not come back: then retried.
      ping: (received) => {
        if (received) return;
        clearTimeout(pongTimer);
        pongTimer = setTimeout(() => {
          if (socket?.readyState === WebSocket.OPEN) socket.close(4408, 'Keep-alive timeout');
        }, PONG_TIMEOUT_MS);
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer);
      },
    },
  });

  const client = new Client({
    url: '/graphql',
    preferGetMethod: false,
    exchanges: [
      refetchingCache(createCache()),
      authExchange({ getToken, onSessionLost }),
      livePositionExchange(status),
      endedStreamExchange(),
      subscriptionExchange({
        // Subscriptions, and the mutations a page sends over its socket (OVER_SOCKET); the rest over HTTP.
        isSubscriptionOperation: (operation) =>
          operation.kind === 'subscription' || (operation.kind === 'mutation' && operation.context.overSocket === true),
        forwardSubscription(request) {
          const variables: Record<string, unknown> = { ...request.variables };
          const input = { ...request, query: request.query ?? '', variables };
          const resumes = /\$after\b/.test(input.query);
          if (resumes && (variables.after === undefined || variables.after === null)) {
            // No position given: resume after what the page's data reflects (issue 10 item 9). The latest answer's
            // position if the page had any before this stream; else, on a first load, read when the socket sends
            // the subscription (graphql-ws serialises the payload then), the first answer's: no later than any
            // data the page shows, so a change made before the socket connected is replayed.
            const known = status.latest;
            let after: string | null = known;
            Object.defineProperty(variables, 'after', {
              enumerable: true,
              get: () => after ?? status.first,
              set: (value: string | null) => {
                after = value;
              },
            });
          }
          return {
            subscribe(sink) {
              active += 1;
              let done = false;
              const finish = () => {
                if (done) return;
                done = true;
                active -= 1;
              };
              const unsubscribe = ws.subscribe<Record<string, unknown>, Record<string, unknown>>(input, {
                next: (value) => {
                  // graphql-ws sends this same payload again when it reconnects: resume after the last event seen.
                  const position = resumes ? resumePosition(value.data) : null;
                  if (position) variables.after = position;
                  status.seen(value.extensions?.livePosition);
                  sink.next(value);
                },
                complete: () => {
                  finish();
                  sink.complete();
                },
                // graphql-ws reports a closed socket as a CloseEvent: turn it into an error urql can carry.
                error: (error) => {
                  finish();
                  sink.error(toSubscriptionError(error));
                },
              });
              return {
                unsubscribe: () => {
                  finish();
                  unsubscribe();
                },
              };
            },
          };
        },
      }),
      fetchExchange,
    ],
  });
  statuses.set(client, status);

  return {
    client,
    dispose: () => {
      clearTimeout(pongTimer);
      void ws.dispose();
    },
  };
}
