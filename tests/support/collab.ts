import { randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import * as Y from 'yjs';
import type { PrismaClient } from '../../server/src/generated/prisma/client.js';
import type { Json, TestApp } from './app.js';
import { wsClient } from './live.js';
import { gid, makeCollective, makeMember } from './scenario.js';

const SYNC = /* GraphQL */ `
  subscription Sync($sectionId: ID!, $stateVector: String, $clientId: String) {
    sectionSync(sectionId: $sectionId, stateVector: $stateVector, clientId: $clientId) { kind update stateVector }
  }
`;
const PUSH = /* GraphQL */ `
  mutation Push($input: PushSectionUpdateInput!) {
    pushSectionUpdate(input: $input) {
      __typename
      ... on MutationPushSectionUpdateSuccess { data { updateId } }
      ... on Error { message }
      ... on RuleViolationError { field rule }
    }
  }
`;

const REMOTE = Symbol('remote');
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/**
 * A real editor without a screen: a Yjs document kept in sync with a section over graphql-ws, exactly as
 * the web editor does it (state-vector handshake, push of local updates, acknowledgement awaited).
 */
export class CollabClient {
  readonly doc = new Y.Doc();
  readonly clientId = randomUUID();
  #client: Client | null = null;
  #stop: (() => void) | null = null;
  #online = false;
  #synced: Promise<void> = Promise.resolve();
  #pending = new Set<Promise<unknown>>();
  /** Responses of refused pushes (a test expects none). */
  readonly rejected: string[] = [];
  /** Updates received from the server, for tests that apply them themselves. */
  readonly received: Uint8Array[] = [];
  /** Local updates waiting while pushes are in flight: sent merged, at most `maxInFlight` pushes at a time. */
  #queued: Uint8Array[] = [];
  #inFlight = 0;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly sectionId: string,
    /** Apply the server's updates as they come (an editor); false lets a test decide when. */
    /**
     * `applyRemote`: apply the server's updates as they come (an editor); false lets a test decide when.
     * `maxInFlight`: pushes awaiting their acknowledgement at once (1 unless said, as the web editor does).
     */
    private readonly options: { applyRemote: boolean; maxInFlight?: number } = { applyRemote: true },
  ) {
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === REMOTE || !this.#online) return;
      this.#queued.push(update);
      this.#pump();
    });
  }

  /** Sends what is queued, merged into one update, while fewer than `maxInFlight` pushes are unanswered. */
  #pump(): void {
    while (this.#queued.length > 0 && this.#inFlight < (this.options.maxInFlight ?? 1)) {
      const batch = this.#queued.splice(0);
      this.#inFlight += 1;
      this.#track(
        this.#push(batch.length === 1 ? (batch[0] as Uint8Array) : Y.mergeUpdates(batch)).finally(() => {
          this.#inFlight -= 1;
          this.#pump();
        }),
      );
    }
  }

  get body(): Y.XmlFragment {
    return this.doc.getXmlFragment('body');
  }

  /** Connects and resolves once the first sync message is applied and what only this client had is sent. */
  connect(): Promise<void> {
    this.#client = wsClient(this.url, this.token);
    this.#online = true;
    let resolveSynced!: () => void;
    let rejectSynced!: (error: unknown) => void;
    this.#synced = new Promise((resolve, reject) => {
      resolveSynced = resolve;
      rejectSynced = reject;
    });
    this.#stop = this.#client.subscribe<{ sectionSync: { kind: string; update: string; stateVector: string | null } }>(
      {
        query: SYNC,
        variables: {
          sectionId: gid('TenderSection', this.sectionId),
          stateVector: b64(Y.encodeStateVector(this.doc)),
          clientId: this.clientId,
        },
      },
      {
        next: (result) => {
          const message = result.data?.sectionSync;
          if (!message) return rejectSynced(result.errors);
          const update = Buffer.from(message.update, 'base64');
          if (message.kind === 'SYNC' || this.options.applyRemote) Y.applyUpdate(this.doc, update, REMOTE);
          else this.received.push(update);
          if (message.kind === 'SYNC' && message.stateVector) {
            const missing = Y.encodeStateAsUpdate(this.doc, Buffer.from(message.stateVector, 'base64'));
            // An empty update is 2 bytes: nothing the server lacks.
            if (missing.byteLength > 2) this.#track(this.#push(missing));
            resolveSynced();
          }
        },
        error: (error) => rejectSynced(error),
        complete: () => {},
      },
    );
    return this.#synced;
  }

  /** Goes offline: local edits stay in the document and are sent by the next `connect()`. */
  async disconnect(): Promise<void> {
    await this.settled();
    this.#online = false;
    this.#stop?.();
    await this.#client?.dispose();
    this.#client = null;
  }

  /** Resolves when every update sent so far is acknowledged by the server. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  #track(promise: Promise<unknown>): void {
    this.#pending.add(promise);
    void promise.finally(() => this.#pending.delete(promise));
  }

  /** Pushes that got no answer (the server went away): their content is re-sent by the next handshake. */
  unacknowledged = 0;
  /** Pushes sent, and pushes the server acknowledged (stored). */
  pushes = 0;
  acknowledged = 0;

  /** Drops the connection without waiting for answers (the server is gone). */
  async abandon(): Promise<void> {
    this.#online = false;
    this.#stop?.();
    await this.#client?.dispose();
    this.#client = null;
  }

  async #push(update: Uint8Array): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.pushes += 1;
    const result = await new Promise<Json>((resolve, reject) => {
      let data: Json = {};
      client.subscribe(
        {
          query: PUSH,
          variables: { input: { sectionId: gid('TenderSection', this.sectionId), update: b64(update), clientId: this.clientId } },
        },
        { next: (value) => (data = value.data ?? { errors: value.errors }), error: reject, complete: () => resolve(data) },
      );
    }).catch(() => null);
    if (result === null) {
      this.unacknowledged += 1;
      return;
    }
    if (result.pushSectionUpdate?.__typename === 'MutationPushSectionUpdateSuccess') this.acknowledged += 1;
    else this.rejected.push(JSON.stringify(result));
  }
}

