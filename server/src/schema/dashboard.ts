import { z } from 'zod';
import { Access } from '../auth/access.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import type { LogEvent } from '../events/bus.js';
import { type EventType, isCollectiveCopy } from '../events/types.js';
import { VIEWER } from '../live/lifecycle.js';
import { ActivityEvent, NOT_A_COLLECTIVE_COPY } from './activity.js';
import { CollectiveKindEnum, CollectiveStatusEnum } from './enums.js';

/** Bursts of changes within this window give one recomputation, not one per change. */
const COALESCE_MS = 100;
const RECENT = 10;
/** The longest `withinDays` (a year and a day): the deadlines listed, and the dates computed, stay bounded. */
const MAX_WITHIN_DAYS = 366;

/** Live dashboard recomputations on this instance since it started (tests read it to check the bound). */
export const dashboardRecomputations = { count: 0 };

interface DashboardSnapshot {
  position: bigint;
  collectives: Array<{ kind: string; status: string; count: number }>;
  deals: Array<{ status: string; count: number; totalAmountCents: number }>;
  deadlines: Array<{ opportunityId: string; title: string; buyer: string; kind: 'QUESTIONS' | 'SUBMISSION'; at: Date }>;
  recentActivity: Array<LogEvent & { kind: 'event' }>;
}

const CollectiveCount = builder.objectRef<DashboardSnapshot['collectives'][number]>('CollectiveCount').implement({
  description: 'How many collectives of a kind are in a status.',
  fields: (t) => ({
    kind: t.field({ type: CollectiveKindEnum, description: 'Kind.', resolve: (row) => row.kind as never }),
    status: t.field({ type: CollectiveStatusEnum, description: 'Status.', resolve: (row) => row.status as never }),
    count: t.exposeInt('count', { description: 'Number of collectives.' }),
  }),
});

const DealTotal = builder.objectRef<DashboardSnapshot['deals'][number]>('DealTotal').implement({
  description: 'The deals you may see in one status, and what they add up to.',
  fields: (t) => ({
    status: t.exposeString('status', { description: 'Deal status (see DealStatus).' }),
    count: t.exposeInt('count', { description: 'Number of deals.' }),
    totalAmountCents: t.expose('totalAmountCents', {
      type: 'Cents',
      description: 'Sum of their amounts, in cents excluding VAT (may exceed `Int`: see `Cents`).',
    }),
  }),
});

const DeadlineKind = builder.enumType('DeadlineKind', {
  description: 'Which deadline of an opportunity.',
  values: {
    QUESTIONS: { description: 'Last day to ask the buyer questions.' },
    SUBMISSION: { description: 'Submission deadline.' },
  },
});

const Deadline = builder.objectRef<DashboardSnapshot['deadlines'][number]>('Deadline').implement({
  description: 'An upcoming deadline of an opportunity.',
  fields: (t) => ({
    opportunityId: t.id({
      description: 'Global ID of the opportunity.',
      resolve: (row) => Buffer.from(`Opportunity:${row.opportunityId}`).toString('base64'),
    }),
    title: t.exposeString('title', { description: 'Title of the opportunity.' }),
    buyer: t.exposeString('buyer', { description: 'Buyer.' }),
    kind: t.field({ type: DeadlineKind, description: 'Which deadline.', resolve: (row) => row.kind }),
    at: t.expose('at', { type: 'DateTime', description: 'When (shown in Europe/Paris).' }),
  }),
});

const Dashboard = builder.objectRef<DashboardSnapshot>('Dashboard').implement({
  description: 'The live figures of the cooperative, as the viewer may see them.',
  fields: (t) => ({
    position: t.string({ description: 'The log position these figures reflect.', resolve: (row) => row.position.toString() }),
    collectives: t.field({
      type: [CollectiveCount],
      description: 'Collectives by kind and status.',
      resolve: (row) => row.collectives,
    }),
    deals: t.field({ type: [DealTotal], description: 'Deals by status, with their total amounts.', resolve: (row) => row.deals }),
    upcomingDeadlines: t.field({
      type: [Deadline],
      description: 'Deadlines within the window, soonest first.',
      resolve: (row) => row.deadlines,
    }),
    recentActivity: t.field({
      type: [ActivityEvent],
      description: 'The latest events you may see, newest first.',
      resolve: (row) => row.recentActivity,
    }),
  }),
});

/**
 * The figures as the viewer may see them now. `access` is read afresh for every push of the live
 * dashboard, so a collective the viewer has lost access to is no longer counted.
 */
