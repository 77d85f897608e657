import * as Y from 'yjs';
import { z } from 'zod';
import { builder } from '../builder.js';
import { bodyOf, contentHash, textFigures, toBlocks, toMarkdown, writeBlocks } from '../collab/content.js';
import { docOf } from '../collab/records.js';
import { keepVersion } from '../collab/versions.js';
import type { Context } from '../context.js';
import { type ExportedFile as ExportedFileShape, exportTenderResponse } from '../domain/exports.js';
import * as tenders from '../domain/tenders.js';
import { ForbiddenError, NotFoundError, RuleViolationError } from '../errors.js';
import { recordEvent } from '../events/record.js';
import { MUTATION_ERRORS } from './errors.js';
import { idOf } from './ids.js';
import { MemberRef } from './members.js';
import { relatedKeysetConnection } from './pagination.js';
import { actorOf, visibleSectionsWhere } from './tenders.js';

/** The section if the viewer may change its body now; the typed error otherwise. */
async function editableSection(context: Context, sectionId: string, field: string) {
  const access = await tenders.sectionBodyAccess(context.prisma, actorOf(context), sectionId);
  if (!access || access.rights === 'none') throw new NotFoundError(field, 'TenderSection');
  if (access.rights !== 'change')
    throw new ForbiddenError('Seuls les membres actifs du collectif et les partenaires de l’affaire modifient cette section.');
  if (access.submitted) throw new RuleViolationError(field, 'SUBMITTED_READ_ONLY');
  return access.section;
}

// ───────────────────────────── Content and figures ─────────────────────────────

interface Content {
  markdown: string;
  words: number;
  characters: number;
  hash: string;
}

const SectionContent = builder.objectRef<Content>('SectionContent').implement({
  description: 'A section’s text as it stands, computed by the server from its document.',
  fields: (t) => ({
    markdown: t.exposeString('markdown', { description: 'The text as Markdown.' }),
    words: t.exposeInt('words', { description: 'Number of words.' }),
    characters: t.exposeInt('characters', { description: 'Number of characters (spaces included, line breaks not).' }),
    contentHash: t.exposeString('hash', { description: 'SHA-256 of the Markdown: what an approval is tied to.' }),
  }),
});

async function contentOf(context: Context, sectionId: string): Promise<Content> {
  return context.documents.read(sectionId, (doc) => {
    const body = bodyOf(doc);
    const { words, characters } = textFigures(body);
    return { markdown: toMarkdown(body), words, characters, hash: contentHash(body) };
  });
}

builder.prismaObjectFields('TenderSection', (t) => ({
  content: t.field({
    type: SectionContent,
    description: 'The section’s text, figures and content hash.',
    resolve: (section, _args, context) => contentOf(context, section.id),
  }),
}));

// ───────────────────────────── Versions ─────────────────────────────

export const SectionVersionRef = builder.prismaNode('SectionVersion', {
  description: 'A saved state of a section’s body: named by someone, or kept automatically every few minutes of writing.',
  id: { field: 'id' },
  // Select mode: a version's state (up to MAX_SECTION_BYTES) is read only for the field that needs it
  // (`markdown`), never for a list of names; include mode would load every column of every row.
  select: { id: true },
  nullable: true,
  authScopes: { member: true },
  findUnique: (id, context) => ({ id, section: visibleSectionsWhere(context) }),
  fields: (t) => ({
    name: t.exposeString('name', { nullable: true, description: 'Its name, for a named version.' }),
    automatic: t.exposeBoolean('automatic', { description: 'Kept automatically rather than named.' }),
    contentHash: t.exposeString('contentHash', { description: 'SHA-256 of its Markdown.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was saved.' }),
    author: t.field({
      type: MemberRef,
      nullable: true,
      description: 'Who saved it (or whose writing it captured).',
      select: { authorId: true },
      resolve: (version, _args, context) =>
        version.authorId ? context.prisma.member.findUnique({ where: { id: version.authorId } }) : null,
    }),
    markdown: t.string({
      description: 'Its text as Markdown.',
      // Decodes a whole saved state: counted by the heavy-field limit (limits/query.ts).
      extensions: { heavy: 1 },
      select: { state: true },
      resolve: (version) => toMarkdown(bodyOf(docOf(version.state))),
    }),
    section: t.relation('section', { description: 'The section.' }),
  }),
});

builder.prismaObjectField('TenderSection', 'versions', (t) =>
  relatedKeysetConnection(t, 'versions', {
    description: 'Saved versions, newest first.',
    orderBy: () => [{ createdAt: 'desc' }, { id: 'asc' }],
  }),
);

