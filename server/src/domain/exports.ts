import { GraphQLError } from 'graphql';
import { bodyOf, toBlocks } from '../collab/content.js';
import type { Borrowed } from '../collab/documents.js';
import { type ResponseCover, responseToDocx, responseToMarkdown } from '../collab/export.js';
import type { Context } from '../context.js';
import { callerKey } from '../limits/callers.js';
import { readableResponsesWhere, visibleSectionsWhere } from '../schema/tenders.js';

export type ExportFormat = 'MARKDOWN' | 'DOCX';

/** A file to download: its name as people read it (accents kept), its media type and bytes. */
export interface ExportedFile {
  filename: string;
  /** The same name in plain ASCII, for clients that cannot read RFC 5987's `filename*`. */
  asciiFilename: string;
  mimeType: string;
  content: Buffer;
}

const GROUP_FORMS: Record<string, string | null> = {
  NONE: null,
  JOINT: 'Groupement conjoint',
  JOINT_WITH_JOINTLY_LIABLE_LEAD: 'Groupement conjoint avec mandataire solidaire',
  SEVERAL: 'Groupement solidaire',
};

/** Characters no file system accepts in a name, and control characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
const UNSAFE = /[\u0000-\u001f\u007f/\\:*?"<>|]+/g;

/**
 * A file name people can read: the response's title with its accents and spaces (« Réponse à l’appel d’offres.docx »),
 * only what no file system accepts replaced, at most 120 characters; and its ASCII twin for old clients.
 */
export function fileNames(title: string, extension: string): { filename: string; asciiFilename: string } {
  const readable = title.replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim().slice(0, 120).trim() || 'Réponse';
  const ascii =
    readable
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[’‘]/g, "'")
      .replace(/[^\x20-\x7e]+/g, '-')
      .trim() || 'reponse';
  return { filename: `${readable}.${extension}`, asciiFilename: `${ascii}.${extension}` };
}

/**
 * An export past `EXPORT_MAX_BYTES`: `extensions.code` `BAD_USER_INPUT`, `extensions.limit` `exportBytes`,
 * `extensions.bytes` and `extensions.maxBytes` (the content measured, the limit), HTTP 413. Nothing was built.
 */
export function exportTooLarge(bytes: number, maxBytes: number): GraphQLError {
  return new GraphQLError(`Réponse trop volumineuse pour être exportée d’un coup (${bytes} octets, au plus ${maxBytes}).`, {
    extensions: { code: 'BAD_USER_INPUT', limit: 'exportBytes', bytes, maxBytes, http: { status: 413 } },
  });
}

/**
 * A tender response as a file, with what the viewer may see of it (restricted sections only for those allowed),
 * or null when the response does not exist for them. DOCX gets its cover: the tender, the lot, the group.
 *
 * Bounded (SECURITY.md): the content read for it (the visible sections' blocks, measured as JSON) may hold at most
 * `EXPORT_MAX_BYTES`, checked before the file is built; exports run `EXPORT_CONCURRENCY` at a time per instance,
 * with at most `EXPORT_QUEUE` waiting and `EXPORTS_PER_CALLER` in flight per caller (limits/work.ts).
 *
 * @throws GraphQLError `exportTooLarge` past the size limit; `RATE_LIMITED` past the queue or per-caller bound.
 */
export function exportTenderResponse(context: Context, responseId: string, format: ExportFormat): Promise<ExportedFile | null> {
  // The whole export in its slot: reading and measuring the sections costs as much as building the file.
  return context.work.exports.run(callerKey(context), () => buildExport(context, responseId, format));
}

async function buildExport(context: Context, responseId: string, format: ExportFormat): Promise<ExportedFile | null> {
  const response = await context.prisma.tenderResponse.findFirst({
    where: { AND: [{ id: responseId }, readableResponsesWhere(context)] },
    include: {
      sections: { where: visibleSectionsWhere(context), orderBy: { position: 'asc' } },
      collective: { select: { name: true } },
      opportunity: { select: { title: true, buyer: true, reference: true, submissionDeadline: true } },
      deal: {
        select: {
          groupForm: true,
          opportunity: { select: { title: true, buyer: true, reference: true, submissionDeadline: true } },
          lot: { select: { number: true, title: true } },
          partners: {
            where: { status: 'ACTIVE' },
            orderBy: { createdAt: 'asc' },
            select: {
              isLead: true,
              companyName: true,
              scopeOfWork: true,
              member: { select: { firstName: true, lastName: true } },
            },
          },
        },
      },
    },
  });
  if (!response) return null;
  // Each section's document is borrowed until the file is built (its body fragments are read while building), then
  // released: one no editor has open is unloaded again, as after its last listener (ATTACK.md 8).
  const loans = await Promise.allSettled(response.sections.map((section) => context.documents.borrow(section.id)));
  try {
    const sections = response.sections.map((section, index) => {
      const loan = loans[index] as PromiseSettledResult<Borrowed>;
      if (loan.status === 'rejected') throw loan.reason;
      return { position: section.position, title: section.title, body: bodyOf(loan.value.doc) };
    });
    // Measured on the block tree, not the Yjs fragments: their own JSON recurses once per level of the body.
    const bytes = sections.reduce(
      (sum, section) => sum + Buffer.byteLength(JSON.stringify({ ...section, body: toBlocks(section.body) })),
      0,
    );
    const maxBytes = context.config.limits.work.maxExportBytes;
    if (bytes > maxBytes) throw exportTooLarge(bytes, maxBytes);
    const opportunity = response.deal?.opportunity ?? response.opportunity;
    const cover: ResponseCover = {
      tender: opportunity?.title ?? null,
      buyer: opportunity?.buyer ?? null,
      reference: opportunity?.reference ?? null,
      lot: response.deal?.lot ? `Lot ${response.deal.lot.number} — ${response.deal.lot.title}` : null,
      deadline: opportunity?.submissionDeadline ?? null,
      collective: response.collective.name,
      groupForm: response.deal ? (GROUP_FORMS[response.deal.groupForm] ?? null) : null,
      partners: (response.deal?.partners ?? []).map((partner) => ({
        name: partner.member ? `${partner.member.firstName} ${partner.member.lastName}` : (partner.companyName ?? ''),
        isLead: partner.isLead,
        scopeOfWork: partner.scopeOfWork,
      })),
    };
    if (format === 'MARKDOWN') {
      return {
        ...fileNames(response.title, 'md'),
        mimeType: 'text/markdown; charset=utf-8',
        content: Buffer.from(responseToMarkdown({ title: response.title, sections })),
      };
    }
    return {
      ...fileNames(response.title, 'docx'),
      mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      content: await responseToDocx({ title: response.title, sections, cover }),
    };
  } finally {
    for (const loan of loans) if (loan.status === 'fulfilled') loan.value.release();
  }
}
