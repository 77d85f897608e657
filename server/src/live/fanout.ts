import { RequestCache } from '@pothos/plugin-scope-auth';
import {
  BREAK,
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  visit,
} from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { Context } from '../context.js';
import type { DirectLane, DirectSink, EventMessage } from '../events/bus.js';
import { logger } from '../observability/log.js';
import { attachSink } from './lifecycle.js';

/**
 * Fan-out without executing per subscriber (issue 11): an event delivered to many subscriptions of the same
 * operation (same document, operation name and variables) and the same visibility class is executed once,
 * and every one of them receives the same result object.
 *
 * Who receives an event is still decided per subscriber, exactly as before: the event bus asks the delivery
 * index (`DeliveryIndex.mayReceive`) for each listener and the stream lifecycle admits each message (pending
 * re-checks, session expiry) before it is yielded. Only the execution of the selection on an admitted event is
 * shared, and only when that execution cannot differ between the subscribers sharing it:
 * - the stream is one whose messages are the log's events, viewer-independent (`SHARED_STREAMS`), keyed by position,
 *   or figures computed once for one viewer and handed to each of their subscriptions (the dashboard), keyed by identity;
 * - every field the selection reaches is in `VIEWER_NEUTRAL`: fields whose value reads nothing of the viewer but
 *   the `member` scope (an active member is signed in), which is the visibility class. Any other field (a
 *   member's memberships, filtered by the viewer's rights), an interface's field, or a viewer who is not an
 *   active member: the subscription executes its events alone, as before.
 * A field added to these types later is not shared until listed here, so sharing can only be missed, never wrong.
 */

/** Root subscription fields whose messages are events of the log, and each message's key (null: not shared). */
const SHARED_STREAMS: Record<string, (message: unknown) => string | null> = {
  collectiveActivity: eventKey,
  nodeChanges: eventKey,
  myFeed: eventKey,
  dashboard: identityKey,
  sectionSync: syncKey,
  sectionPresence: identityKey,
};

/**
 * Streams whose root field's value is the message itself, whatever its arguments (its arguments chose the
 * stream, in `subscribe`): their messages are executed alike for subscriptions whose variables differ (each
 * editor sends its own state vector and client ID), unless a field below the root reads a variable.
 */
const ROOT_ARGUMENTS_UNREAD = new Set(['sectionSync', 'sectionPresence']);

/**
 * A co-editing update's key: the identity of its bytes, which the section's documents hand by reference to every
 * listener of one stored push (collab/documents.ts `#deliver`). A first sync, a merged backlog or a catch-up is
 * the subscriber's own (its bytes are computed for it): it executes alone, as its identity is met only once.
 */
function syncKey(message: unknown): string | null {
  const sync = message as { kind?: unknown; update?: unknown; stateVector?: unknown };
  return sync.kind === 'UPDATE' && sync.stateVector === null && sync.update instanceof Uint8Array
    ? identityKey(sync.update)
    : null;
}

const identities = new WeakMap<object, number>();
let nextIdentity = 1;

/**
 * A message handed by reference to several subscriptions (one viewer's dashboard figures, computed once for all of
 * their dashboards: schema/dashboard.ts): its identity. Figures are the viewer's own, so only the subscriptions that
 * received this very object share its result.
 */
function identityKey(message: unknown): string | null {
  if (typeof message !== 'object' || message === null) return null;
  let id = identities.get(message);
  if (id === undefined) {
    id = nextIdentity++;
    identities.set(message, id);
  }
  return `#${id}`;
}

/** An event message's key: its log position (the same event for everyone); a resync request is the subscriber's own. */
function eventKey(message: unknown): string | null {
  const event = message as { kind?: unknown; position?: unknown };
  return event.kind === 'event' && typeof event.position === 'bigint' ? event.position.toString() : null;
}

/**
 * `Type.field` whose value depends on the event alone once the viewer is an active member (`member` scope):
 * an event's own fields, a resync request's, and a member's profile fields (MemberRef's `$any: member, viewerIs`
 * scope passes for every active member). Not `Member.memberships`: it is filtered by the viewer's rights.
 */
