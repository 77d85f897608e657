import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { errorCodes, type Inbox, open } from '../support/live.js';
import { gid, makeBiddingCollective, makeMember, makeTenderDeal, SUPPORT_STAFF } from '../support/scenario.js';

// Issue 10 item 8: a restricted section's text and figures reach only its owner partner's member, the lead's
// member and the support staff, on every path that can carry them. The walk goes down every such path, as a
// partner from outside the collective who is neither owner nor lead and as a member of the collective who is
// no partner, before and after the deal's submission; then as the owner, the lead and the support staff, who
// do see it. The paths are not a hand-kept list alone: they are enumerated from schema.graphql (every field of
// Query and Subscription that leads to a type carrying section text), and the test fails when one is not walked.

let t: TestApp;
let url: string;
beforeAll(async () => {
  // The walk reads every version's text of a section in one operation: past the heavy-field limit on purpose.
  const limits = loadConfig({ ...GENEROUS_LIMITS_ENV }).limits;
  t = await createTestApp({ config: { limits: { ...limits, query: { ...limits.query, maxHeavyWeight: 1_000_000 } } } });
  url = await t.app.start();
});
afterAll(() => t?.close());

const SECRET_TEXT = 'Prix unitaire SECRETPRIX 987654,32 euros hors taxes';
const SECRETS = ['SECRETPRIX', '987654', 'SECRETNOM', 'SECRETTITRE'];
const OPEN_TEXT = 'Notre méthode OUVERTE';

/** Types whose fields carry a section's text, figures or title (or lead to one). */
const CARRIERS = new Set([
  'TenderSection',
  'SectionContent',
  'SectionVersion',
  'SubmissionRecord',
  'SubmittedSection',
  'ExportedFile',
  'ActivityEvent',
  'ActivityMessage',
  'Dashboard',
  'SectionSyncMessage',
  'SectionPresence',
  'Node',
]);

/** The paths this test walks: every root field reaching a carrier, and the response's own carriers. */
const WALKED = [
  'Query.activity',
  'Query.dashboard',
  'Query.exportTenderResponse',
  'Query.node',
  'Query.nodes',
  'Query.sectionsAssignedToMe',
  'Subscription.collectiveActivity',
  'Subscription.dashboard',
  'Subscription.myFeed',
  'Subscription.nodeChanges',
  'Subscription.sectionPresence',
  'Subscription.sectionSync',
  'TenderResponse.sections',
  'TenderResponse.submissions',
].sort();

/** Every field of Query, Subscription and TenderResponse whose type (through lists, connections, unions) is a carrier. */
function carrierPaths(): string[] {
  const require = createRequire(new URL('../../server/package.json', import.meta.url));
  const graphql = require('graphql') as typeof import('graphql');
  const schema = graphql.buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));
  const reaches = new Map<string, boolean>();
  const leads = (typeName: string, seen: Set<string>): boolean => {
    if (CARRIERS.has(typeName)) return true;
    if (reaches.has(typeName)) return reaches.get(typeName) as boolean;
    if (seen.has(typeName)) return false;
    seen.add(typeName);
    const type = schema.getType(typeName);
    let result = false;
    if (graphql.isUnionType(type)) result = type.getTypes().some((member) => leads(member.name, seen));
    // Connections and edges lead where their nodes do; other objects are carriers only if listed.
    else if (graphql.isObjectType(type) && /(Connection|Edge)$/.test(typeName))
      result = Object.values(type.getFields()).some((field) => leads(graphql.getNamedType(field.type).name, seen));
    reaches.set(typeName, result);
    return result;
  };
  const paths: string[] = [];
  for (const root of ['Query', 'Subscription', 'TenderResponse']) {
    const type = schema.getType(root) as import('graphql').GraphQLObjectType;
    for (const field of Object.values(type.getFields()))
      if (leads(graphql.getNamedType(field.type).name, new Set())) paths.push(`${root}.${field.name}`);
  }
  return paths.sort();
}

async function gql(query: string, variables: Record<string, unknown>, token: string): Promise<Json> {
  const result = await t.gql(query, variables, token);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data;
}

async function mutate(query: string, variables: Record<string, unknown>, token: string): Promise<Json> {
  const data = await gql(query, variables, token);
  const answer = Object.values(data ?? {})[0] as Json;
  expect(answer.__typename, JSON.stringify(answer)).toMatch(/Success$/);
  return answer;
}