builder.mutationField('saveSectionVersion', (t) =>
  t.prismaField({
    type: 'SectionVersion',
    description: 'Saves the section’s current body as a named version.',
    extensions: { heavy: 2 },
    errors: { types: MUTATION_ERRORS },
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('SaveSectionVersionInput', {
          description: 'The section and the version’s name.',
          fields: (f) => ({
            sectionId: f.globalID({ required: true, description: 'The section.' }),
            name: f.string({ required: true, description: 'Name of the version.', validate: z.string().trim().min(1).max(120) }),
          }),
        }),
      }),
    },
    resolve: async (query, _root, { input }, context) => {
      const sectionId = idOf(input.sectionId, 'TenderSection', 'input.sectionId');
      await editableSection(context, sectionId, 'input.sectionId');
      const { state, hash } = await context.documents.read(sectionId, (doc) => ({
        state: new Uint8Array(Y.encodeStateAsUpdate(doc)),
        hash: contentHash(bodyOf(doc)),
      }));
      // Within the section's history bounds (TOO_MANY_VERSIONS past them; collab/versions.ts).
      const id = await keepVersion(context.prisma, context.config.limits.work, {
        sectionId,
        name: input.name.trim(),
        state,
        contentHash: hash,
        authorId: actorOf(context).member.id,
      });
      return context.prisma.sectionVersion.findUniqueOrThrow({ ...query, where: { id: id as string } });
    },
  }),
);

builder.mutationField('restoreSectionVersion', (t) =>
  t.prismaField({
    type: 'TenderSection',
    description:
      'Brings a section back to a version, as a new change on top of the current text (nothing is rewritten): every editor converges to it, and the history keeps both.',
    extensions: { heavy: 2 },
    errors: { types: MUTATION_ERRORS },
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('RestoreSectionVersionInput', {
          description: 'The version to restore.',
          fields: (f) => ({ versionId: f.globalID({ required: true, description: 'The version.' }) }),
        }),
      }),
    },
    resolve: async (query, _root, { input }, context) => {
      const versionId = idOf(input.versionId, 'SectionVersion', 'input.versionId');
      const version = await context.prisma.sectionVersion.findFirst({
        where: { id: versionId, section: visibleSectionsWhere(context) },
        select: { id: true, sectionId: true, name: true, state: true },
      });
      if (!version) throw new NotFoundError('input.versionId', 'SectionVersion');
      const section = await editableSection(context, version.sectionId, 'input.versionId');
      if (section.status === 'DONE') throw new RuleViolationError('input.versionId', 'SECTION_DONE');
      const actor = actorOf(context).member;
      const target = toBlocks(bodyOf(docOf(version.state)));
      // Computed in the section's storing transaction, after every earlier push: concurrent restores each leave V.
      await context.documents.applyComputed(
        section.id,
        (current) => {
          const draft = docOf(Y.encodeStateAsUpdate(current));
          draft.transact(() => {
            const body = bodyOf(draft);
            body.delete(0, body.length);
            writeBlocks(body, target);
          });
          return Y.encodeStateAsUpdate(draft, Y.encodeStateVector(current));
        },
        actor.id,
      );
      const { collectiveId } = await context.prisma.tenderResponse.findUniqueOrThrow({ where: { id: section.responseId } });
      await context.prisma.$transaction((tx) =>
        recordEvent(tx, {
          type: 'tenderSection.versionRestored',
          subject: { typename: 'TenderSection', id: section.id },
          collectiveId,
          actorId: actor.id,
          payload: { responseId: section.responseId, versionId: version.id, name: version.name },
        }),
      );
      return context.prisma.tenderSection.findUniqueOrThrow({ ...query, where: { id: section.id } });
    },
  }),
);

// ───────────────────────────── Approval ─────────────────────────────

interface ApprovalState {
  reviewerId: string;
  approvedAt: Date;
  contentHash: string;
  currentHash: string;
}

const SectionApprovalState = builder.objectRef<ApprovalState>('SectionApprovalState').implement({
  description: 'The reviewer’s latest approval, tied to the content it approved.',
  fields: (t) => ({
    reviewer: t.field({
      type: MemberRef,
      nullable: true,
      description: 'Who approved.',
      resolve: (approval, _args, context) => context.prisma.member.findUnique({ where: { id: approval.reviewerId } }),
    }),
    approvedAt: t.expose('approvedAt', { type: 'DateTime', description: 'When.' }),
    contentHash: t.exposeString('contentHash', { description: 'SHA-256 of the Markdown approved.' }),
    isStale: t.boolean({
      description: 'True when the text changed after the approval.',
      resolve: (approval) => approval.contentHash !== approval.currentHash,
    }),
  }),
});

builder.prismaObjectFields('TenderSection', (t) => ({
  approval: t.field({
    type: SectionApprovalState,
    nullable: true,
    description: 'The latest approval, if any; stale once the text changed.',
    resolve: async (section, _args, context) => {
      const approval = await context.prisma.sectionApproval.findFirst({
        where: { sectionId: section.id },
        orderBy: { approvedAt: 'desc' },
      });
      if (!approval) return null;
      return { ...approval, currentHash: (await contentOf(context, section.id)).hash };
    },
  }),
}));