const VIEWER_NEUTRAL = new Set([
  'Subscription.collectiveActivity',
  'Subscription.nodeChanges',
  'Subscription.myFeed',
  // The dashboard's figures are computed for the viewer already; their fields only read them.
  'Subscription.dashboard',
  ...['position', 'collectives', 'deals', 'upcomingDeadlines', 'recentActivity'].map((field) => `Dashboard.${field}`),
  ...['kind', 'status', 'count'].map((field) => `CollectiveCount.${field}`),
  ...['status', 'count', 'totalAmountCents'].map((field) => `DealTotal.${field}`),
  // A co-editing update and a presence list read only the message (not `SectionPresence.you`: the viewer's own).
  'Subscription.sectionSync',
  ...['kind', 'update', 'stateVector'].map((field) => `SectionSyncMessage.${field}`),
  'Subscription.sectionPresence',
  ...['clientId', 'memberId', 'member', 'name', 'colour', 'cursor', 'updatedAt'].map((field) => `SectionPresence.${field}`),
  ...['opportunityId', 'title', 'buyer', 'kind', 'at'].map((field) => `Deadline.${field}`),
  'ActivityEvent.position',
  'ActivityEvent.type',
  'ActivityEvent.subjectId',
  'ActivityEvent.collectiveId',
  'ActivityEvent.actor',
  'ActivityEvent.payload',
  'ActivityEvent.createdAt',
  'ResyncRequired.reason',
  'ResyncRequired.resumeAfter',
  ...[
    'id',
    'firstName',
    'lastName',
    'displayName',
    'email',
    'kind',
    'contract',
    'isAssociate',
    'associateSince',
    'situation',
    'trade',
    'sectors',
    'joinedCooperativeOn',
    'leftCooperativeOn',
  ].map((field) => `Member.${field}`),
]);

/**
 * The visibility class of a subscriber, for the fields of `VIEWER_NEUTRAL`: every active member sees them
 * alike. Null (not shared) for anyone else.
 */
function visibilityClass(context: Context): string | null {
  return context.session && context.access.isMember ? 'member' : null;
}

/**
 * What an operation shares, or null: its stream's message key (the document and operation are the cache's), and
 * whether its results depend on its variables (else subscriptions with other variables share them too).
 */
type Plan = { key: (message: unknown) => string | null; byVariables: boolean } | null;

const plans = new WeakMap<DocumentNode, Map<string, Plan>>();
const documentIds = new WeakMap<DocumentNode, number>();
let nextDocumentId = 1;

/** Whether (and how) the operation's events can be executed once for many subscribers; memoised per document. */
function planFor(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): Plan {
  let byName = plans.get(document);
  if (!byName) {
    byName = new Map();
    plans.set(document, byName);
  }
  const name = operationName ?? '';
  if (byName.has(name)) return byName.get(name) ?? null;
  const plan = makePlan(schema, document, operationName);
  byName.set(name, plan);
  return plan;
}

function makePlan(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): Plan {
  const operation = getOperationAST(document, operationName);
  const root = schema.getSubscriptionType();
  if (operation?.operation !== 'subscription' || !root) return null;
  const [first, ...others] = operation.selectionSet.selections;
  if (!first || others.length > 0 || first.kind !== Kind.FIELD) return null;
  const key = SHARED_STREAMS[first.name.value];
  if (!key) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  if (!neutral(schema, root.name, operation.selectionSet, fragments, new Set())) return null;
  const byVariables = !ROOT_ARGUMENTS_UNREAD.has(first.name.value) || readsVariables(first.selectionSet, fragments);
  return { key, byVariables };
}

/** Whether anything in `selectionSet` (or a fragment of the document) reads a variable: an argument, a directive. */
function readsVariables(selectionSet: SelectionSetNode | undefined, fragments: Map<string, FragmentDefinitionNode>): boolean {
  let found = false;
  const visitor = {
    Variable: () => {
      found = true;
      return BREAK;
    },
  };
  if (selectionSet) visit(selectionSet, visitor);
  for (const fragment of fragments.values()) if (!found) visit(fragment, visitor);
  return found;
}

