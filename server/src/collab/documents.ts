import { randomUUID } from 'node:crypto';
import type { PubSub } from 'graphql-yoga';
import * as Y from 'yjs';
import type { Database, SqlRunner } from '../db/database.js';
import { type Actor, isSubmitted, lockSectionForPush, type PushContext, sectionAccessOf } from '../domain/tenders.js';
import { ForbiddenError, NotFoundError, RuleViolationError, UnavailableError, unauthenticatedError } from '../errors.js';
import type { Topics } from '../events/bus.js';
import { claimInSqlTransaction, currentClaim, type IdempotencyClaim } from '../events/idempotency.js';
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';
import { logger } from '../observability/log.js';
import { bodyOf, nestsTooDeep, rewriteDeepBlocks, SECTION_FRAGMENT } from './content.js';
import { InvalidUpdateError, judgePush, judgeUpdate, PendingStructs } from './updates.js';

export { InvalidUpdateError } from './updates.js';

/** The root type a section's body lives in; an update touching any other root is refused. */
export const BODY = SECTION_FRAGMENT;

/** An update delivered to a section's subscribers. */
export interface SectionUpdateMessage {
  sectionId: string;
  update: Uint8Array;
  /** The connection (`context.connection.id`) that pushed it, so it is not echoed back; null from elsewhere. */
  connectionId: string | null;
  /**
   * The event log's last position seen by the transaction that stored it (access changes committed before it
   * are at or before it): a listener is sent it once its stream has applied the log that far. Null when not
   * known (caught up from the database): the listener then reads the log up to now first.
   */
  logPosition: bigint | null;
}

type Listener = (message: SectionUpdateMessage) => void;

/** Each document's state vector as last encoded, until its next transaction (`stateVectorOf`). */
const stateVectors = new WeakMap<Y.Doc, Uint8Array>();

/**
 * `Y.encodeStateVector(doc)`, encoded once per change of the document however many ask: every sync subscriber of a
 * section notes it after each batch it is sent (1.7 % of the co-editing server's CPU at 20 editors, issue 11).
 * Forgotten at the document's next transaction. Never change the array returned: it is shared.
 */
export function stateVectorOf(doc: Y.Doc): Uint8Array {
  let vector = stateVectors.get(doc);
  if (vector === undefined) {
    if (!watchedDocs.has(doc)) {
      watchedDocs.add(doc);
      doc.on('afterTransaction', () => stateVectors.delete(doc));
    }
    vector = Y.encodeStateVector(doc);
    stateVectors.set(doc, vector);
  }
  return vector;
}

/** Documents whose transactions forget their state vector (`stateVectorOf`). */
const watchedDocs = new WeakSet<Y.Doc>();

/** A section's document lent to a reader (`SectionDocuments.borrow`). */
export interface Borrowed {
  /** The live document: read it, never change it (changes go through `push`/`apply`). */
  doc: Y.Doc;
  /** Ends the loan (idempotent): the document is unloaded if nobody else holds or listens to it and nothing waits. */
  release: () => void;
}

/**
 * Who pushes an update: the actor whose rights are checked in the storing transaction (null: the server itself).
 * The actor's memberships are not used: the transaction reads the pusher's membership of the section's collective.
 */
export interface Pusher {
  actor: Actor | null;
  authorId: string | null;
  /**
   * The session the push was made under (null: the server itself, or a change whose mutation read its session in
   * the same turn): the storing transaction reads whether it is still live, and refuses the push UNAUTHENTICATED
   * if not, whatever this instance knows of it yet (a graphql-ws socket keeps its session from `connection_init`).
   */
  sessionId: string | null;
  /** `context.connection.id`: echo suppression is keyed by it, never by an ID the client chooses. */
  connectionId: string | null;
}

interface Push {
  update: Uint8Array;
  pusher: Pusher;
  resolve: (updateId: bigint) => void;
  reject: (error: unknown) => void;
  /** When it was first held for missing dependencies (ms since epoch), if it was. */
  heldSince?: number;
  /** Computes `update` from the document inside the storing transaction (see `applyComputed`). */
  compute?: (doc: Y.Doc) => Uint8Array;
  /** The idempotency key of the mutation that queued a computed change, claimed in its storing transaction. */
  claim?: IdempotencyClaim;
}

interface OpenDocument {
  sectionId: string;
  doc: Y.Doc;
  listeners: Set<Listener>;
  /** Updates stored since the last compaction, to decide when to fold them. */
  pending: number;
  /** Pushes waiting for the next group commit. */
  queue: Push[];
  /** Pushes whose dependencies are not known yet: judged again whenever the document advances. */
  held: Push[];
  writing: boolean;
  /** Readers holding the document (`borrow`): it is not unloaded while any is. */
  borrowers: number;
  /** A reconciliation for held pushes is scheduled. */
  reconciling: boolean;
  responseId: string;
  dealId: string | null;
  /**
   * An upper bound of the document's encoded size, in bytes: the stored rows at load plus every update applied
   * since (merging only shrinks them). Measured exactly (and lowered) when a push would take it past the limit.
   */
  size: number;
  /** `size` is exact: nothing was applied since it was measured (a refused push does not measure again). */
  measured: boolean;
  /**
   * The highest stored update ID this document is known to hold with everything stored before it (`latestOf` at
   * load or catch-up, a batch stored here, another instance's hint that follows on it). Compared, in the storing
   * transaction, with the section's latest ID read under its lock (`PushContext.latestUpdateId`).
   */
  appliedThrough: bigint;
  /**
   * On the embedded database, what the last batch's statement read of the rights, while nothing else has written
   * since (`#commitUnchanged`); null until a batch's transaction read it, and after anything was written meanwhile.
   */
  rights: StoredRights | null;
  /**
   * On the embedded database (one instance, every transaction alone), the IDs of the log rows this document holds:
   * those its load folded and those stored here since, each added once applied. A compaction then stores the
   * document as it is and folds exactly these (`#compactLoaded`), instead of rebuilding it from the stored rows. Null
   * elsewhere, and when the document cannot stand for what is stored (the snapshot was set aside at load, or the
   * document was rewritten or rebuilt then).
   */
  applied: Set<bigint> | null;
}

/** The rights a push batch read, and the next transaction ID to be handed out if nothing has written since. */
interface StoredRights {
  context: PushContext;
  /** The pushers (member IDs) the read asked about: a batch of anyone else reads again. */
  asked: ReadonlySet<string>;
  /** The sessions the read asked about: a batch pushed under any other reads again. */
  askedSessions: ReadonlySet<string>;
  /** `pg_snapshot_xmax` expected at the next batch: this instance's last writing transaction's ID + 1. */
  xmax: bigint;
}

/** A push as a batch judged it: stored, held for what it builds on, or refused. */
type Outcome = { push: Push; verdict: 'store' | 'hold' | Error };