function paragraphUpdate(text: string): string {
  const doc = new Y.Doc();
  const paragraph = new Y.XmlElement('paragraph');
  doc.getXmlFragment('body').insert(0, [paragraph]);
  paragraph.insert(0, [new Y.XmlText(text)]);
  return Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64');
}

const PUSH = `mutation($input: PushSectionUpdateInput!) { pushSectionUpdate(input: $input) { __typename ... on Error { message } } }`;
const UPDATE_SECTION = `mutation($input: UpdateTenderSectionInput!) { updateTenderSection(input: $input) { __typename ... on Error { message } } }`;

const RESPONSE = /* GraphQL */ `
  query($id: ID!) {
    node(id: $id) {
      ... on TenderResponse {
        sections {
          id title restricted wordCount characterCount isOverLimit
          content { markdown words characters contentHash }
          versions(first: 50) { edges { node { id name markdown contentHash } } }
          approval { contentHash }
        }
        checklist { total done inReview overLimit progress }
        submissions { submittedAt sections { position title content sha256 } }
      }
    }
  }
`;
const NODES = /* GraphQL */ `
  query($ids: [ID!]!) {
    nodes(ids: $ids) {
      __typename
      ... on TenderSection { title wordCount characterCount content { markdown words characters } }
      ... on SectionVersion { name markdown }
    }
  }
`;
const ACTIVITY = /* GraphQL */ `
  query($collectiveId: ID, $subjectId: ID, $concerningMe: Boolean) {
    activity(collectiveId: $collectiveId, subjectId: $subjectId, concerningMe: $concerningMe, first: 100) {
      edges { node { type subjectId payload } }
    }
  }
`;
const STREAMS = {
  collectiveActivity: `subscription($id: ID!) { collectiveActivity(collectiveId: $id) { __typename ... on ActivityEvent { type subjectId payload } } }`,
  myFeed: `subscription { myFeed { __typename ... on ActivityEvent { type subjectId payload } } }`,
  dashboard: `subscription { dashboard { recentActivity { type subjectId payload } } }`,
  responseChanges: `subscription($id: ID!) { nodeChanges(id: $id) { __typename ... on ActivityEvent { type subjectId payload } } }`,
  sectionChanges: `subscription($id: ID!) { nodeChanges(id: $id) { __typename ... on ActivityEvent { type subjectId payload } } }`,
  sectionSync: `subscription($id: ID!) { sectionSync(sectionId: $id) { kind update } }`,
  sectionPresence: `subscription($id: ID!) { sectionPresence(sectionId: $id) { clientId name cursor } }`,
} as const;
type StreamName = keyof typeof STREAMS;

/** The text of a DOCX's body (its document.xml, tags removed). */
async function docxText(base64OrBuffer: string | Buffer): Promise<string> {
  const zip = await JSZip.loadAsync(typeof base64OrBuffer === 'string' ? Buffer.from(base64OrBuffer, 'base64') : base64OrBuffer);
  const xml = (await zip.file('word/document.xml')?.async('string')) ?? '';
  return xml.replace(/<[^>]+>/g, '');
}

