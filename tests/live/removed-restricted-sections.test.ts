import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../../server/src/app.js';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { errorCodes, open, type Transport } from '../support/live.js';
import { membersAsPartners, restrictedDealScene } from '../support/restricted-deal.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

/**
 * Attack 2 of stop 28 on b8c1df6 / 27612e0 (kept as tests): restricted sections through partner changes, their
 * removal's `readers`, the withdrawal's `lostBy`, and an instance started after a removal or behind the log. Its
 * findings (a dropped partner replaying a removed section; a lagging instance giving it to the former lead; an old
 * removal given to a later lead; a section opened then removed) failed before events/visibility.ts's fix.
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

const SET_PARTNERS = `mutation($input: SetDealPartnersInput!) { setDealPartners(input: $input) { __typename
  ... on Error { message } } }`;
const REMOVE_SECTION = `mutation($input: RemoveTenderSectionInput!) { removeTenderSection(input: $input) { __typename
  ... on Error { message } } }`;
const UPDATE_SECTION = `mutation($input: UpdateTenderSectionInput!) { updateTenderSection(input: $input) { __typename
  ... on Error { message } } }`;
const HISTORY = `query($c: ID, $s: ID, $me: Boolean) { activity(collectiveId: $c, subjectId: $s, concerningMe: $me, first: 100) {
  edges { node { type subjectId payload actor { id } } } } }`;
const DASHBOARD = `{ dashboard { recentActivity { type subjectId payload } } }`;
const ACTIVITY = `subscription($id: ID!, $after: String) { collectiveActivity(collectiveId: $id, after: $after) {
  __typename ... on ActivityEvent { type position subjectId payload } } }`;
const FEED = `subscription($after: String) { myFeed(after: $after) {
  __typename ... on ActivityEvent { type position subjectId payload } } }`;

async function gqlOn(app: App, query: string, variables: Record<string, unknown>, token: string): Promise<Json> {
  const response = await app.fetch(
    new Request('http://collectifs.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    }),
  );
  return (await response.json()) as Json;
}

async function mutateOk(query: string, variables: Record<string, unknown>, token: string): Promise<Json> {
  const result = await t.gql(query, variables, token);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  const data = Object.values(result.data ?? {})[0] as Json;
  expect(data.__typename, JSON.stringify(data)).toMatch(/Success$/);
  return data;
}

const logHead = async () => (await t.db.prisma.eventLog.aggregate({ _max: { position: true } }))._max.position ?? 0n;

/** The scene (tests/support/restricted-deal.ts), its section still to do (a section is removed only then). */
const world = () => restrictedDealScene(t, 'TODO');
type World = Awaited<ReturnType<typeof world>>;

const setPartners = (w: World, members: Array<{ id: string }>, lead: { id: string }, token = w.tokens.lead) =>
  mutateOk(SET_PARTNERS, { input: membersAsPartners(w.deal.id, members, lead) }, token);

/**
 * The section's secret events as the server records them (figures, approval, version restored, status, move), straight
 * into the log: what a restarted instance must keep to the section's readers once it is removed.
 */
async function secretEvents(w: World) {
  const subjectId = gid('TenderSection', w.section.id);
  const base = { subjectId, collectiveId: w.collective.id, actorId: w.partner.id };
  const common = {
    responseId: w.response.id,
    kind: 'PRICE_SCHEDULE',
    title: null,
    position: 1,
    status: 'TODO',
    assigneeId: w.partner.id,
    reviewerId: w.lead.id,
    dueAt: null,
    restricted: true,
    ownerPartnerId: w.memberPartner.id,
  };
  await t.db.prisma.eventLog.createMany({
    data: [
      {
        ...base,
        type: 'tenderSection.figuresChanged',
        payload: {
          responseId: w.response.id,
          wordCount: 4242,
          characterCount: 1,
          wordLimit: null,
          characterLimit: null,
          isOverLimit: false,
        },
      },
      {
        ...base,
        type: 'tenderSection.approved',
        payload: { responseId: w.response.id, reviewerId: w.lead.id, contentHash: 'secret-hash', assigneeId: w.partner.id },
      },
      {
        ...base,
        type: 'tenderSection.versionRestored',
        payload: { responseId: w.response.id, versionId: '00000000-0000-4000-8000-000000000001', name: 'Prix v2 confidentiel' },
      },
      { ...base, type: 'tenderSection.statusChanged', payload: { ...common, from: 'DRAFT' } },
      { ...base, type: 'tenderSection.moved', payload: { ...common, from: 2 } },
      { ...base, type: 'tenderSection.updated', payload: common },
    ],
  });
  // As a commit does: announced, and applied by this instance's index before anything else happens.
  await t.app.events.caughtUp(await logHead());
}

