import type { GraphQLError } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import { type ActiveMembership, type Authenticated, hashToken, type SignedIn } from '../auth/sessions.js';
import type { AccessWrites } from '../db/access-writes.js';
import { inReadLane } from '../db/database.js';
import { ForbiddenError, isUnavailable, NotFoundError, RuleViolationError, unauthenticatedError } from '../errors.js';
import type { DirectSink, EventBus, LogEvent } from '../events/bus.js';
import type { EventType } from '../events/types.js';
import { logger } from '../observability/log.js';
import type { Connection, LiveConnection } from './connection.js';

/**
 * One lifecycle for every long-lived stream (`collectiveActivity`, `nodeChanges`, `myFeed`, `dashboard`,
 * `sectionSync`, `sectionPresence`, and any added later), over graphql-ws and SSE alike. Modelled on
 * hocuspocus (`onAuthenticate` on open, re-checked on change, `onDisconnect` releases everything) and
 * graphql-ws (`onComplete`/`onClose` and the iterator's `return()`): CONVENTIONS.md item 17.
 *
 * - Opened: the stream's generator runs inside `Lifecycle.stream`, which refuses with a coded error
 *   (`NOT_FOUND`, `FORBIDDEN`, `BAD_USER_INPUT`, never an internal error) what the caller may not open.
 * - Re-checked: every event of the log is shown to every open stream, in log order, before any subscriber
 *   receives it. Sign-out and leaving the cooperative end the stream with `SESSION_REVOKED`, its expiry
 *   with `SESSION_EXPIRED`; an event its subject says may change the right (leaving the collective, the
 *   collective closing, a section restricted or given another owner, the deal's partners changing) holds
 *   delivery until the right is re-checked with the same rule that let it open, and a subject no longer
 *   visible ends the stream with `ACCESS_REVOKED`.
 * - Released: `complete`, a closed or terminated socket and an ended SSE request abort the stream's
 *   `signal`, which wakes its wait at once; its `finally` releases listeners and documents.
 */

/** Codes a stream ends with when the server ends it (TEAM.md's error codes). */
export type EndCode = 'SESSION_REVOKED' | 'SESSION_EXPIRED' | 'ACCESS_REVOKED' | 'UNAVAILABLE';

const END_MESSAGES: Record<EndCode, string> = {
  SESSION_REVOKED: 'La session a pris fin (déconnexion, ou départ de la coopérative) : reconnectez-vous.',
  SESSION_EXPIRED: 'La session a expiré : reconnectez-vous.',
  ACCESS_REVOKED: 'Vous n’avez plus accès à ce que suit ce flux.',
  UNAVAILABLE: 'Le flux s’est interrompu faute d’un service indisponible : réabonnez-vous dans un instant.',
};

/** The coded GraphQL error a stream ends with. */
export function endError(code: EndCode): GraphQLError {
  return createGraphQLError(END_MESSAGES[code], { extensions: { code } });
}

/**
 * An expected refusal as the coded GraphQL error the caller receives (Yoga neither masks nor logs a
 * GraphQLError it did not have to mask), an outage (PostgreSQL or Redis unreachable) as `UNAVAILABLE`;
 * anything else is rethrown as it is, to be masked and logged.
 */
export function refusal(error: unknown): unknown {
  if (isUnavailable(error)) return endError('UNAVAILABLE');
  if (error instanceof NotFoundError) return createGraphQLError(error.message, { extensions: { code: 'NOT_FOUND' } });
  if (error instanceof ForbiddenError) return createGraphQLError(error.message, { extensions: { code: 'FORBIDDEN' } });
  if (error instanceof RuleViolationError)
    return createGraphQLError(error.message, {
      extensions: { code: 'BAD_USER_INPUT', rule: error.rule, field: error.field },
    });
  return error;
}

/** What a stream is about, and how its right to deliver is re-checked when something changes. */
export interface StreamSubject {
  /**
   * Whether this event may change the listener's right to see the subject (cheap and synchronous: it is
   * asked for every event and every open stream). Session ends are handled for every stream already.
   */
  affectedBy(event: LogEvent): boolean;
  /** Re-checks the right from the database, with the rule that let the stream open. */
  visible(): Promise<boolean>;
  /**
   * Names the subject (`section:<id>`…) so an operation on the same connection can rely on the stream's
   * right instead of reading it again (`Lifecycle.holds`).
   */
  key?: string;
}

/** A stream about the viewer themselves (their feed, their dashboard): only the session can end it. */
export const VIEWER: StreamSubject = { affectedBy: () => false, visible: async () => true };

