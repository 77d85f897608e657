import { Access } from '../auth/access.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import type { LogEvent } from '../events/bus.js';
import { readLogHead } from '../events/prune.js';
import { type EventType, isCollectiveCopy, isLiveOnly } from '../events/types.js';
import { NUMBER_BOUNDS as BOUNDS, describeBound } from '../limits/numbers.js';
import { VIEWER } from '../live/lifecycle.js';
import { ActivityEvent, NOT_A_COLLECTIVE_COPY } from './activity.js';
import { CollectiveKindEnum, CollectiveStatusEnum } from './enums.js';
import { bounded } from './validation.js';

/** Bursts of changes within this window give one recomputation, not one per change. */
const COALESCE_MS = 100;
const RECENT = 10;

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
  const position = await readLogHead(prisma);
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
  // The recent activity is judged by the delivery index at (at least) `position`, and rows committed since are left for
  // the next figures: an instance behind the log reads it first (attack1 finding 1, as `readHistory`).
  await context.events.caughtUp(position);
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
    position,
    collectives: collectives.map((row) => ({ kind: row.kind, status: row.status, count: row._count._all })),
    deals: deals.map((row) => ({ status: row.status, count: row._count._all, totalAmountCents: row._sum.totalAmountCents ?? 0 })),
    deadlines: deadlines.sort((a, b) => a.at.getTime() - b.at.getTime()),
    recentActivity: recent
      .filter((event) => event.position <= position && !isLiveOnly(event) && context.events.index.mayReceive(listener, event))
      .slice(0, RECENT)
      .map((event) => ({ kind: 'event' as const, ...event })),
  };
}

/**
 * Dashboard work on this process, for tests and diagnosis: `triggers` counts events that asked an open live
 * dashboard for new figures (one per event and stream), `recomputations` the pushes after the first (each served by
 * a computation shared by the viewer's dashboards: `dashboardRecomputations` counts those). An event the viewer may
 * not see adds to neither.
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

/** Figures computed for a viewer, with the scope they were computed over. */
interface Figures {
  snapshot: DashboardSnapshot;
  scope: Scope;
}

/**
 * The figures one viewer's live dashboards share (attack finding 10 of issue 9: a thousand dashboards of one member
 * recomputed each on every event stalled the instance). A computation records `from`, the log position this
 * instance had applied when it was asked for: it reads the viewer's rights and figures after that, so it reflects
 * every event up to `from`, and serves any dashboard of the viewer that needs figures reflecting the events up to a
 * position at or before it. Dashboards woken by the same events therefore share one computation, whichever asks
 * first; one that saw a later event starts a new one.
 */
class DashboardShare {
  #last: { from: bigint; figures: Promise<Figures> } | null = null;
  /** Open dashboards sharing this (the share is dropped with the last). */
  users = 0;

  constructor(
    private readonly context: Context,
    private readonly member: NonNullable<Context['session']>['member'],
    private readonly withinDays: number,
  ) {}

