import { randomUUID } from 'node:crypto';
import type { ActiveMembership, SignedIn } from '../auth/sessions.js';

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
  readonly id = randomUUID();
  readonly #controller = new AbortController();
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
    return this.#controller.signal;
  }

  get closed(): boolean {
    return this.#controller.signal.aborted;
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
    const signal = this.#controller.signal;
    if (signal.aborted) {
      listener();
      return () => {};
    }
    signal.addEventListener('abort', listener, { once: true });
    return () => signal.removeEventListener('abort', listener);
  }

  /** Closes the connection: fires the `onClose` listeners once. */
  close(): void {
    this.#controller.abort();
  }
}
