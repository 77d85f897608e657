// Co-editors in a client process of their own, each with a real Yjs document, typing into a paragraph of
// their own at a steady rate. Like the web editor: one push in flight, what is typed meanwhile merged into
// the next push; over graphql-ws (`sectionSync`, `pushSectionUpdate`, and with presence `sectionPresence`
// plus `updatePresence` at most every 120 ms), or over a bare `ws` relay of the same updates (the floor).
// Each edit inserts a marker `#<editor>:<seq>;`; receivers find markers in the updates they receive.
import { randomUUID } from 'node:crypto';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { serveCommands } from '../lib/processes.js';
import { now } from '../lib/stats.js';

const SYNC = `subscription Sync($sectionId: ID!, $stateVector: String, $clientId: String) {
  sectionSync(sectionId: $sectionId, stateVector: $stateVector, clientId: $clientId) { kind update stateVector } }`;
const PUSH = `mutation Push($input: PushSectionUpdateInput!) { pushSectionUpdate(input: $input) { __typename
  ... on MutationPushSectionUpdateSuccess { data { updateId } } ... on Error { message } } }`;
const PRESENCE = `subscription Presence($sectionId: ID!) { sectionPresence(sectionId: $sectionId) { clientId name colour cursor
  member { id displayName } } }`;
const UPDATE_PRESENCE = `mutation UpdatePresence($input: UpdatePresenceInput!) { updatePresence(input: $input) { __typename
  ... on Error { message } } }`;
const PRESENCE_THROTTLE_MS = 120;
const REMOTE = Symbol('remote');

interface OpenArgs {
  mode: 'graphql' | 'relay';
  url: string;
  token: string;
  sectionId: string;
  /** Editor numbers handled by this process. */
  editors: number[];
  presence: boolean;
  /** This session's tag: markers of an earlier session in the same section are not counted. */
  run: string;
}

/** Runs a GraphQL operation on a graphql-ws client and resolves with its (single) result. */
function request(client: Client, query: string, variables: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let data: unknown = null;
    client.subscribe(
      { query, variables },
      {
        next: (value) => (data = value.errors ? { errors: value.errors } : value.data),
        error: reject,
        complete: () => resolve(data),
      },
    );
  });
}

class Editor {
  readonly doc = new Y.Doc();
  readonly clientId = randomUUID();
  /** Instants each marker was typed here (`editor:seq` → ms). */
  readonly typed = new Map<string, number>();
  /** First receipt instant of each marker typed by others. */
  readonly received = new Map<string, number>();
  /** Each push's `[sent at, milliseconds until acknowledged]` (instants as `now()`, comparable across processes). */
  readonly acks: Array<[number, number]> = [];
  readonly rejected: string[] = [];
  seq = 0;
  #queued: Uint8Array[] = [];
  #inFlight: Promise<void> | null = null;
  #client: Client | null = null;
  #socket: WebSocket | null = null;
  #ackWaiters: Array<() => void> = [];
  #presenceTimer: NodeJS.Timeout | undefined;
  #stops: Array<() => void> = [];
  paragraph: Y.XmlText | null = null;