/**
 * Whether every field `selectionSet` reaches on `typeName` is viewer-neutral. Abstract types (a union, an
 * interface) allow only `__typename` directly; their members are checked through the type conditions.
 */
function neutral(
  schema: GraphQLSchema,
  typeName: string,
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  visiting: Set<string>,
): boolean {
  const type = schema.getType(typeName);
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === '__typename') continue;
      if (!isObjectType(type) || !VIEWER_NEUTRAL.has(`${typeName}.${selection.name.value}`)) return false;
      const field = type.getFields()[selection.name.value];
      if (!field) return false;
      if (selection.selectionSet && !neutral(schema, getNamedType(field.type).name, selection.selectionSet, fragments, visiting))
        return false;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const on = selection.typeCondition?.name.value ?? typeName;
      if (!neutral(schema, on, selection.selectionSet, fragments, visiting)) return false;
    } else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment || visiting.has(fragment.name.value)) return false;
      visiting.add(fragment.name.value);
      const ok = neutral(schema, fragment.typeCondition.name.value, fragment.selectionSet, fragments, visiting);
      visiting.delete(fragment.name.value);
      if (!ok) return false;
    }
  }
  return true;
}

/** Texts kept once (`internText`), each its own key. */
const texts = new Map<string, string>();
/** How many texts are kept, and the longest kept (characters): at most ~4 MB, whatever clients send. */
const TEXTS_KEPT = 1_024;
const TEXT_MAX_LENGTH = 4_096;

/**
 * One copy of a text that many long-lived operations hold alike (a subscription's query, its fan-out key): the
 * first copy seen, flattened, while kept (the oldest forgotten first); a longer text is returned as is. Each of
 * thousands of idle subscribers held its own copy of both (issue 11, ~0.4 KB).
 */
export function internText(text: string): string {
  if (text.length > TEXT_MAX_LENGTH) return text;
  const known = texts.get(text);
  if (known !== undefined) return known;
  if (texts.size >= TEXTS_KEPT) texts.delete(texts.keys().next().value as string);
  texts.set(text, text);
  return text;
}

/** Results executed lately, by operation, class and message: enough for an event's delivery to every subscriber. */
const results = new Map<string, { at: number; result: Promise<ExecutionResult> }>();
/** How many results are kept; the oldest are forgotten first. */
const RESULTS_KEPT = 2_048;
/**
 * How long a result serves (ms): a subscriber that lags behind its peers by more executes again (it gets the
 * same answer, read afresh).
 */
const RESULT_FRESH_MS = 10_000;

/**
 * Counts, for tests and benchmarks: selections executed, messages answered by a result executed for another,
 * messages written straight to a socket (`FanoutSink`), and events the bus handed straight to a subscription's sink
 * (`MappedEvents.take`: no iterator of the subscription climbed for them).
 */
export const fanoutCounts = { executed: 0, shared: 0, written: 0, direct: 0 };

/** The event's result for this operation and class: executed by the first subscriber to need it, shared by the rest. */
function sharedResult(key: string, run: () => Promise<ExecutionResult>): Promise<ExecutionResult> {
  const now = Date.now();
  const known = results.get(key);
  if (known && now - known.at < RESULT_FRESH_MS) {
    fanoutCounts.shared += 1;
    return known.result;
  }
  fanoutCounts.executed += 1;
  // Frozen: every subscriber's plugins and transport read the same object.
  const result = run().then((value) => {
    const shared = Object.freeze(value);
    if (!shared.errors) payloads.set(shared, new SharedPayload(JSON.stringify(shared)));
    return shared;
  });
  results.delete(key);
  results.set(key, { at: now, result });
  result.catch(() => results.delete(key));
  if (results.size > RESULTS_KEPT) results.delete(results.keys().next().value as string);
  // Results past RESULT_FRESH_MS serve nobody: forget them (oldest first, in the map's order), so a quiet server
  // does not keep the last 2,048 events' results (a few MB) for good.
  for (const [oldKey, entry] of results) {
    if (now - entry.at < RESULT_FRESH_MS) break;
    results.delete(oldKey);
  }
  return result;
}