/** A fresh instance on the same database (its index loaded from the log and the rows). */
async function restart(): Promise<{ app: App; base: string }> {
  const app = await buildApp({ ...loadConfig({ ...GENEROUS_LIMITS_ENV }), port: 0, seedWhenEmpty: false }, { db: t.db });
  extraApps.push(app);
  return { app, base: await app.start() };
}

const sectionTypes = (result: Json, sectionId: string) =>
  ((result.data?.activity?.edges ?? []) as Json[])
    .map((edge) => edge.node)
    .filter((node) => node.subjectId === gid('TenderSection', sectionId))
    .map((node) => node.type as string)
    .sort();

describe('Internal payload keys', () => {
  it('neither `readers` nor `lostBy` reaches a client: history, node history, dashboard, ws and SSE replay, myFeed', async () => {
    const w = await world();
    const before = await logHead();
    await secretEvents(w);
    // Restricted → owned by the lead: the partner is told it is withdrawn (lostBy) — then removed (readers).
    await mutateOk(
      UPDATE_SECTION,
      {
        input: {
          sectionId: gid('TenderSection', w.section.id),
          ownerPartnerId: gid('DealPartner', w.leadPartner.id),
          assigneeId: gid('Member', w.lead.id),
        },
      },
      w.tokens.lead,
    );
    await mutateOk(REMOVE_SECTION, { input: { sectionId: gid('TenderSection', w.section.id) } }, w.tokens.lead);
    const dump: string[] = [];
    for (const who of ['lead', 'staff'] as const) {
      dump.push(JSON.stringify(await t.gql(HISTORY, { c: gid('Collective', w.collective.id) }, w.tokens[who])));
      dump.push(JSON.stringify(await t.gql(HISTORY, { s: gid('TenderSection', w.section.id) }, w.tokens[who])));
      dump.push(JSON.stringify(await t.gql(DASHBOARD, {}, w.tokens[who])));
    }
    expect(dump.some((text) => text.includes('tenderSection.removed'))).toBe(true);
    for (const transport of ['ws', 'sse'] as Transport[]) {
      const activity = open(transport, url, w.tokens.lead, ACTIVITY, {
        id: gid('Collective', w.collective.id),
        after: String(before),
      });
      const feed = open(transport, url, w.tokens.partner, FEED, { after: String(before) });
      try {
        await until(() => activity.inbox.received.some((m) => m.collectiveActivity?.type === 'tenderSection.removed'), 'removal');
        await until(() => feed.inbox.received.some((m) => m.myFeed?.type === 'tenderSection.withdrawn'), 'withdrawal');
        dump.push(JSON.stringify(activity.inbox.received), JSON.stringify(feed.inbox.received));
      } finally {
        await activity.stop();
        await feed.stop();
      }
    }
    for (const text of dump) {
      expect(text).not.toContain('"readers"');
      expect(text).not.toContain('"lostBy"');
    }
  }, 90_000);
});