builder.mutationField('approveSection', (t) =>
  t.prismaField({
    type: 'TenderSection',
    description: 'The section’s reviewer approves its current text; the approval goes stale if the text changes afterwards.',
    errors: { types: MUTATION_ERRORS },
    args: {
      input: t.arg({
        required: true,
        type: builder.inputType('ApproveSectionInput', {
          description: 'The section approved.',
          fields: (f) => ({ sectionId: f.globalID({ required: true, description: 'The section.' }) }),
        }),
      }),
    },
    resolve: async (query, _root, { input }, context) => {
      const sectionId = idOf(input.sectionId, 'TenderSection', 'input.sectionId');
      const section = await editableSection(context, sectionId, 'input.sectionId');
      const reviewer = actorOf(context).member;
      if (section.reviewerId !== reviewer.id) throw new ForbiddenError('Seul le relecteur de la section l’approuve.');
      const { hash } = await contentOf(context, sectionId);
      await context.prisma.$transaction(async (tx) => {
        await tx.sectionApproval.create({ data: { sectionId, reviewerId: reviewer.id, contentHash: hash } });
        const response = await tx.tenderResponse.findUniqueOrThrow({ where: { id: section.responseId } });
        await recordEvent(tx, {
          type: 'tenderSection.approved',
          subject: { typename: 'TenderSection', id: sectionId },
          collectiveId: response.collectiveId,
          actorId: reviewer.id,
          payload: { responseId: response.id, reviewerId: reviewer.id, contentHash: hash, assigneeId: section.assigneeId },
        });
      });
      return context.prisma.tenderSection.findUniqueOrThrow({ ...query, where: { id: sectionId } });
    },
  }),
);

// ───────────────────────────── Submission records and export ─────────────────────────────

const SubmittedSection = builder
  .objectRef<{ position: number; title: string; content: string; sha256: string }>('SubmittedSection')
  .implement({
    description: 'One section as it was submitted.',
    fields: (t) => ({
      position: t.exposeInt('position', { description: 'Its place in the response.' }),
      title: t.exposeString('title', { description: 'Its title.' }),
      content: t.exposeString('content', { description: 'Its text as Markdown, as submitted.' }),
      sha256: t.exposeString('sha256', { description: 'SHA-256 of that text.' }),
    }),
  });

builder.prismaObjectField('TenderResponse', 'submissions', (t) =>
  t.relation('submissions', {
    description: 'The immutable records made when the deal was submitted, newest first.',
    query: { orderBy: { submittedAt: 'desc' } },
  }),
);

builder.prismaObject('SubmissionRecord', {
  description:
    'The response as submitted: every section’s text with its hash, and the time. Never changed. Shows the sections you may open: a restricted one only to its owner partner’s member, the lead’s and the support staff.',
  authScopes: { member: true },
  fields: (t) => ({
    submittedAt: t.expose('submittedAt', { type: 'DateTime', description: 'When the deal was marked submitted.' }),
    sections: t.field({
      type: [SubmittedSection],
      description:
        'The sections you may open, in order (a restricted section you may not open is left out; positions keep their gaps).',
      select: { responseId: true, sections: { orderBy: { position: 'asc' } } },
      resolve: async (record, _args, context) => {
        // The record keeps every section's text; who reads which is the section's rule (its restriction is
        // frozen with the submission), read for the viewer as `TenderSection` does.
        const visible = await context.prisma.tenderSection.findMany({
          where: { responseId: record.responseId, AND: [visibleSectionsWhere(context)] },
          select: { id: true },
        });
        const ids = new Set(visible.map((section) => section.id));
        return record.sections.filter((section) => ids.has(section.sectionId));
      },
    }),
  }),
});

const ExportFormat = builder.enumType('ExportFormat', {
  description: 'A file format for exporting a response.',
  values: { MARKDOWN: { description: 'Markdown text.' }, DOCX: { description: 'A Word document.' } },
});

const ExportedFile = builder.objectRef<ExportedFileShape>('ExportedFile').implement({
  description: 'A file to download.',
  fields: (t) => ({
    filename: t.exposeString('filename', {
      description:
        'Suggested file name, as people read it (accents kept). Over HTTP, `GET /exports/tender-response` sends it as RFC 5987 `filename*`.',
    }),
    mimeType: t.exposeString('mimeType', { description: 'Media type.' }),
    base64: t.string({ description: 'The file, base64.', resolve: (file) => file.content.toString('base64') }),
  }),
});

builder.queryField('exportTenderResponse', (t) =>
  t.field({
    type: ExportedFile,
    nullable: true,
    description:
      'The whole response in section order, as Markdown or DOCX (a cover page with the tender, its lot and the group; a table of contents; numbered sections; page numbers); null if you may not see it.',
    extensions: { heavy: 2 },
    args: {
      responseId: t.arg.globalID({ required: true, description: 'The tender response.' }),
      format: t.arg({ type: ExportFormat, required: true, description: 'The format.' }),
    },
    resolve: async (_root, args, context) => {
      if (args.responseId.typename !== 'TenderResponse') return null;
      return exportTenderResponse(context, args.responseId.id, args.format);
    },
  }),
);
