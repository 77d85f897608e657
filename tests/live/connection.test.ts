import type { Client } from 'graphql-ws';
import { beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testAppForFile } from '../support/app.js';
import { errorCodes, Inbox, runOnSocket as over, subscribe } from '../support/live.js';
import { gid, makeCollective, makeMember, SUPPORT_STAFF } from '../support/scenario.js';
import { until } from '../support/waits.js';

// Every SQL statement the server runs, to see what a graphql-ws operation reads.
/** PostgreSQL: nothing is kept between session reads there (other processes may write it: live/lifecycle.ts). */
const onPostgres = Boolean(process.env.DATABASE_URL);
const statements: string[] = [];
const t = testAppForFile({ onQuery: (sql) => statements.push(sql) });
// Each test starts with no connection and no stream left by the one before (sockets close asynchronously).
beforeEach(async () => {
  await until(() => t.app.live.connectionCount === 0 && t.app.live.streamCount === 0, 'no socket and no stream left');
});

describe('Connect', () => {
  it('should authenticate a socket once, at connection_init, not at every operation', async () => {
    const member = await makeMember(t.db.prisma);
    const client = t.ws(await t.tokenFor(member.id), { lazy: false });
    try {
      const first = await over(client, '{ viewer { id } }');
      expect(first.data?.viewer.id).toBe(gid('Member', member.id));
      statements.length = 0;
      for (let i = 0; i < 5; i += 1) expect((await over(client, '{ viewer { id } }')).data?.viewer.id).toBeTruthy();
      // Five operations on an authenticated socket read no session.
      expect(statements.filter((sql) => sql.includes('"Session"'))).toEqual([]);
    } finally {
      await client.dispose();
    }
  });

  it('should share one connection between the operations of a socket, and forget it when the socket closes', async () => {
    const member = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
    const client = t.ws(await t.tokenFor(member.id));
    const query = 'subscription($id: ID!) { collectiveActivity(collectiveId: $id) { __typename } }';
    subscribe(client, query, { id: gid('Collective', collective.id) });
    subscribe(client, query, { id: gid('Collective', collective.id) });
    await until(() => t.app.live.streamCount === 2);
    expect(t.app.live.connectionCount).toBe(1);
    await client.dispose();
    await until(() => t.app.live.connectionCount === 0 && t.app.live.streamCount === 0);
  });
});

/**
 * Opens a raw graphql-transport-ws socket and sends connection_init with `token`: 'ack' once acknowledged (the socket
 * is returned to close), or the close code the server answered with.
 */
