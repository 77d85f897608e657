import * as Y from 'yjs';
import type { EventBus } from '../events/bus.js';
import { recordEvent } from '../events/record.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { bodyOf, contentHash, textFigures } from './content.js';

/** Figures are recomputed once typing pauses this long, not on every keystroke. */
const SETTLE_MS = 400;
/** An automatic version is kept at most this often while a section is being written. */
export const AUTOMATIC_VERSION_EVERY_MS = 5 * 60_000;

/**
 * What follows a section's edits: its word and character counts (pushed through the live updates, with
 * the over-limit flag) and its automatic versions. Debounced per section.
 */
export class SectionActivity {
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly events: EventBus,
  ) {}

  /** Called after an update to `sectionId` is stored on this instance. */
  touched(sectionId: string, doc: Y.Doc, authorId: string): void {
    clearTimeout(this.#timers.get(sectionId));
    const timer = setTimeout(() => {
      this.#timers.delete(sectionId);
      void this.settle(sectionId, doc, authorId).catch(() => {});
    }, SETTLE_MS);
    timer.unref();
    this.#timers.set(sectionId, timer);
  }

  stop(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  /** Recomputes the figures now (and keeps an automatic version if one is due). */
  async settle(sectionId: string, doc: Y.Doc, authorId: string | null): Promise<void> {
    const body = bodyOf(doc);
    const { words, characters } = textFigures(body);
    const changed = await this.prisma.$transaction(async (tx) => {
      const section = await tx.tenderSection.findUnique({
        where: { id: sectionId },
        include: { response: { select: { collectiveId: true } } },
      });
      if (!section || (section.wordCount === words && section.characterCount === characters)) return false;
      await tx.tenderSection.update({ where: { id: sectionId }, data: { wordCount: words, characterCount: characters } });
      const overLimit =
        (section.wordLimit !== null && words > section.wordLimit) ||
        (section.characterLimit !== null && characters > section.characterLimit);
      await recordEvent(tx, {
        type: 'tenderSection.figuresChanged',
        subject: { typename: 'TenderSection', id: sectionId },
        collectiveId: section.response.collectiveId,
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
    const last = await this.prisma.sectionVersion.findFirst({ where: { sectionId }, orderBy: { createdAt: 'desc' } });
    if (last && Date.now() - last.createdAt.getTime() < AUTOMATIC_VERSION_EVERY_MS) return;
    const hash = contentHash(bodyOf(doc));
    if (last?.contentHash === hash) return;
    await this.prisma.sectionVersion.create({
      data: { sectionId, automatic: true, state: new Uint8Array(Y.encodeStateAsUpdate(doc)), contentHash: hash, authorId },
    });
  }
}