  /** Figures reflecting at least every event up to `need`: the last computation's if it does, a new one otherwise. */
  figures(need: bigint): Promise<Figures> {
    const last = this.#last;
    if (last && last.from >= need) return last.figures;
    const { context, member, withinDays } = this;
    const from = context.events.position;
    // Rights read afresh: a collective or deal the viewer has lost since is no longer counted.
    const figures = context.work.dashboards(async () => {
      dashboardRecomputations.count += 1;
      const access = await Access.forViewer(context.prisma, member);
      const [snapshot, scope] = await Promise.all([computeDashboard(context, access, withinDays), scopeOf(access)]);
      return { snapshot, scope };
    });
    const current = { from, figures };
    this.#last = current;
    // A failed computation (the database unreachable) is not kept: the next dashboard to ask computes again.
    figures.catch(() => {
      if (this.#last === current) this.#last = null;
    });
    return figures;
  }
}

/** The shares of each instance (its event bus), by viewer, kind of viewer and window. */
const shares = new WeakMap<Context['events'], Map<string, DashboardShare>>();

/** Joins the share of the viewer's dashboards with this window; `leave` when the dashboard stops. */
function joinShare(context: Context, withinDays: number): { share: DashboardShare; leave: () => void } {
  const member = (context.session as NonNullable<Context['session']>).member;
  let byKey = shares.get(context.events);
  if (!byKey) {
    byKey = new Map();
    shares.set(context.events, byKey);
  }
  const key = `${member.id}|${member.kind}|${member.situation}|${withinDays}`;
  let share = byKey.get(key);
  if (!share) {
    share = new DashboardShare(context, member, withinDays);
    byKey.set(key, share);
  }
  share.users += 1;
  const joined = share;
  const map = byKey;
  return {
    share,
    leave: () => {
      joined.users -= 1;
      if (joined.users === 0 && map.get(key) === joined) map.delete(key);
    },
  };
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
 * Bounded work per event (SECURITY.md, and attack finding 10 of issue 9): the viewer's dashboards share their
 * computations (`DashboardShare`), so an event costs one computation per distinct viewer and window however many
 * dashboards they hold open; a dashboard asks for new figures at most once per `DASHBOARD_MIN_INTERVAL_MS`
 * (changes meanwhile are folded into the next push, never dropped), and at most `DASHBOARD_CONCURRENCY`
 * computations run at once on the instance (the others wait their turn).
 */
function dashboardStream(context: Context, withinDays: number): AsyncIterableIterator<DashboardSnapshot> {
  return context.live.stream(
    context,
    async () => VIEWER,
    async function* (live) {
      const session = context.session as NonNullable<Context['session']>;
      const { events } = context;
      const index = events.index;
      const listener = { memberId: session.member.id, isSupportStaff: context.access.isSupportStaff };
      await index.watch(listener.memberId);
      /** What the last figures were computed over; null until the first arrive (every access loss counts meanwhile). */
      let scope: Scope | null = null;
      const relevant = (event: LogEvent): boolean => {
        // A collective's copy of a change adds nothing: the change itself (outside any collective) wakes it.
        if (isCollectiveCopy(event)) return false;
        const wakes =
          index.mayReceive(listener, event) ||
          (LOSING_ACCESS.has(event.type) &&
            (scope === null ||
              (event.collectiveId !== null && scope.collectives.has(event.collectiveId)) ||
              scope.deals.has(index.dealOf(event) ?? '')));
        if (wakes) dashboardCounters.triggers += 1;
        return wakes;
      };
      /** The position of the last event that asked for new figures, and whether it is not pushed yet. */
      let seen = 0n;
      let changed = false;
      // Only "something changed" matters here, so the dashboard observes the log as the lifecycle does (after the
      // delivery index and the lifecycle's own re-checks, in log order), with no queue of its own to fall behind.
      // Followed live: the bus' poll reads the log for it too, so a lost notification is caught up.
      const unobserve = events.observe(
        (event) => {
          if (live.stopped || !relevant(event)) return;
          seen = event.position;
          changed = true;
          live.notify();
        },
        { follows: true },
      );
      const { share, leave } = joinShare(context, withinDays);
      try {
        // Observed from here on: the first figures reflect at least everything applied until now.
        let figures = await share.figures(events.position);
        scope = figures.scope;
        let computedAt = Date.now();
        if (!(await live.admit())) return;
        yield figures.snapshot;
        const { dashboardMinIntervalMs } = context.config.limits.work;
        while (true) {
          while (!changed) {
            await live.wait();
            if (live.stopped) return;
          }
          // Fold what follows for a moment, and at least until the viewer's shortest interval has passed.
          await pause(Math.max(COALESCE_MS, computedAt + dashboardMinIntervalMs - Date.now()), live.signal);
          if (!(await live.admit())) return;
          changed = false;
          computedAt = Date.now();
          dashboardCounters.recomputations += 1;
          figures = await share.figures(seen);
          scope = figures.scope;
          if (!(await live.admit())) return;
          yield figures.snapshot;
        }
      } finally {
        unobserve();
        leave();
      }
    },
  );
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

builder.queryField('dashboard', (t) =>
  t.field({
    type: Dashboard,
    description: 'The live figures, once (subscribe to `dashboard` to have them pushed).',
    args: {
      withinDays: t.arg.int({
        defaultValue: 14,
        description: `How far ahead deadlines are listed, in days (${describeBound(BOUNDS.withinDays)}).`,
        validate: bounded('withinDays'),
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
        description: `How far ahead deadlines are listed, in days (${describeBound(BOUNDS.withinDays)}).`,
        validate: bounded('withinDays'),
      }),
    },
    subscribe: (_root, args, context) => dashboardStream(context, args.withinDays ?? 14),
    resolve: (snapshot) => snapshot,
  }),
);
