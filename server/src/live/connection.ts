import { randomUUID } from 'node:crypto';
import type { SignedIn } from '../auth/sessions.js';

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
 * (sign-out, expiry, leaving the cooperative), so the cache never outlives the right.
 */
export class LiveConnection implements Connection {
  readonly id = randomUUID();
  readonly #controller = new AbortController();
  #session: SignedIn | null;

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