describe('A restricted section removed, then an instance started', () => {
  it('an outside partner dropped from the deal after the removal replays nothing of the removed section (restarted instance)', async () => {
    const w = await world();
    await secretEvents(w);
    await mutateOk(REMOVE_SECTION, { input: { sectionId: gid('TenderSection', w.section.id) } }, w.tokens.lead);
    // The partner (from outside the collective) is dropped: they lose the deal and all of it.
    await setPartners(w, [w.lead, w.insider], w.lead);
    const { app } = await restart();
    const there = await gqlOn(app, HISTORY, { c: gid('Collective', w.collective.id) }, w.tokens.partner);
    expect(there.errors).toBeUndefined();
    // Nothing else of the deal is theirs any more (not a partner, not a member): the removed section's figures,
    // approval and restored version neither.
    expect(sectionTypes(there, w.section.id)).toEqual([]);
  }, 90_000);

  it('the dropped outside partner replays the removed section over ws: collectiveActivity and myFeed (restarted instance)', async () => {
    const w = await world();
    const before = await logHead();
    await secretEvents(w);
    await mutateOk(REMOVE_SECTION, { input: { sectionId: gid('TenderSection', w.section.id) } }, w.tokens.lead);
    await setPartners(w, [w.lead, w.insider], w.lead);
    const head = await logHead();
    const { base } = await restart();
    const activity = open('ws', base, w.tokens.partner, ACTIVITY, {
      id: gid('Collective', w.collective.id),
      after: String(before),
    });
    const feed = open('ws', base, w.tokens.partner, FEED, { after: String(before) });
    try {
      // The lead marks the end: a deal update after the replay (not the ex-partner's).
      await mutateOk(
        `mutation($id: ID!) { updateDeal(input: { id: $id, title: "Marque" }) { __typename ... on Error { message } } }`,
        { id: gid('Deal', w.deal.id) },
        w.tokens.lead,
      );
      await until(async () => (await logHead()) > head, 'marked');
      // Marks, no sleep: the activity stream ends (no longer theirs) or shows the lead's update; the feed shows an
      // invitation to a collective of someone else's, made after the replay.
      await until(
        () =>
          errorCodes(activity.inbox).length > 0 ||
          activity.inbox.received.some((m) => m.collectiveActivity?.type === 'deal.updated'),
        'activity marked',
      );
      const host = await makeMember(t.db.prisma);
      const elsewhere = await makeCollective(t.db.prisma, {
        animatorId: host.id,
        kind: 'BUSINESS',
        horizon: 'LONG_TERM',
        openness: 'CLOSED',
      });
      await mutateOk(
        'mutation($c: ID!, $m: ID!) { inviteMember(input: { collectiveId: $c, memberId: $m }) { __typename ... on Error { message } } }',
        { c: gid('Collective', elsewhere.id), m: gid('Member', w.partner.id) },
        await t.tokenFor(host.id),
      );
      await until(() => feed.inbox.received.some((m) => m.myFeed?.type === 'membership.invited'), 'feed marked');
      const seen = (inbox: typeof activity.inbox, field: string) =>
        inbox.received
          .map((m) => m[field])
          .filter((e) => e?.subjectId === gid('TenderSection', w.section.id))
          .map((e) => e.type);
      expect({ activity: seen(activity.inbox, 'collectiveActivity'), feed: seen(feed.inbox, 'myFeed') }).toEqual({
        activity: [],
        feed: [],
      });
    } finally {
      await activity.stop();
      await feed.stop();
    }
  }, 90_000);

  it('the same on the instance that saw it all (live index)', async () => {
    const w = await world();
    await secretEvents(w);
    await mutateOk(REMOVE_SECTION, { input: { sectionId: gid('TenderSection', w.section.id) } }, w.tokens.lead);
    await setPartners(w, [w.lead, w.insider], w.lead);
    const here = await t.gql(HISTORY, { c: gid('Collective', w.collective.id) }, w.tokens.partner);
    expect(sectionTypes(here as Json, w.section.id)).toEqual([]);
  }, 90_000);

  it('history of a restarted instance: the removed section’s events stay its readers’ (lead, owner), nobody else’s', async () => {
    const w = await world();
    await secretEvents(w);
    await mutateOk(REMOVE_SECTION, { input: { sectionId: gid('TenderSection', w.section.id) } }, w.tokens.lead);
    const { app } = await restart();
    const all = [
      'tenderSection.approved',
      'tenderSection.figuresChanged',
      'tenderSection.moved',
      'tenderSection.removed',
      'tenderSection.statusChanged',
      'tenderSection.updated',
      'tenderSection.versionRestored',
    ];
    const c = gid('Collective', w.collective.id);
    expect(sectionTypes(await gqlOn(app, HISTORY, { c }, w.tokens.colleague), w.section.id)).toEqual([]);
    expect(sectionTypes(await gqlOn(app, HISTORY, { c }, w.tokens.insider), w.section.id)).toEqual([]);
    expect(sectionTypes(await gqlOn(app, HISTORY, { c }, w.tokens.lead), w.section.id)).toEqual(all);
    expect(sectionTypes(await gqlOn(app, HISTORY, { c }, w.tokens.partner), w.section.id)).toEqual(all);
    expect(sectionTypes(await gqlOn(app, HISTORY, { c }, w.tokens.staff), w.section.id)).toEqual(all);
    const dash = JSON.stringify(await gqlOn(app, DASHBOARD, {}, w.tokens.colleague));
    expect(dash).not.toContain(gid('TenderSection', w.section.id));
  }, 90_000);

  it('an old removal event (no `readers`): a member made lead after the removal, who never could open it, is not given its events', async () => {
    const w = await world();
    await secretEvents(w);
    await mutateOk(REMOVE_SECTION, { input: { sectionId: gid('TenderSection', w.section.id) } }, w.tokens.lead);
    // As recorded before b8c1df6: the same payload without `readers`.
    const removal = await t.db.prisma.eventLog.findFirstOrThrow({
      where: { type: 'tenderSection.removed', subjectId: gid('TenderSection', w.section.id) },
    });
    const { readers: _readers, ...legacy } = removal.payload as Record<string, unknown>;
    await t.db.prisma.eventLog.update({ where: { position: removal.position }, data: { payload: legacy as never } });
    // No restricted section left: the lead hands the lead to the insider.
    await setPartners(w, [w.lead, w.partner, w.insider], w.insider);
    const c = gid('Collective', w.collective.id);
    // This instance (readers kept from the removal): nothing for the insider.
    expect(sectionTypes((await t.gql(HISTORY, { c }, w.tokens.insider)) as Json, w.section.id)).toEqual([]);
    const { app } = await restart();
    expect(sectionTypes(await gqlOn(app, HISTORY, { c }, w.tokens.insider), w.section.id)).toEqual([]);
  }, 90_000);
});