/**
 * One `pushSectionUpdate` over HTTP as the holder of `token`, `update` being Yjs bytes: the mutation's answer
 * (`__typename`, and `field`, `rule`, `message` when it is a RuleViolationError).
 */
export async function pushOverHttp(t: TestApp, token: string, sectionId: string, update: Uint8Array): Promise<Json> {
  const result = await t.gql(
    `mutation($input: PushSectionUpdateInput!) { pushSectionUpdate(input: $input) { __typename ... on RuleViolationError { field rule message } } }`,
    { input: { sectionId: gid('TenderSection', sectionId), update: b64(update) } },
    token,
  );
  return result.data?.pushSectionUpdate;
}

/** Types `words` at the end of the first paragraph of a CollabClient's body (made if the body is empty). */
export function typeInto(client: CollabClient, words: string): void {
  const body = client.body;
  if (body.length === 0) body.insert(0, [new Y.XmlElement('paragraph')]);
  const paragraph = body.get(0) as Y.XmlElement;
  if (paragraph.length === 0) paragraph.insert(0, [new Y.XmlText()]);
  const text = paragraph.get(0) as Y.XmlText;
  text.insert(text.length, words);
}

/** What each editor typed so far, as its own client's clock (Yjs client ID → clock). */
export function typedBy(...editors: CollabClient[]): Map<number, number> {
  return new Map(editors.map((editor) => [editor.doc.clientID, Y.getState(editor.doc.store, editor.doc.clientID)]));
}

/** Whether `doc` holds everything `typed` counts (see `typedBy`). */
export function holdsTyped(doc: Y.Doc, typed: ReadonlyMap<number, number>): boolean {
  return [...typed].every(([client, clock]) => Y.getState(doc.store, client) >= clock);
}

