import { randomUUID } from 'node:crypto';
import { hashPassword } from '../../server/src/auth/password.js';
import type { Prisma, PrismaClient } from '../../server/src/generated/prisma/client.js';
import type { TestApp } from './app.js';

// A precomputed scrypt hash would do, but members made here sign in through tokenFor().
const NO_PASSWORD = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/** A Relay global ID, as the server encodes it. */
export const gid = (typename: string, id: string) => Buffer.from(`${typename}:${id}`).toString('base64');

let counter = 0;

/** Creates a member; defaults to an active associate entrepreneur in writing. */
export function makeMember(prisma: PrismaClient, data: Partial<Prisma.MemberUncheckedCreateInput> = {}) {
  counter += 1;
  return prisma.member.create({
    data: {
      email: `member${counter}-${randomUUID().slice(0, 8)}@collectifs.test`,
      firstName: data.firstName ?? `Prénom${counter}`,
      lastName: data.lastName ?? `Nom${counter}`,
      kind: 'ENTREPRENEUR',
      contract: 'CESA',
      isAssociate: true,
      sectors: ['WRITING'],
      joinedCooperativeOn: new Date('2022-01-01'),
      passwordHash: NO_PASSWORD,
      ...data,
    },
  });
}

/** Creates a collective with an active animator (and optionally members), straight in the database. */
export async function makeCollective(
  prisma: PrismaClient,
  data: Partial<Prisma.CollectiveUncheckedCreateInput> & { animatorId: string; memberIds?: string[]; coAnimatorId?: string },
) {
  counter += 1;
  const { animatorId, memberIds = [], coAnimatorId, ...rest } = data;
  const now = new Date();
  return prisma.collective.create({
    data: {
      slug: `collectif-${counter}-${randomUUID().slice(0, 6)}`,
      name: rest.name ?? `Collectif ${counter}`,
      kind: 'COMMONS',
      status: 'ACTIVE',
      openness: 'OPEN',
      purpose: 'Faire vivre la coopérative.',
      proposedById: animatorId,
      ...rest,
      memberships: {
        create: [
          { memberId: animatorId, role: 'ANIMATOR', status: 'ACTIVE', origin: 'FOUNDER', joinedAt: now },
          ...(coAnimatorId
            ? [
                {
                  memberId: coAnimatorId,
                  role: 'CO_ANIMATOR' as const,
                  status: 'ACTIVE' as const,
                  origin: 'JOINED' as const,
                  joinedAt: now,
                },
              ]
            : []),
          ...memberIds.map((memberId) => ({
            memberId,
            role: 'MEMBER' as const,
            status: 'ACTIVE' as const,
            origin: 'JOINED' as const,
            joinedAt: now,
          })),
        ],
      },
    },
  });
}

/**
 * A one-off, closed business collective formed to win a tender (target date in 60 days), animated by `animatorId`
 * with `memberIds` as members: the collective of the tender and co-editing scenarios.
 */
export function makeBiddingCollective(prisma: PrismaClient, animatorId: string, memberIds: string[] = []) {
  return makeCollective(prisma, {
    animatorId,
    memberIds,
    kind: 'BUSINESS',
    horizon: 'ONE_OFF',
    openness: 'CLOSED',
    objective: 'Remporter le marché.',
    targetDate: new Date(Date.now() + 60 * 86_400_000),
  });
}

/**
 * A public tender (deadline in `deadlineDays` days) and a deal in preparation on it for the collective, straight in
 * the database; `deal` overrides the deal's fields (group form, amount, nested partners).
 */
export async function makeTenderDeal(
  prisma: PrismaClient,
  collectiveId: string,
  deal: Partial<Prisma.DealUncheckedCreateInput> = {},
  deadlineDays = 30,
) {
  const opportunity = await prisma.opportunity.create({
    data: {
      kind: 'PUBLIC_TENDER',
      title: 'Marché',
      buyer: 'Ville',
      submissionDeadline: new Date(Date.now() + deadlineDays * 86_400_000),
    },
  });
  return prisma.deal.create({
    data: {
      collectiveId,
      opportunityId: opportunity.id,
      title: 'Groupement',
      groupForm: 'SEVERAL',
      status: 'PREPARING',
      ...deal,
    },
  });
}

/** Every row of the tables a membership rule may touch, to prove a rejected change changed nothing. */
export async function snapshot(prisma: PrismaClient) {
  const [members, collectives, memberships, sessions, events] = await Promise.all([
    prisma.member.findMany({ orderBy: { id: 'asc' } }),
    prisma.collective.findMany({ orderBy: { id: 'asc' } }),
    prisma.membership.findMany({ orderBy: { id: 'asc' } }),
    prisma.session.findMany({ orderBy: { id: 'asc' } }),
    prisma.eventLog.count(),
  ]);
  return { members, collectives, memberships, sessions, events };
}

/** A member who signs in with a real password, hashed as the server hashes it. */
export async function makeMemberWithPassword(
  prisma: PrismaClient,
  password: string,
  data: Partial<Prisma.MemberUncheckedCreateInput> = {},
) {
  return makeMember(prisma, { ...data, passwordHash: await hashPassword(password) });
}

/** Runs `change` and returns its result with the database snapshots taken just before and just after. */
export async function aroundChange<T>(prisma: PrismaClient, change: () => Promise<T>) {
  const before = await snapshot(prisma);
  const result = await change();
  const after = await snapshot(prisma);
  return { result, before, after };
}

/** Member presets: a member of the support staff, and an entrepreneur on a trial contract (not an associate). */
export const SUPPORT_STAFF = {
  kind: 'SUPPORT_STAFF',
  contract: 'STAFF',
  isAssociate: false,
  sectors: [],
} satisfies Partial<Prisma.MemberUncheckedCreateInput>;
export const TRIAL_ENTREPRENEUR = { contract: 'CAPE', isAssociate: false } satisfies Partial<Prisma.MemberUncheckedCreateInput>;

/**
 * A long-term business collective animated by `anna`, with `bruno`, `chloe` and `david` as members;
 * `olga` is an outsider, `sam` support staff, `lou` a former member of the collective.
 */
export async function longTermWorld(t: TestApp) {
  const prisma = t.db.prisma;
  const [anna, bruno, chloe, david, olga, lou] = [
    await makeMember(prisma),
    await makeMember(prisma),
    await makeMember(prisma),
    await makeMember(prisma),
    await makeMember(prisma),
    await makeMember(prisma),
  ];
  const sam = await makeMember(prisma, { kind: 'SUPPORT_STAFF', contract: 'STAFF', isAssociate: false, sectors: [] });
  const collective = await makeCollective(prisma, {
    animatorId: anna.id,
    memberIds: [bruno.id, chloe.id, david.id],
    kind: 'BUSINESS',
    horizon: 'LONG_TERM',
    openness: 'ON_REQUEST',
  });
  await prisma.membership.create({
    data: {
      collectiveId: collective.id,
      memberId: lou.id,
      status: 'LEFT',
      origin: 'JOINED',
      joinedAt: new Date('2024-01-01'),
      leftAt: new Date('2024-06-01'),
      leaveReason: 'LEFT_COLLECTIVE',
    },
  });
  const people = { anna, bruno, chloe, david, olga, lou, sam };
  const tokens = Object.fromEntries(
    await Promise.all(Object.entries(people).map(async ([name, member]) => [name, await t.tokenFor(member.id)] as const)),
  ) as Record<keyof typeof people, string>;
  return { collective, ...people, tokens };
}