async function world() {
  const prisma = t.db.prisma;
  const [lead, owner, walker, insider] = await Promise.all([1, 2, 3, 4].map(() => makeMember(prisma)));
  if (!lead || !owner || !walker || !insider) throw new Error('members');
  const staff = await makeMember(prisma, SUPPORT_STAFF);
  const collective = await makeBiddingCollective(prisma, lead.id, [insider.id]);
  const deal = await makeTenderDeal(prisma, collective.id, { totalAmountCents: 1000 });
  await prisma.dealPartner.create({
    data: { dealId: deal.id, memberId: lead.id, isLead: true, shareBasisPoints: 4000, amountCents: 400 },
  });
  const ownerPartner = await prisma.dealPartner.create({
    data: { dealId: deal.id, memberId: owner.id, shareBasisPoints: 3000, amountCents: 300 },
  });
  await prisma.dealPartner.create({ data: { dealId: deal.id, memberId: walker.id, shareBasisPoints: 3000, amountCents: 300 } });
  const tokens = {
    lead: await t.tokenFor(lead.id),
    owner: await t.tokenFor(owner.id),
    walker: await t.tokenFor(walker.id),
    insider: await t.tokenFor(insider.id),
    staff: await t.tokenFor(staff.id),
  };
  // The response and its sections through the API, so the events (and the delivery index) are the real ones.
  const created = await mutate(
    `mutation($input: CreateTenderResponseInput!) { createTenderResponse(input: $input) { __typename ... on Error { message }
      ... on MutationCreateTenderResponseSuccess { data { id sections { id kind } } } } }`,
    { input: { dealId: gid('Deal', deal.id), withDefaultSections: true } },
    tokens.lead,
  );
  const sections = created.data.sections as Array<{ id: string; kind: string }>;
  const openSection = sections.find((s) => s.kind === 'TECHNICAL_PROPOSAL')?.id as string;
  const restricted = sections.find((s) => s.kind === 'PRICE_SCHEDULE')?.id as string;
  await mutate(
    UPDATE_SECTION,
    {
      input: {
        sectionId: restricted,
        title: 'Bordereau SECRETTITRE',
        restricted: true,
        ownerPartnerId: gid('DealPartner', ownerPartner.id),
      },
    },
    tokens.lead,
  );
  return {
    lead,
    owner,
    walker,
    insider,
    staff,
    collective,
    deal,
    tokens,
    responseId: created.data.id as string,
    openSection,
    restricted,
  };
}
type World = Awaited<ReturnType<typeof world>>;