/** What the lifecycle needs from a resolver's context. */
export interface StreamContext {
  session: SignedIn | null;
  connection: Connection;
}

/**
 * The longest a stream's expiry timer waits before it re-arms. Node keeps one list per timer duration and,
 * for an unref'd timer, drops the list only when that duration has elapsed, not when the timer is cleared
 * (`unenroll` in Node's lib/timers.js). Armed for the exact time left, each stream had a duration of its
 * own and left a list behind when it stopped, for as long as its session had left (an hour in tests: ~160 B
 * per stream in tests/live/release.test.ts). Long waits now share this one duration; only a stream in its
 * session's last minute arms a duration of its own, whose list goes within that minute.
 */
const EXPIRY_STEP_MS = 60_000;

/**
 * What stops something (a stream of the event bus: `EventBus.stream`): whether it has stopped, and a listener called
 * once when it does (at once if it has). Lighter than an `AbortSignal`, which thousands of idle streams each held
 * with its listeners' map (issue 11).
 */
export interface StopSource {
  readonly stopped: boolean;
  /** Calls `listener` once when it stops (at once if it has); returns the unregister function. */
  onStop(listener: () => void): () => void;
}

/**
 * A stream while it runs. Its generator waits with `wait()`, is woken by `notify()`, and asks `admit()`
 * before each message it yields: `admit` waits for a pending re-check, throws the coded error when the
 * stream was ended, and answers false when the client left (the generator then returns quietly).
 */
export class LiveStream implements StopSource {
  /** Made when `signal` is first read (most streams never need one: `stopped` and `onStop` serve the bus). */
  #controller: AbortController | null = null;
  #stopped = false;
  /** `onStop`'s listeners (one, for the bus stream, in the common case). */
  #onStop: Array<() => void> | null = null;
  #ended: EndCode | null = null;
  #wake: (() => void) | null = null;
  #recheck: Promise<void> | null = null;
  /** The log position of the first event that asked for the pending re-check. */
  #recheckFrom: bigint | null = null;
  /** When the session runs out (ms since epoch): nothing is delivered from then on, whatever the timer says. */
  readonly #expiresAt: number;
  readonly memberId: string;
  readonly sessionId: string;

