import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { type App, buildApp } from '../../server/src/app.js';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { paragraphUpdate } from '../support/collab.js';
import { errorCodes, type Inbox, open, type Transport } from '../support/live.js';
import { membersAsPartners, restrictedDealScene } from '../support/restricted-deal.js';
import { gid, makeCollective } from '../support/scenario.js';
import { until } from '../support/waits.js';

/**
 * A deal's partner change records `tenderSection.updated` / `tenderSection.withdrawn` for each restricted section
 * whose readers change (domain/tenders.ts `recordReadersChange`). Who receives them, live, replayed, on another
 * instance? (Written by the attack on 27612e0, stop 28; its three findings are the tests that failed then.)
 */

let t: TestApp;
let url: string;
const extraApps: App[] = [];

beforeAll(async () => {
  t = await createTestApp();
  url = await t.app.start();
});
afterAll(async () => {
  for (const app of extraApps) await app.stop();
  await t.close();
});
beforeEach(async () => {
  await until(() => t.app.live.streamCount === 0);
});

const ACTIVITY = `subscription($id: ID!, $after: String) { collectiveActivity(collectiveId: $id, after: $after) {
  __typename ... on ActivityEvent { type position subjectId actor { id } payload } } }`;
const FEED = `subscription($after: String) { myFeed(after: $after) {
  __typename ... on ActivityEvent { type position subjectId payload } } }`;
const SET_PARTNERS = `mutation($input: SetDealPartnersInput!) { setDealPartners(input: $input) { __typename
  ... on Error { message } } }`;
const SUBSTITUTE = `mutation($input: SubstituteDealPartnerInput!) { substituteDealPartner(input: $input) { __typename
  ... on Error { message } } }`;
const UPDATE_DEAL = `mutation($id: ID!, $title: String!) { updateDeal(input: { id: $id, title: $title }) { __typename
  ... on Error { message } } }`;
const INVITE = `mutation($c: ID!, $m: ID!) { inviteMember(input: { collectiveId: $c, memberId: $m }) { __typename
  ... on Error { message } } }`;
const REMOVE_SECTION = `mutation($input: RemoveTenderSectionInput!) { removeTenderSection(input: $input) { __typename
  ... on Error { message } } }`;

async function mutate(query: string, variables: Record<string, unknown>, token: string): Promise<Json> {
  const result = await t.gql(query, variables, token);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return Object.values(result.data ?? {})[0] as Json;
}
async function mutateOk(query: string, variables: Record<string, unknown>, token: string): Promise<Json> {
  const data = await mutate(query, variables, token);
  expect(data.__typename, JSON.stringify(data)).toMatch(/Success$/);
  return data;
}

const logHead = async () => (await t.db.prisma.eventLog.aggregate({ _max: { position: true } }))._max.position ?? 0n;

/** The scene (tests/support/restricted-deal.ts), its section in review by the lead. */
const world = () => restrictedDealScene(t, 'REVIEW');
type World = Awaited<ReturnType<typeof world>>;
type Who = keyof World['tokens'];

/** `setDealPartners` as `token`: the listed members, in order, `lead` leading, shares summing to 100 %. */
const setPartners = (w: World, members: Array<{ id: string }>, lead: { id: string }, token = w.tokens.lead) =>
  mutate(SET_PARTNERS, { input: membersAsPartners(w.deal.id, members, lead) }, token);

/** The deal submitted, straight in the database (as tests/api/tenders.test.ts does). */
async function submit(w: World) {
  await t.db.prisma.deal.update({ where: { id: w.deal.id }, data: { status: 'SUBMITTED', submittedAt: new Date() } });
}

const substitute = (w: World, partnerId: string, memberId: string, token: string) =>
  mutate(
    SUBSTITUTE,
    {
      input: {
        dealId: gid('Deal', w.deal.id),
        partnerId: gid('DealPartner', partnerId),
        replacement: { memberId: gid('Member', memberId) },
        reason: 'Cessation d’activité',
      },
    },
    token,
  );

interface Listening {
  activity: Record<string, { inbox: Inbox; stop: () => Promise<void> }>;
  feed: Record<string, { inbox: Inbox; stop: () => Promise<void> }>;
}

