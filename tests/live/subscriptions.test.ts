import { describe, expect, it } from 'vitest';
import { type Json, testAppForFile } from '../support/app.js';
import { subscribe } from '../support/live.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';

const ACTIVITY = /* GraphQL */ `
  subscription Activity($collectiveId: ID!, $after: String) {
    collectiveActivity(collectiveId: $collectiveId, after: $after) {
      __typename
      ... on ActivityEvent { position type subjectId payload }
      ... on ResyncRequired { reason resumeAfter }
    }
  }
`;
const UPDATE = /* GraphQL */ `
  mutation Update($id: ID!, $purpose: String!) {
    updateCollective(input: { id: $id, purpose: $purpose }) { __typename ... on Error { message } }
  }
`;

const t = testAppForFile();
const client = (token: string | null) => t.ws(token);

async function change(token: string, collectiveId: string, purpose: string): Promise<void> {
  const result = await t.gql(UPDATE, { id: gid('Collective', collectiveId), purpose }, token);
  expect(result.data?.updateCollective.__typename).toBe('MutationUpdateCollectiveSuccess');
}

/** The log's current head: subscribing with `after: head` makes the test independent of when the server registers it. */
async function head(): Promise<string> {
  const last = await t.db.prisma.eventLog.findFirst({ orderBy: { position: 'desc' }, select: { position: true } });
  return (last?.position ?? 0n).toString();
}

const events = (messages: Json[]) => messages.map((message) => message.collectiveActivity);

describe('Delivery', () => {
  it('should deliver every change of a collective in commit order', async () => {
    const animator = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    const token = await t.tokenFor(animator.id);
    const { inbox } = subscribe(client(token), ACTIVITY, { collectiveId: gid('Collective', collective.id), after: await head() });
    await Promise.all(Array.from({ length: 10 }, (_, i) => change(token, collective.id, `But n°${i}`)));
    const received = events(await inbox.waitFor(10));
    const positions = received.map((event) => BigInt(event.position));
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(positions).size).toBe(10);
    const committed = await t.db.prisma.eventLog.findMany({
      where: { collectiveId: collective.id },
      orderBy: { position: 'asc' },
    });
    expect(received.map((event) => event.position)).toEqual(committed.map((row) => row.position.toString()));
  });

  it('should hand observers each event exactly as the log holds it (position, time, payload and their types)', async () => {
    const animator = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    const token = await t.tokenFor(animator.id);
    const seen: unknown[] = [];
    const unobserve = t.app.events.observe((event) => {
      if (event.collectiveId === collective.id) seen.push(event);
    });
    try {
      await change(token, collective.id, 'Un but « accentué » ✓');
      await t.app.events.sync();
    } finally {
      unobserve();
    }
    const stored = await t.db.prisma.eventLog.findMany({ where: { collectiveId: collective.id }, orderBy: { position: 'asc' } });
    expect(stored.length).toBeGreaterThan(0);
    expect(seen).toEqual(stored);
    expect(typeof (seen[0] as { position: unknown }).position).toBe('bigint');
    expect((seen[0] as { createdAt: unknown }).createdAt).toBeInstanceOf(Date);
  });

  it('should not leak one collective’s events to another’s subscribers, nor a business collective’s to outsiders', async () => {
    const animator = await makeMember(t.db.prisma);
    const outsider = await makeMember(t.db.prisma);
    const watched = await makeCollective(t.db.prisma, { animatorId: animator.id });
    const other = await makeCollective(t.db.prisma, { animatorId: animator.id });
    const business = await makeCollective(t.db.prisma, {
      animatorId: animator.id,
      kind: 'BUSINESS',
      horizon: 'LONG_TERM',
      openness: 'CLOSED',
    });
    const token = await t.tokenFor(animator.id);
    const after = await head();
    const watcher = subscribe(client(token), ACTIVITY, { collectiveId: gid('Collective', watched.id), after });
    const spy = subscribe(client(await t.tokenFor(outsider.id)), ACTIVITY, {
      collectiveId: gid('Collective', business.id),
      after,
    });
    await change(token, other.id, 'Autre chose');
    await change(token, business.id, 'Secret des affaires');
    await change(token, watched.id, 'Ce qui nous concerne');
    const [only] = events(await watcher.inbox.waitFor(1));
    expect(only.payload).toMatchObject({ name: watched.name });
    // The outsider's subscription saw nothing of the business collective; a later public event proves delivery ran.
    await change(token, watched.id, 'Encore');
    await watcher.inbox.waitFor(2);
    expect(watcher.inbox.received).toHaveLength(2);
    expect(spy.inbox.received).toHaveLength(0);
  });
});