/** Shared results without errors, and their serialisation. */
const payloads = new WeakMap<ExecutionResult, SharedPayload>();
/** Serialisations by token, while their result can still be sent (as many as results are kept). */
const serialised = new Map<string, string>();
let nextToken = 1;
/**
 * A `SharedPayload`'s token begins with a NUL character (which no JSON writer leaves raw), and this is how it
 * reads in a serialised `next` message, before its number.
 */
const NEXT_SUFFIX = ',"type":"next","payload":"\\u0000fanout:';

/**
 * A shared result's payload, serialised once (`JSON.stringify` of the result, which is what graphql-ws writes as
 * a `next` payload without errors). It stands in for the payload in the transport's message (its `toJSON` is a
 * token) and `withSharedPayload` puts the serialisation back in place of the token as the socket sends it, so each
 * subscriber's message costs a string concatenation instead of a serialisation of the result.
 */
export class SharedPayload {
  readonly #token: string;
  /** The result's serialisation (`JSON.stringify`), written as is by `FanoutSink`s. */
  readonly json: string;
  #tail: Buffer | null = null;

  constructor(json: string) {
    this.json = json;
    const n = nextToken++;
    this.#token = `\u0000fanout:${n}`;
    serialised.set(`${n}`, json);
    if (serialised.size > RESULTS_KEPT) serialised.delete(serialised.keys().next().value as string);
  }

  toJSON(): string {
    return this.#token;
  }

  /**
   * The end of every graphql-ws `next` message carrying it, after the operation's id (`,"type":"next","payload":`,
   * the serialisation, `}`), as UTF-8 bytes made once: each socket's frame copies it instead of encoding the message.
   */
  get tail(): Buffer {
    this.#tail ??= Buffer.from(`,"type":"next","payload":${this.json}}`);
    return this.#tail;
  }
}

/** The shared payload standing for `result` in a graphql-ws `next` message, or undefined (serialised as usual). */
export function sharedPayload(result: ExecutionResult): SharedPayload | undefined {
  return payloads.get(result);
}

/**
 * A graphql-ws operation's socket, for its shared events written straight to it (`useSharedFanout`): set by the
 * graphql-ws transport on the operation's context (`InitialContext.fanoutSink`), absent over SSE.
 */
export interface FanoutSink {
  /** Whether the operation still runs on an open socket (the client has not completed it, the socket is not closed). */
  readonly open: boolean;
  /**
   * Sends the operation's `next` message carrying `payload` (a result's serialisation), after every message sent
   * before it. Returns a promise, resolved once written, when the socket's buffer is past its bound (the caller
   * waits, as graphql-ws waits for each write); undefined otherwise.
   */
  writeNext(payload: SharedPayload): Promise<void> | undefined;
  /** Whether the socket's buffer is past the bound at which `writeNext` makes its caller wait. */
  readonly congested: boolean;
}

/**
 * A graphql-ws message as the socket must send it: a `next` whose payload is a `SharedPayload` token gets the
 * serialisation in its place; anything else is returned as is. Only a token can make a `next` payload a JSON
 * string (a real payload is an object), so no client-chosen text is ever replaced.
 */
export function withSharedPayload(message: string): string {
  const at = message.lastIndexOf(NEXT_SUFFIX);
  if (at < 0 || !message.startsWith('{"id":') || !message.endsWith('"}')) return message;
  const json = serialised.get(message.slice(at + NEXT_SUFFIX.length, -2));
  return json === undefined ? message : `${message.slice(0, at)},"type":"next","payload":${json}}`;
}

/**
 * Envelop plugin: subscriptions whose events can be shared (see the module's comment) get their source stream
 * as usual (the field's `subscribe`, under the stream lifecycle) and each admitted event's result from
 * `sharedResult`; the others are left to the executor. Errors of the source stream reach the transport as
 * the executor reports them (a GraphQL error located at the operation, its extensions kept).
 */
