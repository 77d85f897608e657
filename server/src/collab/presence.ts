import { createHash } from 'node:crypto';
import type { PubSub } from 'graphql-yoga';
import type { Topics } from '../events/bus.js';
import type { Member } from '../generated/prisma/client.js';
import type { Connection } from '../live/connection.js';

/** Presence is ephemeral: an entry not renewed within this time is dropped (a socket's goes at its close). */
export const PRESENCE_TTL_MS = 30_000;

/**
 * Listeners of a section's presence are told at once of a change, then at most once per this many milliseconds
 * while changes keep coming (the ones in between are sent together, the latest list). Twenty co-authors moving
 * their carets make ~160 changes a second, each a list written to every other co-author's socket: coalesced, a
 * section's presence costs ~20 deliveries a second whatever the number of typists, and a caret arrives at most
 * this much later (the web editor sends one at most every 120 ms anyway).
 */
export const PRESENCE_COALESCE_MS = 50;

/** Who is in a section, where their cursor is, in which colour. */
export interface Presence {
  /**
   * The entry's public ID: a hash of the connection that set it (never an ID the client chose, never the
   * connection's own ID). One person with two tabs has two entries.
   */
  clientId: string;
  memberId: string;
  name: string;
  colour: string;
  /** Cursor and selection as the editor encodes them (Yjs relative positions), opaque to the server. */
  cursor: unknown;
  updatedAt: number;
  /**
   * The member's row as the session that set the entry had it (the socket's, as for `name`), on the instance
   * where it was set only (never sent through the pub/sub): `SectionPresence.member` then reads nothing.
   */
  member?: Member;
}

/** The list of a section nobody is in (one object: nothing is kept per empty section). */
const NOBODY: readonly Presence[] = Object.freeze([]);

const PALETTE = ['#d9480f', '#2b8a3e', '#1971c2', '#9c36b5', '#c2255c', '#0c8599', '#e67700', '#5f3dc4'];

/** A stable colour per member, so people keep theirs across sessions. */
export function colourOf(memberId: string): string {
  let hash = 0;
  for (const char of memberId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length] ?? '#1971c2';
}

const keys = new WeakMap<Connection, string>();

/**
 * The presence key of a connection (issue 10 item 4): a graphql-ws socket has its own (two tabs, two
 * entries), an HTTP request or SSE stream stands for its session. Hashed, so the key can be shown to
 * others and sent through Redis without revealing a session or connection ID. Null for an anonymous caller.
 */
export function presenceKey(connection: Connection): string | null {
  const known = keys.get(connection);
  if (known) return known;
  const source =
    connection.transport === 'ws' ? `ws:${connection.id}` : connection.sessionId ? `session:${connection.sessionId}` : null;
  if (!source) return null;
  const key = createHash('sha256').update(source).digest('base64url').slice(0, 22);
  keys.set(connection, key);
  return key;
}

/**
 * The presence of every section on this instance, kept in memory (never in the database), in step with
 * the other instances through the pub/sub. Entries are keyed by connection (`presenceKey`): a caller can
 * only set or remove their own, and a socket's entries go the moment it closes.
 */
export class PresenceRegistry {
  readonly #sections = new Map<string, Map<string, Presence>>();
  readonly #listeners = new Map<string, Set<() => void>>();
  /** `list`'s answer per section, until its first entry expires; dropped at every change of the section. */
  readonly #lists = new Map<string, { list: readonly Presence[]; until: number }>();
  /** The sections each local connection is present in, so its close removes them all. */
  readonly #held = new Map<string, Set<string>>();
  /** Per section, when its listeners were last told, and the timer of the next telling if one is due. */
  readonly #told = new Map<string, { at: number; timer: NodeJS.Timeout | undefined }>();
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
    for (const told of this.#told.values()) clearTimeout(told.timer);
    this.#told.clear();
    this.#unsubscribe?.();
  }