async function computeDashboard(context: Context, access: Access, withinDays: number): Promise<DashboardSnapshot> {
  const { prisma } = context;
  const now = new Date();
  const until = new Date(now.getTime() + withinDays * 86_400_000);
  const dealScope = access.isSupportStaff
    ? {}
    : { OR: [{ collectiveId: { in: [...access.insiderOf] } }, { id: { in: [...(await access.partnerDeals())] } }] };
  // Collectives whose changes the viewer receives: every one but the business collectives they are not in.
  const collectiveScope = access.isSupportStaff
    ? {}
    : { OR: [{ kind: { not: 'BUSINESS' as const } }, { id: { in: [...access.insiderOf] } }] };
  // The position is read first: the figures read after it reflect at least everything up to it.
  const head = await prisma.eventLog.findFirst({ orderBy: { position: 'desc' }, select: { position: true } });
  const [collectives, deals, opportunities, recent] = await Promise.all([
    prisma.collective.groupBy({
      by: ['kind', 'status'],
      where: collectiveScope,
      _count: { _all: true },
      orderBy: [{ kind: 'asc' }, { status: 'asc' }],
    }),
    prisma.deal.groupBy({
      by: ['status'],
      where: dealScope,
      _count: { _all: true },
      _sum: { totalAmountCents: true },
      orderBy: { status: 'asc' },
    }),
    prisma.opportunity.findMany({
      where: { OR: [{ questionsDeadline: { gte: now, lte: until } }, { submissionDeadline: { gte: now, lte: until } }] },
      select: { id: true, title: true, buyer: true, questionsDeadline: true, submissionDeadline: true },
    }),
    // Merged over the viewer's collectives: a change recorded with collective copies shows once.
    prisma.eventLog.findMany({ where: NOT_A_COLLECTIVE_COPY, orderBy: { position: 'desc' }, take: RECENT * 10 }),
  ]);
  const viewer = access.viewer;
  const listener = { memberId: viewer?.id ?? '', isSupportStaff: access.isSupportStaff };
  if (viewer) await context.events.index.watch(viewer.id);
  const deadlines = opportunities.flatMap((opportunity) =>
    (
      [
        ['QUESTIONS', opportunity.questionsDeadline],
        ['SUBMISSION', opportunity.submissionDeadline],
      ] as const
    )
      .filter(([, at]) => at && at >= now && at <= until)
      .map(([kind, at]) => ({
        opportunityId: opportunity.id,
        title: opportunity.title,
        buyer: opportunity.buyer,
        kind,
        at: at as Date,
      })),
  );
  return {
    position: head?.position ?? 0n,
    collectives: collectives.map((row) => ({ kind: row.kind, status: row.status, count: row._count._all })),
    deals: deals.map((row) => ({ status: row.status, count: row._count._all, totalAmountCents: row._sum.totalAmountCents ?? 0 })),
    deadlines: deadlines.sort((a, b) => a.at.getTime() - b.at.getTime()),
    recentActivity: recent
      .filter((event) => context.events.index.mayReceive(listener, event))
      .slice(0, RECENT)
      .map((event) => ({ kind: 'event' as const, ...event })),
  };
}

/**
 * Dashboard work on this process, for tests and diagnosis: `triggers` counts events that asked an open live
 * dashboard for a recomputation (one per event and stream), `recomputations` the figures computed for a push
 * after the first. An event the viewer may not see adds to neither.
 */
export const dashboardCounters = { triggers: 0, recomputations: 0 };

/** What a viewer's figures were computed over: their collectives and the deals they are a partner of. */
interface Scope {
  collectives: ReadonlySet<string>;
  deals: ReadonlySet<string>;
}

/** Events after which a viewer may no longer see a collective or a deal their figures counted. */
const LOSING_ACCESS = new Set<string>(['collective.closed', 'deal.partnersSet', 'deal.partnerSubstituted'] satisfies EventType[]);

async function scopeOf(access: Access): Promise<Scope> {
  return { collectives: access.insiderOf, deals: await access.partnerDeals() };
}

/**
 * First the figures, then new figures after each burst of changes the viewer may see, under the stream
 * lifecycle. A change counts when the viewer may receive its event now, or when it takes away a collective or
 * a deal the last figures counted (`LOSING_ACCESS`: the collective closing, the deal's partners changing): losing
 * access is a change to what they see, so the next push recomputes without it, although its event is no longer
 * theirs (leaving a collective is theirs: its event names them). Anything else (another business collective's
 * life, a restricted section of a deal they are not leading) never wakes the dashboard: it cannot move their
 * figures.
 *
 * Bounded work per event (SECURITY.md): a viewer's figures are recomputed at most once per
 * `DASHBOARD_MIN_INTERVAL_MS` (changes meanwhile are folded into the next recomputation, never dropped), and at
 * most `DASHBOARD_CONCURRENCY` recomputations run at once on the instance (the others wait their turn), so a
 * flood of events costs each open dashboard a bounded number of recomputations whatever its rate.
 */