export function useSharedFanout(): Plugin<Context> {
  return {
    onSubscribe: ({ args, setSubscribeFn }) => {
      const context = args.contextValue as Context & { fanoutSink?: FanoutSink };
      const plan = planFor(args.schema, args.document, args.operationName);
      const viewerClass = plan && visibilityClass(context);
      if (!plan || !viewerClass) return;
      let documentId = documentIds.get(args.document);
      if (documentId === undefined) {
        documentId = nextDocumentId++;
        documentIds.set(args.document, documentId);
      }
      const variables = plan.byVariables ? JSON.stringify(args.variableValues ?? {}) : '*';
      const prefix = internText(`${documentId}|${args.operationName ?? ''}|${variables}|${viewerClass}|`);
      setSubscribeFn(async (subscribeArgs) => {
        const source = await createSourceEventStream(subscribeArgs as ExecutionArgs);
        // Pothos' per-request cache of scopes (~1.4 KB) is not kept for the subscription's life: an execution for
        // this subscriber makes a fresh one (from the context's access, as the first did) and it goes after.
        RequestCache.clearForContext(context);
        if (!(Symbol.asyncIterator in source)) return source;
        const operation = getOperationAST(subscribeArgs.document, subscribeArgs.operationName) as OperationDefinitionNode;
        const events = mapEvents(
          source[Symbol.asyncIterator](),
          operation,
          new EventExecution(subscribeArgs as ExecutionArgs, context, plan, prefix),
          context.fanoutSink,
        );
        // Over graphql-ws, the bus hands its live events to the mapping itself while the stream waits (`take`).
        if (context.fanoutSink) attachSink(source, events);
        return events;
      });
    },
  };
}

/**
 * How a subscription's messages are executed: shared by key (`sharedResult`) when its plan gives the message one,
 * alone otherwise. An object rather than closures, so each idle subscription holds one small object (issue 11).
 */
class EventExecution {
  constructor(
    private readonly args: ExecutionArgs,
    private readonly context: Context,
    private readonly plan: NonNullable<Plan>,
    /** The operation's shared key up to the message's own (document, operation name, variables, class). */
    readonly prefix: string,
  ) {}

  /** The message's result: shared with the subscriptions of the same operation and class, or executed alone. */
  map(message: unknown): Promise<ExecutionResult> {
    const key = this.keyOf(message);
    return key === null ? this.#run(message) : this.shared(key, message);
  }

  /** The key the message's result is shared under (operation, variables, class, message), or null: executed alone. */
  keyOf(message: unknown): string | null {
    const key = this.plan.key(message);
    return key === null ? null : this.prefix + key;
  }

  /** The result shared under `key` (`keyOf`): executed for this subscription if nobody has yet. */
  shared(key: string, message: unknown): Promise<ExecutionResult> {
    return sharedResult(key, () => this.#run(message));
  }

  async #run(message: unknown): Promise<ExecutionResult> {
    try {
      return (await execute({ ...this.args, rootValue: message })) as ExecutionResult;
    } finally {
      // Pothos' per-request cache of scopes is not kept between messages (see `useSharedFanout`).
      RequestCache.clearForContext(this.context);
    }
  }
}

/**
 * The source stream's messages mapped to their results, as the executor maps them: an error of the source is
 * rethrown located at the operation (its extensions kept) after the source is closed; `return` and `throw`
 * reach the source, so a completed subscription releases its stream at once.
 *
 * With a `sink` (graphql-ws), a result shared without errors is written straight to the socket, already
 * serialised, and the next message is read at once: it does not climb the chain of iterators above (envelop's
 * result hooks, observability, the request-id steps, graphql-ws' loop), which only act on errors and the end and
 * otherwise stay parked on one `next()`. Messages are still read one at a time from the source, after the
 * lifecycle admitted each, so order and re-authorisation are as before; anything else (a result with errors, one
 * not shared, the end, an error) is returned up the chain as before, after every message written before it.
 */
