import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { PendingUpdates } from '../../client/src/features/editor/pendingUpdates.js';

/** A document typing `count` one-character transactions (and a deletion every tenth), each update in `updates`. */
function typed(count: number): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  doc.getXmlFragment('body').insert(0, [new Y.XmlElement('paragraph')]);
  const paragraph = doc.getXmlFragment('body').get(0) as Y.XmlElement;
  const node = new Y.XmlText();
  paragraph.insert(0, [node]);
  for (let i = 0; i < count; i += 1) {
    node.insert(node.length, String.fromCharCode(97 + (i % 26)));
    if (i % 10 === 9) node.delete(i % node.length, 1);
  }
  return { doc, updates };
}

function textOf(doc: Y.Doc): string {
  return ((doc.getXmlFragment('body').get(0) as Y.XmlElement).get(0) as Y.XmlText).toString();
}

describe('The web editor’s pending updates (PendingUpdates)', () => {
  it('should hand over, in one update, exactly what was added, however many updates', () => {
    const { doc, updates } = typed(1_000);
    const pending = new PendingUpdates();
    // The first ones are taken (as by a push), the rest wait for the next.
    for (const update of updates.slice(0, 300)) pending.add(update);
    expect(pending.count).toBe(300);
    const first = pending.take();
    expect(pending.count).toBe(0);
    for (const update of updates.slice(300)) pending.add(update);
    const second = pending.take();
    expect(pending.take()).toBeNull();

    const copy = new Y.Doc();
    Y.applyUpdate(copy, first?.update as Uint8Array);
    Y.applyUpdate(copy, second?.update as Uint8Array);
    expect(textOf(copy)).toBe(textOf(doc));
    expect(Y.encodeStateVector(copy)).toEqual(Y.encodeStateVector(doc));
    expect(copy.store.pendingStructs).toBeNull();
  });

  it('should say whether a marked update (a handshake’s) is in what it hands over, and forget all on clear', () => {
    const { updates } = typed(20);
    const pending = new PendingUpdates();
    pending.add(updates[0] as Uint8Array, true);
    for (const update of updates.slice(1, 10)) pending.add(update);
    expect(pending.hasMarked).toBe(true);
    expect(pending.take()?.marked).toBe(true);
    for (const update of updates.slice(10)) pending.add(update);
    expect(pending.take()?.marked).toBe(false);
    pending.add(updates[1] as Uint8Array, true);
    pending.clear();
    expect(pending.count).toBe(0);
    expect(pending.hasMarked).toBe(false);
    expect(pending.take()).toBeNull();
  });
});
