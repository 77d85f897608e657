import * as Y from 'yjs';

type DeleteSet = Y.Transaction['deleteSet'];

/**
 * Local edits waiting for the next push, encoded from the document itself when taken. Merging the transactions'
 * own updates decoded and encoded each one again at every merge: the automerge-paper replay's client
 * (bench/trace.ts) spent more time merging (3.2 s) than typing (2.7 s), and the merged updates kept one struct
 * per keystroke (3.4 MB in 306 pushes). Here a transaction only records the clocks of the structs it created and
 * its delete set; `take` writes those structs as the document holds them now (consecutive keystrokes already
 * merged into one item: 0.4 MB for the same pushes) and the union of the delete sets, as `Y.mergeUpdates` of the
 * transactions' updates would (same structs, same deletions, same v1 format).
 *
 * The structs must still hold what they were created with: while something waits, the document does not
 * garbage-collect the content of an item it holds, nor of a deleted type (which would turn the items inside it,
 * waiting ones too, into GC structs), since a deletion that is not pushed (an editor's repair) must not reach
 * the server through them. The callers add every local transaction that creates structs (an editor's repair
 * creates none), so a client's waiting structs run without gap from its first waiting clock to its last.
 */
export class PendingUpdates {
  readonly #doc: Y.Doc;
  /** Per client, the clocks [from, to) of the structs the added transactions created. */
  readonly #clocks = new Map<number, { from: number; to: number }>();
  readonly #deleteSets: DeleteSet[] = [];
  /** Updates added as bytes (a handshake's), oldest first. */
  readonly #updates: Uint8Array[] = [];
  #count = 0;
  #marked = false;

  /** Waits for `doc`'s transactions (its garbage collection then keeps what they created: see the class). */
  constructor(doc: Y.Doc) {
    this.#doc = doc;
    const collect = doc.gcFilter;
    doc.gcFilter = (item) => !this.#keeps(item) && collect(item);
  }

  #keeps(item: Y.Item): boolean {
    if (this.#count === 0) return false;
    const from = this.#clocks.get(item.id.client)?.from;
    // Any part at or past the first waiting clock: Yjs merges a keystroke into the item of the text before it,
    // pushed already, so a waiting struct may start inside an item that begins before `from`.
    return (from !== undefined && item.id.clock + item.length > from) || item.content instanceof Y.ContentType;
  }

  /** How many updates (transactions and updates added as bytes) are waiting (0: nothing to push). */
  get count(): number {
    return this.#count;
  }

  /** Whether some update added with `mark` is waiting (a handshake's: see `SectionSync`). */
  get hasMarked(): boolean {
    return this.#marked;
  }

  /** Adds an update (Yjs v1 bytes); `mark` remembers it was a special one until it is taken. */
  add(update: Uint8Array, mark = false): void {
    if (mark) this.#marked = true;
    this.#updates.push(update);
    this.#count += 1;
  }

  /** Adds what a transaction of the document changed (the structs it created and its deletions). */
  addTransaction(transaction: Y.Transaction): void {
    let changed = transaction.deleteSet.clients.size > 0;
    if (changed) this.#deleteSets.push(transaction.deleteSet);
    for (const [client, after] of transaction.afterState) {
      const before = transaction.beforeState.get(client) ?? 0;
      if (after <= before) continue;
      changed = true;
      const clocks = this.#clocks.get(client);
      if (clocks) clocks.to = Math.max(clocks.to, after);
      else this.#clocks.set(client, { from: before, to: after });
    }
    if (changed) this.#count += 1;
  }

  /**
   * Everything waiting, as one update (null when nothing is), and whether a marked update is in it; the queue
   * is then empty.
   */
  take(): { update: Uint8Array; marked: boolean } | null {
    if (this.#count === 0) return null;
    const updates = this.#updates.splice(0);
    if (this.#clocks.size > 0 || this.#deleteSets.length > 0) updates.push(this.#encode());
    const marked = this.#marked;
    this.clear();
    return { update: updates.length === 1 ? (updates[0] as Uint8Array) : Y.mergeUpdates(updates), marked };
  }

  /** Forgets everything waiting (the document keeps it; a handshake hands it over). */
  clear(): void {
    this.#clocks.clear();
    this.#deleteSets.length = 0;
    this.#updates.length = 0;
    this.#count = 0;
    this.#marked = false;
  }

  /**
   * The waiting structs and deletions as a v1 update, written as Yjs writes `encodeStateAsUpdate` (clients in
   * decreasing order; every number a v1 varuint, which `writeLen` and `writeClient` write).
   */
  #encode(): Uint8Array {
    const encoder = new Y.UpdateEncoderV1();
    const clients = [...this.#clocks].sort((a, b) => b[0] - a[0]);
    encoder.writeLen(clients.length);
    for (const [client, { from, to }] of clients) {
      const structs = this.#doc.store.clients.get(client) ?? [];
      const first = Y.findIndexSS(structs, from);
      let end = first;
      while (end < structs.length && (structs[end] as Y.Item | Y.GC).id.clock < to) end += 1;
      encoder.writeLen(end - first);
      encoder.writeClient(client);
      encoder.writeLen(from);
      for (let index = first; index < end; index += 1) {
        const struct = structs[index] as Y.Item | Y.GC;
        struct.write(encoder, index === first ? from - struct.id.clock : 0);
      }
    }
    const deletions = Y.mergeDeleteSets(this.#deleteSets);
    const deleted = [...deletions.clients].sort((a, b) => b[0] - a[0]);
    encoder.writeLen(deleted.length);
    for (const [client, items] of deleted) {
      encoder.resetDsCurVal();
      encoder.writeClient(client);
      encoder.writeLen(items.length);
      for (const item of items) {
        encoder.writeDsClock(item.clock);
        encoder.writeDsLen(item.len);
      }
    }
    return encoder.toUint8Array();
  }
}