function mapEvents(
  source: AsyncIterator<unknown>,
  operation: OperationDefinitionNode,
  execution: EventExecution,
  sink: FanoutSink | undefined,
): MappedEvents {
  return new MappedEvents(source, operation, execution, sink);
}

/**
 * Events of one log position taken by subscriptions sharing one result (`MappedEvents.take`): executed once, then
 * handed to each of them in one loop. Also, alone, an event a subscription took only to keep its order behind those
 * it holds (no result: handed back to its reader).
 */
class TakenEvent {
  /** Its result is known (or failed): each subscription holding it may hand it over once it is first in its line. */
  ready = false;
  /** The result's serialisation when it has no errors; undefined otherwise (handed back: the reader answers it). */
  payload: SharedPayload | undefined;
  readonly takers: MappedEvents[] = [];

  constructor(readonly event: EventMessage) {}

  /** The result is known: every taker hands over what it holds, in its order, up to the first event not ready. */
  settle(result: ExecutionResult | undefined): void {
    this.payload = result && payloads.get(result);
    this.ready = true;
    for (const taker of this.takers) taker.handOver();
  }
}

/**
 * The last event taken for each operation and class (`EventExecution.prefix`) while its result is executed: the
 * subscriptions taking that same event join it.
 */
const executing = new Map<string, TakenEvent>();

