import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { aroundChange, gid, makeCollective, makeMember, makeMemberWithPassword } from '../support/scenario.js';
import {
  APPROVE,
  CLOSE_COLLECTIVE,
  CREATE_COLLECTIVE,
  DECLINE,
  expectRefused,
  FAILURE,
  HAND_OVER,
  INVITE,
  JOIN,
  type Json,
  LEAVE,
  LEAVE_COOPERATIVE,
  SET_CO_ANIMATOR,
  UPDATE_COLLECTIVE,
} from './operations.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const PASSWORD = 'correct horse battery staple';

const signInDocument = (payload: string) => /* GraphQL */ `
  mutation($email: String!, $password: String!) {
    result: signIn(input: { email: $email, password: $password }) {
      __typename
      ... on MutationSignInSuccess { data { ${payload} } }
      ...Failure
    }
  }
  ${FAILURE}
`;
const SIGN_IN = signInDocument('token expiresAt');
const SIGN_OUT = 'mutation { signOut }';
const VIEWER = '{ viewer { id } }';
const COLLECTIVES = '{ collectives(first: 5) { totalCount } }';

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

async function signIn(email: string, password: string, document = SIGN_IN) {
  const response = await t.gql(document, { email, password });
  expect(response.errors).toBeUndefined();
  return response.data?.result as Json;
}

describe('Sign in', () => {
  it('should return a token that works as a bearer token', async () => {
    const member = await makeMemberWithPassword(t.db.prisma, PASSWORD);
    const result = await signIn(member.email, PASSWORD);
    expect(result.__typename).toBe('MutationSignInSuccess');
    const { token, expiresAt } = result.data;
    expect(token).toEqual(expect.any(String));
    expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now());

    const viewer = await t.gql(VIEWER, {}, token);
    expect(viewer).toEqual({ data: { viewer: { id: gid('Member', member.id) } } });
    const list = await t.gql(COLLECTIVES, {}, token);
    expect(list.errors).toBeUndefined();
    expect(list.data?.collectives.totalCount).toEqual(expect.any(Number));

    const sessions = await t.db.prisma.session.findMany({ where: { memberId: member.id } });
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ revokedAt: null, expiresAt: new Date(expiresAt) });
  });

  it('should return the member signed in', async () => {
    const member = await makeMemberWithPassword(t.db.prisma, PASSWORD);
    const result = await signIn(member.email, PASSWORD, signInDocument('token member { id email displayName }'));
    expect(result).toMatchObject({
      __typename: 'MutationSignInSuccess',
      data: {
        member: { id: gid('Member', member.id), email: member.email, displayName: `${member.firstName} ${member.lastName}` },
      },
    });
  });

  it('should accept the email in another case and with spaces around it', async () => {
    const member = await makeMemberWithPassword(t.db.prisma, PASSWORD);
    const result = await signIn(`  ${member.email.toUpperCase()} `, PASSWORD);
    expect(result.__typename).toBe('MutationSignInSuccess');
    expect(await t.gql(VIEWER, {}, result.data.token)).toEqual({ data: { viewer: { id: gid('Member', member.id) } } });
  });

  it('should store only the SHA-256 of the token', async () => {
    const member = await makeMemberWithPassword(t.db.prisma, PASSWORD);
    const { token } = (await signIn(member.email, PASSWORD)).data;
    const session = await t.db.prisma.session.findFirstOrThrow({ where: { memberId: member.id } });
    expect(session.tokenHash).toBe(sha256(token));
    expect(JSON.stringify(session)).not.toContain(token);
    const rows = await t.db.sql.query<Record<string, unknown>>('SELECT * FROM "Session" WHERE "memberId" = $1', [member.id]);
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('should refuse a wrong password and an unknown email alike, opening no session', async () => {
    const member = await makeMemberWithPassword(t.db.prisma, PASSWORD);
    const wrong = await aroundChange(t.db.prisma, () => signIn(member.email, 'not the password'));
    const unknown = await aroundChange(t.db.prisma, () => signIn('nobody@collectifs.test', PASSWORD));
    expect(wrong.result).toEqual({ __typename: 'InvalidCredentialsError', message: expect.any(String) });
    expect(unknown.result).toEqual(wrong.result);
    expect(wrong.after).toEqual(wrong.before);
    expect(unknown.after).toEqual(unknown.before);
  });

  it('should refuse a malformed email with the path of the field', async () => {
    const { result, before, after } = await aroundChange(t.db.prisma, () => signIn('not-an-email', PASSWORD));
    expect(result.__typename).toBe('InputValidationError');
    expect(result.issues).toEqual([{ field: 'input.email', message: expect.any(String), reason: 'INVALID_FORMAT', limit: null }]);
    expect(after).toEqual(before);
  });

  it('should refuse an empty password with the path of the field', async () => {
    const member = await makeMemberWithPassword(t.db.prisma, PASSWORD);
    const { result, before, after } = await aroundChange(t.db.prisma, () => signIn(member.email, ''));
    expect(result.__typename).toBe('InputValidationError');
    expect(result.issues).toEqual([{ field: 'input.password', message: expect.any(String), reason: 'REQUIRED', limit: 1 }]);
    expect(after).toEqual(before);
  });

  it('should refuse a member who left the cooperative, even with the right password', async () => {
    const member = await makeMemberWithPassword(t.db.prisma, PASSWORD, {
      situation: 'LEFT',
      leftCooperativeOn: new Date('2024-06-30'),
    });
    const { result, before, after } = await aroundChange(t.db.prisma, () => signIn(member.email, PASSWORD));
    expect(result).toEqual({ __typename: 'InvalidCredentialsError', message: expect.any(String) });
    expect(after).toEqual(before);
  });
});