  /**
   * Sets (or, with null, removes) the presence of `connection` in a section, here and on every instance.
   * The first time a socket is present anywhere, its close is hooked to remove all its entries at once.
   * Throws when the connection is anonymous (the resolver has refused it before).
   */
  update(sectionId: string, connection: Connection, presence: Omit<Presence, 'updatedAt' | 'clientId'> | null): void {
    const key = presenceKey(connection);
    if (!key) throw new Error('An anonymous connection has no presence');
    // A socket that closed meanwhile keeps no entry (its close hook may have run already).
    const entry = connection.transport === 'ws' && connection.closed ? null : presence;
    if (connection.transport === 'ws') {
      let held = this.#held.get(key);
      if (!held && entry) {
        held = new Set();
        this.#held.set(key, held);
        connection.onClose(() => this.release(key));
      }
      if (entry) held?.add(sectionId);
      else held?.delete(sectionId);
    }
    // HTTP requests close as soon as they are answered: a session's entry lives until the TTL or its removal.
    this.#write(sectionId, key, entry ? { ...entry, clientId: key, updatedAt: Date.now() } : null);
  }

  /** Removes every entry of a connection key (its socket closed), here and on every instance. */
  release(key: string): void {
    const held = this.#held.get(key);
    this.#held.delete(key);
    for (const sectionId of held ?? []) this.#write(sectionId, key, null);
  }

  /** Removes a connection's entry in one section (its right to the section ended). */
  remove(sectionId: string, connection: Connection): void {
    const key = presenceKey(connection);
    if (key && this.#sections.get(sectionId)?.has(key)) this.update(sectionId, connection, null);
  }

  /** Listeners of every section on this instance (the release test expects 0 once every stream closed). */
  get listenerCount(): number {
    let count = 0;
    for (const listeners of this.#listeners.values()) count += listeners.size;
    return count;
  }

  /** Entries on this instance, every section together (the presence test expects 0 once every socket closed). */
  get entryCount(): number {
    let count = 0;
    for (const entries of this.#sections.values()) count += entries.size;
    return count;
  }

  /**
   * The section's live entries. The same (frozen) array for every caller until the section's presence changes or
   * an entry expires: its listeners share one execution and serialisation of it (live/fanout.ts, by identity).
   */
  list(sectionId: string): readonly Presence[] {
    const now = Date.now();
    const known = this.#lists.get(sectionId);
    if (known && now < known.until) return known.list;
    let until = Number.POSITIVE_INFINITY;
    const list = [...(this.#sections.get(sectionId)?.values() ?? [])].filter((entry) => {
      const expires = entry.updatedAt + PRESENCE_TTL_MS;
      if (now >= expires) return false;
      until = Math.min(until, expires);
      return true;
    });
    if (list.length === 0) {
      this.#lists.delete(sectionId);
      return NOBODY;
    }
    Object.freeze(list);
    this.#lists.set(sectionId, { list, until });
    return list;
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

  #write(sectionId: string, key: string, entry: Presence | null): void {
    this.#set(sectionId, key, entry);
    void this.pubsub.publish('section:presence', {
      sectionId,
      key,
      presence: entry ? JSON.stringify({ ...entry, member: undefined }) : null,
      origin: this.instanceId,
    });
  }

  #set(sectionId: string, key: string, presence: Presence | null): void {
    const entries = this.#sections.get(sectionId) ?? new Map<string, Presence>();
    if (!presence && !entries.has(key)) return;
    this.#lists.delete(sectionId);
    this.#sections.set(sectionId, entries);
    if (presence) entries.set(key, presence);
    else entries.delete(key);
    if (entries.size === 0) this.#sections.delete(sectionId);
    this.#tell(sectionId);
  }

  /** Tells the section's listeners of a change: at once, or with the others of its coalescing window. */
  #tell(sectionId: string): void {
    const told = this.#told.get(sectionId);
    // A telling is due: it sends the latest list, this change included.
    if (told?.timer) return;
    const wait = told ? told.at + PRESENCE_COALESCE_MS - Date.now() : 0;
    if (!told || wait <= 0) {
      this.#notify(sectionId);
      return;
    }
    told.timer = setTimeout(() => this.#notify(sectionId), wait);
    told.timer.unref();
  }

  #notify(sectionId: string): void {
    this.#told.set(sectionId, { at: Date.now(), timer: undefined });
    for (const listener of this.#listeners.get(sectionId) ?? []) listener();
  }

  #dropExpired(): void {
    const now = Date.now();
    for (const [sectionId, told] of this.#told)
      if (!told.timer && now - told.at >= PRESENCE_COALESCE_MS) this.#told.delete(sectionId);
    for (const [sectionId, entries] of this.#sections) {
      for (const [key, entry] of entries) {
        if (now - entry.updatedAt < PRESENCE_TTL_MS) continue;
        this.#set(sectionId, key, null);
        this.#held.get(key)?.delete(sectionId);
      }
    }
  }
}