/** Told after updates are stored on this instance (figures, automatic versions); once per group commit. */
export type OnStored = (sectionId: string, doc: Y.Doc, authorId: string | null) => void;

export interface DocumentsOptions {
  /** Updates kept in the log before they are folded into the snapshot. */
  compactAfter: number;
  /**
   * Largest a section may grow, in bytes of its encoded Yjs state (what its snapshot holds once the log is
   * folded; `MAX_SECTION_BYTES`). A push that would take it past this is refused (`SECTION_TOO_LARGE`), unless it
   * only deletes. Unbounded when absent.
   */
  maxSectionBytes?: number;
}

/** Pushes stored in one transaction at most (a busy section costs one write per batch, not per keystroke). */
const MAX_BATCH = 256;

/**
 * Pushers and sessions a full read of the rights carries over to the next (embedded database, `#commit`) at most:
 * beyond, the set starts again from the batch's own, or it would grow with every session that ever pushed while the
 * document stayed open (one member signing in again and again), and every read with it.
 */
const MAX_CARRIED = 64;
/** A push whose dependencies never arrive is refused after this long (ms); the client sends its state again. */
export const HOLD_MS = 15_000;
/** A push held for missing dependencies makes the instance catch up with the database after this long (ms). */
const RECONCILE_HELD_AFTER_MS = 200;
/** Every instance says how many hints it published this often (ms), so a lost last hint is noticed too. */
const WATERMARK_MS = 1_000;

/**
 * A push batch's insert of `count` rows: $1 the section, then each update (bytea: a `Buffer`, which both drivers
 * send as bytes) and its author; the new IDs as text. Parameters, not JSON: half the embedded database's CPU.
 */
function insertUpdates(count: number): string {
  const rows = Array.from({ length: count }, (_, i) => `($1::uuid, $${2 * i + 2}::bytea, $${2 * i + 3}::uuid)`);
  // The transaction's ID too: on the embedded database, what the next batch expects to be the last one handed out.
  return `INSERT INTO "SectionUpdate" ("sectionId", "update", "authorId") VALUES ${rows.join(', ')} RETURNING id::text AS id, pg_current_xact_id()::text AS xid`;
}

/**
 * `insertUpdates` as a statement of its own that inserts only if no transaction ID was handed out since the one
 * expected (the last parameter, `pg_snapshot_xmax` of this statement's snapshot: the next ID to be handed out):
 * if anything was written since the batch's rights were read, it inserts nothing (no row back).
 */
function insertUpdatesIfUnchanged(count: number): string {
  const rows = Array.from({ length: count }, (_, i) => `($${2 * i + 2}::bytea, $${2 * i + 3}::uuid)`);
  return `INSERT INTO "SectionUpdate" ("sectionId", "update", "authorId")
    SELECT $1::uuid, v.update, v.author FROM (VALUES ${rows.join(', ')}) AS v(update, author)
    WHERE pg_snapshot_xmax(pg_current_snapshot()) = $${2 * count + 2}::text::xid8
    RETURNING id::text AS id, pg_current_xact_id()::text AS xid`;
}

/**
 * Validates a binary update on its own (no document): it must decode as a Yjs update and keep the body's
 * shape. Pushes are judged again against the section's document when stored (see `judgeUpdate`).
 */
export function checkUpdate(update: Uint8Array): void {
  judgeUpdate(new Y.Doc(), update, new PendingStructs());
}

type Db = PrismaClient | Prisma.TransactionClient;
/** A stored row: the snapshot (`id` null, `through` the last update it folded) or an update of the log. */
type StoredRow = { id: bigint | null; data: Uint8Array; through?: bigint };

/** `readStoredRows`' statement: $1 the section. */
const STORED_ROWS = `
    SELECT NULL::bigint AS id, state AS data, "throughUpdateId"::text AS through FROM "SectionSnapshot" WHERE "sectionId" = $1::uuid
    UNION ALL
    SELECT id, "update" AS data, NULL::text AS through FROM "SectionUpdate" WHERE "sectionId" = $1::uuid
    ORDER BY id NULLS FIRST`;

/** The highest update ID stored rows hold (an update's, or the last one the snapshot folded); 0 when none. */
function latestOf(rows: readonly StoredRow[]): bigint {
  let latest = 0n;
  for (const row of rows) {
    const id = row.id ?? row.through ?? 0n;
    if (id > latest) latest = id;
  }
  return latest;
}

/**
 * The section's snapshot and update log, read by ONE statement: a statement sees one snapshot of the database
 * (even under READ COMMITTED), so a compaction committing meanwhile cannot make it miss rows it folded.
 */
export async function readStoredRows(db: Db | Pick<Database['sql'], 'query'>, sectionId: string): Promise<StoredRow[]> {
  // Through Prisma, or in a push batch's raw transaction (`SectionDocuments.#commit`): the same statement.
  const rows =
    '$queryRawUnsafe' in db
      ? await db.$queryRawUnsafe<StoredRow[]>(STORED_ROWS, sectionId)
      : await db.query<StoredRow>(STORED_ROWS, [sectionId]);
  return rows.map((row) => ({
    id: row.id === null ? null : BigInt(row.id),
    data: new Uint8Array(row.data),
    ...(row.through == null ? {} : { through: BigInt(row.through) }),
  }));
}

/**
 * Co-editing updates waiting on this instance for sync subscribers that do not read (`sectionSync`): the bytes held
 * now (each subscriber holds at most `MAX_UPDATE_BYTES`), and how many times a subscriber's backlog was dropped for the
 * difference from the document instead (`/metrics`).
 */
export const syncBacklog = { bytes: 0, dropped: 0 };

/** Sections rewritten because their body nested deeper than `MAX_BODY_DEPTH` (`SectionDocuments.rewriteDeep`). */
export const deepSectionsRewritten = { count: 0 };

/** Stored updates that could not be applied at load (kept in the log, logged, counted here). */
export const setAsideCounter = { count: 0 };

/**
 * Builds a document from stored rows. Each row is judged before it is applied; rows whose dependencies come
 * later in the log (IDs are not in commit order on PostgreSQL) are retried until nothing progresses, then
 * applied as Yjs pending structs. A row that breaks the shape or throws is set aside: kept, logged, counted,
 * and never makes the section unreadable. Returns the document and the IDs of the rows it holds.
 */