function connect(token: string): Promise<{ outcome: 'ack' | number; socket: WebSocket }> {
  const socket = new WebSocket(`${t.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', () =>
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })),
    );
    socket.on('message', (data) => {
      if ((JSON.parse(data.toString()) as { type: string }).type === 'connection_ack') resolve({ outcome: 'ack', socket });
    });
    socket.once('close', (code) => resolve({ outcome: code, socket }));
  });
}

describe('Sessions shared by the sockets of one token', () => {
  // resolveSignedIn's statement (a socket's connection_init, or an HTTP request's authentication).
  const sessionReads = () => statements.filter((sql) => /FROM "Session" s JOIN "Member"/.test(sql)).length;

  it('should read a token’s session once for the sockets it opens at once, and refuse the next socket once it is signed out', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    statements.length = 0;
    const opened = await Promise.all(Array.from({ length: 20 }, () => connect(token)));
    try {
      expect(opened.map((o) => o.outcome)).toEqual(Array(20).fill('ack'));
      // On PostgreSQL (other processes may write it) a read serves only the sockets that arrive while it runs, so
      // how many reads a burst takes depends on timing; what is kept on the embedded database is counted there.
      if (!onPostgres) expect(sessionReads(), statements.join('\n')).toBe(1);
      // A socket opened later is served by the same read on the embedded database, read afresh on PostgreSQL.
      const before = sessionReads();
      const later = await connect(token);
      opened.push(later);
      expect(later.outcome).toBe('ack');
      expect(sessionReads()).toBe(onPostgres ? before + 1 : 1);

      // Signed out over HTTP: once this instance applies the event, the kept session is not served again.
      expect((await t.gql('mutation { signOut }', {}, token)).data?.signOut).toBe(true);
      await t.app.events.sync();
      const refused = await connect(token);
      opened.push(refused);
      expect(refused.outcome).toBe(4403);
      // The refused socket's alone: the sign-out request was served by the session the sockets kept (HTTP requests
      // share it on the embedded database: context.ts `authenticateRequest`), and its write made the socket read
      // afresh. On PostgreSQL the sign-out request read it too.
      expect(sessionReads()).toBe(onPostgres ? before + 3 : 2);
    } finally {
      for (const { socket } of opened) socket.close();
    }
  });

  it('should refuse the next socket of a member whose departure the support staff recorded, though their session was kept', async () => {
    const [leaver, staff] = await Promise.all([makeMember(t.db.prisma), makeMember(t.db.prisma, SUPPORT_STAFF)]);
    const token = await t.tokenFor(leaver.id);
    const first = await connect(token);
    first.socket.close();
    expect(first.outcome).toBe('ack');
    const left = await t.gql(
      'mutation($id: ID!) { leaveCooperative(input: { memberId: $id }) { __typename } }',
      { id: gid('Member', leaver.id) },
      await t.tokenFor(staff.id),
    );
    expect(left.data?.leaveCooperative.__typename, JSON.stringify(left)).toBe('MutationLeaveCooperativeSuccess');
    await t.app.events.sync();
    const next = await connect(token);
    next.socket.close();
    expect(next.outcome).toBe(4403);
  });

  it('should not serve a kept session to another token, nor keep an unknown token', async () => {
    const [one, two] = await Promise.all([makeMember(t.db.prisma), makeMember(t.db.prisma)]);
    const [first, second] = await Promise.all([t.tokenFor(one.id), t.tokenFor(two.id)]);
    const a = t.ws(first, { lazy: false });
    const b = t.ws(second, { lazy: false });
    try {
      expect((await over(a, '{ viewer { id } }')).data?.viewer.id).toBe(gid('Member', one.id));
      expect((await over(b, '{ viewer { id } }')).data?.viewer.id).toBe(gid('Member', two.id));
      statements.length = 0;
      for (let i = 0; i < 2; i += 1) {
        const unknown = await connect('never-issued');
        unknown.socket.close();
        expect(unknown.outcome).toBe(4403);
      }
      // An unknown token is not kept: each socket reads it.
      expect(sessionReads()).toBe(2);
      // Each token is served its own session.
      const [c, d] = await Promise.all([t.ws(first, { lazy: false }), t.ws(second, { lazy: false })]);
      try {
        expect((await over(c, '{ viewer { id } }')).data?.viewer.id).toBe(gid('Member', one.id));
        expect((await over(d, '{ viewer { id } }')).data?.viewer.id).toBe(gid('Member', two.id));
      } finally {
        await Promise.all([c.dispose(), d.dispose()]);
      }
    } finally {
      await Promise.all([a.dispose(), b.dispose()]);
    }
  });
});

describe('Session end', () => {
  it('should end the socket’s session the moment it is signed out elsewhere: later operations are anonymous', async () => {
    const member = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
    const token = await t.tokenFor(member.id);
    const client = t.ws(token, { lazy: false });
    try {
      const { inbox } = subscribe(client, 'subscription($id: ID!) { collectiveActivity(collectiveId: $id) { __typename } }', {
        id: gid('Collective', collective.id),
      });
      await until(() => t.app.live.streamCount >= 1);
      expect((await t.gql('mutation { signOut }', {}, token)).data?.signOut).toBe(true);
      await inbox.waitForEnd();
      expect(JSON.stringify(inbox.errors)).toContain('SESSION_REVOKED');
      const after = await over(client, '{ collectives(first: 1) { totalCount } }');
      expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    } finally {
      await client.dispose();
    }
  });
});

describe('Announcements', () => {
  it('should announce "log advanced" after a mutation that recorded an event, and only then', async () => {
    const member = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
    const token = await t.tokenFor(member.id);
    const announced = new Inbox();
    const original = t.app.events.announce.bind(t.app.events);
    t.app.events.announce = () => {
      announced.push(true);
      original();
    };
    try {
      // A refused mutation and one that writes no event announce nothing.
      const refused = await t.gql(
        'mutation($id: ID!) { updateCollective(input: { id: $id, purpose: "" }) { __typename } }',
        { id: gid('Collective', collective.id) },
        token,
      );
      expect(refused.data?.updateCollective.__typename).not.toBe('MutationUpdateCollectiveSuccess');
      expect((await t.gql('mutation { signOut }', {}, null)).errors).toBeDefined();
      expect(announced.received).toHaveLength(0);
      const changed = await t.gql(
        'mutation($id: ID!) { updateCollective(input: { id: $id, purpose: "Annoncé" }) { __typename } }',
        { id: gid('Collective', collective.id) },
        token,
      );
      expect(changed.data?.updateCollective.__typename).toBe('MutationUpdateCollectiveSuccess');
      await announced.waitFor(1);
    } finally {
      t.app.events.announce = original;
    }
  });
});

describe('Memberships kept on the socket', () => {
  const ACTIVITY = 'subscription($id: ID!) { collectiveActivity(collectiveId: $id) { __typename } }';
  const membershipReads = () => statements.filter((sql) => /FROM "public"\."Membership"/.test(sql)).length;
  /** Opens the collective's activity on the client: 'open' once the stream runs, or the refusal's code. */
  const follow = async (client: Client, collectiveId: string) => {
    const before = t.app.live.streamCount;
    const { inbox } = subscribe(client, ACTIVITY, { id: gid('Collective', collectiveId) });
    await until(() => t.app.live.streamCount > before || inbox.errors.length > 0);
    return { outcome: inbox.errors.length > 0 ? errorCodes(inbox).join(',') : 'open', inbox };
  };

  it('should read the viewer’s memberships once per socket, and again after any change of memberships is applied or their own mutation', async () => {
    const prisma = t.db.prisma;
    const [animator, viewer, other] = await Promise.all([makeMember(prisma), makeMember(prisma), makeMember(prisma)]);
    const business = await makeCollective(prisma, {
      animatorId: animator.id,
      memberIds: [other.id],
      kind: 'BUSINESS',
      horizon: 'LONG_TERM',
      openness: 'CLOSED',
    });
    // The viewer co-animates another collective; handing that role to someone else names only the new co-animator.
    const led = await makeCollective(prisma, {
      animatorId: animator.id,
      coAnimatorId: viewer.id,
      memberIds: [other.id],
      kind: 'BUSINESS',
      horizon: 'LONG_TERM',
    });
    const animatorToken = await t.tokenFor(animator.id);
    const client = t.ws(await t.tokenFor(viewer.id), { lazy: false });
    try {
      expect((await over(client, '{ viewer { id } }')).data?.viewer.id).toBe(gid('Member', viewer.id));
      statements.length = 0;
      for (let i = 0; i < 3; i += 1) await over(client, '{ viewer { id } }');
      // Kept since connection_init: queries and subscriptions read none.
      expect((await follow(client, business.id)).outcome).toBe('FORBIDDEN');
      expect(membershipReads(), statements.join('\n')).toBe(0);

      // Invited over HTTP, the viewer accepts on this socket: their own mutation drops what the socket kept.
      const invited = await t.gql(
        'mutation($c: ID!, $m: ID!) { inviteMember(input: { collectiveId: $c, memberId: $m }) { __typename ... on MutationInviteMemberSuccess { data { id } } } }',
        { c: gid('Collective', business.id), m: gid('Member', viewer.id) },
        animatorToken,
      );
      const membershipId = invited.data?.inviteMember.data.id;
      expect(membershipId, JSON.stringify(invited)).toBeTruthy();
      const accepted = await over(
        client,
        'mutation($id: ID!) { approveMembership(input: { membershipId: $id }) { __typename } }',
        { id: membershipId },
      );
      expect(accepted.data?.approveMembership.__typename).toBe('MutationApproveMembershipSuccess');
      const following = await follow(client, business.id);
      expect(following.outcome).toBe('open');

      // Leaving elsewhere (over HTTP): once this instance applies the event (the stream ends), the socket reads again.
      const left = await t.gql(
        'mutation($id: ID!) { leaveCollective(input: { collectiveId: $id }) { __typename } }',
        { id: gid('Collective', business.id) },
        await t.tokenFor(viewer.id),
      );
      expect(left.data?.leaveCollective.__typename).toBe('MutationLeaveCollectiveSuccess');
      await following.inbox.waitForEnd();
      expect(JSON.stringify(following.inbox.errors)).toContain('ACCESS_REVOKED');
      expect((await follow(client, business.id)).outcome).toBe('FORBIDDEN');

      // A change that does not name the viewer (the co-animator role handed to another member) counts too.
      statements.length = 0;
      await over(client, '{ viewer { id } }');
      expect(membershipReads(), statements.join('\n')).toBe(0);
      const handed = await t.gql(
        'mutation($c: ID!, $m: ID!) { setCoAnimator(input: { collectiveId: $c, memberId: $m }) { __typename ... on Error { message } } }',
        { c: gid('Collective', led.id), m: gid('Member', other.id) },
        animatorToken,
      );
      expect(handed.data?.setCoAnimator.__typename, JSON.stringify(handed)).toBe('MutationSetCoAnimatorSuccess');
      await t.app.events.sync();
      statements.length = 0;
      await over(client, '{ viewer { id } }');
      await over(client, '{ viewer { id } }');
      expect(membershipReads(), statements.join('\n')).toBe(1);
    } finally {
      await client.dispose();
    }
  });
});
