import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { openSession } from '../../server/src/auth/sessions.js';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { textOf } from '../support/collab.js';
import { errorCodes, type Inbox, open, type Transport } from '../support/live.js';
import { membersAsPartners } from '../support/restricted-deal.js';
import { gid, makeBiddingCollective, makeCollective, makeMember, makeTenderDeal, SUPPORT_STAFF } from '../support/scenario.js';
import { until } from '../support/waits.js';

/**
 * Issue 10, item 1: every long-lived stream × every change that can take its right away, over graphql-ws and
 * SSE. Each cell opens the six streams for one listener, makes the change, and checks the outcome: the
 * stream ends with its code, or it goes on delivering only what the listener may still see.
 */

const STREAMS = ['collectiveActivity', 'nodeChanges', 'myFeed', 'dashboard', 'sectionSync', 'sectionPresence'] as const;
type Stream = (typeof STREAMS)[number];

const CHANGES = [
  'signOut',
  'sessionExpiry',
  'leaveCooperative',
  'leaveCooperativeSelf',
  'leaveCollective',
  'collectiveClosed',
  'sectionRestricted',
  'sectionOwnerChanged',
  'dealPartnersChanged',
] as const;
type Change = (typeof CHANGES)[number];

/** What a stream does after the change: ends with a code, goes on (without what is no longer visible), or could not be opened. */
type Outcome = 'SESSION_REVOKED' | 'SESSION_EXPIRED' | 'ACCESS_REVOKED' | 'continues' | 'refused';

const all = (outcome: Outcome) => Object.fromEntries(STREAMS.map((stream) => [stream, outcome])) as Record<Stream, Outcome>;
const lostSection = { nodeChanges: 'ACCESS_REVOKED', sectionSync: 'ACCESS_REVOKED', sectionPresence: 'ACCESS_REVOKED' } as const;

/** The expected matrix. A partner from outside the collective follows its activity for their deal's events. */
const EXPECTED: Record<Change, Record<Stream, Outcome>> = {
  signOut: all('SESSION_REVOKED'),
  sessionExpiry: all('SESSION_EXPIRED'),
  leaveCooperative: all('SESSION_REVOKED'),
  leaveCooperativeSelf: all('SESSION_REVOKED'),
  leaveCollective: { ...all('continues'), collectiveActivity: 'ACCESS_REVOKED', ...lostSection },
  collectiveClosed: { ...all('continues'), collectiveActivity: 'ACCESS_REVOKED', ...lostSection },
  sectionRestricted: { ...all('continues'), ...lostSection },
  sectionOwnerChanged: { ...all('continues'), ...lostSection },
  dealPartnersChanged: { ...all('continues'), collectiveActivity: 'ACCESS_REVOKED', ...lostSection },
};

/** Who listens: the collective's member, or the member-partner of the deal from outside the collective. */
const LISTENER: Record<Change, 'insider' | 'partner'> = {
  signOut: 'insider',
  sessionExpiry: 'insider',
  leaveCooperative: 'insider',
  leaveCooperativeSelf: 'insider',
  leaveCollective: 'insider',
  collectiveClosed: 'insider',
  sectionRestricted: 'insider',
  sectionOwnerChanged: 'partner',
  dealPartnersChanged: 'partner',
};

const QUERIES: Record<Stream, string> = {
  collectiveActivity: `subscription($id: ID!) { collectiveActivity(collectiveId: $id) {
    __typename ... on ActivityEvent { type position payload } } }`,
  nodeChanges: `subscription($id: ID!) { nodeChanges(id: $id) { __typename ... on ActivityEvent { type position } } }`,
  myFeed: `subscription { myFeed { __typename ... on ActivityEvent { type position payload } } }`,
  dashboard: `subscription { dashboard { position deals { status count } collectives { kind status count } } }`,
  sectionSync: `subscription($id: ID!) { sectionSync(sectionId: $id) { kind update } }`,
  sectionPresence: `subscription($id: ID!) { sectionPresence(sectionId: $id) { clientId name } }`,
};

const LA_POSTE_SIRET = '35600000000048';
const SESSION_TTL_FOR_EXPIRY_MS = 8_000;

let t: TestApp;
let url: string;
/** The matrix's rows by transport and change: a retried test replaces its row instead of adding one. */
const results = new Map<string, string>();

