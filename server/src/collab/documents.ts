import { randomUUID } from 'node:crypto';
import type { PubSub } from 'graphql-yoga';
import * as Y from 'yjs';
import type { Topics } from '../events/bus.js';
import type { PrismaClient } from '../generated/prisma/client.js';

/** The root type a section's body lives in; an update touching any other root is refused. */
export const BODY = 'body';

/** An update delivered to a section's subscribers. */
export interface SectionUpdateMessage {
  sectionId: string;
  update: Uint8Array;
  /** The client that made it (so it is not echoed back), when it said. */
  clientId: string | null;
}

type Listener = (message: SectionUpdateMessage) => void;

interface OpenDocument {
  doc: Y.Doc;
  listeners: Set<Listener>;
  /** Updates stored since the last compaction, to decide when to fold them. */
  pending: number;
}

/** Told after an update is stored on this instance (figures, automatic versions). */
export type OnStored = (sectionId: string, doc: Y.Doc, authorId: string) => void;

export interface DocumentsOptions {
  /** Updates kept in the log before they are folded into the snapshot. */
  compactAfter: number;
}

/** Prisma's Bytes wants a Uint8Array over a plain ArrayBuffer. */
function bytes(data: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(data);
}

/** Why an update is refused before it reaches the document. */
export class InvalidUpdateError extends Error {}

/**
 * Validates a binary update: it must decode as a Yjs update and write only to the section's body.
 * Decoding is structural only (no document is touched), so a malformed update changes nothing.
 */
export function checkUpdate(update: Uint8Array): void {
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch {
    throw new InvalidUpdateError('Not a Yjs update.');
  }
  for (const struct of decoded.structs) {
    if (struct instanceof Y.Item && typeof struct.parent === 'string' && struct.parent !== BODY) {
      throw new InvalidUpdateError(`An update may only change the section body, not "${struct.parent}".`);
    }
  }
}

/**
 * The sections' Yjs documents on this instance. Every update is appended to the database log before it
 * is acknowledged; the in-memory documents are a cache (bounded, evicted when nobody is connected), and
 * other instances learn of updates through the pub/sub. Updates commute and repeat harmlessly, so the
 * order in which instances see them does not matter.
 */