/** Everything `token` can read of the response, by every query path, as one JSON text (and the parsed parts). */
async function readAll(w: World, token: string, versionIds: string[]) {
  const response = (await gql(RESPONSE, { id: w.responseId }, token)).node;
  const nodes = (await gql(NODES, { ids: [w.restricted, ...versionIds] }, token)).nodes;
  const assigned = await gql('{ sectionsAssignedToMe { id title content { markdown } } }', {}, token);
  const activity = [
    await gql(ACTIVITY, { collectiveId: gid('Collective', w.collective.id) }, token),
    await gql(ACTIVITY, { subjectId: w.restricted }, token),
    await gql(ACTIVITY, { concerningMe: true }, token),
    await gql(ACTIVITY, {}, token),
  ];
  const dashboard = await gql('{ dashboard { recentActivity { type subjectId payload } } }', {}, token);
  const markdown = await gql(
    'query($id: ID!) { exportTenderResponse(responseId: $id, format: MARKDOWN) { base64 } }',
    { id: w.responseId },
    token,
  );
  const docx = await gql(
    'query($id: ID!) { exportTenderResponse(responseId: $id, format: DOCX) { base64 } }',
    { id: w.responseId },
    token,
  );
  const http = await fetch(`${url}/exports/tender-response?id=${encodeURIComponent(w.responseId)}&format=docx`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(http.status).toBe(200);
  const parts = {
    json: JSON.stringify({ response, nodes, assigned, activity, dashboard }),
    markdown: Buffer.from(markdown.exportTenderResponse.base64, 'base64').toString('utf8'),
    docx: await docxText(docx.exportTenderResponse.base64),
    http: await docxText(Buffer.from(await http.arrayBuffer())),
  };
  return { ...parts, all: Object.values(parts).join('\n'), response, nodes };
}

/** Opens every stream as `token` on the response and its two sections. */
function openStreams(w: World, token: string): Record<StreamName, { inbox: Inbox; stop: () => Promise<void> }> {
  const variables: Record<StreamName, Record<string, unknown>> = {
    collectiveActivity: { id: gid('Collective', w.collective.id) },
    myFeed: {},
    dashboard: {},
    responseChanges: { id: w.responseId },
    sectionChanges: { id: w.restricted },
    sectionSync: { id: w.restricted },
    sectionPresence: { id: w.restricted },
  };
  return Object.fromEntries(
    (Object.keys(STREAMS) as StreamName[]).map((name) => [name, open('ws', url, token, STREAMS[name], variables[name])]),
  ) as Record<StreamName, { inbox: Inbox; stop: () => Promise<void> }>;
}

/** Resolves with the first message of `inbox` that satisfies `predicate`. */
async function until(inbox: Inbox, predicate: (message: Json) => boolean): Promise<void> {
  for (let count = 1; ; count += 1) {
    const messages = await inbox.waitFor(count);
    if (predicate(messages[count - 1])) return;
  }
}

const eventOf = (message: Json) => message.collectiveActivity ?? message.myFeed ?? message.nodeChanges;

describe('Privacy walk: a restricted section on every path', () => {
  it('should enumerate the paths from the schema, and walk them all', () => {
    expect(carrierPaths()).toEqual(WALKED);
  });

  // Found by an attacker: removing a restricted section dropped its restriction before the `removed` event was
  // delivered, so every partner received it live, and the section's whole history (kind, position, due date) then
  // read as unrestricted.
  it('should keep a removed restricted section’s events from a partner who is neither owner nor lead', async () => {
    const w = await world();
    const id = gid('Collective', w.collective.id);
    // From the log's position now: nothing after it can be missed, however late the subscriptions start.
    const after = (await gql('{ activity(first: 1) { livePosition } }', {}, w.tokens.lead)).activity.livePosition;
    const stream = `subscription($id: ID!, $after: String) { collectiveActivity(collectiveId: $id, after: $after) {
      __typename ... on ActivityEvent { type subjectId payload } } }`;
    const walker = open('ws', url, w.tokens.walker, stream, { id, after });
    const owner = open('ws', url, w.tokens.owner, stream, { id, after });
    try {
      const added = await mutate(
        `mutation($input: AddTenderSectionInput!) { addTenderSection(input: $input) { __typename ... on Error { message }
          ... on MutationAddTenderSectionSuccess { data { id } } } }`,
        {
          input: {
            responseId: w.responseId,
            kind: 'PRICE_SCHEDULE',
            title: 'Annexe SECRETTITRE',
            restricted: true,
            ownerPartnerId: gid(
              'DealPartner',
              (await t.db.prisma.dealPartner.findFirstOrThrow({ where: { memberId: w.owner.id } })).id,
            ),
          },
        },
        w.tokens.lead,
      );
      const removedId = added.data.id as string;
      await mutate(
        `mutation($input: RemoveTenderSectionInput!) { removeTenderSection(input: $input) { __typename ... on Error { message } } }`,
        { input: { sectionId: removedId } },
        w.tokens.lead,
      );
      // A change everyone may see, after the removal: once the walker has it, they had everything before it.
      await mutate(UPDATE_SECTION, { input: { sectionId: w.openSection, title: 'Mémoire technique (suite)' } }, w.tokens.lead);
      await until(walker.inbox, (message) => eventOf(message)?.subjectId === w.openSection);
      await until(owner.inbox, (message) => eventOf(message)?.subjectId === w.openSection);
      const about = (inbox: Inbox) =>
        inbox.received
          .map(eventOf)
          .filter((event) => event?.subjectId === removedId)
          .map((e) => e.type);
      expect(about(walker.inbox)).toEqual([]);
      expect(about(owner.inbox)).toEqual(['tenderSection.added', 'tenderSection.removed']);
      // History reads the same rule.
      const history = async (token: string) =>
        (await gql(ACTIVITY, { subjectId: removedId }, token)).activity.edges.map((edge: Json) => edge.node.type);
      expect(await history(w.tokens.walker)).toEqual([]);
      expect(await history(w.tokens.insider)).toEqual([]);
      expect((await history(w.tokens.owner)).sort()).toEqual(['tenderSection.added', 'tenderSection.removed']);
    } finally {
      await Promise.all([walker.stop(), owner.stop()]);
    }
  });

  it('should keep a restricted section’s text and figures from a partner who is neither owner nor lead, before and after submission', async () => {
    const w = await world();
    const walkers = { walker: openStreams(w, w.tokens.walker), insider: openStreams(w, w.tokens.insider) };
    const ownerSees = open('ws', url, w.tokens.owner, STREAMS.sectionChanges, { id: w.restricted });
    try {
      // The restricted section, its stream and its node are refused as if it did not exist.
      for (const streams of Object.values(walkers)) {
        for (const name of ['sectionChanges', 'sectionSync', 'sectionPresence'] as const) {
          await streams[name].inbox.waitForEnd(30_000);
          expect(errorCodes(streams[name].inbox)).toEqual(['NOT_FOUND']);
        }
        await streams.dashboard.inbox.waitFor(1);
      }

      // The owner writes the restricted section and names a version; the lead writes the open one.
      await mutate(PUSH, { input: { sectionId: w.restricted, update: paragraphUpdate(SECRET_TEXT) } }, w.tokens.owner);
      const version = await mutate(
        `mutation($input: SaveSectionVersionInput!) { saveSectionVersion(input: $input) { __typename ... on Error { message }
          ... on MutationSaveSectionVersionSuccess { data { id } } } }`,
        { input: { sectionId: w.restricted, name: 'Version SECRETNOM' } },
        w.tokens.owner,
      );
      await mutate(PUSH, { input: { sectionId: w.openSection, update: paragraphUpdate(OPEN_TEXT) } }, w.tokens.lead);
      // The figures of the restricted section are counted (its owner sees them change)…
      await until(ownerSees.inbox, (m) => m.nodeChanges?.type === 'tenderSection.figuresChanged');
      // …and an event of the open section after them: once it arrived, everything before it did too.
      await mutate(UPDATE_SECTION, { input: { sectionId: w.openSection, title: 'Mémoire, version 2' } }, w.tokens.lead);
      for (const streams of Object.values(walkers)) {
        await until(
          streams.collectiveActivity.inbox,
          (m) => eventOf(m)?.type === 'tenderSection.updated' && eventOf(m)?.subjectId === w.openSection,
        );
      }
      const versionIds = [version.data.id as string];

      const check = async (who: 'walker' | 'insider', when: string) => {
        const seen = await readAll(w, w.tokens[who], versionIds);
        for (const secret of SECRETS) expect(seen.all, `${who} ${when}: ${secret}`).not.toContain(secret);
        expect(seen.all, `${who} ${when}: restricted section ID`).not.toContain(w.restricted);
        expect(seen.nodes).toEqual([null, null]);
        // Its figures: not in the checklist either (the open sections only).
        const sections = seen.response.sections as Json[];
        expect(sections.map((s: Json) => s.id)).not.toContain(w.restricted);
        expect(seen.response.checklist.total).toBe(sections.length);
        // The open section's text does reach them.
        expect(seen.all).toContain('OUVERTE');
        // Streams: nothing of the restricted section, and the deal's events reach the outside partner too.
        const streamed = JSON.stringify(
          (['collectiveActivity', 'myFeed', 'dashboard', 'responseChanges'] as const).map(
            (name) => walkers[who][name].inbox.received,
          ),
        );
        for (const secret of SECRETS) expect(streamed, `${who} ${when} streams: ${secret}`).not.toContain(secret);
        expect(streamed, `${who} ${when} streams`).not.toContain(w.restricted);
        expect(streamed).toContain(w.openSection);
      };
      await check('walker', 'before submission');
      await check('insider', 'before submission');

      // The deal is submitted: the record holds every section, each shown to who may open it.
      await mutate(
        'mutation($input: ChangeDealStatusInput!) { changeDealStatus(input: $input) { __typename ... on Error { message } } }',
        { input: { dealId: gid('Deal', w.deal.id), status: 'SUBMITTED' } },
        w.tokens.lead,
      );
      const record = await t.db.prisma.submissionRecord.findFirstOrThrow({
        include: { sections: true },
        where: { dealId: w.deal.id },
      });
      expect(record.sections.some((s) => s.content.includes('SECRETPRIX'))).toBe(true);
      await t.app.events.sync();
      await check('walker', 'after submission');
      await check('insider', 'after submission');

      // The owner, the lead and the support staff see it on every path.
      for (const who of ['owner', 'lead', 'staff'] as const) {
        const seen = await readAll(w, w.tokens[who], versionIds);
        expect(
          seen.nodes.map((n: Json) => n?.__typename),
          who,
        ).toEqual(['TenderSection', 'SectionVersion']);
        const restricted = (seen.response.sections as Json[]).find((s) => s.id === w.restricted);
        expect(restricted?.content.markdown, who).toContain('SECRETPRIX');
        expect(restricted?.wordCount, who).toBeGreaterThan(0);
        const submitted = JSON.stringify(seen.response.submissions);
        expect(submitted, who).toContain('SECRETPRIX');
        expect(seen.markdown, who).toContain('SECRETPRIX');
        expect(seen.docx, who).toContain('SECRETPRIX');
        expect(seen.http, who).toContain('987654');
      }
    } finally {
      await ownerSees.stop();
      await Promise.all(Object.values(walkers).flatMap((streams) => Object.values(streams).map((stream) => stream.stop())));
    }
  }, 180_000);
});