beforeAll(async () => {
  t = await createTestApp();
  url = await t.app.start();
});
afterAll(async () => {
  // The matrix, as the closing note shows it.
  console.info(`Stream × change matrix:\n${[...results.values()].join('\n')}`);
  await t.close();
});

beforeEach(async () => {
  await until(() => t.app.live.streamCount === 0);
});

async function mutate(query: string, variables: Record<string, unknown>, token: string): Promise<Json> {
  const result = await t.gql(query, variables, token);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  const data = Object.values(result.data ?? {})[0] as Json;
  if (data && typeof data === 'object' && '__typename' in data) expect(data.__typename, JSON.stringify(data)).toMatch(/Success$/);
  return data;
}

/** A Yjs update adding a paragraph with `text` to a section body. */
function paragraph(doc: Y.Doc, text: string): string {
  const before = Y.encodeStateVector(doc);
  doc.transact(() => {
    const element = new Y.XmlElement('paragraph');
    element.insert(0, [new Y.XmlText(text)]);
    doc.getXmlFragment('body').push([element]);
  });
  return Buffer.from(Y.encodeStateAsUpdate(doc, before)).toString('base64');
}

const PUSH = `mutation($input: PushSectionUpdateInput!) { pushSectionUpdate(input: $input) { __typename ... on Error { message } } }`;
const PRESENCE = `mutation($input: UpdatePresenceInput!) { updatePresence(input: $input) { __typename ... on Error { message } } }`;

/**
 * A one-off business collective bidding with a deal: `lead` animates it and leads the deal, `insider` is a
 * member, `partner` a member-partner from outside the collective, `staff` support staff, `other` animates a
 * second collective (to send the listener an invitation that their feed shows).
 */
async function world(restrictedToPartner: boolean) {
  const prisma = t.db.prisma;
  const [lead, insider, partner, other] = await Promise.all([
    makeMember(prisma),
    makeMember(prisma),
    makeMember(prisma),
    makeMember(prisma),
  ]);
  const staff = await makeMember(prisma, SUPPORT_STAFF);
  const collective = await makeBiddingCollective(prisma, lead.id, [insider.id]);
  const elsewhere = await makeCollective(prisma, {
    animatorId: other.id,
    kind: 'BUSINESS',
    horizon: 'LONG_TERM',
    openness: 'CLOSED',
  });
  const deal = await makeTenderDeal(prisma, collective.id);
  const leadPartner = await prisma.dealPartner.create({
    data: { dealId: deal.id, memberId: lead.id, isLead: true, shareBasisPoints: 5000 },
  });
  const memberPartner = await prisma.dealPartner.create({
    data: { dealId: deal.id, memberId: partner.id, shareBasisPoints: 5000 },
  });
  const response = await prisma.tenderResponse.create({
    data: { collectiveId: collective.id, dealId: deal.id, opportunityId: deal.opportunityId, title: 'Réponse' },
  });
  const section = await prisma.tenderSection.create({
    data: {
      responseId: response.id,
      kind: 'TECHNICAL_PROPOSAL',
      title: 'Mémoire technique',
      position: 1,
      ...(restrictedToPartner ? { restricted: true, ownerPartnerId: memberPartner.id } : {}),
    },
  });
  const tokens = {
    lead: await t.tokenFor(lead.id),
    insider: await t.tokenFor(insider.id),
    partner: await t.tokenFor(partner.id),
    staff: await t.tokenFor(staff.id),
    other: await t.tokenFor(other.id),
  };
  return {
    lead,
    insider,
    partner,
    staff,
    other,
    collective,
    elsewhere,
    deal,
    leadPartner,
    memberPartner,
    response,
    section,
    tokens,
  };
}
type World = Awaited<ReturnType<typeof world>>;