/** `mapEvents`' iterator: a class, so that each subscription holds one object, not four closures and their scopes. */
class MappedEvents implements AsyncIterableIterator<ExecutionResult>, DirectSink {
  #closed = false;
  /** Its bus stream, once it lets the bus hand its events here (`attached`). */
  #lane: DirectLane | null = null;
  /** Events taken from the bus and not yet handed over, in the bus' order (null: none). */
  #taken: TakenEvent[] | null = null;

  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly operation: OperationDefinitionNode,
    private readonly execution: EventExecution,
    private readonly sink: FanoutSink | undefined,
  ) {}

  next(): Promise<IteratorResult<ExecutionResult>> {
    // No async function of its own: parked on an idle stream, its frame and promises were ~0.4 KB of each idle
    // subscriber (issue 11). One promise per `next`, settled once, however many shared results are written meanwhile.
    return new Promise((resolve, reject) => this.#read(resolve, reject));
  }

  /** Reads the source's next message and maps it; `resolve` and `reject` answer the pending `next`. */
  #read(resolve: (step: IteratorResult<ExecutionResult>) => void, reject: (error: unknown) => void): void {
    let step: Promise<IteratorResult<unknown>>;
    try {
      step = this.source.next();
    } catch (error) {
      this.#sourceFailed(error).then(resolve, reject);
      return;
    }
    step.then(
      (message) => this.#mapped(message, resolve, reject),
      (error: unknown) => this.#sourceFailed(error).then(resolve, reject),
    );
  }

  /** A message read: its result written (then the next read) or handed up; the end or an error answers `next`. */
  #mapped(
    step: IteratorResult<unknown>,
    resolve: (step: IteratorResult<ExecutionResult>) => void,
    reject: (error: unknown) => void,
  ): void {
    if (step.done) {
      resolve({ done: true, value: undefined });
      return;
    }
    let mapped: Promise<ExecutionResult>;
    try {
      mapped = this.execution.map(step.value);
    } catch (error) {
      this.#close().then(() => reject(error));
      return;
    }
    mapped.then(
      (result) => this.#write(result, resolve, reject),
      (error: unknown) => {
        this.#close().then(() => reject(error));
      },
    );
  }

  /**
   * A result: written straight to the socket when shared (then the next read), else handed up. Whatever throws here
   * rejects the pending `next`, as a throw in an async `next` would: it is never left unsettled.
   */
  #write(
    result: ExecutionResult,
    resolve: (step: IteratorResult<ExecutionResult>) => void,
    reject: (error: unknown) => void,
  ): void {
    try {
      const shared = this.sink && !this.#closed ? payloads.get(result) : undefined;
      if (shared && this.sink?.open) {
        fanoutCounts.written += 1;
        const written = this.sink.writeNext(shared);
        if (written) written.then(() => this.#read(resolve, reject), reject);
        else this.#read(resolve, reject);
        return;
      }
      resolve({ done: false, value: result });
    } catch (error) {
      reject(error);
    }
  }

  get pending(): number {
    return this.#taken?.length ?? 0;
  }

  attached(lane: DirectLane): void {
    this.#lane = lane;
  }

  /**
   * The bus offers a live event while this subscription's reader waits, or while it holds events taken earlier
   * (`DirectSink`). Taken when its result can be shared and its stream admits it at once: it joins the subscriptions
   * taking the same event under the same key, executed once (`sharedResult`), then written to each socket in one
   * loop (`handOver`). Otherwise the reader gets it, or, behind events held, it waits its turn here to be handed back.
   */
  take(event: EventMessage): boolean {
    const lane = this.#lane;
    if (this.#closed || !lane) return this.#closed;
    // The event being executed for this subscription's operation and class, if another took it first: looked up by
    // the operation's prefix and the event itself, without making its key (a string per subscriber).
    const prefix = this.execution.prefix;
    let taken = executing.get(prefix);
    if (taken?.event !== event) {
      const key = this.sink && lane.writable(event.position) === true ? this.execution.keyOf(event) : null;
      if (key === null) return this.#holdAlone(event);
      const joined = new TakenEvent(event);
      taken = joined;
      executing.set(prefix, joined);
      const executed = () => {
        if (executing.get(prefix) === joined) executing.delete(prefix);
      };
      this.execution.shared(key, event).then(
        (result) => {
          executed();
          joined.settle(result);
        },
        () => {
          // Handed back: each reader executes it again, and reports the error as it always has.
          executed();
          joined.settle(undefined);
        },
      );
    } else if (lane.writable(event.position) !== true) return this.#holdAlone(event);
    else fanoutCounts.shared += 1;
    fanoutCounts.direct += 1;
    taken.takers.push(this);
    this.#hold(taken);
    return true;
  }

  /** An event this subscription's reader must answer: left to it (false), or held behind those taken before. */
  #holdAlone(event: EventMessage): boolean {
    if (this.pending === 0) return false;
    const alone = new TakenEvent(event);
    alone.ready = true;
    this.#hold(alone);
    return true;
  }

  #hold(taken: TakenEvent): void {
    if (this.#taken) this.#taken.push(taken);
    else this.#taken = [taken];
  }

  /**
   * Hands over the events taken, in order, while the first is ready: each written to the socket if its stream still
   * admits it at once and the socket is not congested, dropped if the stream has finished, else handed back to the
   * reader (a re-check of the right pending, the session's end: the reader waits for it or ends the stream).
   */
  handOver(): void {
    const line = this.#taken;
    const lane = this.#lane;
    if (!line || !lane) return;
    while (line.length > 0 && (line[0] as TakenEvent).ready) {
      const taken = line.shift() as TakenEvent;
      if (this.#closed) continue;
      const event = taken.event;
      try {
        const sink = this.sink;
        const writable = taken.payload && sink?.open && !sink.congested ? lane.writable(event.position) : undefined;
        if (writable === false) continue;
        if (writable === true && taken.payload && sink) {
          fanoutCounts.written += 1;
          sink.writeNext(taken.payload);
          lane.written(event.position);
        } else lane.handBack(event);
      } catch (error) {
        logger.error({ err: error }, 'A shared event could not be written to its socket; handed to its stream');
        lane.handBack(event);
      }
    }
    if (line.length === 0) this.#taken = null;
  }

  /** The source failed: closed, and its error located at the operation. */
  async #sourceFailed(error: unknown): Promise<never> {
    await this.#close();
    const original = error as Error;
    throw createGraphQLError(original.message, { originalError: original, nodes: [this.operation] });
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.#closed = true;
    await this.source.return?.();
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.#close();
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await this.source.return?.().catch(() => undefined);
  }
}