/** Plain text of a section body: every text node, block by block. */
export function textOf(fragment: Y.XmlFragment): string {
  return fragment
    .toArray()
    .map((node) =>
      node instanceof Y.XmlElement
        ? node
            .toArray()
            .map((child) => (child instanceof Y.XmlText ? child.toString() : ''))
            .join('')
        : '',
    )
    .join('\n');
}

/** A collective with an active animator, a call for projects, and a tender response with one section. */
export async function sectionScenario(prisma: PrismaClient, options: { members?: number; deal?: boolean } = {}) {
  const animator = await makeMember(prisma);
  const others = await Promise.all(Array.from({ length: (options.members ?? 1) - 1 }, () => makeMember(prisma)));
  const collective = await makeCollective(prisma, {
    animatorId: animator.id,
    memberIds: others.map((m) => m.id),
    kind: 'BUSINESS',
    horizon: 'ONE_OFF',
    openness: 'CLOSED',
    objective: 'Répondre à l’appel à projets',
    targetDate: new Date('2027-06-30'),
  });
  const opportunity = await prisma.opportunity.create({
    data: {
      kind: 'CALL_FOR_PROJECTS',
      title: 'Appel à projets Tiers-lieux',
      buyer: 'Région',
      submissionDeadline: new Date('2027-06-01T10:00:00Z'),
    },
  });
  // `deal`: the response prepares a deal of the collective's own (no partner), so a push locks the deal too.
  const deal = options.deal
    ? await prisma.deal.create({
        data: {
          collectiveId: collective.id,
          opportunityId: opportunity.id,
          title: 'Groupement',
          groupForm: 'SEVERAL',
          status: 'PREPARING',
        },
      })
    : null;
  const response = await prisma.tenderResponse.create({
    data: { collectiveId: collective.id, opportunityId: opportunity.id, dealId: deal?.id ?? null, title: 'Réponse Tiers-lieux' },
  });
  const section = await prisma.tenderSection.create({
    data: { responseId: response.id, kind: 'PROJECT_DESCRIPTION', title: 'Description du projet', position: 1 },
  });
  return { members: [animator, ...others], collective, response, section };
}

/**
 * A body of `levels` bullet lists, each in the one item of the list above, after that item's empty paragraph (a
 * list item starts with one), the deepest item's paragraph holding `text`.
 */
export function nestedLists(levels: number, text: string): Y.Doc {
  const doc = new Y.Doc();
  doc.transact(() => {
    let parent: Y.XmlFragment | Y.XmlElement = doc.getXmlFragment('body');
    for (let level = 0; level < levels; level += 1) {
      const list = new Y.XmlElement('bulletList');
      const item = new Y.XmlElement('listItem');
      // A list item starts with a paragraph (`paragraph block*`), here empty as the editor makes it for an item
      // holding only a sub-list; the sub-list follows it.
      if (parent instanceof Y.XmlElement) parent.insert(parent.length, [new Y.XmlElement('paragraph')]);
      parent.insert(parent.length, [list]);
      list.insert(0, [item]);
      parent = item;
    }
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText(text)]);
    parent.insert(parent.length, [paragraph]);
    const after = new Y.XmlElement('paragraph');
    after.insert(0, [new Y.XmlText('Après la liste.')]);
    doc.getXmlFragment('body').insert(1, [after]);
  });
  return doc;
}

/** The deepest level of elements under a body, read iteratively (a paragraph of the body is at 1). */
export function nestingOf(fragment: Y.XmlFragment): number {
  const elements = (nodes: unknown[]) => nodes.filter((node): node is Y.XmlElement => node instanceof Y.XmlElement);
  let depth = 0;
  for (let level = elements(fragment.toArray()); level.length > 0; depth += 1)
    level = level.flatMap((node) => elements(node.toArray()));
  return depth;
}

/** Yjs bytes of a body holding one paragraph of `text` (a new client's). */
export function paragraphUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  const paragraph = new Y.XmlElement('paragraph');
  paragraph.insert(0, [new Y.XmlText(text)]);
  doc.getXmlFragment('body').insert(0, [paragraph]);
  return Y.encodeStateAsUpdate(doc);
}
