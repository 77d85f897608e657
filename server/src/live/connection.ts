import { randomUUID } from 'node:crypto';
import type { ActiveMembership, SignedIn } from '../auth/sessions.js';
import { flatText, logger } from '../observability/log.js';

/** How a caller reaches the server. */
export type Transport = 'ws' | 'sse' | 'http';

/**
 * Who is connected, and how: one per graphql-ws socket (shared by every operation sent over it), one per
 * SSE stream or plain HTTP request. Presence and echo suppression are keyed by `id`, never by an ID the
 * client chooses; whatever a connection holds (listeners, documents, presence) is released in `onClose`.
 *
 * The lifecycle follows graphql-ws (`onConnect` authenticates, `onClose` cleans up) and hocuspocus
 * (`onAuthenticate`, `onDisconnect`): see CONVENTIONS.md item 17.
 */
export interface Connection {
  /** Random, unique for the server's lifetime (a UUID). */
  readonly id: string;
  readonly transport: Transport;
  /** The session the connection authenticated with (at `connection_init` over graphql-ws), or null. */
  readonly sessionId: string | null;
  /** Aborted once, when the socket closes (or is terminated), the SSE stream ends or the request is answered. */
  readonly signal: AbortSignal;
  /** Whether the connection has closed (`signal.aborted`, without making the signal). */
  readonly closed: boolean;
  /** Calls `listener` once when the connection closes (at once if it already has); returns the unregister function. */
  onClose(listener: () => void): () => void;
}

/**
 * The server side of a connection: the `Connection` resolvers see, plus what the transport keeps.
 * Over graphql-ws the socket is authenticated once, at `connection_init`: every operation on it reuses
 * `session` instead of re-reading it, and the lifecycle clears it the moment the session ends
 * (sign-out, expiry, leaving the cooperative), so the cache never outlives the right. It also keeps the viewer's
 * active memberships for queries and subscriptions (`Lifecycle.memberships`: dropped when a change of memberships
 * is applied, when the viewer's own mutation recorded an event, and with the session).
 */
export class LiveConnection implements Connection {
  /** A flat string (`flatText`): it is kept as long as the connection. */
  readonly id = flatText(randomUUID());
  /**
   * Made when `signal` is first read: most sockets never need one (an `AbortController` and its listeners' maps
   * are ~1 KB, for each of thousands of idle subscribers); `onClose` keeps its listeners itself.
   */
  #controller: AbortController | null = null;
  #closed = false;
  #listeners: Array<() => void> | null = null;
  #session: SignedIn | null;
  /** The viewer's active memberships as read at `epoch` (see `Lifecycle.memberships`), or null: read them. */
  #memberships: { rows: readonly ActiveMembership[]; epoch: number } | null = null;
  /** Bumped by `forgetMemberships`: a read started before it is not kept. */
  #membershipsGeneration = 0;

  constructor(
    readonly transport: Transport,
    session: SignedIn | null,
    signal?: AbortSignal,
  ) {
    this.#session = session;
    if (signal) {
      if (signal.aborted) this.close();
      else signal.addEventListener('abort', () => this.close(), { once: true });
    }
  }

  get sessionId(): string | null {
    return this.#session?.sessionId ?? null;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#closed) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The session if it is still live (not expired, not ended by the lifecycle); null otherwise. */
  session(now = Date.now()): SignedIn | null {
    const session = this.#session;
    if (session && session.expiresAt.getTime() <= now) this.#session = null;
    return this.#session;
  }

  /** Forgets the session: every later operation on this connection is anonymous. */
  endSession(): void {
    this.#session = null;
    this.forgetMemberships();
  }

  /**
   * The viewer's active memberships kept on this connection, if they were read at access epoch `epoch` (no
   * change of anyone's memberships applied since) and the session is still live; null otherwise.
   */
  cachedMemberships(epoch: number): readonly ActiveMembership[] | null {
    const cached = this.#memberships;
    if (!cached || cached.epoch !== epoch || !this.session()) return null;
    return cached.rows;
  }

  /** Where a read of the memberships starts from: pass it back to `rememberMemberships`. */
  get membershipsGeneration(): number {
    return this.#membershipsGeneration;
  }

  /** Keeps memberships read at `epoch`, unless they were forgotten since the read began (`generation`). */
  rememberMemberships(rows: readonly ActiveMembership[], epoch: number, generation: number): void {
    if (generation === this.#membershipsGeneration && this.#session) this.#memberships = { rows, epoch };
  }

  /** Drops the kept memberships (the viewer changed something): the next operation reads them again. */
  forgetMemberships(): void {
    this.#memberships = null;
    this.#membershipsGeneration += 1;
  }

  onClose(listener: () => void): () => void {
    if (this.#closed) {
      listener();
      return () => {};
    }
    // Kept in an array as given (a set and a wrapper closure per listener were ~0.2 KB of each idle socket, issue 11;
    // an array literal holds exactly its first listener): a function registered twice is called twice, as with the
    // signal's listeners, and each unregister function removes one registration, once.
    if (this.#listeners) this.#listeners.push(listener);
    else this.#listeners = [listener];
    let registered = true;
    return () => {
      if (!registered) return;
      registered = false;
      const at = this.#listeners?.lastIndexOf(listener) ?? -1;
      if (at >= 0) this.#listeners?.splice(at, 1);
    };
  }

  /** Closes the connection: aborts `signal` and fires the `onClose` listeners, once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#controller?.abort();
    const listeners = this.#listeners;
    this.#listeners = null;
    for (const listener of listeners ?? []) {
      try {
        listener();
      } catch (error) {
        // One listener failing does not keep the others (another stream's release) from running.
        logger.error({ err: error }, 'A connection close listener failed');
      }
    }
  }
}