/**
 * Opens `collectiveActivity` and `myFeed` for each of `who` on `base` (from `after` if given), runs `act`, then marks
 * the end of each stream (a `deal.updated` its activity shows, unless it ended; an invitation elsewhere its feed
 * shows), waits for the marks, and returns the `tenderSection.*` events each stream delivered before them.
 */
async function sectionEventsSeen(
  w: World,
  who: Who[],
  act: () => Promise<void>,
  { after, transport = 'ws', app = t.app, base = url }: { after?: bigint; transport?: Transport; app?: App; base?: string } = {},
) {
  const vars = after !== undefined ? { after: String(after) } : {};
  const listening: Listening = { activity: {}, feed: {} };
  for (const name of who) {
    listening.activity[name] = open(transport, base, w.tokens[name], ACTIVITY, {
      id: gid('Collective', w.collective.id),
      ...vars,
    });
    listening.feed[name] = open(transport, base, w.tokens[name], FEED, vars);
  }
  try {
    await until(() => app.live.streamCount >= who.length * 2, 'every stream open');
    await act();
    const marks = await logHead();
    const marked = (event: Json | undefined, type: string) => event?.type === type && BigInt(event.position) > marks;
    // A title of its own each time: a deal renamed to its own title records nothing.
    await mutateOk(UPDATE_DEAL, { id: gid('Deal', w.deal.id), title: `Marque ${marks}` }, w.tokens.lead);
    // `other` animates a collective of their own and invites each listener: an event of their feed.
    const elsewhere = await makeCollective(t.db.prisma, {
      animatorId: w.other.id,
      kind: 'BUSINESS',
      horizon: 'LONG_TERM',
      openness: 'CLOSED',
    });
    for (const name of who) {
      await mutateOk(INVITE, { c: gid('Collective', elsewhere.id), m: gid('Member', w[name].id) }, w.otherToken);
    }
    for (const name of who) {
      const activity = (listening.activity[name] as { inbox: Inbox }).inbox;
      await until(
        () => errorCodes(activity).length > 0 || activity.received.some((m) => marked(m.collectiveActivity, 'deal.updated')),
        `${name}'s activity marked`,
      );
      const feed = (listening.feed[name] as { inbox: Inbox }).inbox;
      await until(() => feed.received.some((m) => marked(m.myFeed, 'membership.invited')), `${name}'s feed marked`);
    }
    const pick = (inbox: Inbox, field: string) =>
      inbox.received
        .map((m) => m[field])
        .filter((e) => e?.__typename === 'ActivityEvent' && String(e.type).startsWith('tenderSection.'))
        .map((e) => ({ type: e.type as string, subjectId: e.subjectId as string, payload: e.payload as Json }));
    const result: Record<string, { activity: ReturnType<typeof pick>; feed: ReturnType<typeof pick>; ended: string[] }> = {};
    for (const name of who) {
      const activity = (listening.activity[name] as { inbox: Inbox }).inbox;
      result[name] = {
        activity: pick(activity, 'collectiveActivity'),
        feed: pick((listening.feed[name] as { inbox: Inbox }).inbox, 'myFeed'),
        ended: errorCodes(activity),
      };
    }
    return result;
  } finally {
    await Promise.all([...Object.values(listening.activity), ...Object.values(listening.feed)].map((l) => l.stop()));
  }
}

const types = (events: Array<{ type: string }>) => events.map((e) => e.type);