export class SectionDocuments {
  readonly instanceId = randomUUID();
  readonly #open = new Map<string, Promise<OpenDocument>>();
  /** The loaded documents of `#open`, for synchronous counts and eviction. */
  readonly #resolved = new Map<string, OpenDocument>();
  #unsubscribe: (() => void) | undefined;
  onStored: OnStored | null = null;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly pubsub: PubSub<Topics>,
    private readonly options: DocumentsOptions,
  ) {}

  start(): void {
    const iterator = this.pubsub.subscribe('section:update')[Symbol.asyncIterator]();
    this.#unsubscribe = () => void iterator.return?.();
    void (async () => {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        const { sectionId, update, clientId, origin } = next.value;
        if (origin === this.instanceId) continue;
        const open = this.#open.get(sectionId);
        // A load that fails (the database down) is dropped from `#open` by `document()`; nothing to apply to.
        if (open)
          void open.then(
            (document) => this.#applyLocally(document, { sectionId, update: Buffer.from(update, 'base64'), clientId }),
            () => {},
          );
      }
    })();
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#open.clear();
    this.#resolved.clear();
  }

  get openCount(): number {
    return this.#open.size;
  }

  /** The section's current document, loading it (snapshot + every update not yet folded) if needed. */
  document(sectionId: string): Promise<OpenDocument> {
    let open = this.#open.get(sectionId);
    if (!open) {
      open = this.#load(sectionId);
      this.#open.set(sectionId, open);
      const loading = open;
      open.then(
        (document) => {
          if (this.#open.get(sectionId) === loading) this.#resolved.set(sectionId, document);
        },
        () => this.#open.delete(sectionId),
      );
    }
    return open;
  }

  async #load(sectionId: string): Promise<OpenDocument> {
    const doc = new Y.Doc({ gc: true });
    const document: OpenDocument = { doc, listeners: new Set(), pending: 0 };
    // Registered as open before reading, so an update published meanwhile is applied too (twice is harmless).
    const [snapshot, updates] = await Promise.all([
      this.prisma.sectionSnapshot.findUnique({ where: { sectionId } }),
      this.prisma.sectionUpdate.findMany({ where: { sectionId }, orderBy: { id: 'asc' }, select: { update: true } }),
    ]);
    Y.transact(doc, () => {
      if (snapshot) Y.applyUpdate(doc, snapshot.state);
      for (const row of updates) Y.applyUpdate(doc, row.update);
    });
    document.pending = updates.length;
    return document;
  }

  /**
   * Stores an update durably, then applies and broadcasts it. Resolves once it is stored: that is the
   * acknowledgement. The caller has checked who may write and that the update is valid.
   */
  async apply(sectionId: string, update: Uint8Array, authorId: string, clientId: string | null): Promise<bigint> {
    const row = await this.prisma.sectionUpdate.create({
      data: { sectionId, update: bytes(update), authorId },
      select: { id: true },
    });
    const document = await this.document(sectionId);
    this.#applyLocally(document, { sectionId, update, clientId });
    await this.pubsub.publish('section:update', {
      sectionId,
      update: Buffer.from(update).toString('base64'),
      clientId,
      origin: this.instanceId,
    });
    document.pending += 1;
    this.onStored?.(sectionId, document.doc, authorId);
    if (document.pending >= this.options.compactAfter) void this.compact(sectionId).catch(() => {});
    return row.id;
  }

  #applyLocally(document: OpenDocument, message: SectionUpdateMessage): void {
    Y.applyUpdate(document.doc, message.update);
    for (const listener of document.listeners) listener(message);
  }

  /**
   * Listens to a section's updates. Register before computing the first sync message, so that an update
   * arriving meanwhile is sent too (possibly twice, which Yjs ignores) rather than lost.
   */
  async listen(sectionId: string, listener: Listener): Promise<{ doc: Y.Doc; close: () => void }> {
    const document = await this.document(sectionId);
    document.listeners.add(listener);
    return {
      doc: document.doc,
      close: () => {
        document.listeners.delete(listener);
        if (document.listeners.size === 0) this.#scheduleEviction(sectionId, document);
      },
    };
  }

  /** Listeners of every open document on this instance (the release test expects 0 once every stream closed). */
  get listenerCount(): number {
    let count = 0;
    for (const open of this.#resolved.values()) count += open.listeners.size;
    return count;
  }

  /**
   * A document nobody listens to is unloaded at once: everything in it is already stored (an update is
   * acknowledged only once in the log), so the next listener or push reloads it from the database.
   */
  #scheduleEviction(sectionId: string, document: OpenDocument): void {
    if (document.listeners.size > 0) return;
    if (this.#resolved.get(sectionId) !== document) return;
    this.#open.delete(sectionId);
    this.#resolved.delete(sectionId);
    document.doc.destroy();
  }

  /**
   * Folds the section's update log into its snapshot. Runs in a transaction that locks the section row, so
   * two compactions do not interleave; it deletes exactly the rows it folded, so an update stored meanwhile
   * (whatever its ID) stays in the log and is read on top of the snapshot.
   */
  async compact(sectionId: string): Promise<number> {
    const folded = await this.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM "TenderSection" WHERE id = ${sectionId}::uuid FOR UPDATE`;
      const snapshot = await tx.sectionSnapshot.findUnique({ where: { sectionId } });
      const rows = await tx.sectionUpdate.findMany({
        where: { sectionId },
        orderBy: { id: 'asc' },
        select: { id: true, update: true },
      });
      if (rows.length === 0) return 0;
      const state = bytes(Y.mergeUpdates([...(snapshot ? [snapshot.state] : []), ...rows.map((row) => row.update)]));
      const throughUpdateId = rows.at(-1)?.id ?? 0n;
      await tx.sectionSnapshot.upsert({
        where: { sectionId },
        create: { sectionId, state, throughUpdateId },
        update: { state, throughUpdateId, updatedAt: new Date() },
      });
      await tx.sectionUpdate.deleteMany({ where: { id: { in: rows.map((row) => row.id) } } });
      return rows.length;
    });
    const open = this.#open.get(sectionId);
    if (open)
      void open.then(
        (document) => (document.pending = Math.max(0, document.pending - folded)),
        () => {},
      );
    return folded;
  }

  /** The section's full state as one update, from the database (for history, export and submission). */
  async storedState(sectionId: string): Promise<Uint8Array> {
    const [snapshot, updates] = await Promise.all([
      this.prisma.sectionSnapshot.findUnique({ where: { sectionId } }),
      this.prisma.sectionUpdate.findMany({ where: { sectionId }, orderBy: { id: 'asc' }, select: { update: true } }),
    ]);
    const parts = [...(snapshot ? [snapshot.state] : []), ...updates.map((row) => row.update)];
    return parts.length > 0 ? Y.mergeUpdates(parts) : Y.encodeStateAsUpdate(new Y.Doc());
  }
}