describe('Sessions', () => {
  it('should stop a token working once signed out', async () => {
    const member = await makeMemberWithPassword(t.db.prisma, PASSWORD);
    const { token } = (await signIn(member.email, PASSWORD)).data;

    const out = await t.gql(SIGN_OUT, {}, token);
    expect(out).toEqual({ data: { signOut: true } });
    const session = await t.db.prisma.session.findFirstOrThrow({ where: { memberId: member.id } });
    expect(session.revokedAt).toBeInstanceOf(Date);

    expect(await t.gql(VIEWER, {}, token)).toEqual({ data: { viewer: null } });
    expectRefused(await t.gql(COLLECTIVES, {}, token), 'collectives');
  });

  it('should end only the session signed out, not the member’s other sessions', async () => {
    const member = await makeMember(t.db.prisma);
    const first = await t.tokenFor(member.id);
    const second = await t.tokenFor(member.id);
    expect(await t.gql(SIGN_OUT, {}, first)).toEqual({ data: { signOut: true } });
    expect(await t.gql(VIEWER, {}, first)).toEqual({ data: { viewer: null } });
    expect(await t.gql(VIEWER, {}, second)).toEqual({ data: { viewer: { id: gid('Member', member.id) } } });
  });

  it('should refuse an expired session', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    expect(await t.gql(VIEWER, {}, token)).toEqual({ data: { viewer: { id: gid('Member', member.id) } } });
    await t.db.prisma.session.updateMany({
      where: { tokenHash: sha256(token) },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });

    expect(await t.gql(VIEWER, {}, token)).toEqual({ data: { viewer: null } });
    expectRefused(await t.gql(COLLECTIVES, {}, token), 'collectives');
  });

  it('should refuse a token that was never issued', async () => {
    expect(await t.gql(VIEWER, {}, 'made-up-token')).toEqual({ data: { viewer: null } });
    expectRefused(await t.gql(COLLECTIVES, {}, 'made-up-token'), 'collectives');
  });
});

describe('Anonymous callers', () => {
  it('should have a null viewer', async () => {
    expect(await t.gql(VIEWER)).toEqual({ data: { viewer: null } });
  });

  it('should be refused every query but viewer', async () => {
    const animator = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    expectRefused(await t.gql(COLLECTIVES), 'collectives');
    expectRefused(
      await t.gql(`query($slug: String!) { collective(slug: $slug) { id } }`, { slug: collective.slug }),
      'collective',
    );
    expectRefused(await t.gql('{ members(first: 5) { totalCount } }'), 'members');
    expectRefused(await t.gql(`query($id: ID!) { member(id: $id) { id } }`, { id: gid('Member', animator.id) }), 'member');
    expectRefused(await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: gid('Collective', collective.id) }), 'node');
    expectRefused(await t.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [gid('Member', animator.id)] }), 'nodes');
  });

  it('should be refused every mutation but signIn, changing nothing', async () => {
    const animator = await makeMember(t.db.prisma);
    const other = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id, memberIds: [other.id] });
    const pending = await t.db.prisma.membership.create({
      data: { collectiveId: collective.id, memberId: (await makeMember(t.db.prisma)).id, status: 'PENDING', origin: 'REQUESTED' },
    });
    const collectiveId = gid('Collective', collective.id);
    const memberId = gid('Member', other.id);
    const membershipId = gid('Membership', pending.id);
    const attempts: Array<[string, string, Record<string, unknown>]> = [
      ['createCollective', CREATE_COLLECTIVE, { input: { name: 'Collectif anonyme', kind: 'COMMONS', purpose: 'Rien.' } }],
      ['updateCollective', UPDATE_COLLECTIVE, { input: { id: collectiveId, name: 'Renommé' } }],
      ['closeCollective', CLOSE_COLLECTIVE, { id: collectiveId }],
      ['joinCollective', JOIN, { input: { collectiveId } }],
      ['leaveCollective', LEAVE, { input: { collectiveId } }],
      ['approveMembership', APPROVE, { input: { membershipId } }],
      ['declineMembership', DECLINE, { input: { membershipId } }],
      ['inviteMember', INVITE, { input: { collectiveId, memberId } }],
      ['handOverAnimation', HAND_OVER, { input: { collectiveId, memberId } }],
      ['setCoAnimator', SET_CO_ANIMATOR, { input: { collectiveId, memberId } }],
      ['leaveCooperative', LEAVE_COOPERATIVE, { input: { memberId } }],
    ];
    for (const [field, document, variables] of attempts) {
      const { result, before, after } = await aroundChange(t.db.prisma, () => t.gql(document, variables));
      expect(result.errors?.length ?? 0, `${field}: ${JSON.stringify(result)}`).toBeGreaterThan(0);
      expect(result.data?.result ?? null, field).toBeNull();
      expect(after, field).toEqual(before);
    }
  });

  it('should be refused signOut', async () => {
    const { result, before, after } = await aroundChange(t.db.prisma, () => t.gql(SIGN_OUT));
    expectRefused(result, 'signOut');
    expect(after).toEqual(before);
  });
});
