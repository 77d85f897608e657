import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { PendingUpdates } from '../../client/src/features/editor/pendingUpdates.js';

interface Typing {
  doc: Y.Doc;
  node: Y.XmlText;
  pending: PendingUpdates;
}

/**
 * A document with one paragraph whose transactions are all added to `pending` as the web editor's are, except
 * those of origin `repair` (the editor's repairs, never pushed).
 */
function editor(): Typing {
  const doc = new Y.Doc();
  const pending = new PendingUpdates(doc);
  doc.on('update', (_update: Uint8Array, origin: unknown, _doc: Y.Doc, transaction: Y.Transaction) => {
    if (origin !== 'repair') pending.addTransaction(transaction);
  });
  doc.getXmlFragment('body').insert(0, [new Y.XmlElement('paragraph')]);
  const paragraph = doc.getXmlFragment('body').get(0) as Y.XmlElement;
  const node = new Y.XmlText();
  paragraph.insert(0, [node]);
  return { doc, node, pending };
}

/** Types `count` one-character transactions (and a deletion every tenth). */
function type(node: Y.XmlText, count: number): void {
  for (let i = 0; i < count; i += 1) {
    node.insert(node.length, String.fromCharCode(97 + (i % 26)));
    if (i % 10 === 9) node.delete(i % node.length, 1);
  }
}

function textOf(doc: Y.Doc, index = 0): string {
  return ((doc.getXmlFragment('body').get(index) as Y.XmlElement).get(0) as Y.XmlText).toString();
}

describe('The web editor’s pending updates (PendingUpdates)', () => {
  it('should hand over, in one update, exactly what the added transactions did, however many', () => {
    const { doc, node, pending } = editor();
    type(node, 300);
    expect(pending.count).toBe(302 + 30);
    const first = pending.take();
    expect(pending.count).toBe(0);
    type(node, 700);
    node.delete(0, 5);
    const second = pending.take();
    expect(pending.take()).toBeNull();

    const copy = new Y.Doc();
    Y.applyUpdate(copy, first?.update as Uint8Array);
    Y.applyUpdate(copy, second?.update as Uint8Array);
    expect(textOf(copy)).toBe(textOf(doc));
    expect(Y.encodeStateVector(copy)).toEqual(Y.encodeStateVector(doc));
    expect(copy.store.pendingStructs).toBeNull();
    // Typed in order, the keystrokes are the document's few merged items, not one struct each (before: 700).
    expect(Y.decodeUpdate(second?.update as Uint8Array).structs.length).toBeLessThan(150);
  });

  it('should say whether a marked update (a handshake’s) is in what it hands over, and forget all on clear', () => {
    const { doc, node, pending } = editor();
    const copy = new Y.Doc();
    Y.applyUpdate(copy, pending.take()?.update as Uint8Array);
    type(node, 5);
    pending.clear();
    // A handshake: everything the copy lacks, marked, then more typing.
    pending.add(Y.encodeStateAsUpdate(doc, Y.encodeStateVector(copy)), true);
    type(node, 10);
    expect(pending.hasMarked).toBe(true);
    const taken = pending.take();
    expect(taken?.marked).toBe(true);
    Y.applyUpdate(copy, taken?.update as Uint8Array);
    expect(textOf(copy)).toBe(textOf(doc));
    type(node, 3);
    expect(pending.take()?.marked).toBe(false);
    pending.add(new Uint8Array([0, 0]), true);
    type(node, 3);
    pending.clear();
    expect(pending.count).toBe(0);
    expect(pending.hasMarked).toBe(false);
    expect(pending.take()).toBeNull();
  });

  it('should hand over waiting text as typed, also once a deletion it does not hold (a repair) removed it', () => {
    const { doc, node, pending } = editor();
    const copy = new Y.Doc();
    Y.applyUpdate(copy, pending.take()?.update as Uint8Array);
    // A stored second paragraph; then text typed in both, and a repair deleting the typed text and that paragraph.
    const second = new Y.XmlElement('paragraph');
    const secondText = new Y.XmlText();
    doc.getXmlFragment('body').insert(1, [second]);
    second.insert(0, [secondText]);
    Y.applyUpdate(copy, pending.take()?.update as Uint8Array);
    node.insert(0, 'kept ');
    secondText.insert(0, 'inside');
    doc.transact(() => {
      node.delete(0, 5);
      doc.getXmlFragment('body').delete(1, 1);
    }, 'repair');
    expect(textOf(doc)).toBe('');
    Y.applyUpdate(copy, pending.take()?.update as Uint8Array);
    // The copy (the server) has the text and the paragraph: the repair was not handed over.
    expect(textOf(copy)).toBe('kept ');
    expect(textOf(copy, 1)).toBe('inside');
    // Nothing waits any more: the document collects deleted content again.
    node.insert(0, 'x');
    node.delete(0, 1);
    expect(pending.count).toBe(2);
    Y.applyUpdate(copy, pending.take()?.update as Uint8Array);
    expect(textOf(copy)).toBe('kept ');
  });

  it('should hand over text typed at the end of pushed text (one item for Yjs) when a repair deletes its paragraph', () => {
    // Attack of 59b8bc9: Yjs merges a keystroke into the item of the text before it, pushed already (its clock is
    // below the first waiting one): the document collected it once a repair deleted its paragraph, and the push said
    // the typed text was deleted, with no deletion of its own.
    const { doc, node, pending } = editor();
    const copy = new Y.Doc();
    node.insert(0, 'prix : 12');
    Y.applyUpdate(copy, pending.take()?.update as Uint8Array);
    node.insert(node.length, '0 EUR');
    doc.transact(() => doc.getXmlFragment('body').delete(0, 1), 'repair');
    Y.applyUpdate(copy, pending.take()?.update as Uint8Array);
    expect(textOf(copy)).toBe('prix : 120 EUR');
  });
});