describe('Resume', () => {
  it('should replay exactly the 100 changes missed while disconnected, in order, then continue live', async () => {
    const animator = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    const token = await t.tokenFor(animator.id);
    const first = client(token);
    const before = subscribe(first, ACTIVITY, { collectiveId: gid('Collective', collective.id), after: await head() });
    await change(token, collective.id, 'Avant la coupure');
    const [last] = events(await before.inbox.waitFor(1));
    before.stop();
    await first.dispose();

    for (let i = 0; i < 100; i += 1) await change(token, collective.id, `Pendant la coupure ${i}`);

    const resumed = subscribe(client(token), ACTIVITY, { collectiveId: gid('Collective', collective.id), after: last.position });
    const replayed = events(await resumed.inbox.waitFor(100));
    const missed = await t.db.prisma.eventLog.findMany({
      where: { collectiveId: collective.id, position: { gt: BigInt(last.position) } },
      orderBy: { position: 'asc' },
    });
    expect(missed).toHaveLength(100);
    expect(replayed.map((event) => event.position)).toEqual(missed.map((row) => row.position.toString()));

    await change(token, collective.id, 'Après la reprise');
    const all = events(await resumed.inbox.waitFor(101));
    expect(all[100].payload).toMatchObject({});
    expect(BigInt(all[100].position)).toBeGreaterThan(BigInt(all[99].position));
    expect(new Set(all.map((event) => event.position)).size).toBe(101);
  });

  it('should tell a client resuming from a pruned position to re-query', async () => {
    const animator = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    const token = await t.tokenFor(animator.id);
    await t.db.prisma.eventLogHorizon.upsert({
      where: { id: 1 },
      create: { id: 1, prunedThrough: 5n },
      update: { prunedThrough: 5n },
    });
    try {
      const { inbox } = subscribe(client(token), ACTIVITY, { collectiveId: gid('Collective', collective.id), after: '2' });
      const [reset] = events(await inbox.waitFor(1));
      expect(reset).toEqual({ __typename: 'ResyncRequired', reason: 'LOG_TRUNCATED', resumeAfter: null });
    } finally {
      await t.db.prisma.eventLogHorizon.delete({ where: { id: 1 } });
    }
  });
});

describe('Authorization', () => {
  it('should stop delivering a business collective’s events to a member the moment they leave it', async () => {
    const animator = await makeMember(t.db.prisma);
    const member = await makeMember(t.db.prisma);
    const business = await makeCollective(t.db.prisma, {
      animatorId: animator.id,
      memberIds: [member.id],
      kind: 'BUSINESS',
      horizon: 'LONG_TERM',
      openness: 'ON_REQUEST',
    });
    const animatorToken = await t.tokenFor(animator.id);
    const memberToken = await t.tokenFor(member.id);
    const { inbox } = subscribe(client(memberToken), ACTIVITY, {
      collectiveId: gid('Collective', business.id),
      after: await head(),
    });
    await change(animatorToken, business.id, 'Visible');
    await inbox.waitFor(1);
    const left = await t.gql(
      'mutation($id: ID!) { leaveCollective(input: { collectiveId: $id }) { __typename } }',
      { id: gid('Collective', business.id) },
      memberToken,
    );
    expect(left.data?.leaveCollective.__typename).toBe('MutationLeaveCollectiveSuccess');
    await change(animatorToken, business.id, 'Plus pour toi');
    // Their own departure is theirs to see; nothing after it.
    const received = events(await inbox.waitFor(2));
    expect(received[1].type).toBe('membership.left');
    const control = subscribe(client(animatorToken), ACTIVITY, {
      collectiveId: gid('Collective', business.id),
      after: received[1].position,
    });
    await control.inbox.waitFor(1);
    expect(inbox.received).toHaveLength(2);
  });

  it('should deliver a new business collective’s events to its founder, whose streams were already open', async () => {
    const founder = await makeMember(t.db.prisma);
    const token = await t.tokenFor(founder.id);
    const socket = client(token);
    // A stream open before the collective exists: this instance has read the founder's collectives already.
    const earlier = await makeCollective(t.db.prisma, { animatorId: founder.id });
    const before = subscribe(socket, ACTIVITY, { collectiveId: gid('Collective', earlier.id), after: await head() });
    await change(token, earlier.id, 'Avant');
    await before.inbox.waitFor(1);

    const created = await t.gql(
      `mutation { createCollective(input: { name: "Affaire ${founder.id.slice(0, 8)}", kind: BUSINESS, horizon: LONG_TERM,
        openness: ON_REQUEST, purpose: "Répondre ensemble." }) { __typename ... on MutationCreateCollectiveSuccess { data { id } } } }`,
      {},
      token,
    );
    const id = created.data?.createCollective.data?.id;
    expect(id).toEqual(expect.any(String));
    const { inbox } = subscribe(socket, ACTIVITY, { collectiveId: id, after: await head() });
    await t.gql(UPDATE, { id, purpose: 'Première nouvelle' }, token);
    const [first] = events(await inbox.waitFor(1));
    expect(first.type).toBe('collective.updated');
  });

  it('should end a subscription with SESSION_REVOKED when its session signs out', async () => {
    const member = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
    const token = await t.tokenFor(member.id);
    const { inbox } = subscribe(client(token), ACTIVITY, { collectiveId: gid('Collective', collective.id) });
    // Once a live event arrives the subscription is registered: only then sign out.
    let received = 0;
    for (let attempt = 1; received === 0; attempt += 1) {
      // A purpose of its own each time: setting the one it has records nothing.
      await change(token, collective.id, `Signe de vie ${attempt}`);
      received = await inbox.waitFor(1, 500).then(
        () => 1,
        () => 0,
      );
    }
    const out = await t.gql('mutation { signOut }', {}, token);
    expect(out.data?.signOut).toBe(true);
    await inbox.waitForEnd();
    expect(JSON.stringify(inbox.errors)).toContain('SESSION_REVOKED');
  });

  it('should refuse an anonymous subscriber', async () => {
    const collective = await makeCollective(t.db.prisma, { animatorId: (await makeMember(t.db.prisma)).id });
    const { inbox } = subscribe(client(null), ACTIVITY, { collectiveId: gid('Collective', collective.id) });
    await inbox.waitForEnd();
    expect(inbox.errors.length).toBeGreaterThan(0);
    expect(inbox.received).toHaveLength(0);
  });
});