for (const transport of ['ws', 'sse'] as Transport[]) {
  describe(`Partner changes and restricted section events over ${transport}`, () => {
    it('setDealPartners naming a new lead: only current readers get tenderSection.updated, live and replayed', async () => {
      const w = await world();
      const before = await logHead();
      const live = await sectionEventsSeen(
        w,
        ['lead', 'insider', 'colleague', 'partner'],
        async () => {
          const r = await setPartners(w, [w.lead, w.partner, w.insider], w.insider);
          expect(r.__typename, JSON.stringify(r)).toMatch(/Success$/);
        },
        { transport },
      );
      expect(types(live.colleague?.activity ?? [])).toEqual([]);
      expect(types(live.colleague?.feed ?? [])).toEqual([]);
      expect(types(live.lead?.activity ?? [])).toEqual(['tenderSection.withdrawn']);
      expect(types(live.insider?.activity ?? [])).toEqual(['tenderSection.updated']);
      expect(types(live.partner?.activity ?? [])).toEqual(['tenderSection.updated']);
      // The former lead, who was its reviewer, is not told in their feed; the new reviewer (insider) is.
      expect(types(live.insider?.feed ?? [])).toEqual(['tenderSection.updated']);
      expect(types(live.lead?.feed ?? [])).toEqual([]);

      const replayed = await sectionEventsSeen(w, ['lead', 'insider', 'colleague', 'partner'], async () => {}, {
        after: before,
        transport,
      });
      expect(types(replayed.colleague?.activity ?? [])).toEqual([]);
      expect(types(replayed.colleague?.feed ?? [])).toEqual([]);
      expect(types(replayed.lead?.activity ?? [])).toEqual(['tenderSection.withdrawn']);
      expect(types(replayed.insider?.activity ?? [])).toEqual(['tenderSection.updated']);
      expect(types(replayed.partner?.activity ?? [])).toEqual(['tenderSection.updated']);
    }, 90_000);
  });
}

describe('A dropped owner from outside the collective', () => {
  it('setDealPartners dropping the owner partner: the dropped member is told the section is withdrawn before their stream ends', async () => {
    const w = await world();
    const live = await sectionEventsSeen(w, ['lead', 'colleague', 'partner'], async () => {
      const r = await setPartners(w, [w.lead, w.insider], w.lead);
      expect(r.__typename, JSON.stringify(r)).toMatch(/Success$/);
    });
    expect(types(live.colleague?.activity ?? [])).toEqual([]);
    expect(types(live.lead?.activity ?? [])).toEqual(['tenderSection.updated']);
    const withdrawn = await t.db.prisma.eventLog.findFirst({
      where: { type: 'tenderSection.withdrawn', subjectId: gid('TenderSection', w.section.id) },
    });
    expect(withdrawn?.payload).toMatchObject({ lostBy: [w.partner.id] });
    expect(live.partner?.ended).toEqual(['ACCESS_REVOKED']);
    // Recorded for them alone, and never delivered: the stream ended at the section's update, one position earlier.
    expect(types(live.partner?.activity ?? [])).toEqual(['tenderSection.withdrawn']);
    // And their own feed, which goes on, says so too (a withdrawal concerns those it names).
    expect(types(live.partner?.feed ?? [])).toEqual(['tenderSection.withdrawn']);
  }, 90_000);
});

describe('Substitutions after submission', () => {
  it('the lead substituted by a newcomer (by the lead): the newcomer gains it, the former lead is told, nobody else hears', async () => {
    const w = await world();
    await submit(w);
    const before = await logHead();
    const live = await sectionEventsSeen(w, ['lead', 'colleague', 'partner', 'insider'], async () => {
      const r = await substitute(w, w.leadPartner.id, w.newcomer.id, w.tokens.lead);
      expect(r.__typename, JSON.stringify(r)).toMatch(/Success$/);
    });
    expect(types(live.colleague?.activity ?? [])).toEqual([]);
    expect(types(live.insider?.activity ?? [])).toEqual([]);
    expect(types(live.lead?.activity ?? [])).toEqual(['tenderSection.withdrawn']);
    expect(types(live.partner?.activity ?? [])).toEqual(['tenderSection.updated']);
    const row = await t.db.prisma.tenderSection.findUniqueOrThrow({ where: { id: w.section.id } });
    expect(row).toMatchObject({ reviewerId: w.newcomer.id, assigneeId: w.partner.id, ownerPartnerId: w.memberPartner.id });
    // The newcomer, lead now, replays from before: the section's update is theirs (they read it now).
    const replayed = await sectionEventsSeen(w, ['newcomer'], async () => {}, { after: before });
    expect(types(replayed.newcomer?.activity ?? [])).toEqual(['tenderSection.updated']);
    expect(types(replayed.newcomer?.feed ?? [])).toEqual(['tenderSection.updated']);
  }, 90_000);

  it('the owner substituted: the lead is told of the new owner, the substituted member is told it is gone, the newcomer nothing', async () => {
    const w = await world();
    await submit(w);
    const before = await logHead();
    const live = await sectionEventsSeen(w, ['lead', 'colleague', 'partner'], async () => {
      const r = await substitute(w, w.memberPartner.id, w.newcomer.id, w.tokens.lead);
      expect(r.__typename, JSON.stringify(r)).toMatch(/Success$/);
    });
    expect(types(live.colleague?.activity ?? [])).toEqual([]);
    // The newcomer, a partner now, replays from before the substitution: nothing of the section.
    const replayed = await sectionEventsSeen(w, ['newcomer'], async () => {}, { after: before });
    expect(types(replayed.newcomer?.activity ?? [])).toEqual([]);
    expect(types(replayed.newcomer?.feed ?? [])).toEqual([]);
    expect(types(live.lead?.activity ?? [])).toEqual(['tenderSection.updated']);
    // The substituted member (from outside the collective) loses the deal: their stream ends, but only after the
    // withdrawal meant for them (it precedes deal.partnerSubstituted in the log), so their screens drop the section.
    expect(live.partner?.ended).toEqual(['ACCESS_REVOKED']);
    expect(types(live.partner?.activity ?? [])).toEqual(['tenderSection.withdrawn']);
    expect(live.lead?.activity[0]?.payload).toMatchObject({
      ownerPartnerId: gid('DealPartner', w.leadPartner.id),
      assigneeId: gid('Member', w.lead.id),
    });
  }, 90_000);
});

