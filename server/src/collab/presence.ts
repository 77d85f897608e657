import type { PubSub } from 'graphql-yoga';
import type { Topics } from '../events/bus.js';

/** Presence is ephemeral: an entry not renewed within this time is dropped. */
export const PRESENCE_TTL_MS = 30_000;

/** Who is in a section, where their cursor is, in which colour. */
export interface Presence {
  /** The editing client (one person may have several tabs). */
  clientId: string;
  memberId: string;
  name: string;
  colour: string;
  /** Cursor and selection as the editor encodes them (Yjs relative positions), opaque to the server. */
  cursor: unknown;
  updatedAt: number;
}

const PALETTE = ['#d9480f', '#2b8a3e', '#1971c2', '#9c36b5', '#c2255c', '#0c8599', '#e67700', '#5f3dc4'];

/** A stable colour per member, so people keep theirs across sessions. */
export function colourOf(memberId: string): string {
  let hash = 0;
  for (const char of memberId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length] ?? '#1971c2';
}

/** The presence of every section on this instance, kept in step with the other instances through the pub/sub. */
export class PresenceRegistry {
  readonly #sections = new Map<string, Map<string, Presence>>();
  readonly #listeners = new Map<string, Set<() => void>>();
  #sweep: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly pubsub: PubSub<Topics>,
    private readonly instanceId: string,
  ) {}

  start(): void {
    const iterator = this.pubsub.subscribe('section:presence')[Symbol.asyncIterator]();
    this.#unsubscribe = () => void iterator.return?.();
    void (async () => {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        const { sectionId, key, presence, origin } = next.value;
        if (origin !== this.instanceId) this.#set(sectionId, key, presence ? (JSON.parse(presence) as Presence) : null);
      }
    })();
    this.#sweep = setInterval(() => this.#dropExpired(), 5_000);
    this.#sweep.unref();
  }

  stop(): void {
    clearInterval(this.#sweep);
    this.#unsubscribe?.();
  }

  /** Sets (or, with null, removes) a client's presence, here and on every instance. */
  update(sectionId: string, clientId: string, presence: Omit<Presence, 'updatedAt'> | null): void {
    const entry = presence ? { ...presence, updatedAt: Date.now() } : null;
    this.#set(sectionId, clientId, entry);
    void this.pubsub.publish('section:presence', {
      sectionId,
      key: clientId,
      presence: entry ? JSON.stringify(entry) : null,
      origin: this.instanceId,
    });
  }

  /** Listeners of every section on this instance (the release test expects 0 once every stream closed). */
  get listenerCount(): number {
    let count = 0;
    for (const listeners of this.#listeners.values()) count += listeners.size;
    return count;
  }

  list(sectionId: string): Presence[] {
    const now = Date.now();
    return [...(this.#sections.get(sectionId)?.values() ?? [])].filter((entry) => now - entry.updatedAt < PRESENCE_TTL_MS);
  }

  /** Calls `listener` whenever the section's presence changes; returns the unsubscribe function. */
  listen(sectionId: string, listener: () => void): () => void {
    const listeners = this.#listeners.get(sectionId) ?? new Set<() => void>();
    this.#listeners.set(sectionId, listeners);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.#listeners.delete(sectionId);
    };
  }

  #set(sectionId: string, key: string, presence: Presence | null): void {
    const entries = this.#sections.get(sectionId) ?? new Map<string, Presence>();
    this.#sections.set(sectionId, entries);
    if (presence) entries.set(key, presence);
    else entries.delete(key);
    if (entries.size === 0) this.#sections.delete(sectionId);
    for (const listener of this.#listeners.get(sectionId) ?? []) listener();
  }

  #dropExpired(): void {
    const now = Date.now();
    for (const [sectionId, entries] of this.#sections) {
      for (const [key, entry] of entries) if (now - entry.updatedAt >= PRESENCE_TTL_MS) this.#set(sectionId, key, null);
    }
  }
}
