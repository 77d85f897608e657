import { createHash } from 'node:crypto';
import * as Y from 'yjs';
import type { Prisma } from '../generated/prisma/client.js';
import { bodyOf, toMarkdown } from './content.js';
import { storedStateIn } from './documents.js';

type Tx = Prisma.TransactionClient;

/** A throwaway document holding `state`. */
export function docOf(state: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  return doc;
}

/**
 * Freezes a response when its deal is submitted: records every section's Markdown with its SHA-256, in
 * position order, and the time. Runs in the submitting transaction, so the record and the status agree.
 */
export async function recordSubmission(tx: Tx, dealId: string, submittedAt: Date, recordedById: string): Promise<void> {
  const response = await tx.tenderResponse.findUnique({
    where: { dealId },
    include: { sections: { orderBy: { position: 'asc' } } },
  });
  if (!response) return;
  const sections = await Promise.all(
    response.sections.map(async (section) => {
      const content = toMarkdown(bodyOf(docOf(await storedStateIn(tx, section.id))));
      return {
        sectionId: section.id,
        position: section.position,
        title: section.title,
        content,
        sha256: createHash('sha256').update(content).digest('hex'),
      };
    }),
  );
  await tx.submissionRecord.create({
    data: { responseId: response.id, dealId, submittedAt, recordedById, sections: { create: sections } },
  });
  await tx.tenderResponse.update({ where: { id: response.id }, data: { submittedAt } });
}
