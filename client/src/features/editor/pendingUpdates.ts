import * as Y from 'yjs';

/** How many merged runs of one size are merged together (see `PendingUpdates`). */
const FAN_IN = 16;

/**
 * Local Yjs updates waiting for the next push, merged as they come so that taking them costs about what they
 * weigh. `Y.mergeUpdates` of n updates sorts its n readers again at every struct it writes, O(n² log n): merging
 * the ~1,600 one-keystroke updates typed while one push was in flight took 130 ms (26 s of the 68 s the client of
 * the automerge-paper replay spent, bench/trace.ts). Here runs of merged updates are kept like the digits of a
 * counter in base `FAN_IN`: when `FAN_IN` runs of one size are waiting they are merged into one, so each merge
 * sorts at most `FAN_IN` readers and each update is decoded and encoded again only log_FAN_IN(n) times (pairwise
 * merging, log2(n) times, still spent 14 s there).
 */
export class PendingUpdates {
  /** Merged runs, oldest first; their sizes (in updates) never increase, fewer than `FAN_IN` of each. */
  readonly #runs: Array<{ update: Uint8Array; count: number }> = [];
  #marked = false;

  /** How many updates are waiting (0: nothing to push). */
  get count(): number {
    let count = 0;
    for (const run of this.#runs) count += run.count;
    return count;
  }

  /** Whether some update added with `mark` is waiting (a handshake's: see `SectionSync`). */
  get hasMarked(): boolean {
    return this.#marked;
  }

  /** Adds an update (a Yjs v1 update); `mark` remembers it was a special one until it is taken. */
  add(update: Uint8Array, mark = false): void {
    if (mark) this.#marked = true;
    this.#runs.push({ update, count: 1 });
    for (;;) {
      const last = this.#runs.length - FAN_IN;
      const count = this.#runs.at(-1)?.count;
      if (last < 0 || this.#runs[last]?.count !== count) return;
      const merged = this.#runs.splice(last).map((run) => run.update);
      this.#runs.push({ update: Y.mergeUpdates(merged), count: (count as number) * FAN_IN });
    }
  }

  /**
   * Everything waiting, as one update (null when nothing is), and whether a marked update is in it; the queue
   * is then empty.
   */
  take(): { update: Uint8Array; marked: boolean } | null {
    if (this.#runs.length === 0) return null;
    const updates = this.#runs.splice(0).map((run) => run.update);
    const marked = this.#marked;
    this.#marked = false;
    return { update: updates.length === 1 ? (updates[0] as Uint8Array) : Y.mergeUpdates(updates), marked };
  }

  /** Forgets everything waiting (the document keeps it; a handshake hands it over). */
  clear(): void {
    this.#runs.length = 0;
    this.#marked = false;
  }
}
