import * as Y from 'yjs';
import type { SqlRunner } from '../db/database.js';
import type { EventBus } from '../events/bus.js';
import { recordEventInSql } from '../events/record.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { bodyOf, contentHash, textFigures } from './content.js';
import { keepVersion, type VersionLimits } from './versions.js';

/**
 * Figures are recomputed at most this often while a section is written (throttled, not debounced: they never
 * stay stale for longer than this while someone types). Counting reads the whole body, so never per push.
 */
const FIGURES_EVERY_MS = 500;
/** An automatic version is kept at most this often while a section is being written. */
export const AUTOMATIC_VERSION_EVERY_MS = 5 * 60_000;

/**
 * A recount's write: $1 the section, $2 its words, $3 its characters. Updates the figures only when they differ, and
 * returns what the event needs (no row: unchanged, or the section is gone).
 */
const RECOUNT = `UPDATE "TenderSection" AS s SET "wordCount" = $2::int, "characterCount" = $3::int, "updatedAt" = now()
  FROM "TenderResponse" AS r
  WHERE s.id = $1::uuid AND r.id = s."responseId" AND (s."wordCount" <> $2::int OR s."characterCount" <> $3::int)
  RETURNING s."responseId", s."wordLimit", s."characterLimit", r."collectiveId"`;

/** A row of `RECOUNT`. */
interface RecountedSection {
  responseId: string;
  wordLimit: number | null;
  characterLimit: number | null;
  collectiveId: string;
}

/**
 * What follows a section's edits: its word and character counts (pushed through the live updates, with
 * the over-limit flag) and its automatic versions. Throttled per section: the first change schedules a
 * recount `FIGURES_EVERY_MS` later, which reads the document as it is then; changes meanwhile ride along.
 */
export class SectionActivity {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** The latest document and author per section with a recount scheduled. */
  readonly #latest = new Map<string, { doc: Y.Doc; authorId: string | null }>();
  /** Recounts running, so two never overlap for one section. */
  readonly #running = new Map<string, Promise<void>>();
  /** When the latest version of each section was kept, as last read (ms since epoch). */
  readonly #versionAt = new Map<string, number>();

  constructor(
    private readonly prisma: PrismaClient,
    /** Raw SQL on the same database: the recount's transaction (`settle`). */
    private readonly sql: Pick<SqlRunner, 'transaction'>,
    private readonly events: EventBus,
    private readonly versionLimits: VersionLimits,
  ) {}

  /** Called after updates to `sectionId` are stored on this instance. */
  touched(sectionId: string, doc: Y.Doc, authorId: string | null): void {
    this.#latest.set(sectionId, { doc, authorId });
    if (this.#timers.has(sectionId)) return;
    const timer = setTimeout(() => {
      this.#timers.delete(sectionId);
      const latest = this.#latest.get(sectionId);
      this.#latest.delete(sectionId);
      if (!latest) return;
      const previous = this.#running.get(sectionId) ?? Promise.resolve();
      const run = previous
        .then(() => this.settle(sectionId, latest.doc, latest.authorId))
        .catch(() => {})
        .finally(() => {
          if (this.#running.get(sectionId) === run) this.#running.delete(sectionId);
        });
      this.#running.set(sectionId, run);
    }, FIGURES_EVERY_MS);
    timer.unref();
    this.#timers.set(sectionId, timer);
  }

  stop(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#latest.clear();
  }

  /**
   * Recounts, now, every section whose recount is scheduled (graceful shutdown: its figures and automatic
   * version would otherwise be lost with the timer), after any recount already running. Resolves with how
   * many were recounted; one that fails is counted out, not thrown.
   */
  async flush(): Promise<number> {
    const waiting = [...this.#latest.entries()];
    this.stop();
    const settled = await Promise.allSettled(
      waiting.map(async ([sectionId, { doc, authorId }]) => {
        await this.#running.get(sectionId)?.catch(() => {});
        await this.settle(sectionId, doc, authorId);
      }),
    );
    await Promise.allSettled([...this.#running.values()]);
    return settled.filter((result) => result.status === 'fulfilled').length;
  }

  /** Recomputes the figures now (and keeps an automatic version if one is due). */
  async settle(sectionId: string, doc: Y.Doc, authorId: string | null): Promise<void> {
    const body = bodyOf(doc);
    const { words, characters } = textFigures(body);
    // Raw SQL, not Prisma's interactive transaction: this runs every `FIGURES_EVERY_MS` while a section is written, on
    // the embedded database on the event loop's thread, between the pushes; Prisma's took 7.2 ms of CPU per recount
    // there against 0.7 ms for the same writes in raw SQL (issue 11, `process.cpuUsage` over 100 runs). The figures
    // are written only when they changed, and the event recorded in the same transaction.
    const changed = await this.sql.transaction(async (tx) => {
      const [section] = await tx.query<RecountedSection>(RECOUNT, [sectionId, words, characters]);
      if (!section) return false;
      const overLimit =
        (section.wordLimit !== null && words > section.wordLimit) ||
        (section.characterLimit !== null && characters > section.characterLimit);
      await recordEventInSql(tx, {
        type: 'tenderSection.figuresChanged',
        subject: { typename: 'TenderSection', id: sectionId },
        collectiveId: section.collectiveId,
        actorId: authorId,
        payload: {
          responseId: section.responseId,
          wordCount: words,
          characterCount: characters,
          wordLimit: section.wordLimit,
          characterLimit: section.characterLimit,
          isOverLimit: overLimit,
        },
      });
      return true;
    });
    if (changed) this.events.announce();
    await this.#automaticVersion(sectionId, doc, authorId);
  }

  async #automaticVersion(sectionId: string, doc: Y.Doc, authorId: string | null): Promise<void> {
    // Known recent enough on this instance: no query at every recount.
    if (Date.now() - (this.#versionAt.get(sectionId) ?? 0) < AUTOMATIC_VERSION_EVERY_MS) return;
    const last = await this.prisma.sectionVersion.findFirst({
      where: { sectionId },
      orderBy: { createdAt: 'desc' },
      select: { createdAt: true, contentHash: true },
    });
    if (last) this.#versionAt.set(sectionId, last.createdAt.getTime());
    if (last && Date.now() - last.createdAt.getTime() < AUTOMATIC_VERSION_EVERY_MS) return;
    const hash = contentHash(bodyOf(doc));
    if (last?.contentHash === hash) return;
    // Within the section's history bounds: the oldest automatic versions give way (collab/versions.ts).
    await keepVersion(this.prisma, this.versionLimits, {
      sectionId,
      name: null,
      state: new Uint8Array(Y.encodeStateAsUpdate(doc)),
      contentHash: hash,
      authorId,
    });
    this.#versionAt.set(sectionId, Date.now());
  }
}