async function change(kind: Change, w: World, listenerToken: string): Promise<void> {
  const listener = LISTENER[kind] === 'insider' ? w.insider : w.partner;
  switch (kind) {
    case 'signOut':
      expect((await t.gql('mutation { signOut }', {}, listenerToken)).data?.signOut).toBe(true);
      return;
    case 'sessionExpiry':
      return; // the session simply runs out
    case 'leaveCooperative':
      await mutate(
        'mutation($id: ID!) { leaveCooperative(input: { memberId: $id }) { __typename ... on Error { message } } }',
        { id: gid('Member', listener.id) },
        w.tokens.staff,
      );
      return;
    case 'leaveCooperativeSelf':
      // The member leaves on their own, from the web app's profile screen (the same mutation, their own token).
      await mutate(
        'mutation($id: ID!) { leaveCooperative(input: { memberId: $id }) { __typename ... on Error { message } } }',
        { id: gid('Member', listener.id) },
        listenerToken,
      );
      return;
    case 'leaveCollective':
      await mutate(
        'mutation($id: ID!) { leaveCollective(input: { collectiveId: $id }) { __typename ... on Error { message } } }',
        { id: gid('Collective', w.collective.id) },
        listenerToken,
      );
      return;
    case 'collectiveClosed':
      await mutate(
        'mutation($id: ID!) { closeCollective(id: $id) { __typename ... on Error { message } } }',
        { id: gid('Collective', w.collective.id) },
        w.tokens.lead,
      );
      return;
    case 'sectionRestricted':
      await mutate(
        'mutation($input: UpdateTenderSectionInput!) { updateTenderSection(input: $input) { __typename ... on Error { message } } }',
        {
          input: {
            sectionId: gid('TenderSection', w.section.id),
            restricted: true,
            ownerPartnerId: gid('DealPartner', w.memberPartner.id),
          },
        },
        w.tokens.lead,
      );
      return;
    case 'sectionOwnerChanged':
      await mutate(
        'mutation($input: UpdateTenderSectionInput!) { updateTenderSection(input: $input) { __typename ... on Error { message } } }',
        { input: { sectionId: gid('TenderSection', w.section.id), ownerPartnerId: gid('DealPartner', w.leadPartner.id) } },
        w.tokens.lead,
      );
      return;
    case 'dealPartnersChanged':
      await mutate(
        `mutation($input: SetDealPartnersInput!) { setDealPartners(input: $input) { __typename ... on Error { message }
          ... on RuleViolationError { rule field } } }`,
        {
          input: {
            dealId: gid('Deal', w.deal.id),
            partners: [
              { memberId: gid('Member', w.lead.id), isLead: true, shareBasisPoints: 5000 },
              { companyName: 'La Poste', siret: LA_POSTE_SIRET, shareBasisPoints: 5000 },
            ],
          },
        },
        w.tokens.lead,
      );
      return;
  }
}

/** Resolves with the first message that satisfies `predicate`, from `from` on. */
async function messageWhere(inbox: Inbox, from: number, predicate: (message: Json) => boolean): Promise<Json> {
  for (let count = from + 1; ; count += 1) {
    const messages = await inbox.waitFor(count);
    const message = messages[count - 1];
    if (predicate(message)) return message;
  }
}

const preparing = (message: Json) =>
  (message.dashboard.deals as Array<{ status: string; count: number }>).find((row) => row.status === 'PREPARING')?.count ?? 0;