describe('A refused partner change', () => {
  it('records nothing and changes no row when a later restricted section cannot be kept openable', async () => {
    const w = await world();
    // A second restricted section, owned by the lead partner: the lead's member opens it.
    await t.db.prisma.tenderSection.create({
      data: {
        responseId: w.response.id,
        kind: 'FREE',
        title: 'Second',
        position: 2,
        restricted: true,
        ownerPartnerId: w.leadPartner.id,
      },
    });
    const before = await logHead();
    const rows = await t.db.prisma.tenderSection.findMany({ where: { responseId: w.response.id }, orderBy: { id: 'asc' } });
    // The lead names a company lead and drops themself: the first section (owned by the partner) is kept openable
    // (its reviewer handed to the partner), the second (owned by the lead leaving, to a company lead) cannot be.
    const refused = await mutate(
      SET_PARTNERS,
      {
        input: {
          dealId: gid('Deal', w.deal.id),
          partners: [
            { companyName: 'Atelier Numérique SARL', siret: '73282932000074', isLead: true, shareBasisPoints: 5000 },
            { memberId: gid('Member', w.partner.id), isLead: false, shareBasisPoints: 5000 },
          ],
        },
      },
      w.tokens.lead,
    );
    expect(refused.__typename).not.toMatch(/Success$/);
    expect(String(refused.message)).toContain('aucun membre pour l’ouvrir');
    expect(await logHead()).toBe(before);
    expect(await t.db.prisma.tenderSection.findMany({ where: { responseId: w.response.id }, orderBy: { id: 'asc' } })).toEqual(
      rows,
    );
  }, 60_000);
});

