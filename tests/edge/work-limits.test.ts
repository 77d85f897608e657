import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import { dashboardRecomputations } from '../../server/src/schema/dashboard.js';
import { codes } from '../support/abuse.js';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { sectionScenario, textOf } from '../support/collab.js';
import { subscribe, wsClient } from '../support/live.js';
import { gid } from '../support/scenario.js';

// Work one change or one request may cause (issue 9): a section's total size, an export's size, and the live
// dashboard's recomputations per event. Each limit is set low here, on top of the generous test limits.
const MAX_SECTION_BYTES = 4_000;
const MAX_EXPORT_BYTES = 6_000;
const DASHBOARD_MIN_INTERVAL_MS = 500;

let t: TestApp;
let url: string;

beforeAll(async () => {
  const limits = loadConfig({ ...GENEROUS_LIMITS_ENV }).limits;
  t = await createTestApp({
    config: {
      limits: {
        ...limits,
        work: {
          ...limits.work,
          maxSectionBytes: MAX_SECTION_BYTES,
          maxExportBytes: MAX_EXPORT_BYTES,
          dashboardMinIntervalMs: DASHBOARD_MIN_INTERVAL_MS,
          dashboardConcurrency: 2,
        },
      },
    },
  });
  url = await t.app.start();
}, 300_000);

afterAll(async () => {
  await t?.close();
});

const PUSH = /* GraphQL */ `
  mutation Push($input: PushSectionUpdateInput!) {
    pushSectionUpdate(input: $input) {
      __typename
      ... on MutationPushSectionUpdateSuccess { data { updateId } }
      ... on RuleViolationError { field rule }
    }
  }
`;

/** A local editor's document: what it types is pushed as Yjs updates, one push per change. */
class Editor {
  readonly doc = new Y.Doc();
  #updates: Uint8Array[] = [];