describe('Restricted, then opened, then removed', () => {
  it('a restarted instance shows a colleague what the instance that saw it all shows', async () => {
    const w = await world();
    await secretEvents(w);
    await mutateOk(
      UPDATE_SECTION,
      { input: { sectionId: gid('TenderSection', w.section.id), restricted: false } },
      w.tokens.lead,
    );
    await mutateOk(REMOVE_SECTION, { input: { sectionId: gid('TenderSection', w.section.id) } }, w.tokens.lead);
    const c = gid('Collective', w.collective.id);
    const here = sectionTypes((await t.gql(HISTORY, { c }, w.tokens.colleague)) as Json, w.section.id);
    const { app } = await restart();
    const there = sectionTypes(await gqlOn(app, HISTORY, { c }, w.tokens.colleague), w.section.id);
    expect(there).toEqual(here);
  }, 90_000);
});

describe('The instance that saw it all, when a removal follows a change at once', () => {
  it('a new lead removes the section right after the partner change: the live index keeps the former readers', async () => {
    const w = await world();
    await secretEvents(w);
    await setPartners(w, [w.lead, w.partner, w.insider], w.insider);
    await mutateOk(REMOVE_SECTION, { input: { sectionId: gid('TenderSection', w.section.id) } }, w.tokens.insider);
    const c = gid('Collective', w.collective.id);
    // The former lead lost the section at the change (told by a withdrawal): its update and removal are not theirs;
    // the new lead reads it then removes it: the removal at least is theirs (else their screens keep listing it).
    const live = {
      former: sectionTypes((await t.gql(HISTORY, { c }, w.tokens.lead)) as Json, w.section.id),
      newLead: sectionTypes((await t.gql(HISTORY, { c }, w.tokens.insider)) as Json, w.section.id),
    };
    // What an instance started now shows them (the removal's readers: the new lead and the owner).
    const { app } = await restart();
    const restarted = {
      former: sectionTypes(await gqlOn(app, HISTORY, { c }, w.tokens.lead), w.section.id),
      newLead: sectionTypes(await gqlOn(app, HISTORY, { c }, w.tokens.insider), w.section.id),
    };
    expect(restarted.former).toEqual([]);
    expect(restarted.newLead).toContain('tenderSection.removed');
    expect(live).toEqual(restarted);
  }, 90_000);
});

describe('Another instance, behind the log (multi-instance: its index applies events after they commit)', () => {
  it('a partner change then the removal, applied together: the former lead is given the section, the new lead not its removal', async () => {
    const lagging = await buildApp(
      { ...loadConfig({ ...GENEROUS_LIMITS_ENV, EVENT_POLL_MS: '600000' }), port: 0, seedWhenEmpty: false },
      { db: t.db },
    );
    extraApps.push(lagging);
    await lagging.start();
    const w = await world();
    await secretEvents(w);
    const c = gid('Collective', w.collective.id);
    // The other instance is up to date: the section is restricted to the partner, read by the lead.
    expect(sectionTypes(await gqlOn(lagging, HISTORY, { c }, w.tokens.lead), w.section.id)).toContain('tenderSection.approved');
    await setPartners(w, [w.lead, w.partner, w.insider], w.insider);
    await mutateOk(REMOVE_SECTION, { input: { sectionId: gid('TenderSection', w.section.id) } }, w.tokens.insider);
    const there = {
      former: sectionTypes(await gqlOn(lagging, HISTORY, { c }, w.tokens.lead), w.section.id),
      newLead: sectionTypes(await gqlOn(lagging, HISTORY, { c }, w.tokens.insider), w.section.id),
    };
    const { app } = await restart();
    const restarted = {
      former: sectionTypes(await gqlOn(app, HISTORY, { c }, w.tokens.lead), w.section.id),
      newLead: sectionTypes(await gqlOn(app, HISTORY, { c }, w.tokens.insider), w.section.id),
    };
    expect(restarted.former).toEqual([]);
    expect(there).toEqual(restarted);
  }, 90_000);
});
