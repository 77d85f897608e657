import * as Y from 'yjs';
import { MAX_BODY_DEPTH, SECTION_FRAGMENT } from './content.js';
import {
  BODY_NODE_TYPES,
  childAllowed,
  formatAllowed,
  markNameOf,
  marksAllowedIn,
  nodeAttributeAllowed,
  orderKept,
  orderMatters,
} from './editorSchema.js';

// Judging a Yjs update against a section's document without touching it: cost grows with the update (each
// reference is one lookup in the document's struct store), never with the document. Yjs itself would apply
// almost anything that decodes, and a map, a stray string or a `<script>` node in the body would then break
// the editor or the export for good, so the shape is checked here, before the update is stored.

/** Node types a body may hold: see `BODY_NODES` (editorSchema.ts), the editor's schema shared with the client. */
export { BODY_NODE_TYPES } from './editorSchema.js';

/**
 * Deepest nesting of an attribute's value (a link mark's `{ href }` is 1; a heading's `level` 0). The editor's
 * attributes are flat; Yjs decodes and encodes such values recursively, and so would whoever reads them.
 */
export const MAX_ATTRIBUTE_DEPTH = 8;

/** Whether `value` nests arrays and objects deeper than `max` levels; iterative, so any depth is safe to ask about. */
function nestsDeeper(value: unknown, max: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let next = stack.pop(); next; next = stack.pop()) {
    if (typeof next.value !== 'object' || next.value === null || next.value instanceof Uint8Array) continue;
    if (next.depth + 1 > max) return true;
    for (const child of Object.values(next.value)) stack.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}

/** Why an update is refused: it does not decode, or would change something other than the body's rich text. */
export class InvalidUpdateError extends Error {}

/** What a judged update is: applicable now, or waiting for updates it builds on (held, not judged). */
export type Verdict = 'valid' | 'missing';

type Struct = Y.Item | Y.GC | Y.Skip;
/**
 * Where an item lives: the body, an element of the schema, a text node (in an element named `within`, `doc` for
 * the body), or discarded (Yjs turns it into GC).
 */
type Place = { kind: 'body' } | { kind: 'element'; nodeName: string } | { kind: 'text'; within: string } | { kind: 'discarded' };
interface Resolved {
  place: Place;
  parentSub: string | null;
  /** Nesting level of the item: 1 for a child of the body, its parent's level + 1 below (0 when discarded). */
  depth: number;
}

const BODY: Place = { kind: 'body' };
const DISCARDED: Place = { kind: 'discarded' };

/** A struct known here, and the first clock it stands for (a later duplicate covers only what is new). */
interface Entry {
  from: number;
  struct: Struct;
}

/**
 * Structs of updates not in the document yet (the one judged, and those accepted before it in a batch), by
 * client. Each client's entries are sorted by clock and never overlap, so a lookup is a binary search (as Yjs's
 * own `findIndexSS`): judging an update costs O(n log n) in its structs, not O(n²) (9,000 pasted paragraphs).
 * A struct repeating clocks already known covers only the clocks after them: Yjs keeps the first struct it
 * integrated for a clock and skips later copies.
 */
export class PendingStructs {
  readonly #byClient = new Map<number, Entry[]>();
  /** The updates judged valid, in order (what `scratch` applies after the document). */
  readonly #updates: Uint8Array[] = [];
  /** A copy of the document with the first `#applied` of `#updates` applied; built when first needed. */
  #scratch: Y.Doc | null = null;
  #applied = 0;

  /** Whether no update of the batch was accepted yet (the document alone is what an update is judged against). */
  get alone(): boolean {
    return this.#updates.length === 0;
  }

  /** Whether the scratch copy holds an update not judged yet (the one `scratchWith` last applied). */
  #judging = false;