describe('Another instance', () => {
  it('a second instance (same database, its own index) delivers the same events to the same people', async () => {
    const w = await world();
    const second = await buildApp(
      { ...loadConfig({ ...GENEROUS_LIMITS_ENV, EVENT_POLL_MS: '100' }), port: 0, seedWhenEmpty: false },
      { db: t.db },
    );
    extraApps.push(second);
    const secondUrl = await second.start();
    const live = await sectionEventsSeen(
      w,
      ['lead', 'insider', 'colleague', 'partner'],
      async () => {
        const r = await setPartners(w, [w.lead, w.partner, w.insider], w.insider);
        expect(r.__typename, JSON.stringify(r)).toMatch(/Success$/);
      },
      { app: second, base: secondUrl },
    );
    expect(types(live.colleague?.activity ?? [])).toEqual([]);
    expect(types(live.lead?.activity ?? [])).toEqual(['tenderSection.withdrawn']);
    expect(types(live.insider?.activity ?? [])).toEqual(['tenderSection.updated']);
    expect(types(live.partner?.activity ?? [])).toEqual(['tenderSection.updated']);
  }, 90_000);

  it('an instance started after the section was removed does not replay its partner-change update to the former lead (the actor)', async () => {
    const w = await world();
    // A TODO section (removable), otherwise as the world's: restricted to the partner, reviewed by the lead.
    await t.db.prisma.tenderSection.update({ where: { id: w.section.id }, data: { status: 'TODO' } });
    const before = await logHead();
    const r = await setPartners(w, [w.lead, w.partner, w.insider], w.insider);
    expect(r.__typename, JSON.stringify(r)).toMatch(/Success$/);
    // The new lead removes the (empty, to do) section.
    await mutateOk(REMOVE_SECTION, { input: { sectionId: gid('TenderSection', w.section.id) } }, w.tokens.insider);
    // On this instance, the former lead replaying from before gets the withdrawal only.
    const here = await sectionEventsSeen(w, ['lead', 'colleague'], async () => {}, { after: before });
    expect(types(here.lead?.activity ?? [])).toEqual(['tenderSection.withdrawn']);
    // A restarted (or new) instance: its index never knew the removed section.
    const restarted = await buildApp({ ...loadConfig({ ...GENEROUS_LIMITS_ENV }), port: 0, seedWhenEmpty: false }, { db: t.db });
    extraApps.push(restarted);
    const restartedUrl = await restarted.start();
    const there = await sectionEventsSeen(w, ['lead', 'colleague'], async () => {}, {
      after: before,
      app: restarted,
      base: restartedUrl,
    });
    expect(types(there.colleague?.activity ?? [])).toEqual([]);
    // The former lead could not open the section after the change: its update (new reviewer, owner, status) is not theirs.
    expect(there.lead?.activity ?? []).toEqual([expect.objectContaining({ type: 'tenderSection.withdrawn' })]);
  }, 90_000);
});

describe('A restricted section removed before an instance started', () => {
  const PUSH = `mutation($input: PushSectionUpdateInput!) { pushSectionUpdate(input: $input) { __typename
    ... on Error { message } } }`;
  const push = (w: World, update: Uint8Array) =>
    mutateOk(
      PUSH,
      { input: { sectionId: gid('TenderSection', w.section.id), update: Buffer.from(update).toString('base64') } },
      w.tokens.partner,
    );
  /** The section's figures as recorded (`tenderSection.figuresChanged`), oldest first. */
  const figures = (w: World) =>
    t.db.prisma.eventLog.findMany({
      where: { type: 'tenderSection.figuresChanged', subjectId: gid('TenderSection', w.section.id) },
      orderBy: { position: 'asc' },
    });

  it('keeps its figures, whose events do not say restricted, from the collective’s other members', async () => {
    const w = await world();
    await t.db.prisma.tenderSection.update({ where: { id: w.section.id }, data: { status: 'TODO' } });
    const before = await logHead();
    // Its owner writes it, then empties it (a section is removed empty): two recounts.
    await push(w, paragraphUpdate('Prix confidentiels'));
    await until(async () => (await figures(w)).some((row) => (row.payload as Json).wordCount > 0), 'counted');
    const doc = new Y.Doc();
    Y.applyUpdate(doc, await t.app.documents.storedState(w.section.id));
    const vector = Y.encodeStateVector(doc);
    const body = doc.getXmlFragment('body');
    body.delete(0, body.length);
    await push(w, Y.encodeStateAsUpdate(doc, vector));
    await until(async () => ((await figures(w)).at(-1)?.payload as Json | undefined)?.wordCount === 0, 'emptied');
    await mutateOk(REMOVE_SECTION, { input: { sectionId: gid('TenderSection', w.section.id) } }, w.tokens.partner);
    const restarted = await buildApp({ ...loadConfig({ ...GENEROUS_LIMITS_ENV }), port: 0, seedWhenEmpty: false }, { db: t.db });
    extraApps.push(restarted);
    const restartedUrl = await restarted.start();
    const there = await sectionEventsSeen(w, ['colleague', 'insider', 'lead'], async () => {}, {
      after: before,
      app: restarted,
      base: restartedUrl,
    });
    // Before: its figures went to every member of the collective (the index knew nothing of the section).
    expect(types(there.colleague?.activity ?? [])).toEqual([]);
    expect(types(there.insider?.activity ?? [])).toEqual([]);
    // The lead read it: its figures and its removal are theirs.
    expect(types(there.lead?.activity ?? [])).toContain('tenderSection.figuresChanged');
    expect(types(there.lead?.activity ?? [])).toContain('tenderSection.removed');
  }, 90_000);
});
