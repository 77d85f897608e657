import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
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

// A request's session and memberships are kept per token on a single instance (context.ts `authenticateRequest`,
// issue 11). What ends or changes them through the API takes effect on the very next request, although this
// instance has not applied the event yet: the mutation forgets kept sessions before its answer is sent.

let t: TestApp;
const statements: string[] = [];

beforeAll(async () => {
  t = await createTestApp({ onQuery: (sql) => statements.push(sql) });
});
afterAll(() => t.close());
afterEach(() => {
  vi.useRealTimers();
});

const VIEWER = '{ viewer { id } }';
const COLLECTIVES = '{ collectives(first: 1) { totalCount } }';
const SIGN_OUT = 'mutation { signOut }';

describe('Kept sessions', () => {
  it('should read a session once, then answer the same token without a statement', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    statements.length = 0;
    expect(await t.gql('{ __typename }', {}, token)).toEqual({ data: { __typename: 'Query' } });
    expect(statements).toHaveLength(1);
    statements.length = 0;
    expect(await t.gql('{ __typename }', {}, token)).toEqual({ data: { __typename: 'Query' } });
    expect(statements).toHaveLength(0);
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