  /**
   * Records `update` as accepted (judged valid): a scratch copy includes it, already if `scratchWith` applied it.
   * Called after `add` by `judgeUpdate`.
   */
  accept(update: Uint8Array): void {
    this.#updates.push(update);
    if (this.#judging) this.#applied = this.#updates.length;
    this.#judging = false;
  }

  /**
   * A copy of `doc` with every accepted update of the batch applied, then `update`: what the document will be
   * once `update` is stored. Built once per batch (O(document)), then each later call applies only what is new.
   * Then `accept(update)`, or `discard()` if it is refused. Only for updates touching a node whose order matters.
   */
  scratchWith(doc: Y.Doc, update: Uint8Array): Y.Doc {
    if (!this.#scratch) {
      this.#scratch = new Y.Doc({ gc: false });
      Y.applyUpdate(this.#scratch, Y.encodeStateAsUpdate(doc));
      this.#applied = 0;
    }
    for (; this.#applied < this.#updates.length; this.#applied += 1)
      Y.applyUpdate(this.#scratch, this.#updates[this.#applied] as Uint8Array);
    Y.applyUpdate(this.#scratch, update);
    this.#judging = true;
    return this.#scratch;
  }

  /** The update `scratchWith` last applied is refused: the copy is dropped (rebuilt when next needed). */
  discard(): void {
    this.#scratch?.destroy();
    this.#scratch = null;
    this.#judging = false;
  }

  add(structs: readonly Struct[]): void {
    for (const struct of structs) {
      if (struct instanceof Y.Skip) continue;
      const { client, clock } = struct.id;
      const list = this.#byClient.get(client);
      if (!list) {
        this.#byClient.set(client, [{ from: clock, struct }]);
        continue;
      }
      const end = this.end(client);
      if (clock >= end) list.push({ from: clock, struct });
      else if (clock + struct.length > end) list.push({ from: end, struct });
      // else: every clock of it is known already (a duplicate).
    }
  }

  /** The next clock of `client` known here (0 when none). */
  end(client: number): number {
    const last = this.#byClient.get(client)?.at(-1);
    return last ? last.struct.id.clock + last.struct.length : 0;
  }

  /** The struct holding clock `id.clock` of `id.client`, if known here. O(log n). */
  find(id: Y.ID): Struct | undefined {
    const list = this.#byClient.get(id.client);
    if (!list) return undefined;
    let low = 0;
    let high = list.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const entry = list[middle] as Entry;
      if (id.clock < entry.from) high = middle - 1;
      else if (id.clock >= entry.struct.id.clock + entry.struct.length) low = middle + 1;
      else return entry.struct;
    }
    return undefined;
  }
}

function placeOfType(type: Y.AbstractType<unknown>): Place {
  // A root type: only the body is ours (another root never gets anything, see `resolve`).
  if (type._item === null) return Y.findRootTypeKey(type) === SECTION_FRAGMENT ? BODY : DISCARDED;
  if (type instanceof Y.XmlElement) return { kind: 'element', nodeName: type.nodeName };
  if (type instanceof Y.XmlText) return { kind: 'text', within: nameOf(type._item.parent) };
  throw new InvalidUpdateError('Le corps contient autre chose que du texte riche.');
}

/** The node type a parent of the document stands for: `doc` for the body (or another root). */
function nameOf(parent: unknown): string {
  return parent instanceof Y.XmlElement ? parent.nodeName : 'doc';
}

/**
 * The place children of `struct` get when it is their parent; `container` is where `struct` itself lives
 * (needed for a text node's element), or null when `struct` is in the document.
 */
function placeInside(struct: Struct, container: Place | null): Place {
  if (struct instanceof Y.GC) return DISCARDED;
  if (struct instanceof Y.Item && struct.content instanceof Y.ContentType) {
    const type = struct.content.type;
    if (type instanceof Y.XmlElement) return { kind: 'element', nodeName: type.nodeName };
    if (type instanceof Y.XmlText) {
      if (container === null) return { kind: 'text', within: nameOf(struct.parent) };
      return { kind: 'text', within: container.kind === 'element' ? container.nodeName : 'doc' };
    }
  }
  throw new InvalidUpdateError('La modification désigne un parent qui n’est ni un élément ni un texte.');
}

/** Checks what an item holds against where it goes. */
function checkContent(item: Y.Item, { place, parentSub, depth }: Resolved, bounded: boolean): void {
  if (place.kind === 'discarded') return;
  const content = item.content;
  if (content instanceof Y.ContentDeleted) return;
  if (parentSub !== null) {
    // Attributes of elements (a heading's level) and of text; the body itself is not a map.
    if (place.kind !== 'body' && content instanceof Y.ContentAny) {
      if (bounded && content.arr.some((value) => nestsDeeper(value, MAX_ATTRIBUTE_DEPTH)))
        throw new InvalidUpdateError(`La valeur d’un attribut s’imbrique sur ${MAX_ATTRIBUTE_DEPTH} niveaux au plus.`);
      // The editor renders only its schema's attributes, of their shapes (a heading's level 1 to 6).
      if (
        bounded &&
        place.kind === 'element' &&
        !content.arr.every((value) => nodeAttributeAllowed(place.nodeName, parentSub, value))
      )
        throw new InvalidUpdateError(
          `L’éditeur ne connaît pas l’attribut « ${parentSub} » de cette valeur sur « ${place.nodeName} ».`,
        );
      return;
    }
    throw new InvalidUpdateError('Une modification ne pose pas de clés sur le corps.');
  }
  if (place.kind === 'text') {
    if (content instanceof Y.ContentString) return;
    if (content instanceof Y.ContentFormat) {
      if (bounded && nestsDeeper(content.value, MAX_ATTRIBUTE_DEPTH))
        throw new InvalidUpdateError(`La valeur d’une mise en forme s’imbrique sur ${MAX_ATTRIBUTE_DEPTH} niveaux au plus.`);
      if (bounded && content.value !== null && !marksAllowedIn(place.within))
        throw new InvalidUpdateError(`L’éditeur ne garde aucune mise en forme dans « ${place.within} » (texte seul).`);
      // A mark the editor does not know makes y-tiptap delete the whole text node for everyone; a link goes to
      // the web or an e-mail address (a `javascript:` one would run in the browser of whoever follows it).
      if (bounded && !formatAllowed(content.key, content.value))
        throw new InvalidUpdateError(
          content.key === 'link'
            ? 'Un lien mène à une adresse http, https ou mailto.'
            : markNameOf(content.key) !== content.key
              ? `L’éditeur n’écrit pas la mise en forme « ${content.key} » : « ${markNameOf(content.key)} » ne se superpose pas à lui-même.`
              : `L’éditeur ne connaît pas la mise en forme « ${content.key} » de cette valeur (gras, italique, souligné, barré, code, lien).`,
        );
      return;
    }
    throw new InvalidUpdateError('Un texte ne contient que des caractères et leur mise en forme.');
  }
  if (content instanceof Y.ContentType) {
    const type = content.type;
    // Every reader of the body (content, exports, the editor) walks it level by level: the schema's lists and
    // quotes never need this many, and a deeper tree would only exhaust someone's stack.
    if (bounded && type instanceof Y.XmlElement && depth > MAX_BODY_DEPTH)
      throw new InvalidUpdateError(`Les listes et citations s’imbriquent sur ${MAX_BODY_DEPTH} niveaux au plus.`);
    const known = (type instanceof Y.XmlElement && BODY_NODE_TYPES.has(type.nodeName)) || type instanceof Y.XmlText;
    if (!known) {
      const name = type instanceof Y.XmlElement ? `« ${type.nodeName} »` : 'ce type';
      throw new InvalidUpdateError(`Le corps ne peut pas contenir ${name}.`);
    }
    // Where it goes: y-tiptap deletes, with all its text, an element holding a child the schema puts elsewhere
    // (a paragraph in a paragraph or in a code block, a list item outside a list). The existing children were
    // judged when they came, so checking each inserted child against its parent keeps the whole body valid.
    const parent = place.kind === 'element' ? place.nodeName : 'doc';
    const child = type instanceof Y.XmlElement ? type.nodeName : 'text';
    // Rows stored before this rule (read at load, unbounded) only keep text out of the body, as they always did.
    if ((bounded || (parent === 'doc' && child === 'text')) && !childAllowed(parent, child))
      throw new InvalidUpdateError(
        child === 'text'
          ? `« ${parent} » ne contient pas de texte directement.`
          : `« ${parent} » ne peut pas contenir « ${child} ».`,
      );
    return;
  }
  throw new InvalidUpdateError('Un bloc ne contient que des éléments et des nœuds de texte.');
}

/**
 * Judges `update` against `doc` plus `pending` (updates accepted before it in the same batch, not applied to
 * `doc` yet): `valid` when it decodes, every struct it builds on exists, and it keeps the body an XmlFragment
 * of schema nodes (no other root, no map keys on the body, no foreign node or type, text only in text nodes);
 * `missing` when something it builds on is not known yet (it is then held, not judged). On `valid` its structs
 * are added to `pending`, so the next update of the batch may build on them. Unless `bounded` is false (rows
 * stored before these bounds, read at load), no element may sit more than `MAX_BODY_DEPTH` levels below the
 * body and no attribute or formatting value nest deeper than `MAX_ATTRIBUTE_DEPTH`, and every node the update
 * inserts into or deletes from, or inserts, keeps its order and minimum (`BODY_ORDER`: a listItem starts with a
 * paragraph, a list or quote is not empty) once applied after the document and the batch's earlier updates: an
 * update sound against its author's base may break the order merged with a push stored before it. That check
 * applies the update to a scratch copy of the document (`PendingStructs.scratchWith`, built once per batch, so
 * O(document) once), only when such a node is touched: text typed or erased in a paragraph never pays it. Rows
 * stored before the rule (`bounded` false) are not checked, as for the child rules.
 *
 * @throws InvalidUpdateError when it does not decode or breaks the shape.
 */
export function judgeUpdate(
  doc: Y.Doc,
  update: Uint8Array,
  pending: PendingStructs,
  options: { bounded?: boolean } = {},
): Verdict {
  return judgePush(doc, update, pending, options).verdict;
}

/**
 * `judgeUpdate`, also giving the update to store and relay: `update` without the clocks the document or the batch
 * already hold. Yjs keeps the first struct it integrated for a clock and skips a later copy, whatever that copy
 * holds or says about its place: an update re-sending a stored struct's ID with other content or another parent
 * (a paragraph "in the body" under the ID of one in a list item) would otherwise be judged where its copy says,
 * while what builds on it lands beside the stored one (attack on issue 10: a heading stored first in a list item,
 * text straight in the body). So the copies are cut as Yjs cuts them when writing from a state vector
 * (`Y.diffUpdate`: a struct partly known keeps only its new clocks, placed right after the known ones), and what
 * is judged, stored and sent to co-authors is exactly what Yjs applies, for a client that has not seen the stored
 * struct yet too. An honest client re-sending an unacknowledged push loses nothing: its copies equal the stored.
 *
 * @throws InvalidUpdateError as `judgeUpdate`.
 */
export function judgePush(
  doc: Y.Doc,
  update: Uint8Array,
  pending: PendingStructs,
  { bounded = true }: { bounded?: boolean } = {},
): { verdict: Verdict; update: Uint8Array } {
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch {
    throw new InvalidUpdateError('Ce n’est pas une modification Yjs.');
  }
  const knownBefore = new Map<number, number>();
  let repeats = false;
  for (const struct of decoded.structs as Struct[]) {
    if (struct instanceof Y.Skip) continue;
    const { client, clock } = struct.id;
    let known = knownBefore.get(client);
    if (known === undefined) {
      known = Math.max(Y.getState(doc.store, client), pending.end(client));
      knownBefore.set(client, known);
    }
    if (clock < known) repeats = true;
  }
  if (repeats) {
    try {
      update = Y.diffUpdate(update, Y.encodeStateVector(knownBefore));
      decoded = Y.decodeUpdate(update);
    } catch {
      throw new InvalidUpdateError('Ce n’est pas une modification Yjs.');
    }
  }
  return { verdict: judgeDecoded(doc, update, decoded, pending, bounded), update };
}

function judgeDecoded(
  doc: Y.Doc,
  update: Uint8Array,
  decoded: ReturnType<typeof Y.decodeUpdate>,
  pending: PendingStructs,
  bounded: boolean,
): Verdict {
  const structs = decoded.structs as Struct[];
  // Yjs writes each client's structs once, in clock order. Clocks going back mean a client listed twice, whose
  // last list Yjs alone would apply: refused, so what is judged here is what Yjs applies.
  const ends = new Map<number, number>();
  for (const struct of structs) {
    const { client, clock } = struct.id;
    if (clock < (ends.get(client) ?? 0))
      throw new InvalidUpdateError('La modification range dans le désordre les changements d’un même client.');
    ends.set(client, clock + struct.length);
  }
  const own = new PendingStructs();
  own.add(structs);
  let missing = false;
  const store = doc.store;
  const known = (client: number) => Math.max(Y.getState(store, client), pending.end(client));

  /** The struct containing `id`, from this update, the batch or the document; null when unknown. */
  const lookup = (id: Y.ID): { struct: Struct; inDoc: boolean } | null => {
    const local = own.find(id) ?? pending.find(id);
    if (local) return { struct: local, inDoc: false };
    if (id.clock < Y.getState(store, id.client)) return { struct: Y.getItem(store, id) as Struct, inDoc: true };
    return null;
  };

  /** Nesting level of a type of the document (the body is 0), memoised; walks up, never recurses. */
  const levels = new Map<Y.AbstractType<unknown>, number>();
  const levelOf = (type: Y.AbstractType<unknown>): number => {
    const chain: Y.AbstractType<unknown>[] = [];
    let level = 0;
    for (let at: Y.AbstractType<unknown> | null = type; at; at = (at._item?.parent as Y.AbstractType<unknown>) ?? null) {
      const known = levels.get(at);
      if (known !== undefined) {
        level = known;
        break;
      }
      chain.push(at);
    }
    for (const at of chain.reverse()) {
      if (at._item) level += 1;
      levels.set(at, level);
    }
    return level;
  };

  /** Items whose node, or whose parent, has an order to keep (`BODY_ORDER`), checked once the update is applied. */
  const watched: Y.ID[] = [];

  const resolved = new Map<Struct, Resolved | null>();
  /** Where an item goes, following origins as Yjs does when no parent is written; null when unknown yet. */
  const resolve = (item: Y.Item, depth = 0): Resolved | null => {
    if (resolved.has(item)) {
      const known = resolved.get(item);
      if (known === undefined) throw new InvalidUpdateError('La modification se désigne elle-même.');
      return known;
    }
    if (depth > 10_000) throw new InvalidUpdateError('La modification enchaîne trop de références.');
    resolved.set(item, undefined as never);
    let result: Resolved | null;
    const parent = item.parent as unknown;
    if (typeof parent === 'string') {
      if (parent !== SECTION_FRAGMENT)
        throw new InvalidUpdateError(`Une modification ne change que le corps de la section, pas « ${parent} ».`);
      result = { place: BODY, parentSub: item.parentSub, depth: 1 };
    } else if (parent instanceof Y.ID) {
      const found = lookup(parent);
      if (!found) result = null;
      else {
        // The parent's own level: read from the document, or judged like any item of the update or batch.
        let level = 0;
        let place = placeInside(found.struct, null);
        if (place.kind !== 'discarded') {
          const type = ((found.struct as Y.Item).content as Y.ContentType).type as Y.AbstractType<unknown>;
          const parentPlace = found.inDoc ? { depth: levelOf(type) } : resolve(found.struct as Y.Item, depth + 1);
          level = parentPlace === null ? -1 : parentPlace.depth;
          if (!found.inDoc && parentPlace !== null && 'place' in parentPlace)
            place = placeInside(found.struct, parentPlace.place);
        }
        result = level < 0 ? null : { place, parentSub: item.parentSub, depth: level + 1 };
      }
    } else {
      const neighbour = item.origin ?? item.rightOrigin;
      if (!neighbour) throw new InvalidUpdateError('La modification contient un élément sans place.');
      const found = lookup(neighbour);
      if (!found) result = null;
      else if (found.struct instanceof Y.GC) result = { place: DISCARDED, parentSub: null, depth: 0 };
      else if (!(found.struct instanceof Y.Item)) throw new InvalidUpdateError('La modification désigne un trou.');
      else if (found.inDoc) {
        const parentType = found.struct.parent as Y.AbstractType<unknown> | null;
        result = parentType
          ? { place: placeOfType(parentType), parentSub: found.struct.parentSub, depth: levelOf(parentType) + 1 }
          : { place: DISCARDED, parentSub: null, depth: 0 };
      } else result = resolve(found.struct, depth + 1);
    }
    resolved.set(item, result);
    return result;
  };

  const keyOf = (id: Y.ID) => `${id.client}:${id.clock}`;
  /** The key of the node an item of this update goes into when that node is in this update too, else null. */
  const ownParents = new Map<Y.Item, string | null>();
  const ownParentOf = (item: Y.Item): string | null => {
    const path: Y.Item[] = [];
    let result: string | null = null;
    // Yjs reads the parent from the origin (else the right origin) when none is written: follow them, memoised.
    for (let at: Y.Item | undefined = item; at; ) {
      const known = ownParents.get(at);
      if (known !== undefined) {
        result = known;
        break;
      }
      path.push(at);
      if (at.parent instanceof Y.ID) {
        result = own.find(at.parent) ? keyOf(at.parent) : null;
        break;
      }
      const neighbour: Y.ID | null = at.parent === null ? (at.origin ?? at.rightOrigin) : null;
      const next: Struct | undefined = neighbour ? own.find(neighbour) : undefined;
      at = next instanceof Y.Item && next !== at ? next : undefined;
    }
    for (const at of path) ownParents.set(at, result);
    return result;
  };

  /**
   * Judges from the update alone the watched nodes it creates: nobody knew them before, so all their children are
   * in it (a new list item and its paragraph, as the editor makes them on Enter; a pasted list): empty is refused,
   * a list or quote with a child, or an item with one child, decided. Returns the watched items still to judge on
   * a scratch copy: nodes already stored, and new items of several children (their order is Yjs's integration).
   *
   * @throws InvalidUpdateError when a new node is empty or its only child breaks the order.
   */
  const decideNewNodes = (ids: readonly Y.ID[]): Y.ID[] => {
    const isNew = (id: Y.ID) => id.clock >= known(id.client) && own.find(id) !== undefined;
    let children: Map<string, Y.Item[]> | null = null;
    const childrenOf = (id: Y.ID): Y.Item[] => {
      if (!children) {
        children = new Map();
        for (const struct of structs)
          if (
            struct instanceof Y.Item &&
            struct.content instanceof Y.ContentType &&
            struct.parentSub === null &&
            !Y.isDeleted(decoded.ds, struct.id)
          ) {
            const parent = ownParentOf(struct);
            if (parent !== null) children.set(parent, [...(children.get(parent) ?? []), struct]);
          }
      }
      return children.get(keyOf(id)) ?? [];
    };
    const undecided: Y.ID[] = [];
    // Stored children this update deletes, by their stored parent (a list item's paragraph, a list's item).
    const deletedIn = new Map<Y.XmlElement, number>();
    const stored: Y.Item[] = [];
    for (const id of ids) {
      const struct = own.find(id);
      if (!(struct instanceof Y.Item) || !isNew(id)) {
        const item = id.clock < Y.getState(store, id.client) ? Y.getItem(store, id) : null;
        // Alone in its batch, deleting a visible child of a stored node: counted below, without a copy.
        if (pending.alone && item instanceof Y.Item && !item.deleted && item.parent instanceof Y.XmlElement) {
          deletedIn.set(item.parent, (deletedIn.get(item.parent) ?? 0) + 1);
          stored.push(item);
        } else undecided.push(id);
        continue;
      }
      let decided = true;
      const type = struct.content instanceof Y.ContentType ? struct.content.type : null;
      if (type instanceof Y.XmlElement && orderMatters(type.nodeName) && !Y.isDeleted(decoded.ds, id)) {
        const within = childrenOf(id);
        // A new item of several children: their order is Yjs's integration, judged on the copy.
        if (type.nodeName === 'listItem' && within.length > 1) decided = false;
        else if (!orderKept(type.nodeName, within.length === 1 ? nodeNameOf(within[0] as Y.Item) : null, within.length))
          throw new InvalidUpdateError(orderRefusal(type.nodeName));
      }
      // Inserted into a list item: one new here is judged as above (it is watched itself), a stored one on the
      // copy. Inserting into a list or a quote, or deleting what this update inserted, changes nothing stored.
      const where = resolved.get(struct)?.place;
      if (
        where?.kind === 'element' &&
        where.nodeName === 'listItem' &&
        ownParentOf(struct) === null &&
        !Y.isDeleted(decoded.ds, id)
      )
        decided = false;
      if (!decided) undecided.push(id);
    }
    // What remains of a stored node is its visible children less those deleted here: enough children and, for a
    // list item, a paragraph first (its first child this update does not delete) is decided. Otherwise (this
    // update may also insert into it) the copy judges.
    for (const item of stored) {
      const parent = item.parent as Y.XmlElement;
      if (parent._item?.deleted || Y.isDeleted(decoded.ds, (parent._item as Y.Item).id)) continue;
      let first = parent._start;
      while (first && (first.deleted || Y.isDeleted(decoded.ds, first.id))) first = first.right;
      const remaining = parent.length - (deletedIn.get(parent) ?? 0);
      if (!orderKept(parent.nodeName, nodeNameOf(first), remaining)) undecided.push(item.id);
    }
    return undecided;
  };

  for (const struct of structs) {
    if (struct instanceof Y.Skip) continue;
    const { client, clock } = struct.id;
    // A struct starting past what is known of its client needs the ones before it.
    if (clock > known(client) && !own.find(Y.createID(client, clock - 1))) {
      missing = true;
      continue;
    }
    if (!(struct instanceof Y.Item)) continue;
    for (const reference of [struct.origin, struct.rightOrigin]) if (reference && !lookup(reference)) missing = true;
    const place = resolve(struct);
    if (place === null) missing = true;
    else {
      checkContent(struct, place, bounded);
      // A node inserted into a listItem (maybe before its paragraph), or a list, quote or item inserted (maybe
      // empty): where it lands depends on how Yjs integrates it, judged below on a scratch copy. Inserting into
      // a list or a quote cannot empty it: not watched.
      if (
        struct.content instanceof Y.ContentType &&
        place.parentSub === null &&
        ((place.place.kind === 'element' && place.place.nodeName === 'listItem') ||
          (struct.content.type instanceof Y.XmlElement && orderMatters(struct.content.type.nodeName)))
      )
        watched.push(struct.id);
    }
  }
  // Deleting what is not known yet waits for it too.
  for (const [client, ranges] of decoded.ds.clients)
    for (const range of ranges) if (range.clock + range.len > Math.max(known(client), own.end(client))) missing = true;
  if (missing) return 'missing';
  if (bounded) {
    // Deleting a child of a node whose order matters (a listItem's paragraph, a list's last item). Deleted
    // characters of a text are one lookup each range and nothing more: typing and erasing stay cheap.
    for (const [client, ranges] of decoded.ds.clients)
      for (const range of ranges)
        for (let clock = range.clock; clock < range.clock + range.len; ) {
          const found = lookup(Y.createID(client, clock));
          if (!found) break;
          const struct = found.struct;
          clock = struct.id.clock + struct.length;
          if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentType) || struct.parentSub !== null) continue;
          const parent = found.inDoc ? struct.parent : resolve(struct)?.place;
          const parentName =
            parent instanceof Y.XmlElement
              ? parent.nodeName
              : parent && 'kind' in parent && parent.kind === 'element'
                ? parent.nodeName
                : null;
          if (parentName !== null && orderMatters(parentName)) watched.push(struct.id);
        }
    const undecided = watched.length > 0 ? decideNewNodes(watched) : watched;
    if (undecided.length > 0) {
      let scratch: Y.Doc;
      try {
        scratch = pending.scratchWith(doc, update);
      } catch {
        // Judged sound, yet Yjs throws applying it: it would throw on the document too.
        pending.discard();
        throw new InvalidUpdateError('Ce n’est pas une modification Yjs.');
      }
      checkOrder(scratch, undecided, pending);
    }
  }
  pending.add(structs);
  pending.accept(update);
  return 'valid';
}

/** Why a node of type `nodeName` breaks its order or minimum (`BODY_ORDER`), in French. */
function orderRefusal(nodeName: string): string {
  return nodeName === 'listItem'
    ? 'Un élément de liste commence par un paragraphe (l’éditeur supprimerait sinon l’élément et son texte).'
    : nodeName === 'blockquote'
      ? 'Une citation garde au moins un bloc.'
      : 'Une liste garde au moins un élément.';
}

/** The node type of an item's content (`text` for a Y.XmlText), or null when it holds no node. */
function nodeNameOf(item: Y.Item | null): string | null {
  if (!item || !(item.content instanceof Y.ContentType)) return null;
  return item.content.type instanceof Y.XmlElement ? item.content.type.nodeName : 'text';
}

/**
 * Checks, on `scratch` (the document once the update is applied), that each watched item, if it is a node whose
 * order matters, and its parent keep their order and minimum (`BODY_ORDER`): a listItem starts with a paragraph,
 * a list or a quote is not empty. Only these nodes are walked (the first visible children of each), never the
 * document. Drops the scratch copy before refusing.
 *
 * @throws InvalidUpdateError naming the rule broken.
 */
function checkOrder(scratch: Y.Doc, watched: readonly Y.ID[], pending: PendingStructs): void {
  const check = (type: unknown) => {
    if (!(type instanceof Y.XmlElement) || type._item?.deleted || !orderMatters(type.nodeName)) return;
    let first = type._start;
    while (first?.deleted) first = first.right;
    if (orderKept(type.nodeName, nodeNameOf(first), type.length)) return;
    pending.discard();
    throw new InvalidUpdateError(orderRefusal(type.nodeName));
  };
  for (const id of watched) {
    const item = Y.getItem(scratch.store, id) as Y.Item | Y.GC;
    if (!(item instanceof Y.Item) || item.deleted) {
      // Deleted: only its parent may have lost what it needs.
      if (item instanceof Y.Item) check(item.parent);
      continue;
    }
    if (item.content instanceof Y.ContentType) check(item.content.type);
    check(item.parent);
  }
}

/** Judges an update against an empty document: what a section accepts from anyone, before anything else. */
export function checkUpdateShape(update: Uint8Array): void {
  judgeUpdate(new Y.Doc(), update, new PendingStructs());
}

/**
 * Reads a state vector a client sent (`Y.encodeStateVector`: a count, then client ID and next clock pairs, lib0
 * varints): the next clock of each client it knows. Bytes that do not read as one (lib0 throws "Unexpected end
 * of array" or "Integer out of Range") are the client's mistake, not the server's.
 *
 * @throws InvalidUpdateError when `bytes` is not a state vector.
 */
export function decodeStateVector(bytes: Uint8Array): Map<number, number> {
  try {
    return Y.decodeStateVector(bytes);
  } catch {
    throw new InvalidUpdateError('Ce n’est pas un vecteur d’état Yjs.');
  }
}