  constructor(
    readonly number: number,
    readonly args: OpenArgs,
  ) {
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === REMOTE) return;
      this.#queued.push(update);
      if (!this.#inFlight) this.#inFlight = this.#drain();
    });
  }

  async connect(): Promise<void> {
    if (this.args.mode === 'relay') {
      const socket = new WebSocket(`${this.args.url}/${this.args.sectionId}`);
      this.#socket = socket;
      socket.binaryType = 'nodebuffer';
      socket.on('message', (data: Buffer, isBinary) => {
        if (!isBinary) {
          this.#ackWaiters.shift()?.();
          return;
        }
        this.#receive(new Uint8Array(data));
      });
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      return;
    }
    const client = createClient({
      url: this.args.url,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${this.args.token}` },
      lazy: false,
      retryAttempts: 0,
    });
    this.#client = client;
    await new Promise<void>((resolve, reject) => {
      this.#stops.push(
        client.subscribe<{ sectionSync: { kind: string; update: string; stateVector: string | null } }>(
          {
            query: SYNC,
            variables: {
              sectionId: this.args.sectionId,
              stateVector: Buffer.from(Y.encodeStateVector(this.doc)).toString('base64'),
              clientId: this.clientId,
            },
          },
          {
            next: (result) => {
              const message = result.data?.sectionSync;
              if (!message) return reject(new Error(JSON.stringify(result.errors)));
              this.#receive(new Uint8Array(Buffer.from(message.update, 'base64')));
              if (message.kind === 'SYNC') resolve();
            },
            error: reject,
            complete: () => {},
          },
        ),
      );
    });
    if (this.args.presence) {
      this.#stops.push(
        client.subscribe(
          { query: PRESENCE, variables: { sectionId: this.args.sectionId } },
          { next: () => {}, error: () => {}, complete: () => {} },
        ),
      );
    }
  }

  #receive(update: Uint8Array): void {
    const at = now();
    Y.applyUpdate(this.doc, update, REMOTE);
    for (const struct of Y.decodeUpdate(update).structs) {
      const content = (struct as { content?: { str?: string } }).content;
      if (typeof content?.str !== 'string') continue;
      for (const match of content.str.matchAll(new RegExp(`#${this.args.run}\\.(\\d+):(\\d+);`, 'g'))) {
        const key = `${match[1]}:${match[2]}`;
        if (Number(match[1]) !== this.number && !this.received.has(key)) this.received.set(key, at);
      }
    }
  }

  /** Adds this editor's own paragraph (its first push). */
  setup(): void {
    const paragraph = new Y.XmlElement('paragraph');
    const text = new Y.XmlText();
    this.doc.transact(() => {
      this.doc.getXmlFragment('body').push([paragraph]);
      paragraph.insert(0, [text]);
    });
    this.paragraph = text;
  }

  /** One keystroke-sized edit with its marker. */
  type(): void {
    const key = `${this.number}:${this.seq}`;
    this.seq += 1;
    this.typed.set(key, now());
    const text = this.paragraph as Y.XmlText;
    text.insert(text.length, `#${this.args.run}.${key};`);
    if (this.args.presence && this.#presenceTimer === undefined) {
      this.#presenceTimer = setTimeout(() => {
        this.#presenceTimer = undefined;
        void this.#sendPresence();
      }, PRESENCE_THROTTLE_MS);
    }
  }

  async #sendPresence(): Promise<void> {
    if (!this.#client || !this.paragraph) return;
    const position = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(this.paragraph, this.paragraph.length));
    await request(this.#client, UPDATE_PRESENCE, {
      input: { sectionId: this.args.sectionId, clientId: this.clientId, cursor: { anchor: position, head: position } },
    }).catch(() => {});
  }

  async #drain(): Promise<void> {
    while (this.#queued.length > 0) {
      const batch = this.#queued.splice(0);
      const update = batch.length === 1 ? (batch[0] as Uint8Array) : Y.mergeUpdates(batch);
      const sent = now();
      await this.#push(update);
      this.acks.push([sent, now() - sent]);
    }
    this.#inFlight = null;
  }

  async #push(update: Uint8Array): Promise<void> {
    if (this.#socket) {
      const acked = new Promise<void>((resolve) => this.#ackWaiters.push(resolve));
      this.#socket.send(update);
      await acked;
      return;
    }
    const result = (await request(this.#client as Client, PUSH, {
      input: { sectionId: this.args.sectionId, update: Buffer.from(update).toString('base64'), clientId: this.clientId },
    }).catch((error: unknown) => ({ error: String(error) }))) as { pushSectionUpdate?: { __typename: string } } | null;
    if (result?.pushSectionUpdate?.__typename !== 'MutationPushSectionUpdateSuccess') this.rejected.push(JSON.stringify(result));
  }

  async settled(): Promise<void> {
    while (this.#inFlight) await this.#inFlight;
  }

  text(): string {
    return this.doc.getXmlFragment('body').toString();
  }

  async close(): Promise<void> {
    clearTimeout(this.#presenceTimer);
    for (const stop of this.#stops) stop();
    await this.#client?.dispose();
    this.#socket?.terminate();
  }
}

let editors: Editor[] = [];
let typing: NodeJS.Timeout[] = [];

serveCommands({
  open: async (args: OpenArgs) => {
    editors = args.editors.map((number) => new Editor(number, args));
    await Promise.all(editors.map((editor) => editor.connect()));
    return true;
  },
  /** Each editor adds its paragraph, once every editor of every process is connected (a relay keeps nothing). */
  setup: async () => {
    for (const editor of editors) editor.setup();
    await Promise.all(editors.map((editor) => editor.settled()));
    return true;
  },
  /** Types `ratePerSecond` edits per editor, each editor on its own phase, until `stop`. */
  start: ({ ratePerSecond }: { ratePerSecond: number }) => {
    const interval = 1000 / ratePerSecond;
    typing = editors.map((editor) => {
      const timer = setInterval(() => editor.type(), interval);
      return timer;
    });
    return true;
  },
  stop: async () => {
    for (const timer of typing) clearInterval(timer);
    typing = [];
    await Promise.all(editors.map((editor) => editor.settled()));
    return Object.fromEntries(editors.map((editor) => [editor.number, editor.seq]));
  },
  /** Whether every editor here has received `expected` markers from others. */
  caughtUp: ({ typedBy }: { typedBy: Record<string, number> }) =>
    editors.every((editor) =>
      Object.entries(typedBy).every(
        ([number, count]) =>
          Number(number) === editor.number || [...Array(count).keys()].every((seq) => editor.received.has(`${number}:${seq}`)),
      ),
    ),
  collect: () => ({
    typed: editors.flatMap((editor) => [...editor.typed]),
    received: editors.flatMap((editor) => [...editor.received].map(([key, at]) => [editor.number, key, at] as const)),
    acks: editors.flatMap((editor) => editor.acks),
    typedBy: Object.fromEntries(editors.map((editor) => [editor.number, editor.seq])),
    texts: editors.map((editor) => editor.text()),
    rejected: editors.flatMap((editor) => editor.rejected).slice(0, 5),
  }),
  close: async () => {
    await Promise.all(editors.map((editor) => editor.close()));
    editors = [];
    return true;
  },
});
