import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveSignedIn } from '../../server/src/auth/sessions.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';
import {
  expectForbidden,
  expectRefused,
  LEAVE_COOPERATIVE,
  mutate,
  SET_CO_ANIMATOR,
  success,
  UPDATE_COLLECTIVE,
} from './operations.js';

// A request's session and memberships are kept per token on the embedded database (context.ts `authenticateRequest`,
// issue 11); on PostgreSQL, which other processes may write, every request reads them. What ends or changes them through the API takes effect on the very next request, although this
// instance has not applied the event yet: the mutation forgets kept sessions before its answer is sent.

let t: TestApp;
const statements: string[] = [];
/** Called with each statement Prisma ran (a test looks at what a token would be served from there). */
let onStatement: ((sql: string) => void) | null = null;

beforeAll(async () => {
  t = await createTestApp({
    onQuery: (sql) => {
      statements.push(sql);
      onStatement?.(sql);
    },
  });
});
afterAll(() => t.close());
afterEach(() => {
  vi.useRealTimers();
  onStatement = null;
});

const VIEWER = '{ viewer { id } }';
const COLLECTIVES = '{ collectives(first: 1) { totalCount } }';
const SIGN_OUT = 'mutation { signOut }';

describe('Kept sessions', () => {
  it('should read a session once, then answer the same token without a statement (each time on PostgreSQL)', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    statements.length = 0;
    expect(await t.gql('{ __typename }', {}, token)).toEqual({ data: { __typename: 'Query' } });
    expect(statements).toHaveLength(1);
    statements.length = 0;
    expect(await t.gql('{ __typename }', {}, token)).toEqual({ data: { __typename: 'Query' } });
    // PostgreSQL may be written by another process (a second instance, a rolling deploy's old one): read again.
    expect(statements).toHaveLength(process.env.DATABASE_URL ? 1 : 0);
  });

  it('should refuse a kept token on the request after its sign-out', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    const other = await t.tokenFor(member.id);
    expect(await t.gql(VIEWER, {}, token)).toEqual({ data: { viewer: { id: gid('Member', member.id) } } });
    expect(await t.gql(VIEWER, {}, other)).toEqual({ data: { viewer: { id: gid('Member', member.id) } } });

    expect(await t.gql(SIGN_OUT, {}, token)).toEqual({ data: { signOut: true } });
    expect(await t.gql(VIEWER, {}, token)).toEqual({ data: { viewer: null } });
    expectRefused(await t.gql(COLLECTIVES, {}, token), 'collectives');
    // The member's other session is still live.
    expect(await t.gql(VIEWER, {}, other)).toEqual({ data: { viewer: { id: gid('Member', member.id) } } });
  });

  it('should refuse a kept token once its session expires by the clock', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    expect(await t.gql(VIEWER, {}, token)).toEqual({ data: { viewer: { id: gid('Member', member.id) } } });
    // tokenFor opens an hour's session: an hour and a second later it has run out, kept or not.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 3_601_000 });
    expect(await t.gql(VIEWER, {}, token)).toEqual({ data: { viewer: null } });
    expectRefused(await t.gql(COLLECTIVES, {}, token), 'collectives');
  });

  it('should refuse a kept token on the request after its member leaves the cooperative (by the support staff)', async () => {
    const member = await makeMember(t.db.prisma);
    const staff = await makeMember(t.db.prisma, { kind: 'SUPPORT_STAFF', contract: 'STAFF', isAssociate: false, sectors: [] });
    const token = await t.tokenFor(member.id);
    expect(await t.gql(VIEWER, {}, token)).toEqual({ data: { viewer: { id: gid('Member', member.id) } } });

    const left = await mutate(
      t,
      LEAVE_COOPERATIVE,
      { input: { memberId: gid('Member', member.id) } },
      await t.tokenFor(staff.id),
    );
    expect(success(left)).toMatchObject({ situation: 'LEFT' });
    expect(await t.gql(VIEWER, {}, token)).toEqual({ data: { viewer: null } });
    expectRefused(await t.gql(COLLECTIVES, {}, token), 'collectives');
  });

  it('should take a co-animator’s rights away on their request after the animator removes them', async () => {
    const animator = await makeMember(t.db.prisma);
    const coAnimator = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, coAnimatorId: coAnimator.id });
    const token = await t.tokenFor(coAnimator.id);
    const rename = (name: string) =>
      mutate(t, UPDATE_COLLECTIVE, { input: { id: gid('Collective', collective.id), name } }, token);
    // Their memberships are read and kept with their session.
    expect(success(await rename('Renommé une fois'))).toMatchObject({ name: 'Renommé une fois' });

    const removed = await mutate(
      t,
      SET_CO_ANIMATOR,
      { input: { collectiveId: gid('Collective', collective.id) } },
      await t.tokenFor(animator.id),
    );
    // Nothing to answer once there is no co-animator; the row says they are a plain member now.
    expect(removed).toBeNull();
    expect(
      await t.db.prisma.membership.findFirstOrThrow({ where: { collectiveId: collective.id, memberId: coAnimator.id } }),
    ).toMatchObject({ role: 'MEMBER' });
    expectForbidden(await rename('Renommé deux fois'));
    expect(await t.db.prisma.collective.findUniqueOrThrow({ where: { id: collective.id } })).toMatchObject({
      name: 'Renommé une fois',
    });
  });
});