export function buildDocument(
  sectionId: string,
  rows: readonly StoredRow[],
): { doc: Y.Doc; folded: bigint[]; setAside: bigint[]; snapshotSetAside: boolean } {
  const excluded = new Set<StoredRow>();
  for (;;) {
    const doc = new Y.Doc({ gc: true });
    doc.getXmlFragment(SECTION_FRAGMENT);
    const folded: bigint[] = [];
    const setAside: bigint[] = [];
    let torn: StoredRow | null = null;
    const aside = (row: StoredRow, reason: string) => {
      excluded.add(row);
      setAsideCounter.count += 1;
      logger.warn({ sectionId, updateId: row.id?.toString() ?? 'snapshot', reason }, 'Stored section update set aside');
    };
    let waiting = rows.filter((row) => !excluded.has(row));
    for (const row of rows) if (excluded.has(row) && row.id !== null) setAside.push(row.id);
    let progress = true;
    while (waiting.length > 0 && progress && !torn) {
      progress = false;
      const later: StoredRow[] = [];
      for (const row of waiting) {
        let verdict: 'valid' | 'missing';
        let applied: Uint8Array;
        try {
          // Rows stored before the depth bounds are read, not set aside: the body's readers flatten what is deeper.
          ({ verdict, update: applied } = judgePush(doc, row.data, new PendingStructs(), { bounded: false }));
        } catch (error) {
          aside(row, error instanceof Error ? error.message : String(error));
          if (row.id !== null) setAside.push(row.id);
          continue;
        }
        if (verdict === 'missing') {
          later.push(row);
          continue;
        }
        try {
          Y.applyUpdate(doc, applied);
        } catch (error) {
          // Judged valid but Yjs threw midway: this document may be torn, so start again without the row.
          aside(row, error instanceof Error ? error.message : String(error));
          torn = row;
          break;
        }
        if (row.id !== null) folded.push(row.id);
        progress = true;
      }
      waiting = later;
    }
    if (torn) {
      doc.destroy();
      continue;
    }
    // Still waiting for what they build on: Yjs keeps them pending (and in every state it encodes).
    for (const row of waiting) {
      Y.applyUpdate(doc, row.data);
      if (row.id !== null) folded.push(row.id);
    }
    const snapshot = rows.find((row) => row.id === null);
    return { doc, folded, setAside, snapshotSetAside: snapshot !== undefined && excluded.has(snapshot) };
  }
}

/** The section's full state as one update, read consistently (see `readStoredRows`); for history, export and submission. */
export async function storedStateIn(db: Db, sectionId: string): Promise<Uint8Array> {
  const { doc } = buildDocument(sectionId, await readStoredRows(db, sectionId));
  const state = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return state;
}

/** `storeSnapshot`'s write: $1 the section, $2 the state, $3 the last update ID folded (decimal). */
const UPSERT_SNAPSHOT = `INSERT INTO "SectionSnapshot" ("sectionId", "state", "throughUpdateId", "updatedAt")
  VALUES ($1::uuid, $2::bytea, $3::bigint, now())
  ON CONFLICT ("sectionId") DO UPDATE SET "state" = EXCLUDED."state", "throughUpdateId" = EXCLUDED."throughUpdateId",
    "updatedAt" = EXCLUDED."updatedAt"`;
/** `storeSnapshot`'s delete: $1 the section, $2 the IDs folded (decimal, comma-separated). */
const DELETE_FOLDED = `DELETE FROM "SectionUpdate" WHERE "sectionId" = $1::uuid AND id = ANY (string_to_array($2::text, ',')::bigint[])`;
/** The IDs (decimal) of a section's log rows ($1 the section). */
const LOG_IDS = `SELECT id::text AS id FROM "SectionUpdate" WHERE "sectionId" = $1::uuid`;
/** Locks the section's row, as a compaction does ($1 the section): two compactions never interleave. */
const LOCK_SECTION = `SELECT id FROM "TenderSection" WHERE id = $1::uuid FOR UPDATE`;

/**
 * Stores `doc` as the section's snapshot and deletes the log rows it folded (`folded`), in the caller's transaction
 * (which locks the section). Resolves with the snapshot's size in bytes. Raw SQL (a compaction runs every
 * `compactAfter` pushes of a busy section, between its pushes: issue 11).
 */
async function storeSnapshot(tx: Pick<SqlRunner, 'query'>, sectionId: string, doc: Y.Doc, folded: readonly bigint[]) {
  const state = Y.encodeStateAsUpdate(doc);
  // BigInt IDs: Math.max does not take them. Informative: which log rows the snapshot folded.
  let throughUpdateId = 0n;
  for (const id of folded) if (id > throughUpdateId) throughUpdateId = id;
  await tx.query(UPSERT_SNAPSHOT, [
    sectionId,
    Buffer.from(state.buffer, state.byteOffset, state.byteLength),
    throughUpdateId.toString(),
  ]);
  if (folded.length > 0) await tx.query(DELETE_FOLDED, [sectionId, folded.join(',')]);
  return state.byteLength;
}

function refusal(error: InvalidUpdateError): RuleViolationError {
  return new RuleViolationError('input.update', 'MALFORMED_UPDATE', error.message);
}

/**
 * The sections' Yjs documents on this instance. Every update is appended to the database log before it
 * is acknowledged; the in-memory documents are a cache (evicted when nobody is connected), and other
 * instances learn of updates through the pub/sub. Updates commute and repeat harmlessly, so the order in
 * which instances see them does not matter.
 *
 * Pushes of one section are group-committed: while a transaction stores a batch, new pushes queue, and the
 * next transaction takes them all. Each transaction share-locks the deal, then the response (the order
 * submitting takes them), re-reads what a push depends on (deal not submitted, section not done, its
 * restriction, the pusher's partnership) and judges every update against the document before inserting it,
 * so an update is acknowledged only once stored, and pushing and submitting are serialised. On the embedded
 * database, where transactions run one at a time, a batch written when nothing else has written since the previous
 * one read the rights is judged against that read and inserted by one statement that checks it still holds
 * (`#commitUnchanged`); anything written meanwhile sends it through the transaction.
 *
 * The pub/sub message is a hint: each carries its instance's sequence number, and each instance publishes
 * its latest number every second; an instance that sees a gap (a hint lost while Redis was away) reconciles
 * its open documents with the database by state vector.
 */
export class SectionDocuments {
  readonly instanceId = randomUUID();
  readonly #open = new Map<string, Promise<OpenDocument>>();
  /** The loaded documents of `#open`, for synchronous counts and eviction. */
  readonly #resolved = new Map<string, OpenDocument>();
  readonly #unsubscribe: Array<() => void> = [];
  #seq = 0;
  readonly #seen = new Map<string, number>();
  #watermark: NodeJS.Timeout | undefined;
  onStored: OnStored | null = null;
  /** Reconciliations run with the database, and those that brought something missed (for tests and metrics). */
  reconciliations = 0;
  caughtUp = 0;
  /** Batches that found, under the section's lock, a push stored by another instance not yet applied here. */
  behindAtCommit = 0;
  /** How long a push waits for what it builds on before it is refused (ms; `HOLD_MS`, tests shorten it). */
  holdMs = HOLD_MS;