function dashboardStream(context: Context, withinDays: number): AsyncIterableIterator<DashboardSnapshot> {
  return context.live.stream(
    context,
    async () => VIEWER,
    async function* (live) {
      const session = context.session as NonNullable<Context['session']>;
      const index = context.events.index;
      const listener = { memberId: session.member.id, isSupportStaff: context.access.isSupportStaff };
      let scope = await scopeOf(context.access);
      const relevant = (event: LogEvent): boolean => {
        // A collective's copy of a change adds nothing: the change itself (outside any collective) wakes it.
        if (isCollectiveCopy(event)) return false;
        const wakes =
          index.mayReceive(listener, event) ||
          (LOSING_ACCESS.has(event.type) &&
            ((event.collectiveId !== null && scope.collectives.has(event.collectiveId)) ||
              scope.deals.has(index.dealOf(event) ?? '')));
        if (wakes) dashboardCounters.triggers += 1;
        return wakes;
      };
      const fresh = async () => {
        const access = await Access.forViewer(context.prisma, session.member);
        scope = await scopeOf(access);
        return access;
      };
      // Only "something changed" matters here: a stream that lagged is simply opened again. Authorised by
      // `relevant` itself (what the viewer may see, or saw at the last push).
      const open = () =>
        context.events
          .stream({ listener, after: null, matches: relevant, authorize: false, signal: live.signal })
          [Symbol.asyncIterator]();
      const { dashboardMinIntervalMs } = context.config.limits.work;
      const recompute = (access: () => Promise<Access>) =>
        context.work.dashboards(async () => {
          dashboardRecomputations.count += 1;
          return computeDashboard(context, await access(), withinDays);
        });
      let changes = open();
      try {
        let computedAt = Date.now();
        yield await recompute(async () => context.access);
        let next = changes.next();
        while (true) {
          const first = await next;
          if (first.done || !(await live.admit())) return;
          if (first.value.kind === 'resync') changes = open();
          next = changes.next();
          const quiet = Symbol('quiet');
          // Fold what follows for a moment, and at least until the viewer's shortest interval has passed.
          const deadline = Math.max(Date.now() + COALESCE_MS, computedAt + dashboardMinIntervalMs);
          while (true) {
            let timer: NodeJS.Timeout | undefined;
            const settled = await Promise.race([
              next,
              new Promise<typeof quiet>((resolve) => {
                timer = setTimeout(() => resolve(quiet), deadline - Date.now());
              }),
            ]);
            clearTimeout(timer);
            if (settled === quiet) break;
            if (settled.done) return;
            if (settled.value.kind === 'resync') changes = open();
            next = changes.next();
          }
          if (!(await live.admit())) return;
          computedAt = Date.now();
          dashboardCounters.recomputations += 1;
          yield await recompute(fresh);
        }
      } finally {
        await changes.return?.(undefined);
      }
    },
  );
}

builder.queryField('dashboard', (t) =>
  t.field({
    type: Dashboard,
    description: 'The live figures, once (subscribe to `dashboard` to have them pushed).',
    args: {
      withinDays: t.arg.int({
        defaultValue: 14,
        description: `How far ahead deadlines are listed, in days (0 to ${MAX_WITHIN_DAYS}).`,
        validate: z.number().int().min(0).max(MAX_WITHIN_DAYS),
      }),
    },
    resolve: (_root, args, context) => computeDashboard(context, context.access, args.withinDays ?? 14),
  }),
);

builder.subscriptionField('dashboard', (t) =>
  t.field({
    type: Dashboard,
    description: 'The live figures: sent at once, then recomputed and pushed after every burst of changes you may see.',
    args: {
      withinDays: t.arg.int({
        defaultValue: 14,
        description: `How far ahead deadlines are listed, in days (0 to ${MAX_WITHIN_DAYS}).`,
        validate: z.number().int().min(0).max(MAX_WITHIN_DAYS),
      }),
    },
    subscribe: (_root, args, context) => dashboardStream(context, args.withinDays ?? 14),
    resolve: (snapshot) => snapshot,
  }),
);
