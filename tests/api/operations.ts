import { expect } from 'vitest';
import type { Prisma } from '../../server/src/generated/prisma/client.js';
import type { GraphQLResponse, TestApp } from '../support/app.js';
import { gid, makeMember } from '../support/scenario.js';

// The GraphQL documents the API suites send, and small helpers to read typed results.

export const FAILURE = /* GraphQL */ `
  fragment Failure on Error {
    __typename
    message
    ... on RuleViolationError { field rule }
    ... on NotFoundError { field }
    ... on InputValidationError { issues { field message reason limit } }
  }
`;

export const MEMBERSHIP = /* GraphQL */ `
  fragment MembershipFields on Membership {
    id role status origin requestedAt joinedAt leftAt leaveReason decidedAt
    member { id }
    collective { id }
    invitedBy { id }
    decidedBy { id }
  }
`;

export const COLLECTIVE = /* GraphQL */ `
  fragment CollectiveFields on Collective {
    id slug name kind horizon status openness purpose sector objective targetDate needsAnimator closedAt memberCount
    animator { id }
    coAnimator { id }
    proposedBy { id }
  }
`;

const membershipMutation = (name: string, inputType: string) => /* GraphQL */ `
  mutation($input: ${inputType}!) {
    result: ${name}(input: $input) {
      __typename
      ... on ${successType(name)} { data { ...MembershipFields } }
      ...Failure
    }
  }
  ${MEMBERSHIP}
  ${FAILURE}
`;

function successType(name: string): string {
  return `Mutation${name[0]?.toUpperCase()}${name.slice(1)}Success`;
}

export const JOIN = membershipMutation('joinCollective', 'CollectiveRefInput');
export const LEAVE = membershipMutation('leaveCollective', 'CollectiveRefInput');
export const APPROVE = membershipMutation('approveMembership', 'MembershipRefInput');
export const DECLINE = membershipMutation('declineMembership', 'MembershipRefInput');
export const INVITE = membershipMutation('inviteMember', 'CollectiveMemberInput');
export const HAND_OVER = membershipMutation('handOverAnimation', 'CollectiveMemberInput');
export const SET_CO_ANIMATOR = membershipMutation('setCoAnimator', 'SetCoAnimatorInput');

export const CREATE_COLLECTIVE = /* GraphQL */ `
  mutation($input: CreateCollectiveInput!) {
    result: createCollective(input: $input) {
      __typename
      ... on MutationCreateCollectiveSuccess { data { ...CollectiveFields } }
      ...Failure
    }
  }
  ${COLLECTIVE}
  ${FAILURE}
`;

export const UPDATE_COLLECTIVE = /* GraphQL */ `
  mutation($input: UpdateCollectiveInput!) {
    result: updateCollective(input: $input) {
      __typename
      ... on MutationUpdateCollectiveSuccess { data { ...CollectiveFields } }
      ...Failure
    }
  }
  ${COLLECTIVE}
  ${FAILURE}
`;

export const CLOSE_COLLECTIVE = /* GraphQL */ `
  mutation($id: ID!) {
    result: closeCollective(id: $id) {
      __typename
      ... on MutationCloseCollectiveSuccess { data { ...CollectiveFields } }
      ...Failure
    }
  }
  ${COLLECTIVE}
  ${FAILURE}
`;

export const LEAVE_COOPERATIVE = /* GraphQL */ `
  mutation($input: LeaveCooperativeInput!) {
    result: leaveCooperative(input: $input) {
      __typename
      ... on MutationLeaveCooperativeSuccess { data { id situation leftCooperativeOn } }
      ...Failure
    }
  }
  ${FAILURE}
`;

/** A JSON result of the API, read by assertions that check its shape. */
// biome-ignore lint/suspicious/noExplicitAny: results are untyped JSON; the assertions are the type check
export type Json = Record<string, any>;

/** Sends a mutation aliased `result` and returns its typed result, failing on any GraphQL error. */
export async function mutate(t: TestApp, document: string, variables: Record<string, unknown>, token: string): Promise<Json> {
  const response = await t.gql(document, variables, token);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data?.result as Json;
}