  private readonly prisma: PrismaClient;
  /** The push batch's transaction runs here: raw SQL on Prisma's own connection or pool (see `#commit`). */
  private readonly sql: Database['sql'];
  /** Every transaction runs alone on the database (the embedded one): a push reads its rights unlocked, in one statement. */
  readonly #alone: boolean;

  constructor(
    db: Pick<Database, 'prisma' | 'sql' | 'kind'>,
    private readonly pubsub: PubSub<Topics>,
    private readonly options: DocumentsOptions,
  ) {
    this.prisma = db.prisma;
    this.sql = db.sql;
    this.#alone = db.kind === 'pglite';
  }

  start(): void {
    const hints = this.pubsub.subscribe('section:update')[Symbol.asyncIterator]();
    const marks = this.pubsub.subscribe('section:watermark')[Symbol.asyncIterator]();
    this.#unsubscribe.push(
      () => void hints.return?.(),
      () => void marks.return?.(),
    );
    void (async () => {
      for (let next = await hints.next(); !next.done; next = await hints.next()) {
        const { sectionId, update, origin, seq, logPosition, after, through } = next.value;
        if (origin === this.instanceId) continue;
        this.#sequence(origin, seq);
        const open = this.#open.get(sectionId);
        const position = logPosition === undefined ? null : BigInt(logPosition);
        const ids = after === undefined || through === undefined ? null : { after: BigInt(after), through: BigInt(through) };
        if (open)
          void open.then((document) => this.#remote(document, Buffer.from(update, 'base64'), position, ids)).catch(() => {});
      }
    })();
    void (async () => {
      for (let next = await marks.next(); !next.done; next = await marks.next())
        if (next.value.origin !== this.instanceId) this.#sequence(next.value.origin, next.value.seq, true);
    })();
    this.#watermark = setInterval(() => {
      this.pubsub.publish('section:watermark', { origin: this.instanceId, seq: this.#seq });
    }, WATERMARK_MS);
    this.#watermark.unref();
  }

  stop(): void {
    clearInterval(this.#watermark);
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    this.#open.clear();
    this.#resolved.clear();
  }

  get openCount(): number {
    return this.#open.size;
  }

  /** Whether the section's document is loaded on this instance (held by an editor, a reader, or a write). */
  isOpen(sectionId: string): boolean {
    return this.#open.has(sectionId);
  }

  /**
   * Notes another instance's sequence number, from a hint (`watermark` false) or its watermark; a gap means a
   * hint was lost: reconcile everything open. A hint numbered past the next one skipped some; a watermark past
   * the last hint seen names hints never received (they are published before it, on the same connection), the
   * last one included: a single lost hint is a gap too.
   */
  #sequence(origin: string, seq: number, watermark = false): void {
    const last = this.#seen.get(origin);
    this.#seen.set(origin, Math.max(seq, last ?? 0));
    if ((last === undefined && seq > 0) || (last !== undefined && seq > (watermark ? last : last + 1))) {
      if (last !== undefined || this.#resolved.size > 0) this.reconcileAll();
    }
  }

  /** Reconciles every open document with the database (after a lost hint). */
  reconcileAll(): void {
    for (const sectionId of this.#resolved.keys()) void this.reconcile(sectionId).catch(() => {});
  }

  /**
   * Brings the open document up to date with the database: what is stored and missing here (by state vector)
   * is applied and sent to its listeners. Costs a read of the section's log: only run when a hint was missed.
   */
  async reconcile(sectionId: string): Promise<void> {
    const document = this.#resolved.get(sectionId);
    if (!document) return;
    this.reconciliations += 1;
    await this.#catchUp(document, this.prisma);
  }

  /**
   * `reconcile` for an open document, reading through `db`: the storing transaction of a computed change passes
   * its own (it holds the section's lock), so the change is computed against everything stored, whatever hint
   * this instance has not received yet.
   */
  async #catchUp(document: OpenDocument, db: Db | Pick<Database['sql'], 'query'>): Promise<void> {
    const { sectionId } = document;
    const rows = await readStoredRows(db, sectionId);
    const { doc: stored } = buildDocument(sectionId, rows);
    const before = Y.encodeStateVector(document.doc);
    const missing = Y.encodeStateAsUpdate(stored, before);
    stored.destroy();
    this.#deliver(document, missing, null, null);
    const latest = latestOf(rows);
    if (latest > document.appliedThrough) document.appliedThrough = latest;
    // Held pushes are judged again only if the document advanced (else they would loop until their hold ends).
    if (!Buffer.from(Y.encodeStateVector(document.doc)).equals(Buffer.from(before))) {
      this.caughtUp += 1;
      logger.info({ sectionId }, 'Section caught up with the database (a hint was missed)');
      this.#retryHeld(document);
    }
  }

  /**
   * Applies another instance's update (already judged and stored there). `ids`: the section's latest stored ID
   * before it and its last one; it follows on what this document holds only if the first is not past
   * `appliedThrough` (else a push in between has not reached this instance: the next batch stored here catches up).
   */
  #remote(
    document: OpenDocument,
    update: Uint8Array,
    logPosition: bigint | null,
    ids: { after: bigint; through: bigint } | null = null,
  ): void {
    this.#deliver(document, update, null, logPosition);
    if (ids && ids.after <= document.appliedThrough && ids.through > document.appliedThrough)
      document.appliedThrough = ids.through;
    // It builds on something this instance never received: a hint was lost.
    if (document.doc.store.pendingStructs || document.doc.store.pendingDs)
      void this.reconcile(document.sectionId).catch(() => {});
    this.#retryHeld(document);
  }