describe('Kept sessions and rows written straight to the database', () => {
  // Test fixtures (and scripts) write behind the event log's back: the kept answer must not outlive such a write
  // through this process (db/access-writes.ts), in either direction.
  it('should grant a collective made in the database to its animator on their next request', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    // Their session and (no) memberships are kept.
    expect(await t.gql(VIEWER, {}, token)).toEqual({ data: { viewer: { id: gid('Member', member.id) } } });
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
    const renamed = await mutate(
      t,
      UPDATE_COLLECTIVE,
      { input: { id: gid('Collective', collective.id), name: 'Renommé' } },
      token,
    );
    expect(success(renamed)).toMatchObject({ name: 'Renommé' });
  });

  it('should refuse a kept token on its next request once its session is revoked in the database', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    expect(await t.gql(VIEWER, {}, token)).toEqual({ data: { viewer: { id: gid('Member', member.id) } } });
    await t.db.prisma.session.updateMany({ where: { memberId: member.id }, data: { revokedAt: new Date() } });
    expect(await t.gql(VIEWER, {}, token)).toEqual({ data: { viewer: null } });
  });

  // Nothing is kept on PostgreSQL (other processes may write it): tests/live/session-other-writer.
  it.skipIf(Boolean(process.env.DATABASE_URL))(
    'should not serve a kept answer once the first field of a mutation has committed, before its second field ends',
    async () => {
      const animator = await makeMember(t.db.prisma);
      const coAnimator = await makeMember(t.db.prisma);
      const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, coAnimatorId: coAnimator.id });
      const other = await makeCollective(t.db.prisma, { animatorId: animator.id });
      const token = await t.tokenFor(coAnimator.id);
      expect(await t.gql(VIEWER, {}, token)).toEqual({ data: { viewer: { id: gid('Member', coAnimator.id) } } });
      // Whether the co-animator's next request would read their session afresh: `authenticate` calls `read` at once
      // (synchronously) when it serves nothing kept. Each probe is awaited before the test ends: its read may be sent
      // a turn later (sessions.ts groups the reads of one turn), after the app has closed.
      const probes: Promise<unknown>[] = [];
      const readsAfresh = () => {
        let read = false;
        probes.push(
          t.app.live.authenticate(token, () => {
            read = true;
            return resolveSignedIn(t.db.sql, token);
          }),
        );
        return read;
      };
      expect(readsAfresh()).toBe(false);
      // At the second field's first statement (the first after the first field's COMMIT), what would they be served?
      const seen: boolean[] = [];
      let committed = false;
      statements.length = 0;
      onStatement = (sql) => {
        if (committed && seen.length === 0) {
          // Once (the probe's own read is a statement too).
          onStatement = null;
          seen.push(readsAfresh());
        }
        if (/\bCOMMIT\b/.test(sql)) committed = true;
      };
      const answer = await t.gql(
        /* GraphQL */ `
        mutation($remove: SetCoAnimatorInput!, $rename: UpdateCollectiveInput!) {
          removed: setCoAnimator(input: $remove) { __typename }
          renamed: updateCollective(input: $rename) { __typename }
        }
      `,
        {
          remove: { collectiveId: gid('Collective', collective.id) },
          rename: { id: gid('Collective', other.id), name: 'Renommé pendant' },
        },
        await t.tokenFor(animator.id),
      );
      expect(answer.errors).toBeUndefined();
      expect(seen, statements.join('\n')).toEqual([true]);
      await Promise.all(probes);
    },
  );
});