for (const transport of ['ws', 'sse'] as Transport[]) {
  describe(`Every stream × every access change over ${transport}`, () => {
    for (const kind of CHANGES) {
      it(`should apply "${kind}" to every stream at once`, async () => {
        const w = await world(kind === 'sectionOwnerChanged');
        const listener = LISTENER[kind] === 'insider' ? w.insider : w.partner;
        const listenerToken =
          kind === 'sessionExpiry'
            ? (await openSession(t.db.prisma, listener.id, SESSION_TTL_FOR_EXPIRY_MS)).token
            : LISTENER[kind] === 'insider'
              ? w.tokens.insider
              : w.tokens.partner;
        const variables: Record<Stream, Record<string, unknown>> = {
          collectiveActivity: { id: gid('Collective', w.collective.id) },
          nodeChanges: { id: gid('TenderSection', w.section.id) },
          myFeed: {},
          dashboard: {},
          sectionSync: { id: gid('TenderSection', w.section.id) },
          sectionPresence: { id: gid('TenderSection', w.section.id) },
        };
        const streams = Object.fromEntries(
          STREAMS.map((stream) => [stream, open(transport, url, listenerToken, QUERIES[stream], variables[stream])]),
        ) as Record<Stream, ReturnType<typeof open>>;
        try {
          // Opened: the refused stream answers a typed error; the others are registered (those with a first
          // message have sent it).
          const expected = EXPECTED[kind];
          const opened = STREAMS.filter((stream) => expected[stream] !== 'refused');
          for (const stream of STREAMS.filter((s) => expected[s] === 'refused')) {
            await streams[stream].inbox.waitForEnd();
            expect(errorCodes(streams[stream].inbox)).toEqual(['FORBIDDEN']);
          }
          await streams.dashboard.inbox.waitFor(1);
          await streams.sectionSync.inbox.waitFor(1);
          await streams.sectionPresence.inbox.waitFor(1);
          await until(() => t.app.live.streamCount === opened.length);
          const dashboardBefore = streams.dashboard.inbox.received.length;
          expect(preparing(streams.dashboard.inbox.received[0])).toBe(1);

          await change(kind, w, listenerToken);
          // An expiry is no mutation: the change happens when the session runs out.
          if (kind === 'sessionExpiry') await streams.sectionSync.inbox.waitForEnd(30_000);
          // Right after the change (before any stream has been seen to end), others type and move their cursor.
          const leadDoc = new Y.Doc();
          await mutate(
            PUSH,
            { input: { sectionId: gid('TenderSection', w.section.id), update: paragraph(leadDoc, 'Après le changement') } },
            w.tokens.lead,
          );
          await mutate(
            PRESENCE,
            {
              input: {
                sectionId: gid('TenderSection', w.section.id),
                cursor: { anchor: { item: { client: 1, clock: 0 } }, head: { item: { client: 1, clock: 0 } } },
              },
            },
            w.tokens.lead,
          );

          const outcomes: Partial<Record<Stream, string>> = {};
          for (const stream of opened) {
            const { inbox } = streams[stream];
            if (expected[stream] === 'continues') continue;
            await inbox.waitForEnd(30_000);
            outcomes[stream] = errorCodes(inbox).join(',');
          }
          // Nothing typed after the change reached a listener who lost the section.
          if (expected.sectionSync !== 'continues') {
            const doc = new Y.Doc();
            for (const message of streams.sectionSync.inbox.received)
              Y.applyUpdate(doc, Buffer.from(message.sectionSync.update, 'base64'));
            expect(textOf(doc.getXmlFragment('body'))).not.toContain('Après le changement');
            // Only the lead set presence, after the change: the listener saw no one.
            for (const message of streams.sectionPresence.inbox.received) expect(message.sectionPresence).toEqual([]);
          }

          // The streams that go on deliver what the listener may still see.
          if (expected.myFeed === 'continues') {
            await mutate(
              'mutation($c: ID!, $m: ID!) { inviteMember(input: { collectiveId: $c, memberId: $m }) { __typename ... on Error { message } } }',
              { c: gid('Collective', w.elsewhere.id), m: gid('Member', listener.id) },
              w.tokens.other,
            );
            const invited = await messageWhere(streams.myFeed.inbox, 0, (m) => m.myFeed.type === 'membership.invited');
            expect(invited.myFeed.payload.memberId).toBe(gid('Member', listener.id));
            outcomes.myFeed = 'continues';
          }
          if (expected.dashboard === 'continues') {
            // The very next push counts the deal only if the listener still takes part in it (issue 10 item 11).
            const stillPartner = kind === 'sectionRestricted' || kind === 'sectionOwnerChanged';
            const next = await messageWhere(streams.dashboard.inbox, dashboardBefore, () => true);
            expect(preparing(next)).toBe(stillPartner ? 1 : 0);
            outcomes.dashboard = 'continues';
          }
          if (kind === 'sectionRestricted' || kind === 'sectionOwnerChanged') {
            // Their screens are told the section is no longer theirs, with nothing of it but its response; the
            // change itself (a restricted section's update) is not theirs.
            const { inbox } = streams.collectiveActivity;
            const withdrawn = await messageWhere(inbox, 0, (m) => m.collectiveActivity.type === 'tenderSection.withdrawn');
            expect(withdrawn.collectiveActivity.payload).toEqual({ responseId: gid('TenderResponse', w.response.id) });
            expect(inbox.received.map((m) => m.collectiveActivity.type)).not.toContain('tenderSection.updated');
          }
          if (expected.collectiveActivity === 'continues') {
            await mutate(
              'mutation($id: ID!) { updateCollective(input: { id: $id, purpose: "Toujours visible" }) { __typename ... on Error { message } } }',
              { id: gid('Collective', w.collective.id) },
              w.tokens.lead,
            );
            if (LISTENER[kind] === 'insider') {
              await messageWhere(streams.collectiveActivity.inbox, 0, (m) => m.collectiveActivity.type === 'collective.updated');
            } else {
              // A partner from outside the collective receives their deal's events, and nothing else of it.
              await mutate(
                'mutation($id: ID!) { updateDeal(input: { id: $id, title: "Groupement renommé" }) { __typename ... on Error { message } } }',
                { id: gid('Deal', w.deal.id) },
                w.tokens.lead,
              );
              await messageWhere(streams.collectiveActivity.inbox, 0, (m) => m.collectiveActivity.type === 'deal.updated');
              const types = streams.collectiveActivity.inbox.received.map((m) => m.collectiveActivity.type);
              expect(types).not.toContain('collective.updated');
            }
            outcomes.collectiveActivity = 'continues';
          }
          for (const stream of STREAMS) if (expected[stream] === 'refused') outcomes[stream] = 'refused';
          results.set(
            `${transport} ${kind}`,
            `${transport} ${kind.padEnd(20)} ${STREAMS.map((s) => `${s}=${outcomes[s]}`).join(' ')}`,
          );
          expect(outcomes).toEqual(expected);
          // The ended streams are released.
          await until(() => t.app.live.streamCount === STREAMS.filter((s) => expected[s] === 'continues').length);
        } finally {
          await Promise.all(Object.values(streams).map((stream) => stream.stop()));
        }
      }, 90_000);
    }
  });
}