  constructor(
    private readonly lifecycle: Lifecycle,
    readonly subject: StreamSubject,
    session: SignedIn,
    /** The connection the stream runs on. */
    readonly connection: Connection | null = null,
  ) {
    this.memberId = session.member.id;
    this.sessionId = session.sessionId;
    this.#expiresAt = session.expiresAt.getTime();
    // Ended when its session runs out, by a timer shared with the streams of the same expiry (`Lifecycle`).
    lifecycle.expireAt(this, this.#expiresAt);
  }

  /** When its session runs out (ms since epoch). */
  get expiresAt(): number {
    return this.#expiresAt;
  }

  /** Aborted when the stream stops, whether the client left or the server ended it (made when first read). */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#stopped) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  /** Whether the stream has stopped (the client left or the server ended it): `signal.aborted`, without the signal. */
  get stopped(): boolean {
    return this.#stopped;
  }

  onStop(listener: () => void): () => void {
    if (this.#stopped) {
      listener();
      return () => {};
    }
    // Kept as given (no wrapper: a closure less per idle subscriber, issue 11): a function registered twice is
    // called twice, as with a signal's listeners, and each unregister function removes one registration, once.
    // An array literal holds exactly its one listener (a `[]` grown by `push` reserves 17 slots: ~150 B per stream).
    if (this.#onStop) this.#onStop.push(listener);
    else this.#onStop = [listener];
    let registered = true;
    return () => {
      if (!registered) return;
      registered = false;
      const at = this.#onStop?.lastIndexOf(listener) ?? -1;
      if (at >= 0) this.#onStop?.splice(at, 1);
    };
  }

  get ended(): EndCode | null {
    return this.#ended;
  }

  /** Open, and no re-check of its right pending: the right it opened with still holds. */
  get settled(): boolean {
    return !this.#stopped && this.#recheck === null;
  }

  /** Resolves at the next `notify()`, or at once if the stream has stopped. */
  wait(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
  }

  /** Wakes the generator's `wait()`. */
  notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /**
   * Before yielding a message: false when the client has left; throws the stream's coded end when the
   * server ended it. A message of the event log at `position` waits only for re-checks asked by earlier
   * events (what happened before the change is still the listener's); a message without position (a
   * section's text, presence) first reads the log up to now (`barrier`), so any access change committed
   * before it was stored is applied, and waits for every pending re-check. A message stored by a transaction
   * that saw the log up to `through` (a section update) needs no read: it waits until this instance has applied
   * the log that far (reading it only if it has not), then for the re-checks asked by events up to `through`.
   * `barrier` may be a stamp (`EventBus.stamp`) taken when the message was made: a read of the log started
   * since then serves it, so many messages share one read.
   * Past the session's expiry it ends the stream `SESSION_EXPIRED` itself, without waiting for the expiry
   * timer (which may not have run yet on a busy event loop): nothing is delivered once the session has run out.
   */
  async admit(options: { position?: bigint; barrier?: boolean | number; through?: bigint } = {}): Promise<boolean> {
    let position = options.position;
    if (options.through !== undefined) {
      if (this.lifecycle.events.position < options.through && !this.#stopped) await this.lifecycle.events.sync();
      // As if it were logged just after `through`: an access change at `through` itself came before it.
      position = options.through + 1n;
    } else if (options.barrier !== undefined && options.barrier !== false && !this.#stopped)
      await this.lifecycle.events.sync(options.barrier === true ? undefined : options.barrier);
    while (this.#recheck && (position === undefined || position > (this.#recheckFrom ?? 0n))) {
      await this.#recheck;
    }
    if (Date.now() >= this.#expiresAt) this.end('SESSION_EXPIRED');
    if (this.#ended) throw endError(this.#ended);
    return !this.#stopped;
  }

  /**
   * `admit({ position })`'s answer when it needs no wait (no re-check pending before `position`, the session not run
   * out, not ended by the server): whether the client is still there. Undefined otherwise: ask `admit`.
   */
  admitted(position: bigint | undefined): boolean | undefined {
    if (this.#recheck && (position === undefined || position > (this.#recheckFrom ?? 0n))) return undefined;
    if (this.#ended || Date.now() >= this.#expiresAt) return undefined;
    return !this.#stopped;
  }

  /** Ends the stream with a coded error (delivered once its generator wakes). */
  end(code: EndCode): void {
    if (this.#stopped) return;
    this.#ended = code;
    this.stop();
  }

  /** Stops the stream quietly (the client left): wakes its wait and releases it from the lifecycle. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.lifecycle.forget(this);
    this.#controller?.abort();
    const listeners = this.#onStop;
    this.#onStop = null;
    for (const listener of listeners ?? []) {
      try {
        listener();
      } catch (error) {
        // One listener failing does not keep the others from running.
        logger.error({ err: error }, 'A stream stop listener failed');
      }
    }
    this.notify();
  }

  /** Holds delivery from `position` on until the subject's right is checked again. */
  recheck(position: bigint): void {
    if (this.#stopped) return;
    if (this.#recheckFrom === null || position < this.#recheckFrom) this.#recheckFrom = position;
    const run = (this.#recheck ?? Promise.resolve())
      .then(() => this.subject.visible())
      .then(
        (visible) => {
          if (!visible) this.end('ACCESS_REVOKED');
        },
        (error: unknown) => {
          // Fail closed: a right that cannot be checked is not assumed; the client subscribes again.
          logger.warn({ err: error }, 'Stream right could not be re-checked; ending it');
          this.end('UNAVAILABLE');
        },
      )
      .finally(() => {
        if (this.#recheck === run) {
          this.#recheck = null;
          this.#recheckFrom = null;
        }
        this.notify();
      });
    this.#recheck = run;
  }
}

/** What `track` returns for a stream whose connection stops it itself. */
const STOP_NOTHING = (): void => {};

/** The open streams whose sessions run out at one time, and the timer that ends them then (`Lifecycle.expireAt`). */
interface ExpiryGroup {
  streams: Set<LiveStream>;
  timer: NodeJS.Timeout | undefined;
}

/**
 * How long a token's session, read at a socket's `connection_init`, serves the next sockets of the same token (ms),
 * unless an event that may end a session or change memberships is applied first or this process writes to the rights'
 * tables (`Lifecycle.authenticate`). Bounds how long a change made behind the log's back outside this process (SQL by
 * hand) goes unseen by new sockets and HTTP requests.
 */
const AUTHENTICATED_FRESH_MS = 10_000;
/** Tokens whose session is kept at most (the oldest are forgotten first). */
const AUTHENTICATED_KEPT = 10_000;

/** A token's session and memberships, read (or being read) for sockets' `connection_init`. */
interface KeptAuthentication {
  /** When the read began (ms since epoch). */
  at: number;
  /** The access and session epochs when the read began: the entry serves only while both are unchanged. */
  accessEpoch: number;
  sessionEpoch: number;
  /** `AccessWrites.epoch` when the read began (0 without): the entry serves only while it is unchanged. */
  writeEpoch: number;
  read: Promise<Authenticated | null>;
  /** The member the token names, once read (`forgetViewer`). */
  memberId?: string;
}

/**
 * The streams and connections of this instance, re-checked by the events of the log as they are applied.
 * One per server (`buildApp`); resolvers reach it as `context.live`.
 */
export class Lifecycle {
  readonly #streams = new Set<LiveStream>();
  /** Open streams by connection, for `holds`. */
  readonly #byConnection = new Map<Connection, Set<LiveStream>>();
  readonly #connections = new Set<LiveConnection>();
  readonly #unobserve: () => void;
  /** Bumped by every applied event that may change someone's active memberships (`MEMBERSHIP_CHANGES`). */
  #accessEpoch = 0;
  /** Bumped by every applied event that may end a session or change a member's row (`SESSION_CHANGES`). */
  #sessionEpoch = 0;
  /** Sessions read for sockets' `connection_init`, by token digest (`authenticate`). */
  readonly #authenticated = new Map<string, KeptAuthentication>();
  /** Open streams by the time their session runs out, each group under one timer (`expireAt`). */
  readonly #expiries = new Map<number, ExpiryGroup>();

  /**
   * `events`: the log's delivery on this instance. `writes`: the database's writes to the rights' tables through this
   * process (db/access-writes.ts), given only where no other process writes the database (embedded PGlite); without
   * it a session read is shared only by the sockets that authenticate while it runs, never kept after it.
   */
  constructor(
    readonly events: EventBus,
    readonly writes?: AccessWrites,
  ) {
    this.#unobserve = events.observe((event) => this.#apply(event));
  }

  /** Open streams on this instance (a closed one leaves at once). */
  get streamCount(): number {
    return this.#streams.size;
  }

  /** Open connections registered here (graphql-ws sockets: `register`). */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /**
   * Follows a connection until it closes, so that its cached session ends with the session (a signed-in one has the
   * log polled meanwhile: `EventBus.addFollower`); when it closes, its open streams stop (`track` then adds no close
   * listener per stream).
   */
  register(connection: LiveConnection): void {
    if (connection.closed) return;
    this.#connections.add(connection);
    // A signed-in connection has the log read at each poll while it is open: its session ends with an event of it.
    const follows = connection.sessionId !== null;
    if (follows) this.events.addFollower();
    connection.onClose(() => {
      this.#connections.delete(connection);
      if (follows) this.events.removeFollower();
      for (const stream of [...(this.#byConnection.get(connection) ?? [])]) stream.stop();
    });
  }

  /**
   * Whether `connection` has an open stream about `key` (`StreamSubject.key`) whose right is settled: the
   * right it was opened with, re-checked at every change since, still holds, so an operation on the same
   * connection (a presence update) needs no database read to know it. Synchronous, no SQL.
   */
  holds(connection: Connection, key: string): boolean {
    for (const stream of this.#byConnection.get(connection) ?? []) {
      if (stream.subject.key === key && stream.settled) return true;
    }
    return false;
  }

  /** The access epoch now: memberships read from here on are kept under it (`remember`). */
  get accessEpoch(): number {
    return this.#accessEpoch;
  }

  /**
   * The viewer's active memberships for an operation on `connection` (issue 11: no statement per operation over
   * graphql-ws): those the connection keeps, when no change of anyone's memberships has been applied since they
   * were read and the session is still live; otherwise `read()`, kept for the next operations unless such a change
   * was applied meanwhile. (A mutation reads its session and memberships afresh in one statement: context.ts.)
   *
   * Fresh as the streams' own re-authorisation: a change counts from the moment this instance applies its event
   * (in log order, before any subscriber receives it), and the viewer's own mutations drop the cache at once
   * (`LiveConnection.forgetMemberships`, app.ts). A change made behind the log's back (SQL by hand) is seen by new
   * connections and HTTP requests, not by a socket that kept its viewer's memberships.
   */
  async memberships(connection: LiveConnection, read: () => Promise<ActiveMembership[]>): Promise<readonly ActiveMembership[]> {
    const epoch = this.#accessEpoch;
    const cached = connection.cachedMemberships(epoch);
    if (cached) return cached;
    const generation = connection.membershipsGeneration;
    const rows = await read();
    this.remember(connection, rows, epoch, generation);
    return rows;
  }

  /**
   * Keeps memberships read on `connection` from access epoch `epoch` on (taken before the read), unless a change of
   * memberships was applied since: then the next operation reads them again.
   */
  remember(
    connection: LiveConnection,
    rows: readonly ActiveMembership[],
    epoch: number,
    generation = connection.membershipsGeneration,
  ): void {
    if (epoch === this.#accessEpoch) connection.rememberMemberships(rows, epoch, generation);
  }

  /**
   * The live session `token` names and its viewer's active memberships, for a socket's `connection_init` (issue 11:
   * a thousand sockets of one member opened at once cost one statement, not a thousand). `read` (resolveSignedIn)
   * runs once for all the sockets of a token that authenticate meanwhile, and its answer serves the next ones for
   * `AUTHENTICATED_FRESH_MS` while nothing could have changed it: no event that ends a session or changes a member
   * (sign-out, leaving the cooperative, a profile change) and none that changes memberships has been applied since
   * the read began, the viewer recorded no event since (`forgetViewer`), and nothing was written through this
   * process to the tables rights are read from (`writes`, db/access-writes.ts: a sign-out, a membership changed, a
   * fixture's row, from the moment the statement is sent until its transaction commits). A session that ends later ends every
   * socket holding it, as before (`#apply`), so a kept answer never outlives the right: the same "at once" as the
   * sockets' own sessions. A session ended while it was read is read again; an unknown token is never kept. Without
   * `writes` (PostgreSQL, which other processes may write: another instance, a rolling deploy's old process) nothing
   * is shared: each caller's `read` is its own, sent after it was asked (sessions.ts groups the reads of one turn of the
   * event loop into one statement, so a thousand sockets still cost a few), so another instance's sign-out, committed
   * before a socket's `connection_init`, is seen by it even before this instance applies the event (attack of
   * 2026-12-01; sharing a read already sent, as before stop 30, let a socket in after such a sign-out, P1). Returns the answer (null: no live session) and the access epoch its memberships were read at, for `remember`.
   * Throws what `read` throws (the database unreachable).
   */
  async authenticate(
    token: string,
    read: () => Promise<Authenticated | null>,
  ): Promise<{ signedIn: Authenticated | null; epoch: number }> {
    if (!this.writes) return this.#authenticateAlone(read);
    const key = hashToken(token);
    for (;;) {
      const now = Date.now();
      let entry = this.#authenticated.get(key);
      if (
        !entry ||
        now - entry.at >= AUTHENTICATED_FRESH_MS ||
        entry.accessEpoch !== this.#accessEpoch ||
        entry.sessionEpoch !== this.#sessionEpoch ||
        entry.writeEpoch !== (this.writes?.epoch ?? 0)
      ) {
        entry = {
          at: now,
          accessEpoch: this.#accessEpoch,
          sessionEpoch: this.#sessionEpoch,
          writeEpoch: this.writes?.epoch ?? 0,
          read: read(),
        };
        this.#keepAuthentication(key, entry);
      }
      let signedIn: Authenticated | null;
      try {
        signedIn = await entry.read;
      } catch (error) {
        if (this.#authenticated.get(key) === entry) this.#authenticated.delete(key);
        throw error;
      }
      // A session may have ended while it was read (the read may predate the commit): read it again.
      if (entry.sessionEpoch !== this.#sessionEpoch) continue;
      if (!signedIn || signedIn.session.expiresAt.getTime() <= Date.now()) {
        if (this.#authenticated.get(key) === entry) this.#authenticated.delete(key);
        return { signedIn: null, epoch: entry.accessEpoch };
      }
      entry.memberId = signedIn.session.member.id;
      return { signedIn, epoch: entry.accessEpoch };
    }
  }

  /** `authenticate` without sharing (no `writes`): its own read, read again when a session ended meanwhile. */
  async #authenticateAlone(
    read: () => Promise<Authenticated | null>,
  ): Promise<{ signedIn: Authenticated | null; epoch: number }> {
    for (;;) {
      const accessEpoch = this.#accessEpoch;
      const sessionEpoch = this.#sessionEpoch;
      const signedIn = await read();
      if (sessionEpoch !== this.#sessionEpoch) continue;
      if (!signedIn || signedIn.session.expiresAt.getTime() <= Date.now()) return { signedIn: null, epoch: accessEpoch };
      return { signedIn, epoch: accessEpoch };
    }
  }

  #keepAuthentication(key: string, entry: KeptAuthentication): void {
    this.#authenticated.delete(key);
    this.#authenticated.set(key, entry);
    // Oldest first: drop those past their freshness, and any beyond the bound.
    for (const [oldest, kept] of this.#authenticated) {
      if (this.#authenticated.size <= AUTHENTICATED_KEPT && entry.at - kept.at < AUTHENTICATED_FRESH_MS) break;
      this.#authenticated.delete(oldest);
    }
  }

  /**
   * Ends session `sessionId` on this instance at once (`signOut`, once its transaction has committed and before its
   * answer is sent): its sockets run their next operations anonymously and its streams end SESSION_REVOKED, as when
   * the `session.revoked` event is applied, which may come later (attack of stop 24, finding 5: the very socket that
   * signed out still ran operations as the member until then).
   */
  endSession(sessionId: string): void {
    this.#endSessions(sessionId, undefined);
  }

  /** Ends, on this instance, the connections and streams of `revokedSession` or of `leftMember` (either may be absent). */
  #endSessions(revokedSession: unknown, leftMember: unknown): void {
    for (const connection of this.#connections) {
      const session = connection.session();
      if (session && (session.sessionId === revokedSession || session.member.id === leftMember)) connection.endSession();
    }
    for (const stream of this.#streams)
      if (stream.sessionId === revokedSession || stream.memberId === leftMember) stream.end('SESSION_REVOKED');
  }

  /**
   * Forgets the kept sessions of `memberId` (`authenticate`): they recorded an event, so their next socket reads what
   * they just changed, before this instance has applied it.
   */
  forgetViewer(memberId: string): void {
    for (const [key, kept] of this.#authenticated) if (kept.memberId === memberId) this.#authenticated.delete(key);
  }

  /**
   * Ends `stream` SESSION_EXPIRED once the clock passes `expiresAt` (ms since epoch), under one timer for all the
   * streams of that expiry (the sockets of one session: issue 11, a timer per stream was ~0.2 KB of each idle
   * subscriber). A Node timer may fire early (its start is the event loop's cached time, stale after a long turn: by
   * tens of ms under load), so it re-arms until the clock has passed the expiry: a stream never ends SESSION_EXPIRED
   * while its session is still valid. It waits at most `EXPIRY_STEP_MS` at a time (why: there). `forget` leaves.
   */
  expireAt(stream: LiveStream, expiresAt: number): void {
    let group = this.#expiries.get(expiresAt);
    if (!group) {
      group = { streams: new Set(), timer: undefined };
      this.#expiries.set(expiresAt, group);
      this.#armExpiry(group, expiresAt);
    }
    group.streams.add(stream);
  }

  #armExpiry(group: ExpiryGroup, expiresAt: number): void {
    const left = Math.min(Math.max(expiresAt - Date.now(), 0), EXPIRY_STEP_MS);
    group.timer = setTimeout(() => {
      if (Date.now() < expiresAt) return this.#armExpiry(group, expiresAt);
      if (this.#expiries.get(expiresAt) === group) this.#expiries.delete(expiresAt);
      for (const stream of [...group.streams]) stream.end('SESSION_EXPIRED');
    }, left);
    group.timer.unref();
  }

  /** Called by a stream that stops. */
  forget(stream: LiveStream): void {
    const group = this.#expiries.get(stream.expiresAt);
    if (group?.streams.delete(stream) && group.streams.size === 0) {
      clearTimeout(group.timer);
      this.#expiries.delete(stream.expiresAt);
    }
    this.#streams.delete(stream);
    const streams = stream.connection && this.#byConnection.get(stream.connection);
    if (!streams) return;
    streams.delete(stream);
    if (streams.size === 0) this.#byConnection.delete(stream.connection as Connection);
  }

  /**
   * Runs a stream's generator under the lifecycle: `open` checks the right to open it (its refusals become
   * coded errors) and returns the subject to re-check; `body` yields the messages. The iterator returned
   * aborts the stream's signal on `return()` (graphql-ws `complete`, a closed socket, an ended SSE
   * request), so the generator leaves its wait at once instead of at the next message.
   */
  stream<T>(
    context: StreamContext,
    open: () => Promise<StreamSubject>,
    body: (live: LiveStream) => AsyncIterator<T>,
  ): AsyncIterableIterator<T> {
    return new StreamRun(this, context, open, body);
  }

  /** Starts following a stream that opened (`StreamRun`); returns what stops following it. */
  track(stream: LiveStream, connection: Connection): () => void {
    this.#streams.add(stream);
    const mine = this.#byConnection.get(connection) ?? new Set<LiveStream>();
    this.#byConnection.set(connection, mine);
    mine.add(stream);
    // A registered connection stops its streams as it closes (`register`): no listener per stream (issue 11: with
    // its wrapper and unregister function, ~0.3 KB of each idle subscriber).
    if (this.#connections.has(connection as LiveConnection)) return STOP_NOTHING;
    return connection.onClose(() => stream.stop());
  }

  /** Ends every stream quietly (server shutdown). */
  stop(): void {
    this.#unobserve();
    for (const stream of [...this.#streams]) stream.stop();
  }

  #apply(event: LogEvent): void {
    const payload = event.payload as Record<string, unknown>;
    if (changesMemberships(event)) this.#accessEpoch += 1;
    if (SESSION_CHANGES.some((prefix) => event.type.startsWith(prefix))) this.#sessionEpoch += 1;
    const revokedSession = event.type === 'session.revoked' ? payload.sessionId : undefined;
    const leftMember = event.type === 'member.leftCooperative' ? payload.memberId : undefined;
    if (revokedSession !== undefined || leftMember !== undefined) this.#endSessions(revokedSession, leftMember);
    for (const stream of this.#streams) {
      if (stream.sessionId === revokedSession || stream.memberId === leftMember) continue;
      if (stream.subject.affectedBy(event)) stream.recheck(event.position);
    }
  }
}

/**
 * Whether an event may change someone's active memberships (joining, leaving, a role handed over or removed, a
 * collective proposed with its founder or closed, a member leaving the cooperative): connections then read their
 * viewer's memberships again (`Lifecycle.memberships`).
 */
function changesMemberships(event: LogEvent): boolean {
  return event.type.startsWith('membership.') || MEMBERSHIP_CHANGES.has(event.type);
}

const MEMBERSHIP_CHANGES = new Set<string>([
  'collective.proposed',
  'collective.closed',
  'collective.coAnimatorRemoved',
  'member.leftCooperative',
] satisfies EventType[]);

/**
 * Events that may end a session or change what a session's member row says (`session.revoked`,
 * `member.leftCooperative`, `member.profileUpdated`): sessions kept for new sockets are read again (`authenticate`).
 */
const SESSION_CHANGES = ['session.', 'member.'];

/**
 * Events that can change who may see what inside a collective: it closing (every membership ends), a
 * deal's partners changing, a section becoming restricted, changing owner or being removed. Membership
 * events change the rights of the member they name.
 */
const ACCESS_EVENTS = new Set<string>([
  'collective.closed',
  'deal.partnersSet',
  'deal.partnerSubstituted',
  'tenderSection.updated',
  'tenderSection.removed',
] satisfies EventType[]);

/**
 * Whether `event` may change what `memberId` sees of `collectiveId` (any collective when null): their own
 * membership changing there, or one of the collective's access events. Cheap and synchronous, for
 * `StreamSubject.affectedBy`.
 */
export function accessChange(event: LogEvent, memberId: string, collectiveId: string | null): boolean {
  if (collectiveId !== null && event.collectiveId !== collectiveId) return false;
  if (event.type.startsWith('membership.')) return (event.payload as Record<string, unknown>).memberId === memberId;
  return ACCESS_EVENTS.has(event.type);
}

/** Hands `sink` to an iterator that takes one (an event-bus stream: `attach`); any other ignores it. */
export function attachSink(iterator: unknown, sink: DirectSink): void {
  const target = iterator as { attach?: unknown } | null;
  if (typeof target?.attach === 'function') (target.attach as (sink: DirectSink) => void)(sink);
}

/**
 * `Lifecycle.stream`'s iterator: a class rather than an object of closures or a generator, so that each of thousands
 * of idle subscriptions holds one small object and waits on its body's promise alone (issue 11: the closures, their
 * scopes and their names were ~0.5 KB each; a generator of its own kept a frame and a parked promise more, and
 * cost microtask turns per message). Asked one message at a time; `return()` stops the stream at once.
 */
class StreamRun<T> implements AsyncIterableIterator<T> {
  #live: LiveStream | null = null;
  #stopped = false;
  #finished = false;
  #inner: AsyncIterator<T> | null = null;
  #unlisten: (() => void) | null = null;
  /** What writes the body's events straight to the client (`attach`), until the body has started. */
  #sink: DirectSink | null = null;

  /**
   * How the stream opens and its body, until it has started: dropped then, with whatever their closures hold (a
   * resolver's arguments, its scope), which an idle subscription does not need (issue 11).
   */
  #open: (() => Promise<StreamSubject>) | null;
  #body: ((live: LiveStream) => AsyncIterator<T>) | null;

  constructor(
    private readonly lifecycle: Lifecycle,
    private readonly context: StreamContext,
    open: () => Promise<StreamSubject>,
    body: (live: LiveStream) => AsyncIterator<T>,
  ) {
    this.#open = open;
    this.#body = body;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#finished) return Promise.resolve({ done: true, value: undefined });
    if (!this.#live) return this.#first();
    return this.#step();
  }

  /** The first `next`: checks the right to open the stream and starts it, then asks its body. */
  async #first(): Promise<IteratorResult<T>> {
    try {
      if (!(await this.#start())) return await this.#finish();
    } catch (error) {
      return this.#failed(error);
    }
    return this.#step();
  }

  /**
   * The body's next message. No async function of its own: a parked one (its frame, its promises) was ~0.4 KB of
   * each idle subscriber (issue 11); this is one reaction on the body's promise.
   */
  #step(): Promise<IteratorResult<T>> {
    const inner = this.#inner;
    if (!inner) return this.#finish();
    let step: Promise<IteratorResult<T>>;
    try {
      step = inner.next();
    } catch (error) {
      return this.#failed(error);
    }
    return step.then(
      (result): IteratorResult<T> | Promise<IteratorResult<T>> => {
        const stream = this.#live as LiveStream;
        // The body admits each message (it knows their positions); this only catches an end meanwhile.
        if (stream.ended) return this.#failed(endError(stream.ended));
        if (result.done || stream.stopped) return this.#finish();
        return result;
      },
      (error: unknown) => this.#failed(error),
    );
  }

  /** Ends the stream and rejects with `error` as the caller sees it (`refusal`). */
  async #failed(error: unknown): Promise<never> {
    await this.#finish().catch(() => undefined);
    throw refusal(error);
  }

  /** Checks the right to open the stream and starts its body: false when the client left meanwhile. */
  async #start(): Promise<boolean> {
    const context = this.context;
    const session = context.session;
    if (!session) throw unauthenticatedError();
    const open = this.#open;
    const body = this.#body;
    // Asked one `next` at a time (graphql-ws, SSE): a stream is opened once, never again.
    if (!open || !body) return false;
    this.#open = null;
    this.#body = null;
    let subject: StreamSubject;
    try {
      // The subscribe resolver's first reads, in the read lane as a query's (db/database.ts' `READ_TURNS`): a burst
      // of subscriptions reading a table locked elsewhere held a pooled connection each, the whole pool, and
      // unrelated mutations waited behind them (tests/resilience/subscribe-lock-deadline.test.ts).
      subject = await inReadLane(open);
    } catch (error) {
      throw refusal(error);
    }
    if (this.#stopped || context.connection.closed) return false;
    const stream = new LiveStream(this.lifecycle, subject, session, context.connection);
    this.#live = stream;
    this.#unlisten = this.lifecycle.track(stream, context.connection);
    this.#inner = body(stream);
    const sink = this.#sink;
    this.#sink = null;
    if (sink) attachSink(this.#inner, sink);
    return true;
  }

  /**
   * Lets `sink` write the body's live events straight to the client (events/bus.ts `DirectSink`), when the body is an
   * event-bus stream. Every event so written was admitted by this stream first (`LiveStream.admitted`, the same answer
   * `#step`'s checks would give), so nothing the run would refuse is written.
   */
  attach(sink: DirectSink): void {
    if (this.#finished) return;
    if (this.#inner) attachSink(this.#inner, sink);
    else this.#sink = sink;
  }

  /** Ends the stream once: its body is released, the lifecycle stops following it. */
  async #finish(): Promise<IteratorReturnResult<undefined>> {
    if (!this.#finished) {
      this.#finished = true;
      this.#unlisten?.();
      this.#live?.stop();
      const inner = this.#inner;
      this.#inner = null;
      await inner?.return?.();
    }
    return { done: true, value: undefined };
  }

  return(): Promise<IteratorResult<T>> {
    this.#stopped = true;
    this.#live?.stop();
    return this.#finish();
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    this.#stopped = true;
    this.#live?.stop();
    await this.#finish();
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
