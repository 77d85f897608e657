import * as Y from 'yjs';
import { type Block, bodyOf, textFigures, writeBlocks } from '../collab/content.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { demoId } from './support.js';

const p = (text: string, marks?: { bold?: true; italic?: true }): Block => ({
  type: 'paragraph',
  content: [{ type: 'text', text, ...(marks ? { marks } : {}) }],
});
const h = (level: 1 | 2, text: string): Block => ({ type: 'heading', level, content: [{ type: 'text', text }] });
const list = (...items: string[]): Block => ({ type: 'bulletList', items: items.map((text) => ({ content: [p(text)] })) });

/** The demo response's section bodies, by section number (see demo.ts). */
const BODIES: Record<number, Block[]> = {
  1: [
    h(1, 'Candidature du groupement'),
    p('Le groupement conjoint est constitué de Camille Martin (mandataire), Thomas Girard et Sémaphore Accessibilité SARL.'),
    p('Le mandataire est habilité à signer l’acte d’engagement au nom des membres du groupement.'),
  ],
  2: [
    h(1, 'Compréhension des besoins'),
    // One sentence, its second half in bold (two paragraphs before: the sentence cut in two on screen).
    {
      type: 'paragraph',
      content: [
        { type: 'text', text: 'La Métropole souhaite des contenus ' },
        { type: 'text', text: 'clairs, accessibles et conformes au RGAA', marks: { bold: true } },
        { type: 'text', text: ', produits au rythme de ses campagnes.' },
      ],
    },
    h(2, 'Méthodologie'),
    list(
      'Ateliers de cadrage avec les directions concernées',
      'Charte éditoriale partagée',
      'Relecture croisée et tests d’accessibilité',
    ),
    p('Chaque livrable est relu par un second membre du groupement avant remise.', { italic: true }),
  ],
  3: [
    h(1, 'Prix unitaires'),
    list('Article web : 380 € HT', 'Fiche pratique : 240 € HT', 'Audit d’accessibilité d’une page : 150 € HT'),
  ],
  5: [h(1, 'Références'), p('Refonte éditoriale du site d’une communauté de communes (2025) ; guide FALC pour un CCAS (2026).')],
};

/**
 * Gives the demo tender response's sections a body (a Yjs snapshot, as the editor stores it) and the
 * figures computed from it. Sections that already have a body are left alone, so seeding stays idempotent.
 */
export async function seedSectionBodies(prisma: PrismaClient): Promise<void> {
  for (const [number, blocks] of Object.entries(BODIES)) {
    const sectionId = demoId(`tender-section:ao-metropole:${number}`);
    const section = await prisma.tenderSection.findUnique({ where: { id: sectionId }, select: { id: true } });
    if (!section) continue;
    const existing = await prisma.sectionSnapshot.count({ where: { sectionId } });
    const updates = await prisma.sectionUpdate.count({ where: { sectionId } });
    if (existing > 0 || updates > 0) continue;
    const doc = new Y.Doc();
    // A fixed client ID keeps the demo body identical from one seed to the next.
    doc.clientID = 1;
    writeBlocks(bodyOf(doc), blocks);
    const { words, characters } = textFigures(bodyOf(doc));
    await prisma.$transaction([
      prisma.sectionSnapshot.create({
        data: { sectionId, state: new Uint8Array(Y.encodeStateAsUpdate(doc)), throughUpdateId: 0n },
      }),
      prisma.tenderSection.update({ where: { id: sectionId }, data: { wordCount: words, characterCount: characters } }),
    ]);
  }
}