const REPLAY = `subscription($id: ID!, $after: String) { collectiveActivity(collectiveId: $id, after: $after) {
  __typename ... on ActivityEvent { type position payload } } }`;

type Listening = 'insider' | 'partner' | 'lead';

/** Marks made so far (`activitySeen`). */
let marks = 0;

/**
 * What each of `who`'s `collectiveActivity` streams (from `after`, if given) delivered up to a `deal.updated` made
 * after `act` (which they all see): the events, the `deal.updated` left out.
 */
async function activitySeen(
  w: World,
  act: () => Promise<void>,
  { after, who = ['insider', 'partner', 'lead'] }: { after?: string; who?: Listening[] } = {},
): Promise<Record<string, Json[]>> {
  const listeners = Object.fromEntries(
    who.map((listener) => [
      listener,
      open('ws', url, w.tokens[listener], REPLAY, { id: gid('Collective', w.collective.id), ...(after ? { after } : {}) }),
    ]),
  );
  try {
    await until(() => t.app.live.streamCount === who.length);
    await act();
    // A title of its own each time: a deal renamed to its own title records nothing.
    marks += 1;
    await mutate(
      'mutation($id: ID!, $title: String!) { updateDeal(input: { id: $id, title: $title }) { __typename ... on Error { message } } }',
      { id: gid('Deal', w.deal.id), title: `Après la restriction ${marks}` },
      w.tokens.lead,
    );
    const seen: Record<string, Json[]> = {};
    for (const [listener, { inbox }] of Object.entries(listeners)) {
      await messageWhere(inbox, 0, (m) => m.collectiveActivity.type === 'deal.updated');
      seen[listener] = inbox.received.map((m) => m.collectiveActivity).filter((event) => event.type !== 'deal.updated');
    }
    return seen;
  } finally {
    await Promise.all(Object.values(listeners).map((listener) => listener.stop()));
  }
}

/** The types `activitySeen` saw, those of `prefix` only. */
async function typesSeen(w: World, act: () => Promise<void>, options: { after?: string; who?: Listening[] } = {}, prefix = '') {
  const seen = await activitySeen(w, act, options);
  return Object.fromEntries(
    Object.entries(seen).map(([listener, events]) => [
      listener,
      events.map((event) => event.type as string).filter((type) => type.startsWith(prefix)),
    ]),
  );
}

const logHead = async () => String((await t.db.prisma.eventLog.aggregate({ _max: { position: true } }))._max.position ?? 0n);

describe('A section restricted away', () => {
  it('is withdrawn from the screens of those who lose it, and only theirs, live and in a replay', async () => {
    const w = await world(false);
    const before = await logHead();
    const live = await typesSeen(w, () => change('sectionRestricted', w, w.tokens.insider));
    // The insider could read it and no longer can; the owner partner's member and the lead still read it.
    expect(live).toEqual({
      insider: ['tenderSection.withdrawn'],
      partner: ['tenderSection.updated'],
      lead: ['tenderSection.updated'],
    });
    // Opened to all again, then replayed from before the restriction: the withdrawal stays the insider's alone, as
    // it was when it happened (not judged by who reads the section now).
    await mutate(
      'mutation($input: UpdateTenderSectionInput!) { updateTenderSection(input: $input) { __typename ... on Error { message } } }',
      { input: { sectionId: gid('TenderSection', w.section.id), restricted: false } },
      w.tokens.lead,
    );
    const replayed = await typesSeen(w, async () => {}, { after: before });
    expect(replayed.insider).toContain('tenderSection.withdrawn');
    expect(replayed.partner).not.toContain('tenderSection.withdrawn');
    expect(replayed.lead).not.toContain('tenderSection.withdrawn');
  }, 60_000);

  it('given to another partner: only its former owner is told, no one who never could open it', async () => {
    // Restricted to the member-partner from the start: the insider never could open it, nor learn its ID.
    const w = await world(true);
    const seen = await typesSeen(w, () => change('sectionOwnerChanged', w, w.tokens.partner));
    expect(seen).toEqual({ insider: [], partner: ['tenderSection.withdrawn'], lead: ['tenderSection.updated'] });
  }, 60_000);
});

