import { ySyncPluginKey } from '@tiptap/y-tiptap';
import type { Client } from 'urql';
import { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { RULE_MESSAGES } from '../../../../server/src/errors.js';
import { finalStreamCode, type LiveState, liveStatusOf, OVER_SOCKET } from '../../client';
import { graphql } from '../../graphql';
import { PendingUpdates } from './pendingUpdates';

/** How the section's live connection stands, as the indicator shows it. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'closed';

/** Someone in the section, as `sectionPresence` sends them (one entry per connection, keyed by the server). */
export interface PresenceEntry {
  clientId: string;
  /** True for this page's own entry (the entry of its socket). */
  you: boolean;
  memberId: string;
  name: string;
  colour: string;
  cursor: unknown;
}

interface SyncMessage {
  kind: 'SYNC' | 'UPDATE';
  update: string;
  stateVector: string | null;
}

const SECTION_SYNC = graphql(`
  subscription SectionSync($sectionId: ID!, $stateVector: String, $clientId: String) {
    sectionSync(sectionId: $sectionId, stateVector: $stateVector, clientId: $clientId) {
      kind
      update
      stateVector
    }
  }
`);

const PUSH_SECTION_UPDATE = graphql(`
  mutation PushSectionUpdate($input: PushSectionUpdateInput!) {
    pushSectionUpdate(input: $input) {
      __typename
      ... on MutationPushSectionUpdateSuccess {
        data {
          updateId
        }
      }
      ... on Error {
        message
      }
      ... on RuleViolationError {
        rule
      }
    }
  }
`);

const SECTION_PRESENCE = graphql(`
  subscription SectionPresence($sectionId: ID!) {
    sectionPresence(sectionId: $sectionId) {
      clientId
      you
      memberId
      name
      colour
      cursor
    }
  }
`);

const UPDATE_PRESENCE = graphql(`
  mutation UpdatePresence($input: UpdatePresenceInput!) {
    updatePresence(input: $input) {
      __typename
      ... on Error {
        message
      }
    }
  }
`);

/** Origin of the updates that come from the server: they are never pushed back. */
export const REMOTE_ORIGIN = 'remote';
/** Presence is forgotten by the server 30 s after its last renewal: renew well before. */
const PRESENCE_RENEW_MS = 10_000;
/** An empty Yjs update (nothing the server lacks) is 2 bytes. */
const EMPTY_UPDATE_BYTES = 2;

/** Bounds of the wait before sending again what a `RATE_LIMITED` refusal sent back, in milliseconds. */
const RATE_LIMIT_WAIT_MS = { least: 20, most: 5_000 } as const;

/**
 * How long to wait before sending again an operation refused for going past a per-second allowance
 * (`RATE_LIMITED` with `retryAfterMs`, server/src/limits), in milliseconds, within `RATE_LIMIT_WAIT_MS`; null for
 * any other outcome, a `RATE_LIMITED` without `retryAfterMs` included.
 */
export function rateLimitWait(
  error: { graphQLErrors: ReadonlyArray<{ extensions?: Record<string, unknown> | undefined }> } | undefined,
): number | null {
  const refusal = error?.graphQLErrors.find((e) => e.extensions?.code === 'RATE_LIMITED');
  // Without `retryAfterMs` waiting does not help (too many operations open on the socket, say): not a wait.
  const asked = Number(refusal?.extensions?.retryAfterMs);
  if (!refusal || !Number.isFinite(asked)) return null;
  return Math.min(RATE_LIMIT_WAIT_MS.most, Math.max(RATE_LIMIT_WAIT_MS.least, asked));
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function randomId(): string {
  return typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

interface RelativeCursor {
  anchor: unknown;
  head: unknown;
}

function isYjsId(value: unknown): boolean {
  if (value == null) return true;
  const { client, clock } = value as Record<string, unknown>;
  return Number.isSafeInteger(client) && Number.isSafeInteger(clock);
}

/**
 * Whether `value` is a Yjs RelativePosition (JSON or decoded) that Yjs can resolve: item, tname or type set
 * (with none, the caret plugin's `createAbsolutePositionFromRelativePosition` throws "Unexpected case").
 */
function isRelativePosition(value: unknown): boolean {
  if (!value || typeof value !== 'object') return false;
  const { type, tname, item, assoc } = value as Record<string, unknown>;
  if (!isYjsId(type) || !isYjsId(item)) return false;
  // The body is the only root an editor has: another name would make this page's document create that root.
  if (tname != null && tname !== 'body') return false;
  if (assoc != null && !Number.isSafeInteger(assoc)) return false;
  return item != null || tname != null || type != null;
}

/** Whether `value` is a cursor `{ anchor, head }` of two resolvable relative positions; a remote one that is not is ignored. */
function isCursor(value: unknown): value is RelativeCursor {
  if (!value || typeof value !== 'object') return false;
  const { anchor, head } = value as Record<string, unknown>;
  return isRelativePosition(anchor) && isRelativePosition(head);
}

/**
 * A run of characters typed in this browser that the server refused to store: the Yjs items
 * `client`:`clock` … `client`:`clock + length - 1` of the section's document (one item per character of text).
 */
export interface RefusedRun {
  client: number;
  clock: number;
  length: number;
}

/** Why the server refused a push: its rule (`SECTION_DONE`, `SUBMITTED_READ_ONLY`…) when it named one, and its message. */
export interface Refusal {
  rule: string | null;
  message: string;
}

/**
 * What refused edits changed besides typed text, which the editor cannot highlight (a deletion leaves nothing to
 * mark): the page lists them in its notice instead.
 */
export interface RefusedKinds {
  /** Something was deleted. */
  deletions: boolean;
  /** Formatting changed (bold, italic, a link…). */
  formatting: boolean;
  /** Blocks were added or changed (paragraphs, headings, list items). */
  blocks: boolean;
}

const NO_REFUSED_KINDS: RefusedKinds = { deletions: false, formatting: false, blocks: false };

/**
 * The text runs an update inserts, and what else it carries (formatting, new blocks and, when `withDeletions`,
 * deletions). A handshake's update always repeats the document's whole delete set, most of it already on the
 * server, so its deletions are not counted.
 */
function contentOf(update: Uint8Array, withDeletions: boolean): { runs: RefusedRun[]; kinds: RefusedKinds } {
  const { structs, ds } = Y.decodeUpdate(update);
  const runs: RefusedRun[] = [];
  const kinds = { ...NO_REFUSED_KINDS, deletions: withDeletions && ds.clients.size > 0 };
  for (const struct of structs) {
    if (!(struct instanceof Y.Item)) continue;
    if (struct.content instanceof Y.ContentString)
      runs.push({ client: struct.id.client, clock: struct.id.clock, length: struct.length });
    else if (struct.content instanceof Y.ContentFormat) kinds.formatting = true;
    else kinds.blocks = true;
  }
  return { runs, kinds };
}

const anyKind = (kinds: RefusedKinds) => kinds.deletions || kinds.formatting || kinds.blocks;

/** The items an update carries, per client, as [from, to) clock intervals. */
function intervalsOf(update: Uint8Array): Map<number, [number, number][]> {
  const intervals = new Map<number, [number, number][]>();
  for (const struct of Y.decodeUpdate(update).structs) {
    const list = intervals.get(struct.id.client) ?? [];
    list.push([struct.id.clock, struct.id.clock + struct.length]);
    intervals.set(struct.id.client, list);
  }
  return intervals;
}

/** Deleted clock ranges per client, `[from, to)`, sorted and merged. */
type DeletedRanges = Map<number, Array<[number, number]>>;

/**
 * Whether a transaction is the editor's repair of a shape it cannot build, not an edit: y-tiptap
 * (`createNodeFromYElement`) deletes a Yjs element that fails the schema (a list item not starting with a paragraph,
 * once a co-author's push merged with an edit of this browser the server refused) in a transaction of its own,
 * origin `ySyncPluginKey`, that only deletes. It runs while a remote update is applied (the binding's observer,
 * inside `Y.applyUpdate`) or when the editor first renders the document; the editor's own edits also have origin
 * `ySyncPluginKey` but are written by its view update, which notes `addToHistory` on the transaction.
 */
function isEditorRepair(transaction: Y.Transaction, applyingRemote: boolean): boolean {
  if (transaction.origin !== ySyncPluginKey) return false;
  if (!applyingRemote && transaction.meta.has('addToHistory')) return false;
  if (transaction.deleteSet.clients.size === 0) return false;
  // A repair adds no struct: holding it back leaves no gap in this client's clocks.
  for (const [client, clock] of transaction.afterState) if ((transaction.beforeState.get(client) ?? 0) < clock) return false;
  return true;
}

/** Adds a transaction's deletions to `ranges`. */
function addDeleted(ranges: DeletedRanges, deleteSet: Y.Transaction['deleteSet']): void {
  for (const [client, items] of deleteSet.clients) {
    const list = [...(ranges.get(client) ?? []), ...items.map((item): [number, number] => [item.clock, item.clock + item.len])];
    list.sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const [from, to] of list) {
      const last = merged.at(-1);
      if (last && from <= last[1]) last[1] = Math.max(last[1], to);
      else merged.push([from, to]);
    }
    ranges.set(client, merged);
  }
}

function writeVarUint(bytes: number[], value: number): void {
  let rest = value;
  while (rest > 0x7f) {
    bytes.push(0x80 | (rest % 0x80));
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
}

/** A delete set in Yjs's v1 encoding (`writeDeleteSet` with `DSEncoderV1`), clients in the order given. */
function encodeDeleteSet(clients: Array<[number, Array<[number, number]>]>): number[] {
  const bytes: number[] = [];
  writeVarUint(bytes, clients.length);
  for (const [client, ranges] of clients) {
    writeVarUint(bytes, client);
    writeVarUint(bytes, ranges.length);
    for (const [from, to] of ranges) {
      writeVarUint(bytes, from);
      writeVarUint(bytes, to - from);
    }
  }
  return bytes;
}

/**
 * `ranges` without the clocks at or beyond `stateVector` (a server's): the deletions of items the server holds. An
 * item the server lacks is only this browser's (an edit not stored, refused); its deletion goes with it.
 */
function heldBack(ranges: DeletedRanges, stateVector: Map<number, number>): DeletedRanges {
  const held: DeletedRanges = new Map();
  for (const [client, list] of ranges) {
    const known = stateVector.get(client) ?? 0;
    const kept = list.filter(([from]) => from < known).map(([from, to]): [number, number] => [from, Math.min(to, known)]);
    if (kept.length > 0) held.set(client, kept);
  }
  return held;
}

/**
 * `update` (Yjs v1) with the deletions of `held` taken out of its delete set, its structs unchanged. A v1 update
 * is its structs then its delete set, which Yjs writes sorted and merged: re-encoded in the order decoded, the
 * delete set is byte for byte the update's tail, which is replaced. Throws if it is not (never seen: Yjs's own
 * encoding), rather than send the repairs.
 */
function withoutDeletions(update: Uint8Array, held: DeletedRanges): Uint8Array {
  const { ds } = Y.decodeUpdate(update);
  const original: Array<[number, Array<[number, number]>]> = [...ds.clients].map(([client, items]) => [
    client,
    items.map((item): [number, number] => [item.clock, item.clock + item.len]),
  ]);
  const tail = encodeDeleteSet(original);
  const start = update.byteLength - tail.length;
  if (start < 0 || tail.some((byte, i) => update[start + i] !== byte)) throw new Error('Unexpected Yjs update layout');
  const kept: Array<[number, Array<[number, number]>]> = [];
  for (const [client, ranges] of original) {
    const cut = held.get(client) ?? [];
    const left: Array<[number, number]> = [];
    for (const [from, to] of ranges) {
      let at = from;
      for (const [cutFrom, cutTo] of cut) {
        if (cutTo <= at || cutFrom >= to) continue;
        if (cutFrom > at) left.push([at, cutFrom]);
        at = Math.max(at, cutTo);
      }
      if (at < to) left.push([at, to]);
    }
    if (left.length > 0) kept.push([client, left]);
  }
  const deletions = encodeDeleteSet(kept);
  const result = new Uint8Array(start + deletions.length);
  result.set(update.subarray(0, start));
  result.set(deletions, start);
  return result;
}

export interface SectionSyncEvents {
  state(state: ConnectionState): void;
  presence(entries: PresenceEntry[]): void;
  /**
   * A push was refused (typed error): what it carried is not stored. It stays in this document (and this
   * browser's offline copy), marked as not saved (`refusedRuns`), until a later push is accepted.
   */
  rejected(refusal: Refusal): void;
  /** The edits marked as not saved changed (some were refused, or a later push stored them). */
  unsavedChanged(): void;
  /** The first handshake is done: the document holds the section's text. */
  firstSync(): void;
  /**
   * An edit made here, not stored yet, could not be placed once merged with a co-author's stored one (the editor
   * deleted what it could not build, see `isEditorRepair`): it is sent as deleted, so it is not saved. Once per edit.
   */
  editDropped(): void;
}

/**
 * One section's Yjs document kept in sync with the server over the app's graphql-ws connection, exactly like
 * the headless client of the tests: the state-vector handshake on (re)subscribing, local updates pushed one at
 * a time (those typed meanwhile merged into the next push), the server's own updates applied with a remote
 * origin. Edits made while disconnected stay in the document and go out with the next handshake.
 * It also carries the presence: the local cursor (Yjs relative positions) and everyone else's, fed into an
 * awareness instance that the editor's caret plugin draws.
 */
export class SectionSync {
  readonly doc = new Y.Doc();
  readonly clientId = randomId();
  readonly awareness = new Awareness(this.doc);
  state: ConnectionState = 'connecting';
  presence: PresenceEntry[] = [];

  readonly #client: Client;
  readonly #sectionId: string;
  readonly #events: Partial<SectionSyncEvents>;
  #sync: { unsubscribe(): void } | null = null;
  #presenceSub: { unsubscribe(): void } | null = null;
  #synced = false;
  /** Local edits waiting for the next push (encoded from the document when taken: see `PendingUpdates`). */
  readonly #queued = new PendingUpdates(this.doc);
  #inFlight = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #retryDelay = 1_000;
  /** Refused or ended for good (see `#close`). */
  #closed = false;
  #renewTimer: ReturnType<typeof setInterval> | undefined;
  #presenceTimer: ReturnType<typeof setTimeout> | undefined;
  #lastCursor: RelativeCursor | null = null;
  #remoteIds = new Map<string, number>();
  #nextRemoteId = 1;
  #destroyed = false;
  #everSynced = false;
  /** Edits typed here that the server has not acknowledged yet (offline, before the handshake, or in flight). */
  #unsent = false;
  /**
   * Some edit made here since the server last stored a push deleted something. A handshake's update cannot tell
   * (it repeats the whole delete set), so a refused handshake lists deletions from this.
   */
  #unackedDeletes = false;

  /**
   * What the editor deleted to repair a shape it could not build (see `isEditorRepair`): never pushed, left out of
   * every handshake's update and of the offline copy. The server keeps that text (it is the truth); this page no
   * longer shows it.
   */
  readonly #repairs: DeletedRanges = new Map();
  /** Repaired ranges of this page's own unsaved edits already reported (`editDropped`), by `client:clock`. */
  readonly #dropped = new Set<string>();
  /** True while a server's update is applied (`#onMessage`). */
  #applyingRemote = false;
  /** How many repairs the editor made (see `#repairs`). */
  #repairCount = 0;
  #resyncScheduled = false;
  readonly #keptListeners = new Set<(update: Uint8Array) => void>();

  /** Text runs typed here that the server refused, by `client:clock` (see `RefusedRun`). */
  #refused = new Map<string, RefusedRun>();
  /** What refused pushes carried besides text (deletions, formatting, blocks). */
  #refusedKinds: RefusedKinds = NO_REFUSED_KINDS;

  /**
   * True while some edit typed here is not stored by the server (not yet acknowledged, or refused): closing the
   * page would leave it only in this browser.
   */
  get hasUnsentEdits(): boolean {
    return this.#unsent || this.hasRefusedEdits;
  }

  readonly #unsavedListeners = new Set<() => void>();

  /** Calls `listener` whenever the edits marked as not saved change; returns how to stop. */
  onUnsavedChanged(listener: () => void): () => void {
    this.#unsavedListeners.add(listener);
    return () => this.#unsavedListeners.delete(listener);
  }

  #unsavedChanged(): void {
    this.#events.unsavedChanged?.();
    for (const listener of this.#unsavedListeners) listener();
  }

  /** True while some edit typed here was refused by the server and not stored since. */
  get hasRefusedEdits(): boolean {
    return this.#refused.size > 0 || anyKind(this.#refusedKinds);
  }

  /** What the refused edits changed besides typed text (nothing to highlight: the page lists it). */
  get refusedKinds(): RefusedKinds {
    return this.#refusedKinds;
  }

  /** How many typed characters the server refused (those the editor highlights). */
  get refusedCharacters(): number {
    let count = 0;
    for (const run of this.#refused.values()) count += run.length;
    return count;
  }

  #clearRefused(): void {
    this.#refused.clear();
    this.#refusedKinds = NO_REFUSED_KINDS;
  }

  /** The text runs the server refused, for the editor to mark as not saved. */
  get refusedRuns(): readonly RefusedRun[] {
    return [...this.#refused.values()];
  }

  /**
   * Sends again what the server lacks (a fresh handshake), for instance once a section marked done is reopened:
   * what is stored loses its "not saved" mark, what is refused again keeps it.
   */
  retryRefused(): void {
    if (this.#destroyed || this.#closed) return;
    this.#subscribe();
  }
  #unlistenStatus: (() => void) | null = null;
  /** The update a handshake queued (everything the server lacked), while it is not acknowledged. */
  #handshakePush: Uint8Array | null = null;
  /**
   * How many times the page's socket dropped. graphql-ws sends a push still unanswered at a drop again on the
   * next socket, where the server judges it afresh: stored before the drop, it may now be refused (the section
   * marked done meanwhile). Such an answer tells nothing of what the server lacks; the new socket's handshake
   * does, and hands over (and has judged) whatever it does lack.
   */
  #socketDrops = 0;

  constructor(client: Client, sectionId: string, events: Partial<SectionSyncEvents> = {}) {
    this.#client = client;
    this.#sectionId = sectionId;
    this.#events = events;
    // Awareness would otherwise renew and time out states on its own clock; the server handles presence.
    this.awareness.setLocalState({});
    this.doc.on('update', this.#onLocalUpdate);
    this.awareness.on('change', this.#onAwarenessChange);
    window.addEventListener('online', this.#onOnline);
    window.addEventListener('offline', this.#onOffline);
    this.#unlistenStatus = liveStatusOf(client).listen(this.#onSocketState);
  }

  start(): void {
    this.#subscribe();
    this.#presenceSub = this.#client.subscription(SECTION_PRESENCE, { sectionId: this.#sectionId }).subscribe((result) => {
      // Presence ends with the same code as the document's stream (access revoked…): the section is closed either way.
      const code = finalStreamCode(result.error);
      if (code) this.#close(code);
      else if (!result.error && result.data?.sectionPresence) this.#applyPresence(result.data.sectionPresence);
    });
    this.#sendPresence();
    this.#renewTimer = setInterval(() => this.#sendPresence(), PRESENCE_RENEW_MS);
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#unsavedListeners.clear();
    this.#keptListeners.clear();
    this.#repairListeners.clear();
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#presenceTimer);
    clearInterval(this.#renewTimer);
    this.#sync?.unsubscribe();
    this.#presenceSub?.unsubscribe();
    window.removeEventListener('online', this.#onOnline);
    window.removeEventListener('offline', this.#onOffline);
    this.#unlistenStatus?.();
    this.awareness.off('change', this.#onAwarenessChange);
    // Others stop seeing our caret at once (closing the tab closes the socket, which does the same).
    void this.#client
      .mutation(UPDATE_PRESENCE, { input: { sectionId: this.#sectionId, leaving: true } }, OVER_SOCKET)
      .toPromise();
    this.awareness.destroy();
    this.doc.off('update', this.#onLocalUpdate);
    this.doc.destroy();
  }

  // ───────────── Document sync ─────────────

  #subscribe(): void {
    if (this.#destroyed) return;
    this.#sync?.unsubscribe();
    this.#synced = false;
    const variables = {
      sectionId: this.#sectionId,
      stateVector: toBase64(Y.encodeStateVector(this.doc)),
      clientId: this.clientId,
    };
    this.#sync = this.#client.subscription(SECTION_SYNC, variables).subscribe((result) => {
      // The error first: a stream's end may still carry its previous message (see `endedStreamExchange`).
      const code = finalStreamCode(result.error);
      // Refused or ended for good (no such section, access revoked, session over): never resubscribe.
      if (code) this.#close(code);
      else if (result.error) this.#lost();
      else if (result.data?.sectionSync) this.#onMessage(result.data.sectionSync);
    });
  }

  /**
   * Calls `listener` with every update of the document except the editor's repairs (see `isEditorRepair`): what
   * this browser's offline copy keeps. Returns how to stop.
   */
  onKeptUpdate(listener: (update: Uint8Array) => void): () => void {
    this.#keptListeners.add(listener);
    return () => this.#keptListeners.delete(listener);
  }

  readonly #repairListeners = new Set<() => void>();
  #repairAnnounced = false;

  /**
   * Calls `listener` (once the update being applied is done) after the editor repaired a shape: y-tiptap may have
   * thrown before showing its own repair (restoring the caret into the deleted item), and a view that still shows
   * the item would write it back as new text at the next keystroke. Returns how to stop.
   */
  onRepaired(listener: () => void): () => void {
    this.#repairListeners.add(listener);
    return () => this.#repairListeners.delete(listener);
  }

  #announceRepair(): void {
    if (this.#repairAnnounced) return;
    this.#repairAnnounced = true;
    queueMicrotask(() => {
      this.#repairAnnounced = false;
      if (this.#destroyed) return;
      for (const listener of this.#repairListeners) listener();
    });
  }

  /**
   * What the document holds beyond `stateVector` (the server's), a handshake's update: without the editor's
   * repairs of items the server holds. A repair's deletion of items it lacks (an edit of this browser that broke
   * the shape, refused) is sent with them: stored deleted, they leave no gap in this browser's clocks, so what is
   * typed afterwards can be stored.
   */
  #missing(stateVector: Uint8Array): Uint8Array {
    const update = Y.encodeStateAsUpdate(this.doc, stateVector);
    if (this.#repairs.size === 0) return update;
    const known = Y.decodeStateVector(stateVector);
    // Repairs of items the server lacks delete an edit of this page: the person is told it is not saved.
    let dropped = false;
    for (const [client, ranges] of this.#repairs) {
      for (const [from, to] of ranges) {
        const start = Math.max(from, known.get(client) ?? 0);
        if (start < to && !this.#dropped.has(`${client}:${start}`)) {
          this.#dropped.add(`${client}:${start}`);
          dropped = true;
        }
      }
    }
    if (dropped) this.#events.editDropped?.();
    return withoutDeletions(update, heldBack(this.#repairs, known));
  }

  /**
   * A repair made after the last handshake (an update of a co-author applied, the editor's first render): its
   * edit that broke the shape is refused, and so would be every later push, which builds on it. A fresh handshake
   * sends that edit with its deletion (see `#missing`).
   */
  #resyncAfterRepair(): void {
    if (this.#resyncScheduled || !this.#synced) return;
    this.#resyncScheduled = true;
    queueMicrotask(() => {
      this.#resyncScheduled = false;
      if (this.#synced && !this.#closed && !this.#destroyed) this.#subscribe();
    });
  }

  #onMessage(message: SyncMessage): void {
    const repairs = this.#repairCount;
    this.#applyingRemote = true;
    try {
      Y.applyUpdate(this.doc, fromBase64(message.update), REMOTE_ORIGIN);
    } finally {
      this.#applyingRemote = false;
      // Also when the editor threw while applying it (y-tiptap restoring the caret into what it just deleted).
      if (message.kind !== 'SYNC' && this.#repairCount !== repairs) this.#resyncAfterRepair();
    }
    // A caret may point into text that only just arrived: redraw them now that the editor has it.
    this.#redrawCarets();
    if (message.kind !== 'SYNC') return;
    if (!this.#everSynced) {
      this.#everSynced = true;
      this.#events.firstSync?.();
    }
    // A first message (also after graphql-ws reconnected by itself): hand over what only we have.
    this.#synced = true;
    this.#retryDelay = 1_000;
    this.#queued.clear();
    this.#handshakePush = null;
    if (message.stateVector) {
      const missing = this.#missing(fromBase64(message.stateVector));
      if (missing.byteLength > EMPTY_UPDATE_BYTES) {
        this.#queued.add(missing, true);
        this.#handshakePush = missing;
      } else if (this.hasRefusedEdits) {
        // The server has everything this document holds: nothing is left unsaved.
        this.#clearRefused();
        this.#unsavedChanged();
      }
    }
    this.#setState('connected');
    void this.#drain();
    this.#sendPresence();
  }

  readonly #onLocalUpdate = (update: Uint8Array, origin: unknown, _doc: Y.Doc, transaction: Y.Transaction) => {
    if (this.#destroyed) return;
    // Alone such a deletion is valid and would be stored: the item's text lost for every co-author.
    if (origin !== REMOTE_ORIGIN && isEditorRepair(transaction, this.#applyingRemote)) {
      addDeleted(this.#repairs, transaction.deleteSet);
      this.#repairCount += 1;
      this.#announceRepair();
      // While a server's update is applied, `#onMessage` decides (a handshake's own update already accounts for it).
      if (!this.#applyingRemote) this.#resyncAfterRepair();
      return;
    }
    for (const listener of this.#keptListeners) listener(update);
    if (origin === REMOTE_ORIGIN) return;
    this.#unsent = true;
    if (!this.#unackedDeletes && Y.decodeUpdate(update).ds.clients.size > 0) this.#unackedDeletes = true;
    // Before the handshake, the document keeps the edit and the handshake sends it.
    if (!this.#synced) return;
    this.#queued.addTransaction(transaction);
    void this.#drain();
  };

  async #drain(): Promise<void> {
    if (this.#inFlight) return;
    this.#inFlight = true;
    try {
      while (this.#queued.count > 0 && this.#synced && !this.#destroyed) {
        const { update, marked } = this.#queued.take() as { update: Uint8Array; marked: boolean };
        // Merged with later edits, the handshake's update is still everything the server lacked.
        if (this.#handshakePush && marked) this.#handshakePush = update;
        const ok = await this.#push(update);
        if (!ok) break;
      }
    } finally {
      this.#inFlight = false;
      if (this.#synced && this.#queued.count === 0) this.#unsent = false;
    }
  }

  /**
   * Pushes one update and waits for its acknowledgement; false when the connection is lost. An update past what
   * the server accepts (`maxUpdateBytes` of its `connection_ack`, `UPDATE_TOO_LARGE`) is never sent: it is refused
   * here as the server would refuse it, its text marked not saved, and the socket stays up for everything else.
   */
  async #push(update: Uint8Array): Promise<boolean> {
    const maxUpdateBytes = liveStatusOf(this.#client).limits?.maxUpdateBytes;
    if (maxUpdateBytes !== undefined && update.byteLength > maxUpdateBytes) {
      this.#refuse(update, 'UPDATE_TOO_LARGE');
      return true;
    }
    const drops = this.#socketDrops;
    let result = await this.#sendPush(update);
    // Typing faster than the member's allowance (`RATE_LIMITED`, `coeditingMessagesPerSecond`): the same update
    // again once the server says it fits, the edits typed meanwhile queued behind it; still connected, nothing lost.
    for (let wait = rateLimitWait(result.error); wait !== null; wait = rateLimitWait(result.error)) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (this.#destroyed || this.#closed || drops !== this.#socketDrops) return true;
      result = await this.#sendPush(update);
    }
    // Sent again after a drop: the handshake, not this answer, says what is stored (see `#socketDrops`).
    if (drops !== this.#socketDrops) return true;
    const outcome = result.data?.pushSectionUpdate;
    // Past the socket's message limit (client.ts never sends it): refused like an update past the server's limit.
    if (!outcome && result.error?.graphQLErrors.some((error) => error.extensions?.code === 'REQUEST_ENTITY_TOO_LARGE')) {
      this.#refuse(update, 'UPDATE_TOO_LARGE');
      return true;
    }
    if (!outcome) {
      // No answer: the content stays in the document and the next handshake re-sends it.
      this.#lost();
      return false;
    }
    if (outcome.__typename === 'MutationPushSectionUpdateSuccess') this.#stored(update);
    else if (this.#markRefused(update)) {
      this.#events.rejected?.({
        rule: 'rule' in outcome && typeof outcome.rule === 'string' ? outcome.rule : null,
        message: ('message' in outcome ? outcome.message : null) ?? outcome.__typename,
      });
    }
    return true;
  }

  #sendPush(update: Uint8Array) {
    return this.#client
      .mutation(
        PUSH_SECTION_UPDATE,
        { input: { sectionId: this.#sectionId, update: toBase64(update), clientId: this.clientId } },
        OVER_SOCKET,
      )
      .toPromise();
  }

  /** Refuses `update` without the server's answer (it would refuse it for `rule`): as a refusal it sent. */
  #refuse(update: Uint8Array, rule: 'UPDATE_TOO_LARGE'): void {
    if (this.#markRefused(update)) this.#events.rejected?.({ rule, message: RULE_MESSAGES[rule] });
  }

  /**
   * The server refused this update: its text is marked as not saved (kept in the document all the same).
   * False when it held nothing typed here (a handshake re-sending only known deletions into a done section).
   */
  #markRefused(update: Uint8Array): boolean {
    const handshake = update === this.#handshakePush;
    const { runs, kinds } = contentOf(update, !handshake);
    if (handshake && this.#unackedDeletes) kinds.deletions = true;
    if (runs.length === 0 && !anyKind(kinds)) return false;
    for (const run of runs) {
      const key = `${run.client}:${run.clock}`;
      const known = this.#refused.get(key);
      if (!known || known.length < run.length) this.#refused.set(key, run);
    }
    this.#refusedKinds = {
      deletions: this.#refusedKinds.deletions || kinds.deletions,
      formatting: this.#refusedKinds.formatting || kinds.formatting,
      blocks: this.#refusedKinds.blocks || kinds.blocks,
    };
    this.#unsavedChanged();
    return true;
  }

  /** The server stored this update: what it carried is no longer "not saved". */
  #stored(update: Uint8Array): void {
    if (this.#handshakePush === update || this.#queued.count === 0) this.#unackedDeletes = false;
    if (!this.hasRefusedEdits) return;
    const intervals = intervalsOf(update);
    for (const [key, run] of this.#refused) {
      const covered = intervals.get(run.client)?.some(([from, to]) => from <= run.clock && run.clock + run.length <= to);
      if (covered) this.#refused.delete(key);
    }
    // A handshake's update holds everything the server lacked: once stored, nothing refused is left.
    if (this.#handshakePush === update) this.#clearRefused();
    this.#unsavedChanged();
  }

  /** The server did not answer: resubscribe (a fresh handshake) with a growing delay. */
  #lost(): void {
    if (this.#destroyed || this.#closed) return;
    this.#synced = false;
    this.#setState(navigator.onLine === false ? 'offline' : 'reconnecting');
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#subscribe(), this.#retryDelay);
    this.#retryDelay = Math.min(this.#retryDelay * 2, 10_000);
  }

  /**
   * The stream was refused or ended for good (`code`, see `finalStreamCode`): stop listening, retrying, pushing and
   * announcing presence; the page says so. What was typed here and not stored (`lostEdits`) can no longer be sent.
   */
  #close(code: string): void {
    if (this.#closed || this.#destroyed) return;
    this.closedCode = code;
    this.lostEdits = this.hasUnsentEdits;
    this.#closed = true;
    this.#synced = false;
    this.#queued.clear();
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#presenceTimer);
    clearInterval(this.#renewTimer);
    this.#sync?.unsubscribe();
    this.#sync = null;
    this.#presenceSub?.unsubscribe();
    this.#presenceSub = null;
    this.#applyPresence([]);
    this.#setState('closed');
  }

  /** Why the section closed (`ACCESS_REVOKED`, `NOT_FOUND`, `SESSION_EXPIRED`…), or null while it is open. */
  closedCode: string | null = null;
  /** True when edits typed here were not stored when the section closed: they are lost (never sent, never kept). */
  lostEdits = false;

  readonly #onOnline = () => {
    if (this.#synced || this.#closed) return;
    this.#setState('reconnecting');
    clearTimeout(this.#retryTimer);
    this.#retryDelay = 1_000;
    this.#subscribe();
  };

  /**
   * The page's socket dropped: graphql-ws reopens it (with backoff, for as long as the page is open) and sends
   * this stream's subscription again, whose first message is a new handshake. Until then edits stay in the
   * document (the handshake hands them over), and the page says it is reconnecting.
   */
  readonly #onSocketState = (state: LiveState) => {
    if (state !== 'reconnecting') return;
    this.#socketDrops += 1;
    if (this.#closed || this.#destroyed) return;
    this.#synced = false;
    this.#setState(navigator.onLine === false ? 'offline' : 'reconnecting');
  };

  readonly #onOffline = () => {
    this.#synced = false;
    this.#setState('offline');
  };

  #setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.#events.state?.(state);
  }

  // ───────────── Presence ─────────────

  /** The caret plugin writes the local selection into the awareness; send it (throttled). */
  readonly #onAwarenessChange = (
    { added, updated }: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ) => {
    if (origin === REMOTE_ORIGIN) return;
    const ours = this.doc.clientID;
    if (!added.includes(ours) && !updated.includes(ours)) return;
    const cursor = this.awareness.getLocalState()?.cursor;
    // Keep showing where someone was when their editor loses focus (a click on a button).
    if (!isCursor(cursor)) return;
    const next: RelativeCursor = {
      anchor: Y.relativePositionToJSON(cursor.anchor as Y.RelativePosition),
      head: Y.relativePositionToJSON(cursor.head as Y.RelativePosition),
    };
    if (JSON.stringify(next) === JSON.stringify(this.#lastCursor)) return;
    this.#lastCursor = next;
    if (this.#presenceTimer === undefined)
      this.#presenceTimer = setTimeout(() => {
        this.#presenceTimer = undefined;
        this.#sendPresence();
      }, 120);
  };

  #sendPresence(): void {
    if (this.#destroyed || this.#closed) return;
    void this.#client
      .mutation(UPDATE_PRESENCE, { input: { sectionId: this.#sectionId, cursor: this.#lastCursor ?? {} } }, OVER_SOCKET)
      .toPromise()
      .then((result) => {
        if (this.#destroyed || this.#closed) return;
        if (!result.data && result.error?.networkError) this.#lost();
        // Past the allowance: the latest position once it fits (unless a newer one is already on its way).
        const wait = rateLimitWait(result.error);
        if (wait !== null && this.#presenceTimer === undefined)
          this.#presenceTimer = setTimeout(() => {
            this.#presenceTimer = undefined;
            this.#sendPresence();
          }, wait);
      });
  }

  #applyPresence(list: PresenceEntry[]): void {
    this.presence = list;
    this.#events.presence?.(list);
    const added: number[] = [];
    const updated: number[] = [];
    const removed: number[] = [];
    const seen = new Set<number>();
    for (const entry of list) {
      if (entry.you) continue;
      let id = this.#remoteIds.get(entry.clientId);
      if (id === undefined) {
        if (this.#nextRemoteId === this.doc.clientID) this.#nextRemoteId += 1;
        id = this.#nextRemoteId++;
        this.#remoteIds.set(entry.clientId, id);
      }
      seen.add(id);
      const state = {
        user: { name: entry.name, color: entry.colour, memberId: entry.memberId },
        cursor: isCursor(entry.cursor) ? entry.cursor : null,
      };
      const had = this.awareness.states.has(id);
      if (had && JSON.stringify(this.awareness.states.get(id)) === JSON.stringify(state)) continue;
      this.awareness.states.set(id, state);
      (had ? updated : added).push(id);
    }
    for (const [clientId, id] of this.#remoteIds) {
      if (seen.has(id)) continue;
      this.#remoteIds.delete(clientId);
      this.awareness.states.delete(id);
      removed.push(id);
    }
    if (added.length + updated.length + removed.length > 0) {
      const changes = { added, updated, removed };
      this.awareness.emit('change', [changes, REMOTE_ORIGIN]);
      this.awareness.emit('update', [changes, REMOTE_ORIGIN]);
    } else {
      // A renewal: redraw anyway, since a local structural edit hides carets until their owners move.
      this.#redrawCarets();
    }
  }

  #redrawCarets(): void {
    const updated = [...this.#remoteIds.values()];
    if (updated.length > 0) this.awareness.emit('change', [{ added: [], updated, removed: [] }, REMOTE_ORIGIN]);
  }
}