  /** Applies an update known to be stored and sends it to the listeners; false when it failed to apply. */
  #deliver(document: OpenDocument, update: Uint8Array, connectionId: string | null, logPosition: bigint | null): boolean {
    try {
      Y.applyUpdate(document.doc, update);
    } catch (error) {
      logger.error({ err: error, sectionId: document.sectionId }, 'A stored update failed to apply: reloading the section');
      this.#forget(document);
      return false;
    }
    document.size += update.byteLength;
    document.measured = false;
    const message = { sectionId: document.sectionId, update, connectionId, logPosition };
    for (const listener of document.listeners) listener(message);
    return true;
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
        () => {
          if (this.#open.get(sectionId) === loading) this.#open.delete(sectionId);
        },
      );
    }
    return open;
  }

  async #load(sectionId: string): Promise<OpenDocument> {
    const section = await this.prisma.tenderSection.findUnique({
      where: { id: sectionId },
      select: { responseId: true, response: { select: { dealId: true } } },
    });
    if (!section) throw new NotFoundError('input.sectionId', 'TenderSection');
    // Registered as open before reading, so an update published meanwhile is applied too (twice is harmless).
    let rows = await readStoredRows(this.prisma, sectionId);
    const built = buildDocument(sectionId, rows);
    let doc = built.doc;
    // What this document holds of the log, on the embedded database, while it holds the snapshot too (`applied`).
    let applied = this.#alone && !built.snapshotSetAside ? new Set(built.folded) : null;
    let pending = rows.filter((row) => row.id !== null).length;
    if (nestsTooDeep(bodyOf(doc))) {
      applied = null;
      const rewritten = await this.rewriteDeep(sectionId).catch((error: unknown) => {
        // Readers flatten it still; the rewrite is tried again at the next load.
        logger.warn({ err: error, sectionId }, 'A section nested too deep could not be rewritten');
        return undefined;
      });
      if (rewritten) {
        doc.destroy();
        doc = rewritten;
        pending = 0;
      } else if (rewritten === null) {
        // Another instance rewrote it between this read and the rewrite's lock: what is stored now is its rewrite.
        const again = await readStoredRows(this.prisma, sectionId);
        doc.destroy();
        ({ doc } = buildDocument(sectionId, again));
        rows = again;
        pending = again.filter((row) => row.id !== null).length;
      }
    }
    return {
      sectionId,
      doc,
      listeners: new Set(),
      pending,
      queue: [],
      held: [],
      writing: false,
      borrowers: 0,
      reconciling: false,
      responseId: section.responseId,
      dealId: section.response.dealId,
      size: rows.reduce((sum, row) => sum + row.data.byteLength, 0),
      measured: false,
      appliedThrough: latestOf(rows),
      rights: null,
      applied,
    };
  }

  /**
   * Stores an update durably (group-committed with the section's other pushes), then applies and broadcasts
   * it. Resolves with its log ID once stored: that is the acknowledgement.
   *
   * @throws NotFoundError / ForbiddenError when the pusher may not see / change the section; RuleViolationError
   *   `SUBMITTED_READ_ONLY`, `SECTION_DONE`, or `MALFORMED_UPDATE` (undecodable, shape broken, or its
   *   dependencies still unknown after `HOLD_MS`). All checked in the storing transaction.
   */
  async push(sectionId: string, update: Uint8Array, pusher: Pusher): Promise<bigint> {
    const document = await this.document(sectionId);
    return new Promise<bigint>((resolve, reject) => {
      document.queue.push({ update, pusher, resolve, reject });
      this.#schedule(document);
    });
  }

  /**
   * Stores, on the server's own behalf, a change computed from the document when its turn comes (a restored
   * version: delete the body, write the version's): `change` runs inside the section's storing transaction, in a
   * batch of its own, against the document holding every update stored before it. Two restores computed from
   * the same read each deleted only the text they saw and both inserted theirs (48 → 96 → 192 words on
   * PostgreSQL). Rights were checked by the caller. Resolves with the change's log ID once stored. The calling
   * mutation's idempotency key, if any, is claimed in that transaction (a duplicate stores nothing).
   *
   * @throws what `push` throws (`SUBMITTED_READ_ONLY`, `SECTION_DONE`…), or what `change` throws.
   */
  applyComputed(sectionId: string, change: (doc: Y.Doc) => Uint8Array, authorId: string): Promise<bigint> {
    return this.document(sectionId).then(
      (document) =>
        new Promise<bigint>((resolve, reject) => {
          const pusher: Pusher = { actor: null, authorId, connectionId: null, sessionId: null };
          // The batch is written in whichever request's async context started the writer: keep this one's key.
          document.queue.push({ update: new Uint8Array(), compute: change, pusher, resolve, reject, claim: currentClaim() });
          this.#schedule(document);
        }),
    );
  }

  /**
   * Starts the section's writer, unless it runs or is due: at the end of this turn of the event loop (setImmediate),
   * not at once. On the embedded database a statement runs on this thread within the push's own microtasks, so a
   * writer started at once stored each push alone before the next socket's message was even read: batches of one,
   * every push paying the whole statement (issue 11, 20 editors). Started after the poll phase, it takes every push
   * read in that phase; when idle, a push waits only for the other messages already read with it.
   */
  #schedule(document: OpenDocument): void {
    if (document.writing) return;
    document.writing = true;
    setImmediate(() => void this.#write(document));
  }

  /** Group commit: one transaction per batch of queued pushes, until the queue is empty. */
  async #write(document: OpenDocument): Promise<void> {
    document.writing = true;
    try {
      while (document.queue.length > 0) {
        // A computed change goes alone: it is computed against the document with every earlier push applied.
        const computed = document.queue.findIndex((push) => push.compute !== undefined);
        const batch = document.queue.splice(0, computed === 0 ? 1 : computed > 0 ? Math.min(computed, MAX_BATCH) : MAX_BATCH);
        try {
          await this.#commit(document, batch);
        } catch (error) {
          for (const push of batch) push.reject(error);
        }
      }
    } finally {
      document.writing = false;
    }
    if (document.listeners.size === 0 && document.held.length === 0) this.#evict(document);
  }

  async #commit(document: OpenDocument, batch: Push[]): Promise<void> {
    if (this.#alone && document.rights && (await this.#commitUnchanged(document, batch, document.rights))) return;
    const asked = new Set(batch.flatMap((push) => (push.pusher.actor ? [push.pusher.actor.member.id] : [])));
    const askedSessions = new Set(batch.flatMap((push) => (push.pusher.sessionId ? [push.pusher.sessionId] : [])));
    // On the embedded database the pushers and sessions read before are read again with these, so the next batches
    // of the same editors find them all in `rights` (`#commitUnchanged`).
    const carried = document.rights;
    if (this.#alone && carried && carried.asked.size + carried.askedSessions.size <= MAX_CARRIED) {
      for (const id of carried.asked) asked.add(id);
      for (const id of carried.askedSessions) askedSessions.add(id);
    }
    const memberIds = [...asked];
    document.rights = null;
    // Raw SQL, not Prisma's interactive transaction: this runs once per batch of keystrokes, and Prisma's transaction
    // machinery (its query compiler, its per-statement request and result mapping) cost more CPU than the
    // statements themselves on the embedded database (issue 11). Same connection or pool as Prisma's, same locks.
    // Set inside the transaction's callback (TypeScript does not see the assignment through the closure).
    const read: { latestBefore: bigint | null } = { latestBefore: null };
    const { outcomes, ids, logPosition, loaded, xid } = await this.sql.transaction(async (tx) => {
      // Deal, then response (the order a submission locks them in, FOR UPDATE, so neither deadlocks), in one statement.
      const loaded = await lockSectionForPush(
        tx,
        document.sectionId,
        document.responseId,
        document.dealId,
        memberIds,
        [...askedSessions],
        this.#alone,
      );
      if (loaded && loaded.response.dealId !== document.dealId) {
        // The response was attached to a deal meanwhile: lock that one instead (rare), then judge again.
        document.dealId = loaded.response.dealId;
        return { outcomes: null, ids: [], logPosition: null, loaded: null, xid: null };
      }
      // A computed change (a restore deletes the whole body) must see every stored push, those of other
      // instances whose hint has not arrived (or was lost) included: caught up under the lock, before computing.
      if (loaded && batch.some((push) => push.compute)) await this.#catchUp(document, tx);
      // Another instance stored a push this document lacks (its hint still on its way, or lost): judged against
      // this document, a push valid here could break what the other one built (a list item emptied of its first
      // paragraph by two deletions, a struct ID stored twice with different content). Caught up under the lock.
      else if (loaded?.latestUpdateId != null && loaded.latestUpdateId > document.appliedThrough) {
        this.behindAtCommit += 1;
        await this.#catchUp(document, tx);
      }
      read.latestBefore = loaded?.latestUpdateId ?? null;
      const outcomes = this.#judgeBatch(document, batch, loaded);
      const stored = outcomes.filter((outcome) => outcome.verdict === 'store');
      const logPosition = loaded?.logPosition ?? null;
      if (stored.length === 0) return { outcomes, ids: [], logPosition, loaded, xid: null };
      // A computed change goes alone in its batch: a duplicate's claim failing rolls back only its own change.
      for (const { push } of stored) if (push.claim) await claimInSqlTransaction(tx, push.claim);
      // One statement for the batch.
      const rows = await tx.query<{ id: string; xid: string }>(insertUpdates(stored.length), [
        document.sectionId,
        ...stored.flatMap(({ push }) => [
          Buffer.from(push.update.buffer, push.update.byteOffset, push.update.byteLength),
          push.pusher.authorId,
        ]),
      ]);
      // IDs come from the sequence in the order the rows were inserted (the order of the VALUES list).
      const ids = rows.map((row) => BigInt(row.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return { outcomes, ids, logPosition, loaded, xid: rows[0] ? BigInt(rows[0].xid) : null };
    });
    if (!outcomes) {
      document.queue.unshift(...batch);
      return;
    }
    // What the transaction read stays true until another transaction writes: the next transaction ID to be handed
    // out is then ours + 1 (the read's own when this one wrote nothing).
    if (this.#alone && loaded?.xmax != null)
      document.rights = { context: loaded, asked, askedSessions, xmax: xid === null ? loaded.xmax : xid + 1n };
    this.#settle(document, outcomes, ids, logPosition, read.latestBefore);
  }

  /**
   * The embedded database's batch when nothing was written since the previous batch read the rights (`rights`):
   * judged against that read, and stored by one statement that inserts only if the next transaction ID to be
   * handed out is still the one expected (every transaction that writes takes one: a membership ended, a section
   * restricted or done, a deal submitted, the log grown, whatever the path, Prisma's or raw SQL's). Resolves false,
   * having stored nothing, when the batch needs the full transaction: a pusher not read yet, a computed change, a
   * push refused or held (its refusal is decided in the transaction, as always), or something written since.
   */
  async #commitUnchanged(document: OpenDocument, batch: Push[], rights: StoredRights): Promise<boolean> {
    const unread = (push: Push) =>
      (push.pusher.actor && !rights.asked.has(push.pusher.actor.member.id)) ||
      (push.pusher.sessionId && !rights.askedSessions.has(push.pusher.sessionId));
    if (batch.some((push) => push.compute || unread(push))) return false;
    const updates = batch.map((push) => push.update);
    const outcomes = this.#judgeBatch(document, batch, rights.context);
    const restore = () => {
      for (const [i, push] of batch.entries()) push.update = updates[i] as Uint8Array;
    };
    if (!outcomes.every((outcome) => outcome.verdict === 'store')) {
      restore();
      return false;
    }
    const rows = await this.sql.query<{ id: string; xid: string }>(insertUpdatesIfUnchanged(batch.length), [
      document.sectionId,
      ...batch.flatMap((push) => [
        Buffer.from(push.update.buffer, push.update.byteOffset, push.update.byteLength),
        push.pusher.authorId,
      ]),
      rights.xmax.toString(),
    ]);
    if (rows.length === 0) {
      // Written meanwhile: the full transaction reads the rights again and judges anew.
      restore();
      document.rights = null;
      return false;
    }
    rights.xmax = BigInt((rows[0] as { xid: string }).xid) + 1n;
    const ids = rows.map((row) => BigInt(row.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.#settle(document, outcomes, ids, rights.context.logPosition, null);
    return true;
  }

  /**
   * Judges each push of a batch against `loaded` (the rights as the storing statement sees them; null: the section
   * is gone) and the document: stored, held (something it builds on is not known yet) or refused. Stored pushes'
   * `update` becomes what is stored and relayed (`judgePush`).
   */
  #judgeBatch(document: OpenDocument, batch: Push[], loaded: PushContext | null): Outcome[] {
    const pending = new PendingStructs();
    let batchBytes = 0;
    return batch.map((push) => {
      const refused = loaded ? this.#refusal(push.pusher, loaded) : new NotFoundError('input.sectionId', 'TenderSection');
      if (refused) return { push, verdict: refused };
      // Before judging: a judged update is counted in `pending`, which later pushes of the batch may build on.
      if (this.#tooLarge(document, batchBytes, push.update))
        return { push, verdict: new RuleViolationError('input.update', 'SECTION_TOO_LARGE') };
      // Under the section's lock, after every earlier batch was applied to the document.
      if (push.compute) push.update = push.compute(document.doc);
      try {
        // What is stored and relayed is what Yjs applies: the push without clocks already held (`judgePush`).
        const judged = judgePush(document.doc, push.update, pending);
        const verdict = judged.verdict === 'valid' ? 'store' : 'hold';
        if (verdict === 'store') {
          push.update = judged.update;
          batchBytes += push.update.byteLength;
        }
        return { push, verdict };
      } catch (error) {
        if (error instanceof InvalidUpdateError) return { push, verdict: refusal(error) };
        throw error;
      }
    });
  }

  /** After a batch's statement committed: acknowledges and delivers what was stored, holds or refuses the rest. */
  #settle(
    document: OpenDocument,
    outcomes: Outcome[],
    ids: bigint[],
    logPosition: bigint | null,
    latestBefore: bigint | null,
  ): void {
    const stored: Uint8Array[] = [];
    let authorId: string | null = null;
    let index = 0;
    let newlyHeld = 0;
    for (const { push, verdict } of outcomes) {
      if (verdict === 'store') {
        // Held once applied (a failed apply forgets the whole document).
        if (this.#deliver(document, push.update, push.pusher.connectionId, logPosition))
          document.applied?.add(ids[index] as bigint);
        stored.push(push.update);
        authorId = push.pusher.authorId ?? authorId;
        push.resolve(ids[index] as bigint);
        index += 1;
      } else if (verdict === 'hold') {
        if (push.heldSince === undefined) {
          newlyHeld += 1;
          push.heldSince = Date.now();
        }
        // Judged again when the document advances; refused at the latest once the hold is over. A timer every
        // time it is held: a push re-queued and held again after its first timer fired would otherwise wait forever.
        setTimeout(() => this.#retryHeld(document), Math.max(1, push.heldSince + this.holdMs + 1 - Date.now())).unref();
        document.held.push(push);
      } else push.reject(verdict);
    }
    if (stored.length > 0) {
      const through = ids.at(-1) as bigint;
      if (through > document.appliedThrough) document.appliedThrough = through;
      this.#seq += 1;
      this.pubsub.publish('section:update', {
        sectionId: document.sectionId,
        update: Buffer.from(stored.length === 1 ? (stored[0] as Uint8Array) : Y.mergeUpdates(stored)).toString('base64'),
        origin: this.instanceId,
        seq: this.#seq,
        ...(logPosition === null ? {} : { logPosition: logPosition.toString() }),
        // The IDs the batch follows on and ends at: an instance holding `after` holds `through` once it applies this.
        ...(latestBefore === null ? {} : { after: latestBefore.toString(), through: through.toString() }),
      });
      document.pending += stored.length;
      this.onStored?.(document.sectionId, document.doc, authorId);
      if (document.pending >= this.options.compactAfter) {
        document.pending = 0;
        void this.compact(document.sectionId).catch((error: unknown) =>
          logger.warn({ err: error, sectionId: document.sectionId }, 'Section compaction failed'),
        );
      }
      this.#retryHeld(document);
    }
    // Maybe this instance missed what they build on: catch up with the database (which retries them if it helps),
    // shortly, once for all pushes held meanwhile (usually what they need is only a push still on its way).
    if (newlyHeld > 0 && !document.reconciling) {
      document.reconciling = true;
      setTimeout(() => {
        document.reconciling = false;
        if (document.held.length > 0) void this.reconcile(document.sectionId).catch(() => {});
      }, RECONCILE_HELD_AFTER_MS).unref();
    }
  }

  /**
   * Whether storing `update` (after `batchBytes` already accepted in its batch) would take the section past
   * `maxSectionBytes`. Cheap while the upper bound stays below the limit; past it the document is measured once
   * (encoded, as a compaction would) until something else is applied. Past the limit, deletions still pass
   * (they make the section smaller), so a full section can always be trimmed.
   */
  #tooLarge(document: OpenDocument, batchBytes: number, update: Uint8Array): boolean {
    const max = this.options.maxSectionBytes;
    if (max === undefined || document.size + batchBytes + update.byteLength <= max) return false;
    if (!document.measured) {
      document.size = Y.encodeStateAsUpdate(document.doc).byteLength;
      document.measured = true;
      if (document.size + batchBytes + update.byteLength <= max) return false;
    }
    try {
      return Y.decodeUpdate(update).structs.length > 0;
    } catch {
      return false; // undecodable: `judgeUpdate` refuses it as malformed
    }
  }

  /** Why the pusher may not store into the section now, judged on what the transaction read; null when they may. */
  #refusal(pusher: Pusher, loaded: PushContext): Error | null {
    // Signed out (here or on another instance) or expired since the socket read its session: nothing is stored.
    // The expiry is checked now: a later batch may be judged on an earlier read (`#commitUnchanged`).
    if (pusher.sessionId && !((loaded.liveSessions.get(pusher.sessionId) ?? 0) > Date.now())) return unauthenticatedError();
    // The pusher as the storing transaction read and locked them: their situation in the cooperative, and their
    // membership of the section's collective (the only one the rule reads), not as their request began.
    const standing = pusher.actor && loaded.pushers.get(pusher.actor.member.id);
    const actor = pusher.actor && {
      member: {
        ...pusher.actor.member,
        situation: standing?.situation ?? 'LEFT',
        kind: standing?.kind ?? pusher.actor.member.kind,
      },
      isSupportStaff: standing?.situation === 'ACTIVE' && standing.kind === 'SUPPORT_STAFF',
      insiderOf: new Set(standing?.insider ? [loaded.response.collectiveId] : []),
    };
    const access = actor
      ? sectionAccessOf(actor, loaded)
      : { rights: 'change', section: loaded.section, submitted: isSubmitted(loaded.response) };
    if (access.rights === 'none') return new NotFoundError('input.sectionId', 'TenderSection');
    if (access.rights !== 'change')
      return new ForbiddenError('Seuls les membres actifs du collectif et les partenaires de l’affaire modifient cette section.');
    if (access.submitted) return new RuleViolationError('input.sectionId', 'SUBMITTED_READ_ONLY');
    if (access.section.status === 'DONE') return new RuleViolationError('input.sectionId', 'SECTION_DONE');
    return null;
  }

  /** Held pushes go back to the queue after the document advanced; those held too long are refused. */
  #retryHeld(document: OpenDocument): void {
    if (document.held.length === 0) return;
    const now = Date.now();
    const held = document.held.splice(0);
    for (const push of held) {
      if (now - (push.heldSince ?? now) > this.holdMs)
        push.reject(
          refusal(new InvalidUpdateError('La modification s’appuie sur des changements que le serveur n’a jamais reçus.')),
        );
      else document.queue.push(push);
    }
    if (document.queue.length > 0 && !document.writing) void this.#write(document);
    else if (document.listeners.size === 0 && document.held.length === 0 && !document.writing) this.#evict(document);
  }

  /**
   * Lends the section's document to a reader (an export, the history, a content answer), loading it if needed.
   * Reference-counted: while any loan is out the document stays loaded; when the last one is released and
   * nobody listens and no push is queued or held, it is unloaded (everything in it is stored), as after the
   * last listener. Release once done with `doc` and everything read from it (a body fragment dies with it).
   *
   * @throws NotFoundError when the section does not exist.
   */
  async borrow(sectionId: string): Promise<Borrowed> {
    for (;;) {
      const document = await this.document(sectionId);
      // Unloaded between its load and this continuation (its last listener left): load it again.
      if (this.#resolved.get(sectionId) !== document) continue;
      document.borrowers += 1;
      let released = false;
      return {
        doc: document.doc,
        release: () => {
          if (released) return;
          released = true;
          document.borrowers -= 1;
          if (document.listeners.size === 0 && !document.writing && document.held.length === 0) this.#evict(document);
        },
      };
    }
  }

  /** Runs `read` on the section's document, borrowed for the while (see `borrow`); resolves with what it returns. */
  async read<T>(sectionId: string, read: (doc: Y.Doc) => T | Promise<T>): Promise<T> {
    const { doc, release } = await this.borrow(sectionId);
    try {
      return await read(doc);
    } finally {
      release();
    }
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
        if (document.listeners.size === 0 && !document.writing && document.held.length === 0) this.#evict(document);
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
   * A document nobody listens to, holds (`borrow`) or waits on is unloaded at once: everything in it is stored (an
   * update is acknowledged only once in the log), so the next listener or push reloads it from the database.
   */
  #evict(document: OpenDocument): void {
    if (document.listeners.size > 0 || document.queue.length > 0 || document.borrowers > 0) return;
    if (this.#resolved.get(document.sectionId) !== document) return;
    this.#forget(document);
  }

  #forget(document: OpenDocument): void {
    if (this.#resolved.get(document.sectionId) !== document) return;
    this.#open.delete(document.sectionId);
    this.#resolved.delete(document.sectionId);
    // Nothing of it was stored: the caller retries (UNAVAILABLE), as after any interrupted write.
    for (const push of [...document.queue.splice(0), ...document.held.splice(0)])
      push.reject(new UnavailableError('La section a été rechargée : renvoyez la modification.'));
    document.doc.destroy();
  }

  /**
   * Folds the section's update log into its snapshot. Runs in a transaction that locks the section row, so
   * two compactions do not interleave; it reads snapshot and log in one statement and deletes exactly the
   * rows it folded, so an update stored meanwhile (whatever its ID) stays in the log and is read on top of
   * the snapshot. Rows set aside stay in the log, kept for inspection.
   */
  async compact(sectionId: string): Promise<number> {
    const loaded = this.#resolved.get(sectionId);
    if (loaded?.applied) return this.#compactLoaded(loaded);
    // Raw SQL, not Prisma's interactive transaction: its five statements through Prisma cost more CPU than the
    // document's rebuild, on the event loop's thread between a busy section's pushes on the embedded database.
    return this.sql.transaction(async (tx) => {
      await tx.query(LOCK_SECTION, [sectionId]);
      const rows = await readStoredRows(tx, sectionId);
      if (!rows.some((row) => row.id !== null)) return 0;
      const { doc, folded } = buildDocument(sectionId, rows);
      try {
        if (folded.length === 0) return 0;
        await storeSnapshot(tx, sectionId, doc, folded);
        return folded.length;
      } finally {
        doc.destroy();
      }
    });
  }

  /**
   * `compact` on the embedded database for a loaded document that holds the snapshot and the rows of `applied`:
   * stores the document as it is and deletes those rows, in a transaction locking the section as `compact` does.
   * Rebuilding the document from the stored rows (decoding the snapshot, judging and applying each row again) took
   * ~100 ms of the event loop's thread for 200 keystrokes in a 30 KB section, every 200 pushes of a busy section
   * (issue 11, `process.cpuUsage`); encoding the loaded document takes a few. Safe because every row folded is one
   * this document applied (a row stored but not applied here, or applied after the read, stays in the log, and is
   * applied again on top of the snapshot at the next load: harmless), and the document holds nothing that is not
   * stored: only stored updates are applied to it, and the snapshot it was loaded from.
   */
  async #compactLoaded(document: OpenDocument): Promise<number> {
    const sectionId = document.sectionId;
    const folded = await this.sql.transaction(async (tx) => {
      await tx.query(LOCK_SECTION, [sectionId]);
      const rows = await tx.query<{ id: string }>(LOG_IDS, [sectionId]);
      // Read and stored with nothing in between on this thread: the document cannot change meanwhile.
      const applied = document.applied;
      if (!applied || this.#resolved.get(sectionId) !== document) return [];
      const folded = rows.map((row) => BigInt(row.id)).filter((id) => applied.has(id));
      if (folded.length === 0) return [];
      await storeSnapshot(tx, sectionId, document.doc, folded);
      return folded;
    });
    for (const id of folded) document.applied?.delete(id);
    return folded.length;
  }

  /**
   * Maintenance of a section whose body nests deeper than `MAX_BODY_DEPTH` (stored before pushes were bounded):
   * every reader flattens it, but Yjs deletes and collects nested content recursively, so deleting that part (a
   * restore, a co-author's edit) would overflow the stack. Its deep blocks are rewritten as they read
   * (`rewriteDeepBlocks`: the text kept, the part past the bound flattened into paragraphs), as a change on top of
   * the same document (editors holding it converge), and folded with the log into its snapshot, in a transaction
   * locking the section as a compaction does: what is stored then holds none of the old nesting. Logged and counted
   * (`deepSectionsRewritten`). Resolves with the rewritten document, or null when it is no longer too deep.
   */
  async rewriteDeep(sectionId: string): Promise<Y.Doc | null> {
    return this.sql
      .transaction(async (tx) => {
        await tx.query(LOCK_SECTION, [sectionId]);
        const rows = await readStoredRows(tx, sectionId);
        const { doc, folded } = buildDocument(sectionId, rows);
        const before = Y.encodeStateVector(doc);
        const blocks = rewriteDeepBlocks(doc);
        if (blocks === 0) {
          doc.destroy();
          return null;
        }
        const size = await storeSnapshot(tx, sectionId, doc, folded);
        deepSectionsRewritten.count += 1;
        logger.warn(
          { sectionId, blocks, bytes: size },
          'Section nested deeper than MAX_BODY_DEPTH rewritten with its deep part flattened (text kept)',
        );
        return { doc, change: Y.encodeStateAsUpdate(doc, before) };
      })
      .then((rewritten) => {
        if (!rewritten) return null;
        // Other instances holding the section apply the rewrite as a change (it is only in the snapshot, which
        // keeps `throughUpdateId`: nothing else would tell them; found by attack, 2026-11-30).
        this.#seq += 1;
        this.pubsub.publish('section:update', {
          sectionId,
          update: Buffer.from(rewritten.change).toString('base64'),
          origin: this.instanceId,
          seq: this.#seq,
        });
        return rewritten.doc;
      });
  }

  /**
   * Folds the update log of every loaded document that has updates since its last compaction into its
   * snapshot (graceful shutdown: the next start loads one snapshot instead of replaying the log). Every update
   * is already stored before it is acknowledged, so this saves work, never data. Resolves with the number of
   * sections compacted; one that fails stays in the log, as it was.
   */
  async flush(): Promise<number> {
    const due = [...this.#resolved.entries()].filter(([, document]) => document.pending > 0).map(([id]) => id);
    const results = await Promise.allSettled(due.map((sectionId) => this.compact(sectionId)));
    return results.filter((result) => result.status === 'fulfilled').length;
  }

  /** The section's full state as one update, from the database (for history, export and submission). */
  storedState(sectionId: string): Promise<Uint8Array> {
    return storedStateIn(this.prisma, sectionId);
  }
}