describe('A restricted section whose readers change with the deal’s partners', () => {
  const SET_PARTNERS = `mutation($input: SetDealPartnersInput!) { setDealPartners(input: $input) { __typename
    ... on Error { message } } }`;
  /** `setDealPartners` by the lead: the listed members, in this order, the first `lead` leading, equal shares. */
  const setPartners = (w: World, members: Array<{ id: string }>, lead: { id: string }) =>
    mutate(SET_PARTNERS, { input: membersAsPartners(w.deal.id, members, lead) }, w.tokens.lead);
  const sectionNode = (token: string, w: World) =>
    t.gql('query($id: ID!) { node(id: $id) { id } }', { id: gid('TenderSection', w.section.id) }, token);

  it('handed to a new lead: the new lead is given it, the former lead told it is gone, live and in a replay', async () => {
    // Restricted to the member-partner from outside the collective: read by them and the lead.
    const w = await world(true);
    const before = await logHead();
    const live = await typesSeen(w, () => setPartners(w, [w.lead, w.partner, w.insider], w.insider), {}, 'tenderSection.');
    // Before: nothing of the section was recorded, so the former lead's screens kept it and the new lead's lacked it.
    expect(live).toEqual({
      insider: ['tenderSection.updated'],
      partner: ['tenderSection.updated'],
      lead: ['tenderSection.withdrawn'],
    });
    expect((await sectionNode(w.tokens.insider, w)).data?.node).not.toBeNull();
    expect((await sectionNode(w.tokens.lead, w)).data?.node).toBeNull();
    // A replay from before the change says the same to the former lead (the withdrawal names whom it was for).
    const replayed = await typesSeen(w, async () => {}, { after: before }, 'tenderSection.');
    expect(replayed.lead).toEqual(['tenderSection.withdrawn']);
  }, 60_000);

  it('handed over when its owner is dropped: its readers see its new owner and people, the one dropped is told', async () => {
    const w = await world(false);
    // The insider joins the deal and restricts the section to their own part, assigned to themself.
    await setPartners(w, [w.lead, w.partner, w.insider], w.lead);
    const insiderPartner = await t.db.prisma.dealPartner.findFirstOrThrow({
      where: { dealId: w.deal.id, memberId: w.insider.id, status: 'ACTIVE' },
    });
    await mutate(
      'mutation($input: UpdateTenderSectionInput!) { updateTenderSection(input: $input) { __typename ... on Error { message } } }',
      {
        input: {
          sectionId: gid('TenderSection', w.section.id),
          restricted: true,
          ownerPartnerId: gid('DealPartner', insiderPartner.id),
          assigneeId: gid('Member', w.insider.id),
        },
      },
      w.tokens.insider,
    );
    const seen = await activitySeen(w, () => setPartners(w, [w.lead, w.partner], w.lead));
    const sectionEvents = (listener: string) =>
      (seen[listener] ?? []).filter((event) => (event.type as string).startsWith('tenderSection.'));
    expect(sectionEvents('insider').map((event) => event.type)).toEqual(['tenderSection.withdrawn']);
    // The partner from outside the collective never could open it, and learns nothing of it.
    expect(sectionEvents('partner')).toEqual([]);
    const [updated] = sectionEvents('lead');
    expect(sectionEvents('lead')).toHaveLength(1);
    expect(updated?.type).toBe('tenderSection.updated');
    expect(updated?.payload).toMatchObject({
      restricted: true,
      ownerPartnerId: gid('DealPartner', w.leadPartner.id),
      assigneeId: gid('Member', w.lead.id),
    });
  }, 60_000);
});