/** The `data` of a success result. */
export function success(result: Json | null | undefined): Json {
  expect(result?.__typename, JSON.stringify(result)).toMatch(/^Mutation.*Success$/);
  return result?.data as Json;
}

/** Checks a result is a `RuleViolationError` for this rule and field. */
export function expectRule(result: Json | null | undefined, rule: string, field: string | null): void {
  expect(result, JSON.stringify(result)).toMatchObject({ __typename: 'RuleViolationError', rule, field });
  expect(result?.message).toEqual(expect.any(String));
}

/**
 * Checks a result refuses `field`: with this rule (`expectRule`), or, for `TOO_SMALL` or `TOO_LARGE`, as a number
 * outside its bound (server/src/limits/numbers.ts): an `InputValidationError` whose issue names the field.
 */
export function expectRefusal(result: Json | null | undefined, expected: string, field: string): void {
  if (expected !== 'TOO_SMALL' && expected !== 'TOO_LARGE') expectRule(result, expected, field);
  else
    expect(result, JSON.stringify(result)).toMatchObject({
      __typename: 'InputValidationError',
      issues: expect.arrayContaining([expect.objectContaining({ field, reason: expected, limit: expect.any(Number) })]),
    });
}

/** Checks a result is a `ForbiddenError`. */
export function expectForbidden(result: Json | null | undefined): void {
  expect(result?.__typename, JSON.stringify(result)).toBe('ForbiddenError');
  expect(result?.message).toEqual(expect.any(String));
}

/** Checks an operation was refused as a whole: an error, and no data for the field. */
export function expectRefused(response: GraphQLResponse, field: string): void {
  expect(response.errors?.length ?? 0, JSON.stringify(response)).toBeGreaterThan(0);
  expect(response.data?.[field] ?? null).toBeNull();
}

/** The membership operations, called by one member (their token) with database IDs; `app` is read at call time. */
export function membershipActions(app: () => TestApp) {
  const ref = (typename: string, id: string) => gid(typename, id);
  return {
    /** A member and their session token. */
    person: async (data: Partial<Prisma.MemberUncheckedCreateInput> = {}) => {
      const member = await makeMember(app().db.prisma, data);
      return { ...member, gid: gid('Member', member.id), token: await app().tokenFor(member.id) };
    },
    join: (token: string, collectiveId: string) =>
      mutate(app(), JOIN, { input: { collectiveId: ref('Collective', collectiveId) } }, token),
    leave: (token: string, collectiveId: string) =>
      mutate(app(), LEAVE, { input: { collectiveId: ref('Collective', collectiveId) } }, token),
    approve: (token: string, membershipId: string) =>
      mutate(app(), APPROVE, { input: { membershipId: ref('Membership', membershipId) } }, token),
    decline: (token: string, membershipId: string) =>
      mutate(app(), DECLINE, { input: { membershipId: ref('Membership', membershipId) } }, token),
    invite: (token: string, collectiveId: string, memberId: string) =>
      mutate(
        app(),
        INVITE,
        { input: { collectiveId: ref('Collective', collectiveId), memberId: ref('Member', memberId) } },
        token,
      ),
    handOver: (token: string, collectiveId: string, memberId: string) =>
      mutate(
        app(),
        HAND_OVER,
        { input: { collectiveId: ref('Collective', collectiveId), memberId: ref('Member', memberId) } },
        token,
      ),
    setCoAnimator: (token: string, collectiveId: string, memberId?: string) =>
      mutate(
        app(),
        SET_CO_ANIMATOR,
        { input: { collectiveId: ref('Collective', collectiveId), ...(memberId ? { memberId: ref('Member', memberId) } : {}) } },
        token,
      ),
    leaveCooperative: (token: string, memberId: string) =>
      mutate(app(), LEAVE_COOPERATIVE, { input: { memberId: ref('Member', memberId) } }, token),
    /** The database row behind a membership's global ID. */
    rowOf: (globalId: string) =>
      app().db.prisma.membership.findUniqueOrThrow({ where: { id: Buffer.from(globalId, 'base64').toString().split(':')[1] } }),
  };
}