  constructor() {
    this.doc.on('update', (update: Uint8Array) => this.#updates.push(update));
  }

  /** Changes the document and returns the update the change made. */
  change(edit: (body: Y.XmlFragment) => void): Uint8Array {
    this.#updates = [];
    this.doc.transact(() => edit(this.doc.getXmlFragment('body')));
    return Y.mergeUpdates(this.#updates);
  }

  /** A new paragraph holding `text`. */
  paragraph(text: string): Uint8Array {
    return this.change((body) => {
      const paragraph = new Y.XmlElement('paragraph');
      paragraph.insert(0, [new Y.XmlText(text)]);
      body.insert(body.length, [paragraph]);
    });
  }
}

async function push(token: string, sectionId: string, update: Uint8Array): Promise<Json> {
  const result = await t.gql(
    PUSH,
    { input: { sectionId: gid('TenderSection', sectionId), update: Buffer.from(update).toString('base64') } },
    token,
  );
  return result.data?.pushSectionUpdate ?? result;
}

async function storedRows(sectionId: string): Promise<number> {
  return (
    (await t.db.prisma.sectionUpdate.count({ where: { sectionId } })) +
    (await t.db.prisma.sectionSnapshot.count({ where: { sectionId } }))
  );
}

describe('Section size', () => {
  it('should refuse a push that would take a section past MAX_SECTION_BYTES, storing nothing', async () => {
    const { members, section } = await sectionScenario(t.db.prisma);
    const token = await t.tokenFor((members[0] as { id: string }).id);
    const editor = new Editor();
    // About 1 KiB per push: three fit, the fourth or fifth would not.
    let accepted = 0;
    let refused: Json = null;
    for (let i = 0; i < 10 && !refused; i += 1) {
      const answer = await push(token, section.id, editor.paragraph(`${i} ${'x'.repeat(1_000)}`));
      if (answer.__typename === 'MutationPushSectionUpdateSuccess') accepted += 1;
      else refused = answer;
    }
    expect(accepted).toBeGreaterThanOrEqual(2);
    expect(refused).toEqual({ __typename: 'RuleViolationError', field: 'input.update', rule: 'SECTION_TOO_LARGE' });
    // Nothing of the refused push is stored: a fresh document built from the database has only what was accepted.
    const rows = await storedRows(section.id);
    expect(rows).toBe(accepted);
    const stored = new Y.Doc();
    Y.applyUpdate(stored, await t.app.documents.storedState(section.id));
    expect(textOf(stored.getXmlFragment('body')).split('\n')).toHaveLength(accepted);
    expect(Y.encodeStateAsUpdate(stored).byteLength).toBeLessThanOrEqual(MAX_SECTION_BYTES);
  });

  it('should still accept deletions in a full section, and new text once it is smaller again', async () => {
    const { members, section } = await sectionScenario(t.db.prisma);
    const token = await t.tokenFor((members[0] as { id: string }).id);
    const editor = new Editor();
    let full = false;
    for (let i = 0; i < 10 && !full; i += 1)
      full = (await push(token, section.id, editor.paragraph(`${i} ${'y'.repeat(1_000)}`))).rule === 'SECTION_TOO_LARGE';
    expect(full).toBe(true);
    // The editor starts again from what the server stored (the refused paragraph is not there).
    const again = new Editor();
    Y.applyUpdate(again.doc, await t.app.documents.storedState(section.id));
    // Deleting two paragraphs is accepted although the section is at its limit…
    const deletion = again.change((body) => body.delete(0, 2));
    expect((await push(token, section.id, deletion)).__typename).toBe('MutationPushSectionUpdateSuccess');
    // …and leaves room for a new one.
    expect((await push(token, section.id, again.paragraph('Une phrase courte.'))).__typename).toBe(
      'MutationPushSectionUpdateSuccess',
    );
  });
});

describe('Export size', () => {
  const EXPORT =
    'query($id: ID!, $format: ExportFormat!) { exportTenderResponse(responseId: $id, format: $format) { filename } }';

  it('should refuse an export past EXPORT_MAX_BYTES before building the file (GraphQL and HTTP), and export a smaller one', async () => {
    const small = await sectionScenario(t.db.prisma);
    const large = await sectionScenario(t.db.prisma);
    const smallToken = await t.tokenFor((small.members[0] as { id: string }).id);
    const largeToken = await t.tokenFor((large.members[0] as { id: string }).id);
    await push(smallToken, small.section.id, new Editor().paragraph('Un projet de tiers-lieu.'));
    // Two sections of about 3.5 KB each: each fits its own limit, together they pass the export's.
    for (const title of ['Moyens', 'Calendrier']) {
      const extra = await t.db.prisma.tenderSection.create({
        data: { responseId: large.response.id, kind: 'FREE', title, position: title === 'Moyens' ? 2 : 3 },
      });
      expect((await push(largeToken, extra.id, new Editor().paragraph('z'.repeat(3_500)))).__typename).toBe(
        'MutationPushSectionUpdateSuccess',
      );
    }

    for (const format of ['MARKDOWN', 'DOCX']) {
      const refused = await t.gql(EXPORT, { id: gid('TenderResponse', large.response.id), format }, largeToken);
      expect(refused.data?.exportTenderResponse ?? null).toBeNull();
      expect(refused.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        limit: 'exportBytes',
        maxBytes: MAX_EXPORT_BYTES,
      });
      const fine = await t.gql(EXPORT, { id: gid('TenderResponse', small.response.id), format }, smallToken);
      expect(codes(fine)).toEqual([]);
      expect(fine.data?.exportTenderResponse?.filename).toMatch(/Tiers-lieux/);
    }
    const overHttp = await fetch(
      `${url}/exports/tender-response?id=${encodeURIComponent(gid('TenderResponse', large.response.id))}&format=docx`,
      { headers: { authorization: `Bearer ${largeToken}` } },
    );
    expect(overHttp.status).toBe(413);
    expect(await overHttp.text()).toMatch(/too large to export/);
  });
});

describe('Dashboard recomputations', () => {
  const DASHBOARD = 'subscription { dashboard(withinDays: 30) { position collectives { kind status count } } }';
  const CREATE =
    'mutation($name: String!) { createCollective(input: { name: $name, kind: COMMONS, purpose: "Essai" }) { __typename } }';

  it('should recompute a viewer’s dashboard at most once per DASHBOARD_MIN_INTERVAL_MS however many events, and show the last', async () => {
    const { members } = await sectionScenario(t.db.prisma);
    const token = await t.tokenFor((members[0] as { id: string }).id);
    const client = wsClient(url, token);
    try {
      const { inbox } = subscribe(client, DASHBOARD);
      const [initial] = await inbox.waitFor(1);
      const commons = (snapshot: Json) =>
        snapshot.dashboard.collectives
          .filter((row: Json) => row.kind === 'COMMONS')
          .reduce((sum: number, row: Json) => sum + row.count, 0);
      const before = commons(initial);
      const recomputedBefore = dashboardRecomputations.count;
      const started = performance.now();
      // Changes one after the other, each a visible event: without the bound, a recomputation each 100 ms.
      const changes = 30;
      for (let i = 0; i < changes; i += 1) await t.gql(CREATE, { name: `Commun compté ${i}` }, token);
      // Every change ends up in the figures (folded, never dropped)…
      while (commons(inbox.received.at(-1)) !== before + changes) await inbox.waitFor(inbox.received.length + 1);
      const elapsed = performance.now() - started;
      // …in at most one recomputation per interval (plus the one a change right at the start may open).
      const recomputed = dashboardRecomputations.count - recomputedBefore;
      const allowed = Math.floor(elapsed / DASHBOARD_MIN_INTERVAL_MS) + 2;
      console.info(
        `dashboard: ${changes} changes in ${Math.round(elapsed)} ms, ${recomputed} recomputations (at most ${allowed})`,
      );
      expect(recomputed).toBeLessThanOrEqual(allowed);
      expect(inbox.received.length - 1).toBeLessThanOrEqual(allowed);
    } finally {
      await client.dispose();
    }
  });

  it('should refuse a withinDays outside 0 to 366 with BAD_USER_INPUT', async () => {
    const { members } = await sectionScenario(t.db.prisma);
    const token = await t.tokenFor((members[0] as { id: string }).id);
    for (const withinDays of [-1, 367, 2_147_483_647]) {
      const result = await t.gql('query($d: Int!) { dashboard(withinDays: $d) { position } }', { d: withinDays }, token);
      expect(codes(result), JSON.stringify(result)).toEqual(['BAD_USER_INPUT']);
    }
  });
});
